"""Zadarma (and Novofon, its Russian twin): PBX call notifications.

Each event is a form POST with a `Signature` header: base64(hex(HMAC-SHA1(secret, <fields>))), the
fields depending on the event, as Zadarma's SDK (lib/Webhook/Notify*.php) defines them. Answering
NOTIFY_START with {"redirect": <extension>, "caller_name": ...} routes the call.
"""

import hashlib
import logging
from datetime import timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from crm.telephony.models import Call, TelephonyConnection
from crm.telephony.services import call_event, call_recording_attach, call_register
from crm.telephony.signatures import zadarma_signature
from crm.telephony.webhooks import connection_for, provider_seconds, provider_time

logger = logging.getLogger(__name__)

REPLAY_WINDOW = timedelta(hours=24)  # longer than any call: its NOTIFY_END still comes with the same id

# event -> the fields whose values, concatenated, are signed
SIGNED_FIELDS = {
    "NOTIFY_START": ("caller_id", "called_did", "call_start"),
    "NOTIFY_END": ("caller_id", "called_did", "call_start"),
    "NOTIFY_OUT_START": ("internal", "destination", "call_start"),
    "NOTIFY_OUT_END": ("internal", "destination", "call_start"),
    "NOTIFY_RECORD": ("pbx_call_id", "call_id_with_rec"),
}
REQUIRED = {
    "NOTIFY_START": ("pbx_call_id", "caller_id", "call_start"),
    "NOTIFY_END": ("pbx_call_id", "caller_id", "call_start"),
    "NOTIFY_OUT_START": ("pbx_call_id", "destination", "call_start"),
    "NOTIFY_OUT_END": ("pbx_call_id", "destination", "call_start"),
    "NOTIFY_RECORD": ("pbx_call_id", "call_id_with_rec"),
}


@csrf_exempt
@require_http_methods(["GET", "POST"])
def zadarma_webhook(request, webhook_key: str):
    if request.method == "GET":
        # Zadarma checks the URL once when it is saved: echo its token back.
        echo = request.GET.get("zd_echo", "")
        return HttpResponse(echo[:200], content_type="text/plain") if echo else HttpResponseBadRequest("zd_echo?")
    connection = connection_for(webhook_key, TelephonyConnection.Provider.ZADARMA)
    data = request.POST
    event = data.get("event", "")
    if event not in SIGNED_FIELDS:
        return HttpResponse("")  # an event we do not use: acknowledged, nothing to do
    signed = "".join(data.get(name, "") for name in SIGNED_FIELDS[event])
    expected = zadarma_signature(secret=connection.secret, signed=signed)
    if not constant_time_compare(expected, request.headers.get("Signature", "")):
        return HttpResponseForbidden("Bad signature")
    missing = [name for name in REQUIRED[event] if not data.get(name)]
    if missing:
        return HttpResponseBadRequest(f"{event} without {', '.join(missing)}")
    if _replayed(connection, signed, data["pbx_call_id"]):
        logger.warning("Zadarma %s: a signature already used for another call, for %s: refused", event, connection)
        return HttpResponseForbidden("Signature already used for another call")
    try:
        return _handle(connection, event, data)
    except ValidationError as error:
        return HttpResponseBadRequest("; ".join(error.messages))


def _replayed(connection, signed: str, call_id: str) -> bool:
    """Zadarma signs only the numbers and the start time, not the call's id: a captured signature would make
    a new call (and an urgent call-back task) for every other `pbx_call_id` sent with it. The first call id a
    signed text comes with is remembered for REPLAY_WINDOW; the same text with another id is a replay. (A call's
    own repeats and its NOTIFY_END carry the same id and pass; two real calls from one number to one number in
    the same second would be refused, which Zadarma's one-second start time cannot tell apart anyway.)"""
    key = f"zadarma-signed:{hashlib.sha256(f'{connection.pk}:{signed}'.encode()).hexdigest()}"
    try:
        if cache.add(key, call_id, timeout=REPLAY_WINDOW.total_seconds()):
            return False
        return cache.get(key, call_id) != call_id
    except Exception as error:  # Redis down: calls keep coming in, unchecked meanwhile, as the rate limits are off
        logger.warning("Zadarma replays are not checked while the cache does not answer: %s", error)
        return False


def _handle(connection, event, data):
    call_id, started = data["pbx_call_id"], provider_time(data.get("call_start", ""))
    if event == "NOTIFY_START":
        _call, lookup, _created = call_register(
            connection=connection,
            call_id=call_id,
            direction=Call.Direction.INBOUND,
            from_number=data["caller_id"],
            to_number=data.get("called_did", ""),
            started_at=started,
            with_card=True,  # for the caller name on the phone's screen
        )
        answer = {"redirect": lookup.route.target}
        if lookup.contact is not None:
            answer["caller_name"] = lookup.card["display_name"][:60]
        return JsonResponse(answer, json_dumps_params={"ensure_ascii": False})
    if event == "NOTIFY_OUT_START":
        call_register(
            connection=connection,
            call_id=call_id,
            direction=Call.Direction.OUTBOUND,
            from_number=data.get("internal", ""),
            to_number=data["destination"],
            started_at=started,
        )
        return HttpResponse("")
    if event in ("NOTIFY_END", "NOTIFY_OUT_END"):
        _end(connection, event, data, call_id=call_id, started=started)
        return HttpResponse("")
    # NOTIFY_RECORD: the file stays at Zadarma; its link is asked for when someone listens (recordings.py).
    call_recording_attach(connection=connection, call_id=call_id, recording_ref=data["call_id_with_rec"])
    return HttpResponse("")


@transaction.atomic  # registered and finished together: a refused event leaves no half-recorded call
def _end(connection, event, data, *, call_id, started):
    inbound, duration = event == "NOTIFY_END", provider_seconds(data.get("duration", ""))
    call_register(  # a call whose start we never saw is still logged; a known one is left as it is
        connection=connection,
        call_id=call_id,
        direction=Call.Direction.INBOUND if inbound else Call.Direction.OUTBOUND,
        from_number=data["caller_id"] if inbound else data.get("internal", ""),
        to_number=data.get("called_did", "") if inbound else data["destination"],
        started_at=started,
    )
    answered = data.get("disposition") == "answered"
    if answered:
        call_event(connection=connection, call_id=call_id, type="answered", answered_by=data.get("internal", ""))
    call_event(connection=connection, call_id=call_id, type="ended" if answered else "missed", duration=duration)
