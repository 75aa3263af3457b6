"""The caller card: what the manager's screen shows while the phone rings.

One layout, two ways to read its rows. On PostgreSQL a single statement returns every list
(JSON aggregates of bounded, indexed subqueries): this runs on every incoming call, and six
ORM queries cost more in SQL compilation than the database spends answering them. Elsewhere
(the embedded SQLite) the same rows come from the ORM. A test on PostgreSQL checks that both
give the same card.

The apps built on the core add their parts (the surveys app, the last recommendation score) with
caller_card_part_register() in their AppConfig.ready(): a part brings its select-list expression
for the one statement and the same value from the ORM, so the card stays one statement.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Account, Commitment, Contact, DeliveryDateChange, Order, ServiceRequest, Zone
from crm.prepared import prepared_cursor
from crm.selectors import account_last_delivery_move

BEHAVIOUR_HINTS = {
    1: _("Status matters: consult them before deciding, thank them, ask for their opinion."),
    2: _("Wants specifics and benefit: figures, comparisons, savings."),
    3: _("Wants guarantees: confirm dates, warn early, refer to standards."),
    4: _("Values the relationship: be personal and warm, call back at once."),
}
LISTED = 10  # open promises, orders and requests shown
LAST_INTERACTIONS = 5


@dataclass(frozen=True)
class CallerCardPart:
    """An app's part of the caller card, shown under `key`."""

    key: str
    # One select-list expression over the account `{account}` stands for, giving JSON (or NULL); no input in it.
    sql: str
    # The same value from the ORM on other databases, as `parse` would give it.
    orm: Callable[[Account], object]
    # The expression's JSON (decoded; None for NULL) as the value `orm` gives.
    parse: Callable[[object], object]
    # The value as the card shows it (JSON-ready).
    present: Callable[[object], object]


_PARTS: dict[str, CallerCardPart] = {}


def caller_card_part_register(part: CallerCardPart) -> None:
    _PARTS[part.key] = part
    _card_lists_sql.cache_clear()


def caller_card_parts() -> list[CallerCardPart]:
    return list(_PARTS.values())


@dataclass(frozen=True)
class CardRows:
    promises: list[tuple]  # (description, due_at)
    orders: list[tuple]  # (number, status, promised_delivery_date, moved, extra_confirmation)
    last_move: tuple | None  # (order number, old_date, new_date, days moved, reason)
    service_requests: list[tuple]  # (subject, status, first_response_due_at)
    interactions: list[tuple]  # (occurred_at, channel, direction, subject)
    parts: dict = field(default_factory=dict)  # the apps' parts: key → value


def card_rows_orm(account: Account) -> CardRows:
    move = account_last_delivery_move(account=account)
    orders = (
        account.orders.open()
        .annotate(moved=Exists(DeliveryDateChange.objects.filter(order=OuterRef("pk"))))
        .order_by("promised_delivery_date", "id")
    )
    return CardRows(
        promises=list(
            account.commitments.open().order_by("due_at", "id").values_list("description", "due_at")[:LISTED]
        ),
        orders=list(
            orders.values_list("number", "status", "promised_delivery_date", "moved", "extra_confirmation")[:LISTED]
        ),
        last_move=(move.order.number, move.old_date, move.new_date, move.days_moved, move.reason) if move else None,
        service_requests=list(
            account.service_requests.unresolved()
            .order_by("first_response_due_at", "id")
            .values_list("subject", "status", "first_response_due_at")[:LISTED]
        ),
        interactions=list(
            account.interactions.order_by("-occurred_at", "-id").values_list(
                "occurred_at", "channel", "direction", "subject"
            )[:LAST_INTERACTIONS]
        ),
        parts={part.key: part.orm(account) for part in caller_card_parts()},
    )


# The same rows as card_rows_orm, with the same order and limits: five select-list expressions over
# the account `{account}` stands for, so the caller lookup can fold them into its own statement.
_CORE_LISTS = """
  (SELECT json_agg(json_build_array(p.description, p.due_at) ORDER BY p.due_at, p.id)
     FROM (SELECT description, due_at, id FROM crm_commitment
           WHERE account_id = {account} AND status = '{promise_open}' ORDER BY due_at, id LIMIT {listed}) p),
  (SELECT json_agg(json_build_array(o.number, o.status, o.promised_delivery_date, o.moved, o.extra_confirmation)
                   ORDER BY o.promised_delivery_date, o.id)
     FROM (SELECT number, status, promised_delivery_date, extra_confirmation, id,
                  EXISTS (SELECT 1 FROM crm_deliverydatechange d WHERE d.order_id = crm_order.id) AS moved
           FROM crm_order WHERE account_id = {account} AND status NOT IN ('{delivered}', '{cancelled}')
           ORDER BY promised_delivery_date, id LIMIT {listed}) o),
  (SELECT json_build_array(o.number, d.old_date, d.new_date, d.new_date - d.old_date, d.reason)
     FROM crm_deliverydatechange d JOIN crm_order o ON o.id = d.order_id
     WHERE o.account_id = {account} ORDER BY d.created_at DESC, d.id DESC LIMIT 1),
  (SELECT json_agg(json_build_array(s.subject, s.status, s.first_response_due_at)
                   ORDER BY s.first_response_due_at, s.id)
     FROM (SELECT subject, status, first_response_due_at, id FROM crm_servicerequest
           WHERE account_id = {account} AND status NOT IN ('{resolved}', '{closed}')
           ORDER BY first_response_due_at, id LIMIT {listed}) s),
  (SELECT json_agg(json_build_array(i.occurred_at, i.channel, i.direction, i.subject)
                   ORDER BY i.occurred_at DESC, i.id DESC)
     FROM (SELECT occurred_at, channel, direction, subject, id FROM crm_interaction
           WHERE account_id = {account} ORDER BY occurred_at DESC, id DESC LIMIT {interactions}) i)
""".format(  # noqa: S608 (card_rows_orm's statuses and limits, never input; {account} stays a placeholder)
    account="{account}",
    promise_open=Commitment.Status.OPEN,
    delivered=Order.Status.DELIVERED,
    cancelled=Order.Status.CANCELLED,
    resolved=ServiceRequest.Status.RESOLVED,
    closed=ServiceRequest.Status.CLOSED,
    listed=LISTED,
    interactions=LAST_INTERACTIONS,
)
_CORE_LIST_COUNT = 5


@cache
def _card_lists_sql() -> str:
    return ",".join([_CORE_LISTS] + [f"\n  ({part.sql})" for part in caller_card_parts()])


def card_lists(*, account: str) -> tuple[str, int]:
    """The card's select-list expressions over the account `account` names (a column or "%s"), and their count."""
    return _card_lists_sql().format(account=account), _CORE_LIST_COUNT + len(_PARTS)


def moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def card_rows_from(values) -> CardRows:
    """CardRows from the card_lists() values (JSON, whose times and dates are ISO strings)."""
    promises, orders, move, requests, interactions = values[:_CORE_LIST_COUNT]
    parts = values[_CORE_LIST_COUNT:]
    return CardRows(
        promises=[(text, moment(due)) for text, due in promises or []],
        orders=[(number, status, _day(due), moved, extra) for number, status, due, moved, extra in orders or []],
        last_move=(move[0], _day(move[1]), _day(move[2]), move[3], move[4]) if move else None,
        service_requests=[(subject, status, moment(due)) for subject, status, due in requests or []],
        interactions=[
            (moment(at), channel, direction, subject) for at, channel, direction, subject in interactions or []
        ],
        parts={part.key: part.parse(value) for part, value in zip(caller_card_parts(), parts, strict=True)},
    )


def card_rows_postgresql(account: Account) -> CardRows:
    lists, count = card_lists(account="%s")
    with prepared_cursor() as cursor:
        cursor.execute("SELECT " + lists, [account.id] * count)
        return card_rows_from(cursor.fetchone())


def card_rows(account: Account) -> CardRows:
    return card_rows_postgresql(account) if connection.vendor == "postgresql" else card_rows_orm(account)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def caller_card(*, contact: Contact | None, number: str, rows: CardRows | None = None) -> dict:
    """The card for `contact` (with its account and manager loaded), from `rows` when the caller lookup
    read them already, else in one more query (a few on SQLite).

    """
    if contact is None:
        return {"display_name": number, "known": False, "number": number}
    account = contact.account
    manager = account.manager
    now = timezone.now()
    rows = rows or card_rows(account)
    zone_label = f" · {account.get_zone_display().lower()}" if account.zone != Zone.GREY else ""
    type_label = f" · {_('type')} {account.behaviour_type}" if account.behaviour_type else ""
    move = rows.last_move
    return {
        "known": True,
        "number": number,
        "display_name": f"{contact.addressed_name} · {account.name}{zone_label}{type_label}",
        "contact": {
            "id": contact.id,
            "name": contact.addressed_name,
            "full_name": contact.full_name,
            "position": contact.position,
            "is_decision_maker": contact.is_decision_maker,
        },
        "account": {"id": account.id, "name": account.name, "status": account.status},
        "zone": account.zone,
        "behaviour_type": account.behaviour_type,
        "behaviour_hint": str(BEHAVIOUR_HINTS.get(account.behaviour_type, "")),
        "manager": {
            "id": manager.id,
            "name": manager.get_full_name() or manager.username,
            "extension": manager.phone_extension,
        }
        if manager
        else None,
        "promises": [
            {"description": description, "due_at": due_at.isoformat(), "overdue": due_at < now}
            for description, due_at in rows.promises
        ],
        "orders": [
            {
                "number": order_number,
                "status": status,
                "promised_delivery_date": _iso(promised),
                "moved": moved,
                "extra_confirmation": extra,
            }
            for order_number, status, promised, moved, extra in rows.orders
        ],
        "last_delivery_move": {
            "order": move[0],
            "from": _iso(move[1]),
            "to": _iso(move[2]),
            "days": move[3],
            "reason": move[4],
        }
        if move
        else None,
        "service_requests": [
            {"subject": subject, "status": status, "first_response_due_at": due.isoformat()}
            for subject, status, due in rows.service_requests
        ],
        "last_interactions": [
            {"at": at.isoformat(), "channel": channel, "direction": direction, "subject": subject}
            for at, channel, direction, subject in rows.interactions
        ],
        **{part.key: part.present(rows.parts[part.key]) for part in caller_card_parts()},
    }
