"""What happened to an e-mail after our SMTP server took it: delivery receipts, bounces and spam complaints from
the sending platform, in its own documented format.

- Unisender Go (the UniOne platform): `{"auth": …, "events_by_user": [{"events": [{"event_name":
  "transactional_email_status", "event_data": {"email", "status", "event_time", "metadata", "delivery_info"}}]}]}`;
  `auth` is the MD5 of the body with `auth` replaced by the API key.
- SendPulse SMTP: a JSON array of `{"event", "timestamp", "message_id", "recipient" (bounces: "email"),
  "smtp_server_response_code", "smtp_server_response"}`; SendPulse signs nothing, so its URL carries our secret.
- An SMTP relay's delivery status notifications (RFC 3464) as JSON: `{"events": [{"message_id", "recipient",
  "action", "status", "diagnostic_code", "arrival_date", "feedback_type"}]}`, signed with HMAC-SHA256.

Every event is recorded once (providers retry); it finds its outbox row by our id in the metadata, by the
Message-ID we sent, or by the latest e-mail sent to the address.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from crm.models import Contact, ContactConsent, OutboundMessage
from crm.outreach.models import EmailEvent, MessageChannel
from crm.outreach.services import contact_unsubscribe

Kind = EmailEvent.Kind


@dataclass(frozen=True)
class Event:
    kind: str
    address: str
    at: datetime
    detail: str = ""
    outbox_id: int | None = None  # our id, when the platform echoes the metadata we sent
    message_id: str = ""  # the Message-ID header we sent (a DSN's Original-Envelope/Message-ID)


class EventsRefused(ValueError):
    pass


def _unix(value) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return timezone.now()


def _text(value, limit: int = 500) -> str:
    return str(value)[:limit] if value is not None else ""


# Unisender Go: https://godocs.unisender.ru/web-api-ref#callback-format (UniOne's platform, same format)
UNISENDER_STATUSES = {
    "delivered": Kind.DELIVERED,
    "hard_bounced": Kind.HARD_BOUNCE,
    "soft_bounced": Kind.SOFT_BOUNCE,
    "spam": Kind.COMPLAINT,
}


def unisender_auth_ok(body: bytes, api_key: str) -> bool:
    """The body's "auth" is the MD5 of the body with that value replaced by our API key: compared in constant time."""
    try:
        received = json.loads(body).get("auth", "")
    except (ValueError, AttributeError):
        return False
    if not isinstance(received, str) or not received:
        return False
    signed = body.replace(f'"{received}"'.encode(), f'"{api_key}"'.encode(), 1)
    return constant_time_compare(hashlib.md5(signed).hexdigest(), received)  # noqa: S324 (their format)


def unisender_events(payload) -> list[Event]:
    try:
        blocks = payload["events_by_user"]
        raw = [event for block in blocks for event in block["events"]]
    except (KeyError, TypeError):
        raise EventsRefused(_("Not a Unisender Go webhook: events_by_user[].events[] is missing.")) from None
    events = []
    for item in raw:
        if not isinstance(item, dict) or item.get("event_name") != "transactional_email_status":
            continue  # spam blocks of their servers are theirs to handle
        data = item.get("event_data") or {}
        kind = UNISENDER_STATUSES.get(data.get("status"))
        if kind is None or not data.get("email"):
            continue  # opened, clicked, unsubscribed (our own link does that), sent, accepted
        info = data.get("delivery_info") or {}
        at = parse_datetime(str(data.get("event_time", "")).replace(" ", "T"))
        metadata = data.get("metadata") or {}
        outbox_id = metadata.get("outbox_id") if isinstance(metadata, dict) else None
        events.append(
            Event(
                kind=kind,
                address=_text(data["email"], 254),
                at=at.replace(tzinfo=UTC) if at and timezone.is_naive(at) else (at or timezone.now()),
                detail=" ".join(
                    filter(None, (_text(info.get("delivery_status")), _text(info.get("destination_response"))))
                ),
                outbox_id=int(outbox_id) if str(outbox_id).isdigit() else None,
            )
        )
    return events


# SendPulse SMTP: https://sendpulse.com/knowledge-base/smtp/smtp-webhooks
SENDPULSE_EVENTS = {
    "delivered": Kind.DELIVERED,
    "undelivered": Kind.HARD_BOUNCE,
    "hard_bounces": Kind.HARD_BOUNCE,
    "soft_bounces": Kind.SOFT_BOUNCE,
    "spam_by_user": Kind.COMPLAINT,
}


def sendpulse_events(payload) -> list[Event]:
    if not isinstance(payload, list):
        raise EventsRefused(_("Not a SendPulse webhook: it sends a JSON array of events."))
    events = []
    for item in payload:
        if not isinstance(item, dict):
            continue
        kind = SENDPULSE_EVENTS.get(item.get("event"))
        address = item.get("recipient") or item.get("email")  # bounces name it "email"
        if kind is None or not address:
            continue
        code = _text(item.get("smtp_server_response_code"), 10)
        if kind == Kind.HARD_BOUNCE and code.startswith("4"):  # "undelivered" with a temporary reply
            kind = Kind.SOFT_BOUNCE
        detail = " ".join(
            filter(
                None,
                (code, _text(item.get("smtp_server_response_subcode"), 20), _text(item.get("smtp_server_response"))),
            )
        )
        events.append(Event(kind=kind, address=_text(address, 254), at=_unix(item.get("timestamp")), detail=detail))
    return events


# RFC 3464 delivery status notifications (and RFC 5965 complaints), as JSON from a relay.
def dsn_events(payload) -> list[Event]:
    items = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        raise EventsRefused(_('Send {"events": [{"message_id", "recipient", "action", "status", …}]}.'))
    events = []
    for item in items:
        if not isinstance(item, dict) or not item.get("recipient"):
            continue
        action, status = str(item.get("action", "")).lower(), str(item.get("status", ""))
        if item.get("feedback_type") == "abuse":
            kind = Kind.COMPLAINT
        elif action == "delivered" or action == "relayed":
            kind = Kind.DELIVERED
        elif action == "failed":
            kind = Kind.HARD_BOUNCE if status.startswith("5") else Kind.SOFT_BOUNCE
        elif action == "delayed":
            kind = Kind.SOFT_BOUNCE
        else:
            continue
        at = parse_datetime(str(item.get("arrival_date", "")))
        events.append(
            Event(
                kind=kind,
                address=_text(item["recipient"], 254).removeprefix("rfc822;").strip(),
                at=at if at and not timezone.is_naive(at) else timezone.now(),
                detail=" ".join(filter(None, (status[:20], _text(item.get("diagnostic_code"))))),
                message_id=_text(item.get("message_id"), 200).strip(),
            )
        )
    return events


# Recording ------------------------------------------------------------------------------------------------------

_SENT = (OutboundMessage.Status.SENT, OutboundMessage.Status.DELIVERED)


def _message_for(event: Event) -> OutboundMessage | None:
    emails = OutboundMessage.objects.filter(channel=MessageChannel.EMAIL).select_related("contact")
    if event.outbox_id and (found := emails.filter(pk=event.outbox_id).first()):
        return found
    if event.message_id and (found := emails.filter(provider_message_id=event.message_id).first()):
        return found
    people = list(Contact.objects.filter(email__iexact=event.address).values_list("id", flat=True)[:20])
    if not people:
        return None
    return (
        emails.filter(contact_id__in=people, status__in=_SENT, sent_at__lte=event.at)
        .order_by("-sent_at", "-id")
        .first()
    )


def delivery_events_record(*, provider: str, events: list[Event]) -> int:
    """Record each new event once; returns how many were new. A hard bounce marks the address bad, a complaint
    opts the person out of marketing."""
    recorded = 0
    for event in events:
        key = hashlib.sha256(
            f"{provider}|{event.kind}|{event.address.lower()}|{event.at.isoformat()}|{event.detail}|{event.message_id}".encode()
        ).hexdigest()
        message = _message_for(event)
        with transaction.atomic():  # the record and what it does, together
            try:
                with transaction.atomic():
                    EmailEvent.objects.create(
                        key=key,
                        provider=provider,
                        kind=event.kind,
                        address=event.address,
                        occurred_at=event.at,
                        detail=event.detail[:500],
                        message=message,
                        contact_id=message.contact_id if message else None,
                    )
            except IntegrityError:  # recorded before: the platform retried
                continue
            _act(event, message, provider)
        recorded += 1
    return recorded


def _act(event: Event, message: OutboundMessage | None, provider: str) -> None:
    if message is not None:
        if event.kind == Kind.DELIVERED and message.status == OutboundMessage.Status.SENT:
            message.status = OutboundMessage.Status.DELIVERED
        elif event.kind == Kind.HARD_BOUNCE:
            message.status = OutboundMessage.Status.BOUNCED
            message.status_reason = (_("Bounced: %(detail)s") % {"detail": event.detail or "-"})[:500]
        elif event.kind == Kind.SOFT_BOUNCE and message.status != OutboundMessage.Status.BOUNCED:
            message.status_reason = (
                _("Not delivered yet, the platform retries: %(detail)s") % {"detail": event.detail or "-"}
            )[:500]
        elif event.kind == Kind.COMPLAINT:
            message.status = OutboundMessage.Status.COMPLAINED
        message.save(update_fields=["status", "status_reason"])
    people = Contact.objects.filter(email__iexact=event.address)
    if event.kind == Kind.HARD_BOUNCE:
        people.filter(email_bounced_at__isnull=True).update(
            email_bounced_at=event.at, email_bounce_reason=event.detail[:300] or _("the address does not take mail")
        )
    elif event.kind == Kind.COMPLAINT:
        for contact in people:
            contact_unsubscribe(
                contact=contact,
                purposes=[ContactConsent.Purpose.MARKETING],
                channel=MessageChannel.EMAIL,
                source=(_("spam complaint via %(provider)s") % {"provider": provider})[:200],
            )
