from celery import shared_task

from crm.services.activity import commitments_overdue_remind


@shared_task(name="crm.commitments_overdue_remind")
def commitments_overdue_remind_task() -> int:
    return commitments_overdue_remind()
