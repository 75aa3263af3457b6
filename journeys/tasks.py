"""Thin Celery tasks for journeys: each calls one service and is safe to run twice."""

from celery import shared_task

from journeys.models import Journey
from journeys.services import journey_facts_refresh, journeys_backfill, journeys_daily


@shared_task(name="journeys.daily")
def journeys_daily_task() -> str:
    """Stage norms, then one task per drawn-out stay (idempotent on the stay)."""
    return journeys_daily()


@shared_task(name="journeys.backfill")
def journeys_backfill_task() -> dict:
    """Resumable: a run cut short goes on from its last committed batch."""
    return journeys_backfill()


@shared_task(name="journeys.facts_refresh")
def journey_facts_refresh_task(journey_id: int) -> dict | None:
    """After a journey's stages changed order: every account's funnel facts again. Skips a deleted journey."""
    journey = Journey.objects.filter(pk=journey_id).first()
    return journey_facts_refresh(journey=journey) if journey else None
