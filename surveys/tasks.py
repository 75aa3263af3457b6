"""Thin Celery tasks for surveys: each calls one service and is safe to run twice."""

from celery import shared_task

from surveys.services import invitations, loop, responses


@shared_task(name="surveys.cadence_plan")
def surveys_cadence_task() -> str:
    return str(invitations.surveys_cadence_plan())


@shared_task(name="surveys.triggered_plan")
def surveys_triggered_task() -> str:
    return str(invitations.surveys_triggered_plan())


@shared_task(name="surveys.reminders_plan")
def survey_reminders_task() -> int:
    return invitations.survey_reminders_plan()


@shared_task(name="surveys.drafts_finalise")
def survey_drafts_finalise_task() -> int:
    return responses.survey_drafts_finalise()


@shared_task(name="surveys.cases_escalate")
def cases_escalate_task() -> int:
    return loop.cases_escalate()
