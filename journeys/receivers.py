"""How journeys follow what happens (crm/events.py, DOMAIN §7): each event is a rule's trigger, and an account's
journey moves forward when its journey has an active rule for it (journeys.services.journey_event)."""

from datetime import datetime

from crm.events import (
    JOURNEYS,
    InteractionLogged,
    JourneyMovesImported,
    MoveInFinished,
    OrderDelivered,
    OrderPlaced,
    ProposalSent,
    ReferrerChanged,
    subscribe,
)
from journeys.models import Event, Touchpoint
from journeys.services import journey_event, journey_moves_import
from journeys.tasks import journeys_backfill_task
from surveys.events import ResponseCompleted


@subscribe(InteractionLogged, order=JOURNEYS)
def journey_after_interaction(event: InteractionLogged) -> None:
    """The first interaction puts a lead on its journey; a site's form (crm/webleads) is its website-form touch."""
    channel = Touchpoint.Channel.WEBSITE_FORM if event.source == "web-lead" else None
    journey_event(account_id=event.account_id, event=Event.INTERACTION, at=event.occurred_at, channel=channel)


@subscribe(InteractionLogged, order=JOURNEYS + 1)
def journey_after_touchpoint(event: InteractionLogged) -> None:
    """An interaction tied to a touchpoint can move the account to that touchpoint's stage."""
    if event.touchpoint_id:
        touchpoint = Touchpoint.objects.select_related("stage").filter(pk=event.touchpoint_id).first()
        journey_event(account_id=event.account_id, event=Event.TOUCHPOINT, at=event.occurred_at, touchpoint=touchpoint)


@subscribe(ProposalSent, order=JOURNEYS)
def journey_after_proposal(event: ProposalSent) -> None:
    journey_event(account_id=event.account_id, event=Event.PROPOSAL_SENT, at=event.sent_at)


@subscribe(OrderPlaced, order=JOURNEYS)
def journey_after_order(event: OrderPlaced) -> None:
    if not event.cancelled:
        journey_event(account_id=event.account_id, event=Event.ORDER, at=event.ordered_at)


@subscribe(OrderDelivered, order=JOURNEYS)
def journey_after_delivery(event: OrderDelivered) -> None:
    """A delivered order moves the client on to using what they bought."""
    journey_event(account_id=event.account_id, event=Event.ORDER_DELIVERED, at=event.delivered_at)


@subscribe(JourneyMovesImported, order=JOURNEYS)
def journey_after_import(event: JourneyMovesImported) -> None:
    journey_moves_import(
        moves=[(account_id, target, datetime.fromisoformat(at)) for account_id, target, at in event.moves]
    )


@subscribe(MoveInFinished, order=JOURNEYS)
def journeys_after_move_in(event: MoveInFinished) -> None:
    """Accounts the deals did not place go on their journey from their history, in the background."""
    journeys_backfill_task.delay()


@subscribe(ReferrerChanged, order=JOURNEYS)
def journey_after_referral(event: ReferrerChanged) -> None:
    """Recommending us moves the referrer into advocacy on its journey."""
    if event.new_referrer_id:
        journey_event(account_id=event.new_referrer_id, event=Event.REFERRAL)


@subscribe(ResponseCompleted, order=JOURNEYS)
def journey_after_promoter(event: ResponseCompleted) -> None:
    if event.promoter:
        journey_event(account_id=event.account_id, event=Event.PROMOTER_ANSWER, at=event.submitted_at)
