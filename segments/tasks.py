"""Thin Celery tasks for segments: each calls one service and is safe to run twice."""

from celery import shared_task

from segments.services import zones_classify


@shared_task(name="segments.zones_classify")
def zones_classify_task() -> str:
    return str(zones_classify())
