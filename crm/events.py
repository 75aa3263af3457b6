"""What happened in the core, announced after it is committed; the apps built on `crm` listen.

`crm` never calls the apps above it. A service publishes a typed event; `journeys`, `segments` and `surveys`
subscribe in their AppConfig.ready():

    @subscribe(OrderPlaced, order=LEVELS)
    def level_after_order(event: OrderPlaced) -> None: ...

Events go out when the transaction that made them commits (`transaction.on_commit`), so no listener acts on a
change that was rolled back. Listeners run one after another in their declared `order` (lowest first; this is
where "zones before levels before journeys" is written down), each in a transaction of its own: a listener that
fails is logged here, once, and rolled back, and neither the change that was announced nor the other listeners
suffer for it. Django's Signal would do the sending, but its receivers run in the order the apps happened to
connect them; the order matters here, so it is stated instead.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)

# Listener orders, lowest first. A zone can make an advocate (levels), and a saved segment may select by zone or
# level, which picks a new account's journey: so zones, then levels, then journeys, then the rest.
ZONES, LEVELS, JOURNEYS, SUGGESTIONS, OUTREACH = 10, 20, 30, 40, 50


class DomainEvent:
    """Base of the events; each is a frozen dataclass of ids and facts, never of model instances (a listener
    runs after the commit and reads what it needs)."""


@dataclass(frozen=True)
class OrderPlaced(DomainEvent):
    account_id: int
    order_id: int
    ordered_at: datetime
    cancelled: bool


@dataclass(frozen=True)
class OrderChanged(DomainEvent):
    """An order's status or date was changed after it was placed (a cancellation, say): what counts its
    purchases counts again."""

    account_id: int
    order_id: int


@dataclass(frozen=True)
class OrderDelivered(DomainEvent):
    account_id: int
    order_id: int
    delivered_at: datetime


@dataclass(frozen=True)
class DeliveryDateMoved(DomainEvent):
    """A promised delivery date moved (not the first one set)."""

    account_id: int
    order_id: int
    old_date: date
    new_date: date


@dataclass(frozen=True)
class InteractionLogged(DomainEvent):
    account_id: int
    interaction_id: int
    contact_id: int | None
    occurred_at: datetime
    touchpoint_id: int | None
    source: str = ""  # where it came from: "web-lead" is a site's form (crm/webleads)


@dataclass(frozen=True)
class PersonWordsAdded(DomainEvent):
    """New text about a person (an interaction's notes, a survey's comment): what it suggests may change."""

    contact_id: int


@dataclass(frozen=True)
class ProposalSent(DomainEvent):
    account_id: int
    link_id: int
    sent_at: datetime


@dataclass(frozen=True)
class ProposalOpened(DomainEvent):
    """The client opened a tracked proposal for the first time."""

    account_id: int
    link_id: int
    contact_id: int
    opened_at: datetime


@dataclass(frozen=True)
class AccountManagerChanged(DomainEvent):
    account_id: int
    old_manager_id: int | None
    new_manager_id: int | None


@dataclass(frozen=True)
class AccountStatusChanged(DomainEvent):
    account_id: int
    old_status: str
    new_status: str


@dataclass(frozen=True)
class PersonErased(DomainEvent):
    """A person's data was erased on request; listeners holding copies of it elsewhere drop them."""

    account_id: int
    contact_id: int


@dataclass(frozen=True)
class ReferrerChanged(DomainEvent):
    """An account now names `new_referrer_id` (or no longer names `old_referrer_id`) as who recommended us."""

    account_id: int
    old_referrer_id: int | None
    new_referrer_id: int | None


@dataclass(frozen=True)
class JourneyMovesImported(DomainEvent):
    """Deals imported from another system say where accounts are on their journey: (account id, a journey stage's
    code or an event such as "order_delivered", ISO time), as the uploader mapped the source's stages."""

    moves: tuple[tuple[int, str, str], ...]


@dataclass(frozen=True)
class MoveInFinished(DomainEvent):
    """A move-in (crm/moving_in) imported its last row: the derived labels of what came in are due."""

    move_in_id: int


@dataclass(frozen=True)
class Subscription:
    event: type[DomainEvent]
    order: int
    receiver: Callable[[DomainEvent], None]

    @property
    def name(self) -> str:
        return f"{self.receiver.__module__}.{self.receiver.__qualname__}"


_SUBSCRIPTIONS: dict[type[DomainEvent], list[Subscription]] = defaultdict(list)


def subscribe(event: type[DomainEvent], *, order: int) -> Callable:
    """Decorator: run the function with each `event` published, at `order` among the event's listeners."""

    def register(receiver: Callable[[DomainEvent], None]) -> Callable[[DomainEvent], None]:
        subscription = Subscription(event=event, order=order, receiver=receiver)
        listeners = _SUBSCRIPTIONS[event]
        if all(existing.name != subscription.name for existing in listeners):  # a module imported twice
            listeners.append(subscription)
            listeners.sort(key=lambda listener: listener.order)
        return receiver

    return register


def subscriptions(event: type[DomainEvent]) -> list[Subscription]:
    """The event's listeners in the order they run."""
    return list(_SUBSCRIPTIONS[event])


def publish(event: DomainEvent) -> None:
    """Announce the event once the current transaction commits (at once outside of one)."""
    transaction.on_commit(partial(dispatch, event))


def dispatch(event: DomainEvent) -> None:
    for listener in subscriptions(type(event)):
        try:
            with transaction.atomic():
                listener.receiver(event)
        except Exception:
            logger.exception("%s failed for %r", listener.name, event)
