"""How segments keep up with the core and the surveys (crm/events.py): zones from relationship answers, levels
from purchases and referrals, behaviour suggestions from new words about a person."""

from crm.events import (
    LEVELS,
    SUGGESTIONS,
    ZONES,
    MoveInFinished,
    OrderChanged,
    OrderPlaced,
    PersonWordsAdded,
    ReferrerChanged,
    subscribe,
)
from segments.services.behaviour import contact_behaviour_suggest
from segments.services.levels import account_level_refresh
from segments.services.zones import account_zone_refresh
from segments.tasks import accounts_classify_task
from surveys.events import ResponseCompleted


@subscribe(ResponseCompleted, order=ZONES)
def zone_after_answer(event: ResponseCompleted) -> None:
    if event.relationship:
        account_zone_refresh(account_id=event.account_id, now=event.completed_at)


@subscribe(OrderPlaced, order=LEVELS)
@subscribe(OrderChanged, order=LEVELS)
def level_after_order(event: OrderPlaced | OrderChanged) -> None:
    account_level_refresh(account_id=event.account_id)  # a purchase, or its cancellation, can move the level


@subscribe(ReferrerChanged, order=LEVELS)
def levels_after_referral(event: ReferrerChanged) -> None:
    """A referral can make the referrer an advocate (DOMAIN §6), and taking it back can undo that."""
    for account_id in {event.old_referrer_id, event.new_referrer_id} - {None}:
        account_level_refresh(account_id=account_id)


@subscribe(PersonWordsAdded, order=SUGGESTIONS)
def suggestion_after_note(event: PersonWordsAdded) -> None:
    contact_behaviour_suggest(contact_id=event.contact_id)


@subscribe(ResponseCompleted, order=SUGGESTIONS)
def suggestion_after_answer(event: ResponseCompleted) -> None:
    if event.words:
        contact_behaviour_suggest(contact_id=event.contact_id)


@subscribe(MoveInFinished, order=LEVELS)
def labels_after_move_in(event: MoveInFinished) -> None:
    """Imported orders make levels, and every imported account needs its zone: the classification, in the background."""
    accounts_classify_task.delay()
