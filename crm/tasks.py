"""Thin Celery tasks: each calls one service. Every one is safe to run twice (see the services)."""

from celery import shared_task

from crm.services import imports, outreach, outreach_jobs


@shared_task(name="crm.outbox_send")
def outbox_send_task() -> str:
    return str(outreach.outbox_send_due())


@shared_task(name="crm.promises_remind")
def promises_remind_task() -> int:
    return outreach_jobs.promises_remind()


@shared_task(name="crm.outreach_maintenance_due")
def maintenance_due_task() -> int:
    return outreach_jobs.maintenance_due_plan()


@shared_task(name="crm.outreach_deliveries")
def deliveries_task() -> int:
    return outreach_jobs.deliveries_plan()


@shared_task(name="crm.outreach_orders_on_track")
def orders_on_track_task() -> int:
    return outreach_jobs.orders_on_track_plan()


@shared_task(name="crm.outreach_greetings")
def greetings_task() -> int:
    return outreach_jobs.greetings_plan()


@shared_task(name="crm.outreach_campaigns")
def campaigns_task() -> int:
    return outreach_jobs.campaigns_plan()


@shared_task(name="crm.import_job_check")
def import_job_check_task(job_id: int) -> str:
    job = imports.import_job_check(job_id=job_id)
    return job.status if job else "nothing to do"


@shared_task(name="crm.import_job_run")
def import_job_run_task(job_id: int) -> str:
    job = imports.import_job_run(job_id=job_id)
    return job.status if job else "nothing to do"


@shared_task(name="crm.imports_resume")
def imports_resume_task() -> int:
    return imports.import_jobs_resume()
