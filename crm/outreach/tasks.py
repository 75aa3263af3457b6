"""Thin Celery tasks of the outreach: each calls one service and is safe to run twice (see the services)."""

from celery import shared_task

from crm.outreach import jobs, services


@shared_task(name="crm.outbox_send")
def outbox_send_task() -> str:
    return str(services.outbox_send_due())


@shared_task(name="crm.promises_remind")
def promises_remind_task() -> int:
    return jobs.promises_remind()


@shared_task(name="crm.outreach_maintenance_due")
def maintenance_due_task() -> int:
    return jobs.maintenance_due_plan()


@shared_task(name="crm.outreach_deliveries")
def deliveries_task() -> int:
    return jobs.deliveries_plan()


@shared_task(name="crm.outreach_orders_on_track")
def orders_on_track_task() -> int:
    return jobs.orders_on_track_plan()


@shared_task(name="crm.outreach_greetings")
def greetings_task() -> int:
    return jobs.greetings_plan()


@shared_task(name="crm.outreach_thanks")
def thanks_task() -> int:
    return jobs.thanks_plan()


@shared_task(name="crm.outreach_campaigns")
def campaigns_task() -> int:
    return jobs.campaigns_plan()
