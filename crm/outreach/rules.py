"""The rules every message passes at send time, checked for a whole batch in a constant number of queries.

A message that fails a rule is suppressed with the reason (not lost); one that arrives in quiet hours
waits for the morning.
"""

import zoneinfo
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count
from django.utils.translation import gettext as _

from crm.models import Commitment, ContactConsent, Equipment, Order, OutboundMessage
from crm.outreach.channels import CHANNELS
from crm.outreach.hooks import kind_hooks
from crm.outreach.models import Campaign, MessageChannel, MessageKind

CONSENT_CHANNEL = {
    MessageChannel.EMAIL: ContactConsent.Channel.EMAIL,
    MessageChannel.TELEGRAM: ContactConsent.Channel.MESSENGER,
    MessageChannel.WEBHOOK: ContactConsent.Channel.SMS,
}
_SENT = (OutboundMessage.Status.SENT, OutboundMessage.Status.DELIVERED)
_NOT_SHIPPED = (Order.Status.NEW, Order.Status.CONFIRMED, Order.Status.IN_PRODUCTION)


@dataclass(frozen=True)
class Decision:
    """Not now: suppressed for good with the reason, or deferred until a time."""

    reason: str
    defer_until: datetime | None = None


def outbox_rules_check(messages: list[OutboundMessage], *, now: datetime) -> dict[int, Decision]:
    decisions: dict[int, Decision] = {}
    for message in messages:
        if not CHANNELS[message.channel]().address(message):
            decisions[message.id] = Decision(
                _("%(recipient)s has no address for %(channel)s.")
                % {"recipient": message.recipient, "channel": message.get_channel_display()}
            )
        elif message.channel == MessageChannel.EMAIL and message.contact_id and message.contact.email_bounced_at:
            decisions[message.id] = Decision(
                _("%(address)s bounced on %(date)s (%(reason)s): correct the address on the person's page.")
                % {
                    "address": message.contact.email,
                    "date": message.contact.email_bounced_at.date().isoformat(),
                    "reason": message.contact.email_bounce_reason,
                }
            )
    decisions.update(_reason_gone([m for m in messages if m.id not in decisions], now=now))
    # Our own people get their alerts at any hour; the rules below protect clients.
    client_messages = [m for m in messages if m.contact_id]
    for check in (_opted_out, _over_frequency_cap, _quiet_hours):
        decisions.update(check([m for m in client_messages if m.id not in decisions], now=now))
    return decisions


def _opted_out(messages, *, now):
    opt_outs = set(
        ContactConsent.objects.filter(contact_id__in={m.contact_id for m in messages}, granted=False).values_list(
            "contact_id", "purpose", "channel"
        )
    )
    decisions = {}
    for message in messages:
        channels = (ContactConsent.Channel.ANY, CONSENT_CHANNEL[message.channel])
        if any((message.contact_id, message.purpose, channel) in opt_outs for channel in channels):
            decisions[message.id] = Decision(
                _("The person opted out of %(purpose)s.") % {"purpose": message.get_purpose_display().lower()}
            )
    return decisions


def _reason_gone(messages, *, now):
    """Does the event still hold? The maintenance may be done, the order delivered, the promise kept."""
    by_kind: dict[str, list[OutboundMessage]] = {}
    for message in messages:
        by_kind.setdefault(message.kind, []).append(message)
    decisions = {}
    for kind, group in by_kind.items():
        still_holds = _STILL_HOLDS.get(kind) or kind_hooks(kind).still_holds
        if still_holds is None:
            continue
        load, reason_for = still_holds
        loaded = load(group)
        for message in group:
            reason = reason_for(message, loaded)
            if reason:
                decisions[message.id] = Decision(reason)
    return decisions


def _ids(group, name):
    return {m.data.get(name) for m in group if m.data.get(name)}


def _maintenance_reason(message, equipment):
    due = equipment.get(message.data.get("equipment_id"))
    if due is None or due.isoformat() != message.data.get("due_date"):
        return _("The maintenance was done or moved since the reminder was planned.")
    return ""


def _order_reason(message, orders):
    order = orders.get(message.data.get("order_id"))
    if order is None:
        return _("The order no longer exists.")
    status, promised = order
    if status in (Order.Status.DELIVERED, Order.Status.CANCELLED):
        return _("The order was delivered or cancelled meanwhile.")
    if message.kind == MessageKind.DELIVERY_AT_RISK and status not in _NOT_SHIPPED:
        return _("The order has shipped meanwhile.")
    expected = message.data.get("new_date") or message.data.get("promised_date")
    if (promised.isoformat() if promised else None) != expected:
        return _("The delivery date changed again; a newer message tells the client.")
    return ""


def _orders(group):
    return {
        row[0]: row[1:]
        for row in Order.objects.filter(id__in=_ids(group, "order_id")).values_list(
            "id", "status", "promised_delivery_date"
        )
    }


def _open_promises(group):
    return set(Commitment.objects.open().filter(id__in=_ids(group, "commitment_id")).values_list("id", flat=True))


def _promise_reason(message, open_ids):
    return "" if message.data.get("commitment_id") in open_ids else _("The promise was closed meanwhile.")


_STILL_HOLDS = {
    MessageKind.MAINTENANCE_DUE: (
        lambda group: dict(
            Equipment.objects.filter(id__in=_ids(group, "equipment_id")).values_list("id", "next_maintenance_at")
        ),
        _maintenance_reason,
    ),
    MessageKind.DELIVERY_MOVED: (_orders, _order_reason),
    MessageKind.DELIVERY_AT_RISK: (_orders, _order_reason),
    MessageKind.ORDER_ON_TRACK: (_orders, _order_reason),
    MessageKind.CAMPAIGN: (
        lambda group: set(
            Campaign.objects.filter(id__in=_ids(group, "campaign_id"), status=Campaign.Status.ACTIVE).values_list(
                "id", flat=True
            )
        ),
        lambda message, active: "" if message.data.get("campaign_id") in active else _("The campaign was stopped."),
    ),
    MessageKind.PROMISE_DUE: (_open_promises, _promise_reason),
    MessageKind.PROMISE_OVERDUE: (_open_promises, _promise_reason),
}


def _over_frequency_cap(messages, *, now):
    caps = settings.CRM_OUTREACH_FREQUENCY_CAPS
    capped = [m for m in messages if m.purpose in caps]
    sent = Counter()
    for purpose in {m.purpose for m in capped}:
        limit, days = caps[purpose]
        rows = (
            OutboundMessage.objects.filter(
                contact_id__in={m.contact_id for m in capped if m.purpose == purpose},
                purpose=purpose,
                status__in=_SENT,
                sent_at__gte=now - timedelta(days=days),
            )
            .values("contact_id")
            .annotate(n=Count("id"))
        )
        sent.update({(row["contact_id"], purpose): row["n"] for row in rows})
    decisions = {}
    for message in capped:
        limit, days = caps[message.purpose]
        key = (message.contact_id, message.purpose)
        if sent[key] >= limit:
            decisions[message.id] = Decision(
                _("Frequency cap: this person already got %(limit)s %(purpose)s message(s) in %(days)s days.")
                % {"limit": limit, "purpose": message.get_purpose_display().lower(), "days": days}
            )
        else:
            sent[key] += 1  # the next one in this batch counts this one
    return decisions


def _quiet_hours(messages, *, now):
    decisions = {}
    for message in messages:
        if message.data.get("urgent"):  # a critical equipment problem: the client wants to know now
            continue
        zone = zoneinfo.ZoneInfo(message.account.time_zone if message.account else settings.TIME_ZONE)
        allowed = next_allowed_time(now.astimezone(zone))
        if allowed is not None:
            decisions[message.id] = Decision(
                _("Quiet hours in %(zone)s: waits until %(time)s.")
                % {"zone": zone.key, "time": allowed.strftime("%Y-%m-%d %H:%M")},
                defer_until=allowed,
            )
    return decisions


def next_allowed_time(local_now: datetime) -> datetime | None:
    """None when a message may go now; else the next start of the sending window, in the same zone."""
    start_hour, end_hour = settings.CRM_OUTREACH_SENDING_HOURS

    def allowed_day(day: date) -> bool:
        return not (settings.CRM_OUTREACH_QUIET_WEEKENDS and day.weekday() >= 5)

    if allowed_day(local_now.date()) and start_hour <= local_now.hour < end_hour:
        return None
    day = local_now.date() if local_now.hour < start_hour else local_now.date() + timedelta(days=1)
    while not allowed_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(start_hour), tzinfo=local_now.tzinfo)
