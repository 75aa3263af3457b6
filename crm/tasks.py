"""Thin Celery tasks of the core: each calls one service. Every one is safe to run twice (see the services).
The outreach's are in crm/outreach/tasks.py."""

from celery import shared_task

from crm.moving_in.services import move_ins_resume
from crm.services import imports


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
    """Account and contact files, and moves from other systems (crm/moving_in)."""
    return imports.import_jobs_resume() + move_ins_resume()
