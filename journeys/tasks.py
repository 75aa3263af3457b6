"""Thin Celery tasks for journeys: each calls one service and is safe to run twice."""

from celery import shared_task

from journeys.services import journeys_backfill, journeys_daily


@shared_task(name="journeys.daily")
def journeys_daily_task() -> str:
    """Stage norms, then one task per drawn-out stay (idempotent on the stay)."""
    return journeys_daily()


@shared_task(name="journeys.backfill")
def journeys_backfill_task() -> dict:
    """Resumable: a run cut short goes on from its last committed batch."""
    return journeys_backfill()
