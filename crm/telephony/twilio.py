"""Twilio Programmable Voice: the voice webhook answers TwiML that dials the account's manager.

Every request carries X-Twilio-Signature, checked as Twilio specifies (crm/telephony/signatures.py)
against the URL Twilio called: the connection's public base URL when we are behind a proxy.
"""

from functools import wraps
from xml.sax.saxutils import escape, quoteattr

from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm.phones import phone_try_normalize
from crm.telephony.models import Call, TelephonyConnection
from crm.telephony.services import call_event, call_register
from crm.telephony.signatures import twilio_signature_valid
from crm.telephony.webhooks import connection_for, provider_seconds, public_url, twilio_callback_url

# DialCallStatus of the <Dial> action: which ones mean somebody picked up.
ANSWERED = {"completed", "answered"}


def _twiml(body: str = "") -> HttpResponse:
    return HttpResponse(
        f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>', content_type="application/xml"
    )


def twilio_webhook(view):
    """Find the connection, check X-Twilio-Signature, refuse incomplete requests; 400, never 500."""

    @csrf_exempt
    @require_POST
    @wraps(view)
    def checked(request, webhook_key: str):
        connection = connection_for(webhook_key, TelephonyConnection.Provider.TWILIO)
        params = {name: request.POST.getlist(name) for name in request.POST}
        if not twilio_signature_valid(
            auth_token=connection.secret,
            url=public_url(request, connection),
            params=params,
            signature=request.headers.get("X-Twilio-Signature", ""),
        ):
            return HttpResponseForbidden("Bad signature")
        if not request.POST.get("CallSid"):
            return HttpResponseBadRequest("CallSid is missing")
        try:
            return view(request, connection, request.POST)
        except ValidationError as error:
            return HttpResponseBadRequest("; ".join(error.messages))

    return checked


def _dial_target(target: str) -> str:
    if target.startswith("sip:"):
        return f"<Sip>{escape(target)}</Sip>"
    if target.startswith("+"):
        return f"<Number>{escape(target)}</Number>"
    return f"<Client>{escape(target)}</Client>"


@twilio_webhook
def twilio_voice(request, connection, data):
    """A call comes in: ring the manager (their SIP address or client identity), report how the dial went."""
    _call, lookup, _created = call_register(
        connection=connection,
        call_id=data["CallSid"],
        direction=Call.Direction.INBOUND,
        from_number=data.get("From", ""),
        to_number=data.get("To", ""),
    )
    action = quoteattr(twilio_callback_url(connection, "dial_result"))
    recording = quoteattr(twilio_callback_url(connection, "recording"))
    return _twiml(
        f'<Dial action={action} timeout="25" record="record-from-answer" recordingStatusCallback={recording}>'
        f"{_dial_target(lookup.route.target)}</Dial>"
    )


@twilio_webhook
def twilio_dial_result(request, connection, data):
    """The <Dial> finished: DialCallStatus says whether anyone answered; anything else is a missed call."""
    if data.get("DialCallStatus") in ANSWERED:
        call_event(connection=connection, call_id=data["CallSid"], type="answered")
        call_event(
            connection=connection,
            call_id=data["CallSid"],
            type="ended",
            duration=provider_seconds(data.get("DialCallDuration", "")),
        )
    else:
        call_event(connection=connection, call_id=data["CallSid"], type="missed")
    return _twiml("<Hangup/>")


@twilio_webhook
def twilio_status(request, connection, data):
    """The parent call's status callback (set on the number): its final duration."""
    if data.get("CallStatus") == "completed":
        call_event(
            connection=connection,
            call_id=data["CallSid"],
            type="ended",
            duration=provider_seconds(data.get("CallDuration", "")),
        )
    return _twiml()


@twilio_webhook
def twilio_recording(request, connection, data):
    if data.get("RecordingUrl"):
        # "ringing" changes no status: the event only carries the recording link to the call and its timeline.
        call_event(connection=connection, call_id=data["CallSid"], type="ringing", recording_url=data["RecordingUrl"])
    return _twiml()


@twilio_webhook
def twilio_connect(request, connection, data):
    """Click to call: the manager answered; now dial the client, showing our number."""
    client = phone_try_normalize(request.GET.get("to", ""))
    if client is None:
        return _twiml("<Say>The number cannot be dialled.</Say><Hangup/>")
    caller_id = quoteattr(connection.outbound_caller_id)
    return _twiml(f"<Dial callerId={caller_id}><Number>{escape(client)}</Number></Dial>")
