"""Moving accounts along their journey (DOMAIN §7): by the rules as things happen, by hand, and in bulk from history.

Every move is a Transition row written here, with the account's AccountJourney kept beside it. Rules only
move an account forward; a manager may move it anywhere in its journey, or out of it as lost, with a reason.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm.batches import account_batches_run
from crm.models import Account, Interaction, Order, Task
from crm.moving_in.inserts import objects_insert
from crm.outreach.models import TrackedLink
from crm.services.activity import task_title
from journeys import counts
from journeys.models import AccountJourney, Event, Journey, Stage, Touchpoint, Transition, TransitionRule
from segments.selectors import segment_members
from surveys.models import PROMOTER_FROM, Answer

CLOCK_SKEW = timedelta(minutes=5)
BACKFILL_JOB = "journeys-backfill"
DRAWN_OUT_RULE = "journey_drawn_out"
# The touchpoint an event is, when its journey has one of that channel (a delivery is the purchase stage's
# "Delivery" touchpoint, and moves the account on to usage).
EVENT_TOUCHPOINTS = {
    Event.PROPOSAL_SENT: Touchpoint.Channel.PROPOSAL,
    Event.ORDER_DELIVERED: Touchpoint.Channel.DELIVERY,
    Event.PROMOTER_ANSWER: Touchpoint.Channel.SURVEY,
    Event.REFERRAL: Touchpoint.Channel.REFERRAL,
}


def journey_for_account(*, account: Account) -> Journey | None:
    """The journey a new account follows: that of a saved segment it is in, else of its industry, else the default."""
    for journey in Journey.objects.filter(segment__isnull=False).select_related("segment").order_by("id"):
        if segment_members(segment=journey.segment).filter(pk=account.pk).exists():
            return journey
    if account.industry_id and (journey := Journey.objects.filter(industry_id=account.industry_id).first()):
        return journey
    return Journey.objects.filter(is_default=True).first()


def _record(
    *,
    account: Account,
    state: AccountJourney | None,
    journey: Journey,
    to_stage: Stage | None,
    at: datetime,
    rule: str = "",
    reason: str = "",
    touchpoint: Touchpoint | None = None,
    acting_user=None,
) -> Transition:
    """Write the move and keep the account's current stage and funnel facts; the stay that ends gets its length."""
    if state is not None:
        for stay in Transition.objects.filter(account=account, left_at__isnull=True):
            stay.left_at = at
            stay.stay_seconds = _seconds(stay.at, at) if stay.to_stage_id else None
            stay.save(update_fields=["left_at", "stay_seconds"])
    move = Transition.objects.create(
        account=account,
        journey=journey,
        from_stage=state.stage if state else None,
        to_stage=to_stage,
        at=at,
        rule=rule,
        reason=reason[:500],
        touchpoint=touchpoint,
        acting_user=acting_user,
    )
    firsts = dict(
        Transition.objects.filter(account=account, journey=journey, to_stage__isnull=False)
        .values("to_stage_id")
        .annotate(first=Min("at"))
        .values_list("to_stage_id", "first")
    )
    entered, went_on, in_order = funnel_facts(firsts, ranks=stage_ranks(journey))
    facts = {"entered": entered, "went_on": went_on, "in_order": in_order}
    if state is None:
        AccountJourney.objects.create(
            account=account, journey=journey, stage=to_stage, since=at, started_at=at, **facts
        )
    else:
        AccountJourney.objects.filter(pk=account.pk).update(stage=to_stage, since=at, **facts)
    return move


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds()))


def stage_ranks(journey: Journey) -> dict[int, int]:
    """Stage id → its rank (1, 2, ...) in the journey's order."""
    return {
        stage_id: rank
        for rank, stage_id in enumerate(journey.stages.order_by("position").values_list("id", flat=True), 1)
    }


def funnel_facts(firsts: dict[int, datetime], *, ranks: dict[int, int]) -> tuple[int, int, int]:
    """From an account's first entry into each stage (stage id → time): the stages it entered, those after which it
    entered a later stage, and how many stages from the first it went through in order (each no earlier than the
    one before), as the funnel counts them (journeys.selectors)."""
    by_rank = {ranks[stage_id]: at for stage_id, at in firsts.items() if stage_id in ranks}
    entered = went_on = 0
    for rank, at in by_rank.items():
        entered |= 1 << (rank - 1)
        if any(later > rank and later_at >= at for later, later_at in by_rank.items()):
            went_on |= 1 << (rank - 1)
    in_order, previous = 0, None
    while (rank := in_order + 1) in by_rank and (previous is None or by_rank[rank] >= previous):
        in_order, previous = rank, by_rank[rank]
    return entered, went_on, in_order


def _locked_state(account: Account) -> AccountJourney | None:
    return (
        AccountJourney.objects.select_for_update(of=("self",))
        .select_related("stage", "journey")
        .filter(account=account)
        .first()
    )


@transaction.atomic
def account_stage_move(
    *, account: Account, to_stage: Stage | None, at: datetime | None = None, reason: str = "", acting_user=None
) -> Transition:
    """A manager moves the account to a stage of its journey, or out of it as lost (`to_stage=None`).
    Going back, or leaving as lost, needs a reason."""
    now = timezone.now()
    at = at or now
    state = _locked_state(account)
    journey = state.journey if state else journey_for_account(account=account)
    if journey is None:
        raise ValidationError(_("There is no journey to put this account on: create a default journey first."))
    if timezone.is_naive(at):
        raise ValidationError({"at": _("Give the time with its offset, e.g. 2026-05-01T10:00:00+03:00.")})
    if at > now + CLOCK_SKEW:
        raise ValidationError({"at": _("This time is in the future.")})
    if at < account.created_at:
        raise ValidationError(
            {
                "at": _("The account was created on %(date)s: a move cannot be earlier.")
                % {"date": f"{account.created_at:%Y-%m-%d}"}
            }
        )
    if state is not None and at < state.since:
        raise ValidationError(
            {
                "at": _("The account's last move was on %(date)s: record moves in order.")
                % {"date": f"{state.since:%Y-%m-%d %H:%M}"}
            }
        )
    if to_stage is not None and to_stage.journey_id != journey.id:
        raise ValidationError(
            {
                "to_stage": _("“%(stage)s” is a stage of the journey “%(other)s”; this account follows “%(journey)s”.")
                % {"stage": to_stage, "other": to_stage.journey, "journey": journey}
            }
        )
    current = state.stage if state else None
    if state is not None and current == to_stage:
        raise ValidationError({"to_stage": _("The account is already there.")})
    going_back = to_stage is None or (current is not None and to_stage.position < current.position)
    if going_back and not reason.strip():
        raise ValidationError({"reason": _("Say why the account goes back or is lost: the funnel keeps the reason.")})
    return _record(
        account=account, state=state, journey=journey, to_stage=to_stage, at=at, reason=reason, acting_user=acting_user
    )


@transaction.atomic
def journey_event(
    *,
    account_id: int,
    event: str,
    at: datetime | None = None,
    touchpoint: Touchpoint | None = None,
    channel: str | None = None,
) -> Transition | None:
    """Something happened to the account: its journey's active rule for the event moves it, if that is forward.
    The move is tied to `touchpoint`, else to the journey's first touchpoint of `channel` or of the event's."""
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        return None
    state = _locked_state(account)
    journey = state.journey if state else journey_for_account(account=account)
    if journey is None:
        return None
    rule = (
        TransitionRule.objects.filter(journey=journey, event=event, is_active=True).select_related("to_stage").first()
    )
    if rule is None:
        return None
    if event == Event.TOUCHPOINT:
        to_stage = touchpoint.stage if touchpoint is not None and touchpoint.stage.journey_id == journey.id else None
    else:
        to_stage = rule.to_stage
    current = state.stage if state else None
    if to_stage is None or (current is not None and to_stage.position <= current.position):
        return None
    at = max(filter(None, (at or timezone.now(), state.since if state else None)))
    channel = channel or EVENT_TOUCHPOINTS.get(event)
    if touchpoint is None and channel:
        touchpoint = (
            Touchpoint.objects.filter(stage__journey=journey, channel=channel)
            .order_by("stage__position", "position", "id")
            .first()
        )
    return _record(
        account=account, state=state, journey=journey, to_stage=to_stage, at=at, rule=event, touchpoint=touchpoint
    )


# --- Moves from another system's deals (crm/moving_in) ---------------------------------------------------


def journey_stage_choices() -> dict[str, str]:
    """The stage codes a deal stage of another system may map to, named as in the default journey."""
    choices = {}
    for stage in Stage.objects.order_by("-journey__is_default", "position", "id"):
        choices.setdefault(stage.code, str(stage))
    return choices


@transaction.atomic
def journey_moves_import(*, moves: list[tuple[int, str, datetime]]) -> int:
    """Put accounts where imported deals say they are: each to the furthest stage its moves name (a stage code, or
    an event whose rule names one), if that is further than where it is. Accounts not yet on a journey (nearly all,
    on a first import) are placed with a few bulk inserts; one already behind moves the ordinary way. Returns the
    accounts moved."""
    default = Journey.objects.filter(is_default=True).first()
    by_industry = {journey.industry_id: journey for journey in Journey.objects.filter(industry__isnull=False)}
    stages = defaultdict(dict)
    for stage in Stage.objects.all():
        stages[stage.journey_id][stage.code] = stage
    for rule in TransitionRule.objects.filter(is_active=True).select_related("to_stage"):
        if rule.to_stage is not None:
            stages[rule.journey_id].setdefault(rule.event, rule.to_stage)
    states = (
        AccountJourney.objects.select_for_update(of=("self",))
        .select_related("stage", "journey")
        .in_bulk({move[0] for move in moves})
    )
    industries = dict(Account.objects.filter(pk__in={move[0] for move in moves}).values_list("id", "industry_id"))
    furthest: dict[int, tuple[Stage, datetime]] = {}
    for account_id, target, at in moves:
        state = states.get(account_id)
        journey = state.journey if state else by_industry.get(industries.get(account_id)) or default
        stage = stages[journey.pk].get(target) if journey else None
        if stage is None or account_id not in industries:
            continue
        best = furthest.get(account_id)
        if best is None or (stage.position, at) > (best[0].position, best[1]):
            furthest[account_id] = (stage, at)
    placed = [(account_id, stage, at) for account_id, (stage, at) in furthest.items() if account_id not in states]
    objects_insert(  # a move-in places tens of thousands at once: one statement, not Django's bulk_create
        [
            Transition(account_id=account_id, journey_id=stage.journey_id, to_stage=stage, at=at, reason=_("Imported"))
            for account_id, stage, at in placed
        ]
    )
    ranks = {
        journey_id: stage_ranks(Journey(pk=journey_id)) for journey_id in {stage.journey_id for _a, stage, _t in placed}
    }
    accounts_journeys = []
    for account_id, stage, at in placed:
        entered, went_on, in_order = funnel_facts({stage.pk: at}, ranks=ranks[stage.journey_id])
        accounts_journeys.append(
            AccountJourney(
                account_id=account_id,
                journey_id=stage.journey_id,
                stage=stage,
                since=at,
                started_at=at,
                entered=entered,
                went_on=went_on,
                in_order=in_order,
            )
        )
    objects_insert(accounts_journeys)
    moved = len(placed)
    for account_id, (stage, at) in furthest.items():
        state = states.get(account_id)
        if state is not None and (state.stage is None or state.stage.position < stage.position) and at >= state.since:
            _record(
                account=state.account, state=state, journey=state.journey, to_stage=stage, at=at, reason=_("Imported")
            )
            moved += 1
    return moved


# --- Backfill from history ----------------------------------------------------------------------------


def _first_events(low: int, high: int) -> dict[int, list[tuple[datetime, str, int | None]]]:
    """Per account in [low, high]: the first time of each event, as (at, event, touchpoint id)."""
    in_range = {"account_id__gte": low, "account_id__lte": high}
    events = defaultdict(list)

    def add(rows, event):
        for account_id, at in rows:
            if at is not None:
                events[account_id].append((at, event, None))

    add(
        Interaction.objects.filter(**in_range)
        .values("account_id")
        .annotate(at=Min("occurred_at"))
        .values_list("account_id", "at"),
        Event.INTERACTION,
    )
    for account_id, touchpoint_id, at in (
        Interaction.objects.filter(touchpoint__isnull=False, **in_range)
        .values("account_id", "touchpoint_id")
        .annotate(at=Min("occurred_at"))
        .values_list("account_id", "touchpoint_id", "at")
    ):
        events[account_id].append((at, Event.TOUCHPOINT, touchpoint_id))
    add(
        TrackedLink.objects.filter(**in_range)
        .values("account_id")
        .annotate(at=Min("created_at"))
        .values_list("account_id", "at"),
        Event.PROPOSAL_SENT,
    )
    orders = Order.objects.filter(**in_range).exclude(status=Order.Status.CANCELLED).values("account_id")
    add(orders.annotate(at=Min("ordered_at")).values_list("account_id", "at"), Event.ORDER)
    add(orders.annotate(at=Min("delivered_at")).values_list("account_id", "at"), Event.ORDER_DELIVERED)
    add(
        Account.objects.filter(referred_by_id__gte=low, referred_by_id__lte=high)
        .values("referred_by_id")
        .annotate(at=Min("created_at"))
        .values_list("referred_by_id", "at"),
        Event.REFERRAL,
    )
    add(
        Answer.objects.filter(metric="nps", score__gte=PROMOTER_FROM, **in_range)
        .values("account_id")
        .annotate(at=Min("submitted_at"))
        .values_list("account_id", "at"),
        Event.PROMOTER_ANSWER,
    )
    return events


def journeys_backfill(
    *, batch_accounts: int = 2000, restart: bool = False, progress: Callable[[int], None] | None = None
) -> dict:
    """Put every account not yet on a journey there, with the moves its history implies: the first interaction,
    proposal, order, delivery, referral and promoter answer, forward only, in time order. Batches of accounts by
    id, resumable (crm.batches); accounts already on a journey are left alone, so running it twice adds nothing.
    Returns {"accounts", "placed", "transitions", "resumed_from"}."""
    default = Journey.objects.filter(is_default=True).first()
    by_industry = {journey.industry_id: journey for journey in Journey.objects.filter(industry__isnull=False)}
    segment_journeys = list(Journey.objects.filter(segment__isnull=False).select_related("segment").order_by("id"))
    rules = defaultdict(dict)
    for rule in TransitionRule.objects.filter(is_active=True).select_related("to_stage"):
        rules[rule.journey_id][rule.event] = rule.to_stage
    touchpoint_stages = dict(Touchpoint.objects.values_list("id", "stage_id"))
    channel_touchpoints = {}
    for touchpoint_id, journey_id, channel in Touchpoint.objects.order_by(
        "-stage__position", "-position", "-id"
    ).values_list("id", "stage__journey_id", "channel"):
        channel_touchpoints[journey_id, channel] = touchpoint_id  # the journey's first of the channel wins
    stages = Stage.objects.in_bulk()
    ranks = {journey.id: stage_ranks(journey) for journey in Journey.objects.all()}

    def place(ids: list[int]) -> Counter:
        low, high = ids[0], ids[-1]
        placed = set(
            AccountJourney.objects.filter(account_id__gte=low, account_id__lte=high).values_list(
                "account_id", flat=True
            )
        )
        if len(placed) == len(ids):  # a second run: nothing left to read here
            return Counter()
        in_segment = {}
        for journey in segment_journeys:
            members = segment_members(segment=journey.segment).filter(id__gte=low, id__lte=high)
            for account_id in members.values_list("id", flat=True):
                in_segment.setdefault(account_id, journey)
        events = _first_events(low, high)
        moves, states = [], []
        for account_id, industry_id in Account.objects.filter(id__in=ids).values_list("id", "industry_id"):
            journey = in_segment.get(account_id) or by_industry.get(industry_id) or default
            if account_id in placed or journey is None or account_id not in events:
                continue
            account_moves = _moves_from_history(
                account_id=account_id,
                journey=journey,
                events=events[account_id],
                rules=rules[journey.id],
                touchpoint_stages=touchpoint_stages,
                channel_touchpoints=channel_touchpoints,
                stages=stages,
            )
            if account_moves:
                moves.extend(account_moves)
                # Forward only, so each move is its stage's first entry.
                facts = funnel_facts({m.to_stage_id: m.at for m in account_moves}, ranks=ranks[journey.id])
                states.append(
                    AccountJourney(
                        account_id=account_id,
                        journey=journey,
                        stage_id=account_moves[-1].to_stage_id,
                        since=account_moves[-1].at,
                        started_at=account_moves[0].at,
                        entered=facts[0],
                        went_on=facts[1],
                        in_order=facts[2],
                    )
                )
        Transition.objects.bulk_create(moves, batch_size=5000)
        AccountJourney.objects.bulk_create(states, batch_size=5000)
        return Counter(placed=len(states), transitions=len(moves))

    summary = account_batches_run(
        job=BACKFILL_JOB, work=place, batch_accounts=batch_accounts, restart=restart, progress=progress
    )
    return {"placed": 0, "transitions": 0, **summary}


def _moves_from_history(
    *, account_id, journey, events, rules, touchpoint_stages, channel_touchpoints, stages
) -> list[Transition]:
    moves: list[Transition] = []
    current = None
    for at, event, touchpoint_id in sorted(events, key=lambda item: (item[0], item[1])):
        if event == Event.TOUCHPOINT:
            stage = stages.get(touchpoint_stages.get(touchpoint_id)) if Event.TOUCHPOINT in rules else None
        else:
            stage = rules.get(event)
        if stage is None or stage.journey_id != journey.id or (current and stage.position <= current.position):
            continue
        # Not clamped to the account's creation: history imported with the account is older than its row.
        at = max(at, moves[-1].at) if moves else at
        if moves:
            moves[-1].left_at, moves[-1].stay_seconds = at, _seconds(moves[-1].at, at)
        moves.append(
            Transition(
                account_id=account_id,
                journey=journey,
                from_stage=current,
                to_stage=stage,
                at=at,
                rule=event,
                touchpoint_id=touchpoint_id or channel_touchpoints.get((journey.id, EVENT_TOUCHPOINTS.get(event))),
            )
        )
        current = stage
    return moves


def journey_facts_refresh(*, journey: Journey, progress: Callable[[int], None] | None = None) -> dict:
    """Every account's funnel facts again from its transitions, after the journey's stages changed order."""
    ranks = stage_ranks(journey)

    def refresh(ids: list[int]) -> Counter:
        firsts = defaultdict(dict)
        for account_id, stage_id, first in (
            Transition.objects.filter(journey=journey, account_id__gte=ids[0], account_id__lte=ids[-1])
            .exclude(to_stage=None)
            .values("account_id", "to_stage_id")
            .annotate(first=Min("at"))
            .values_list("account_id", "to_stage_id", "first")
        ):
            firsts[account_id][stage_id] = first
        by_facts = defaultdict(list)
        for account_id in AccountJourney.objects.filter(
            journey=journey, account_id__gte=ids[0], account_id__lte=ids[-1]
        ).values_list("account_id", flat=True):
            by_facts[funnel_facts(firsts[account_id], ranks=ranks)].append(account_id)
        for (entered, went_on, in_order), account_ids in by_facts.items():  # few distinct ones: one UPDATE each
            AccountJourney.objects.filter(account_id__in=account_ids).update(
                entered=entered, went_on=went_on, in_order=in_order
            )
        return Counter(refreshed=sum(len(account_ids) for account_ids in by_facts.values()))

    return account_batches_run(job=f"journey-facts-{journey.id}", work=refresh, restart=True, progress=progress)


# --- Norms and drawn-out stages ------------------------------------------------------------------------


def stage_norms_refresh() -> int:
    """Each stage's median time in stage, over every completed stay: the norm the card and the drawn-out list use."""
    from journeys.selectors import stay_percentiles

    changed = 0
    for journey in Journey.objects.all():
        medians = {stage_id: p50 for stage_id, (p50, _p90, _n) in stay_percentiles(journey=journey).items()}
        for stage in journey.stages.all():
            value = medians.get(stage.id)
            value = round(value, 1) if value is not None else None
            if stage.median_days != value:
                Stage.objects.filter(pk=stage.pk).update(median_days=value)
                changed += 1
    return changed


def drawn_out_tasks_open(*, now: datetime | None = None) -> int:
    """A task for the manager of each account whose time in its stage exceeds the stage's norm: one per stay."""
    from journeys.selectors import drawn_out_accounts

    now = now or timezone.now()
    tasks = []
    for state in drawn_out_accounts(now=now).filter(account__manager__isnull=False).iterator(chunk_size=2000):
        stage, account = state.stage, state.account
        tasks.append(
            Task(
                assignee_id=account.manager_id,
                account_id=account.id,
                title=task_title(
                    account.manager,
                    gettext_noop(
                        "%(account)s has been in “%(stage)s” for %(days)d days (norm %(norm)s): find what holds it"
                    ),
                    account=account.name,
                    stage=stage.name(account.manager.language),
                    days=(now - state.since).days,
                    norm=round(stage.norm_days),
                ),
                kind=Task.Kind.FOLLOW_UP,
                priority=Task.Priority.NORMAL,
                due_at=now + timedelta(days=2),
                created_by_rule=DRAWN_OUT_RULE,
                idempotency_key=f"{DRAWN_OUT_RULE}:{account.id}:{stage.id}:{state.since:%Y%m%d%H%M%S}",
            )
        )
    existing = set(
        Task.objects.filter(idempotency_key__in=[task.idempotency_key for task in tasks]).values_list(
            "idempotency_key", flat=True
        )
    )
    new = [task for task in tasks if task.idempotency_key not in existing]
    Task.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)  # a concurrent run may have won a few
    return len(new)


def journeys_daily() -> str:
    """The beat job: fresh norms first, then the tasks for drawn-out accounts; on PostgreSQL the day's counts of
    stays and funnel facts folded (journeys.counts)."""
    if connection.vendor == "postgresql":
        counts.compact()
    return f"{stage_norms_refresh()} norms changed, {drawn_out_tasks_open()} drawn-out tasks"
