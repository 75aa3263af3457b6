"""Journeys for the demo: every account placed from its history, then the losses and returns a sales team sees."""

import random
from datetime import timedelta

from django.db.models import Min
from django.utils import timezone

from crm.models import Account, Interaction, Order
from journeys.models import AccountJourney, Journey, Touchpoint, Transition
from journeys.services import account_stage_move, journeys_backfill

LOST_REASONS = [
    "Выбрали конкурента: дешевле на 8 %",
    "Проект заморожен до следующего года",
    "Не прошли тендер",
    "Chose a local supplier",
]


def _touchpoints_tie(rng: random.Random) -> None:
    """Before an account's first order, its early interactions were a website form, a demo, a proposal: tie them,
    so the journey has its consideration and decision stages (and some leads stall there)."""
    journey = Journey.objects.filter(is_default=True).first()
    if journey is None:
        return
    touchpoints = {tp.channel: tp for tp in Touchpoint.objects.filter(stage__journey=journey)}
    first_orders = dict(
        Order.objects.values("account_id").annotate(at=Min("ordered_at")).values_list("account_id", "at")
    )
    placed = AccountJourney.objects.values("account_id")
    tied, by_account = [], {}
    for interaction in (
        Interaction.objects.exclude(account_id__in=placed)
        .filter(touchpoint__isnull=True)
        .order_by("account_id", "occurred_at")
    ):
        by_account.setdefault(interaction.account_id, []).append(interaction)
    for account_id, interactions in by_account.items():
        ordered_at = first_orders.get(account_id)
        early = [i for i in interactions if ordered_at is None or i.occurred_at < ordered_at]
        plan = [("website_form", 0.3), ("demo", 0.75), ("proposal", 0.85 if ordered_at else 0.45)]
        for interaction, (channel, chance) in zip(early, plan, strict=False):
            if rng.random() < chance and channel in touchpoints:
                interaction.touchpoint = touchpoints[channel]
                tied.append(interaction)
    Interaction.objects.bulk_update(tied, ["touchpoint"], batch_size=1000)


def journeys_demo_seed(*, seed: int = 1) -> dict:
    rng = random.Random(f"{seed}-journeys")  # noqa: S311
    _touchpoints_tie(rng)
    summary = journeys_backfill()
    now = timezone.now()
    lost = returned = 0
    stuck = AccountJourney.objects.filter(
        stage__code__in=["awareness", "consideration", "decision"], account__status__in=["prospect", "churned"]
    )
    if Transition.objects.filter(rule="").exists():
        stuck = stuck.none()  # the demo's losses are there already: a second run adds none
    for state in stuck.select_related("journey").order_by("account_id"):
        if rng.random() > 0.5:
            continue
        account = Account.objects.get(pk=state.account_id)
        at = min(now, max(state.since, account.created_at) + timedelta(days=rng.randint(5, 60)))
        account_stage_move(account=account, to_stage=None, at=at, reason=rng.choice(LOST_REASONS))
        lost += 1
        if rng.random() < 0.3 and at + timedelta(days=30) < now:
            consideration = state.journey.stages.get(code="consideration")
            account_stage_move(
                account=account,
                to_stage=consideration,
                at=at + timedelta(days=rng.randint(30, 90)) if at + timedelta(days=90) < now else now,
                reason="Вернулись: новый бюджет" if rng.random() < 0.5 else "Came back with a new budget",
            )
            returned += 1
    return {
        "accounts on a journey": summary["placed"],
        "stage moves": summary["transitions"] + lost + returned,
        "lost deals": lost,
    }
