"""The cloud PBX "CRM API" of MegaFon VATS and other ITooLabs-based providers.

The PBX POSTs form data with `crm_token` (compared in constant time) and `cmd`:
- `contact`: who is calling (`phone`), answered with {"contact_name", "responsible"};
- `event`: `type` INCOMING / OUTGOING / ACCEPTED / COMPLETED / CANCELLED for `callid`;
- `history`: the finished call: `type` in/out, `status` (Success or a failure), `duration`, `link`.
"""

from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm.telephony.models import Call, TelephonyConnection
from crm.telephony.services import call_event, call_register, caller_lookup
from crm.telephony.webhooks import connection_for, provider_seconds


@csrf_exempt
@require_POST
def itoolabs_crm_api(request, webhook_key: str):
    connection = connection_for(webhook_key, TelephonyConnection.Provider.ITOOLABS)
    data = request.POST
    if not constant_time_compare(data.get("crm_token", ""), connection.secret):
        return HttpResponseForbidden("Bad crm_token")
    command = data.get("cmd", "")
    if command == "contact":
        if not data.get("phone"):
            return HttpResponseBadRequest("contact without phone")
        lookup = caller_lookup(connection=connection, number=data["phone"], with_card=False)
        if lookup.contact is None:
            return JsonResponse({}, status=200)
        contact = lookup.contact
        return JsonResponse(
            {
                "contact_name": f"{contact.addressed_name} · {contact.account.name}"[:80],
                "responsible": lookup.route.target,
            },
            json_dumps_params={"ensure_ascii": False},
        )
    if command not in ("event", "history"):
        return HttpResponseBadRequest(f"unknown cmd {command!r}")
    if not data.get("callid") or not data.get("type"):
        return HttpResponseBadRequest(f"{command} without callid or type")
    try:
        (_event if command == "event" else _history)(connection, data)
    except ValidationError as error:
        return HttpResponseBadRequest("; ".join(error.messages))
    return HttpResponse("")


def _register(connection, data, *, inbound: bool, started_at=None):
    return call_register(
        connection=connection,
        call_id=data["callid"],
        direction=Call.Direction.INBOUND if inbound else Call.Direction.OUTBOUND,
        from_number=data.get("phone", "") if inbound else data.get("ext", ""),
        to_number=data.get("diversion", "") if inbound else data.get("phone", ""),
        started_at=started_at,
    )


def _event(connection, data):
    kind = data["type"]
    if kind in ("INCOMING", "OUTGOING"):
        _register(connection, data, inbound=kind == "INCOMING")
    elif kind == "ACCEPTED":
        call_event(connection=connection, call_id=data["callid"], type="answered", answered_by=data.get("ext", ""))
    elif kind == "COMPLETED":
        call_event(connection=connection, call_id=data["callid"], type="ended")
    elif kind == "CANCELLED":
        call_event(connection=connection, call_id=data["callid"], type="missed")
    else:
        raise ValidationError(f"unknown event type {kind!r}")


@transaction.atomic  # registered and finished together: a refused event leaves no half-recorded call
def _history(connection, data):
    inbound = data["type"] != "out"
    _register(connection, data, inbound=inbound, started_at=_start(data.get("start", "")))
    duration = provider_seconds(data.get("duration", ""))
    answered = data.get("status") == "Success"
    if answered:
        call_event(connection=connection, call_id=data["callid"], type="answered", answered_by=data.get("ext", ""))
    call_event(
        connection=connection,
        call_id=data["callid"],
        type="ended" if answered or not inbound else "missed",
        duration=duration,
        recording_url=data.get("link", ""),
    )


def _start(value: str):
    """ "20261123T100000Z", the PBX's UTC timestamp."""
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
