"""Mango Office real-time API (VPBX): events in, routing commands out.

Mango POSTs form fields vpbx_api_key, sign and json to <our URL>/events/<name>, with
sign = hex(SHA-256(vpbx_api_key + json + salt)) computed over the raw `json` field. Commands to
Mango are signed the same way. Events of one call are numbered by `seq`: an older one arriving
late changes nothing.
"""

import hashlib
import json
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm.http import PermanentError, TransientError, http_post, http_raise_for_status, http_session
from crm.telephony.models import Call, TelephonyConnection
from crm.telephony.services import MAX_EVENT_SEQ, call_event, call_recording_attach, call_register
from crm.telephony.webhooks import connection_for

logger = logging.getLogger(__name__)


def mango_sign(*, api_key: str, payload: str, salt: str) -> str:
    return hashlib.sha256((api_key + payload + salt).encode()).hexdigest()


def mango_command(connection: TelephonyConnection, command: str, payload: dict) -> None:
    """Send a signed command to Mango (e.g. route). Failures are logged: the call goes on by Mango's own rules."""
    body = json.dumps(payload, ensure_ascii=False)
    data = {
        "vpbx_api_key": connection.api_key,
        "sign": mango_sign(api_key=connection.api_key, payload=body, salt=connection.secret),
        "json": body,
    }
    url = f"{settings.CRM_MANGO_API_URL.rstrip('/')}/commands/{command}"
    session = http_session()
    try:
        http_raise_for_status(http_post(session, url, data=data), what="Mango")
    except (TransientError, PermanentError) as error:
        logger.warning("Mango command %s for call %s failed: %s", command, payload.get("call_id"), error)
    finally:
        session.close()


@csrf_exempt
@require_POST
def mango_event(request, webhook_key: str, event: str):
    connection = connection_for(webhook_key, TelephonyConnection.Provider.MANGO)
    api_key, payload, sign = (request.POST.get(name, "") for name in ("vpbx_api_key", "json", "sign"))
    expected = mango_sign(api_key=connection.api_key, payload=payload, salt=connection.secret)
    if not (constant_time_compare(api_key, connection.api_key) and constant_time_compare(sign, expected)):
        return HttpResponseForbidden("Bad sign")
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply for Python's parser
        return HttpResponseBadRequest("json is not JSON")
    if not isinstance(data, dict):
        return HttpResponseBadRequest("json is not an object")
    handler = {"call": _call, "summary": _summary, "recording": _recording}.get(event)
    if handler is None:
        return HttpResponse("")  # an event we do not use
    try:
        handler(connection, data)
    except (ValidationError, KeyError, TypeError, ValueError, OverflowError) as error:
        return HttpResponseBadRequest(f"events/{event}: {error}")
    return HttpResponse("")


def _party(data: dict, side: str) -> dict:
    party = data.get(side) or {}
    return party if isinstance(party, dict) else {}


def _call(connection, data):
    # A client's call is Mango's "entry" (its legs have call_ids): the entry is our call, so the summary,
    # which only names the entry, finds it.
    entry_id, call_id = str(data["entry_id"]), str(data["call_id"])
    seq, state = int(data["seq"]), data["call_state"]
    if not 0 <= seq <= MAX_EVENT_SEQ:  # before the call is registered, so a refused event records nothing
        raise ValidationError({"seq": _("An event's number is a whole number from 0 to 2^63.")})
    caller, callee = _party(data, "from"), _party(data, "to")
    outbound = bool(caller.get("extension"))
    _call_row, lookup, created = call_register(
        connection=connection,
        call_id=entry_id,
        direction=Call.Direction.OUTBOUND if outbound else Call.Direction.INBOUND,
        from_number=str(caller.get("extension") or caller.get("number", "")),
        to_number=str(callee.get("number") or callee.get("extension", "")),
    )
    if state == "Appeared" and created and not outbound and data.get("location") == "ivr":
        mango_command(
            connection,
            "route",
            {"command_id": f"route-{call_id}", "call_id": call_id, "to_number": lookup.route.target},
        )
    elif state == "Connected":
        call_event(
            connection=connection,
            call_id=entry_id,
            type="answered",
            answered_by=str(callee.get("extension", "")),
            seq=seq,
        )
    # "Disconnected" is left to events/summary, which says whether the call was answered at all.


def _summary(connection, data):
    entry_id = str(data["entry_id"])
    answered = str(data.get("entry_result")) == "1"
    talk_time, end_time = int(data.get("talk_time") or 0), int(data.get("end_time") or 0)
    duration = max(end_time - talk_time, 0) if answered and talk_time else None
    if answered:
        call_event(connection=connection, call_id=entry_id, type="answered")
    call_event(connection=connection, call_id=entry_id, type="ended" if answered else "missed", duration=duration)


def _recording(connection, data):
    # Announced as it starts and again as it completes; the file stays at Mango, and its link is asked
    # for (queries/recording/post) when someone listens (recordings.py).
    if data.get("recording_state", "Completed") == "Completed":
        call_recording_attach(
            connection=connection, call_id=str(data["entry_id"]), recording_ref=str(data.get("recording_id") or "")
        )
