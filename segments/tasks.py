"""Thin Celery tasks for segments: each calls one service and is safe to run twice."""

from celery import shared_task

from segments.services.behaviour import behaviour_suggest_all
from segments.services.levels import levels_classify
from segments.services.zones import zone_digest_plan, zones_classify


@shared_task(name="segments.classify")
def accounts_classify_task() -> str:
    """Zones first: an advocate may be green rather than core."""
    return f"{zones_classify()} {levels_classify()}"


@shared_task(name="segments.zone_digest")
def zone_digest_task() -> int:
    return zone_digest_plan()


@shared_task(name="segments.behaviour_suggest")
def behaviour_suggest_task() -> dict:
    """Resumable: a run cut short goes on from its last committed batch."""
    return behaviour_suggest_all()
