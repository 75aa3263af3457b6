"""Thin Celery tasks for segments: each calls one service and is safe to run twice."""

from celery import shared_task

from segments.services import zone_digest_plan, zones_classify


@shared_task(name="segments.zones_classify")
def zones_classify_task() -> str:
    return str(zones_classify())


@shared_task(name="segments.zone_digest")
def zone_digest_task() -> int:
    return zone_digest_plan()
