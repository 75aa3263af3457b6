"""The default beat schedule, installed into django-celery-beat's tables after migrate.

A schedule that already exists is left alone, so what someone changed in the admin survives
deploys and restarts.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# name: (task, every N seconds, description)
DEFAULT_SCHEDULE = {
    "Send the outbox": ("crm.outbox_send", 30, _("Sends due messages; also picks up anything a failed enqueue left.")),
    "Promises: remind and alert": ("crm.promises_remind", 300, _("Due-soon reminders, overdue alerts and tasks.")),
    "Equipment signals: act": (
        "crm.equipment_signals_process",
        30,
        _("Opens service requests for failures; each signal also wakes it, so this only picks up leftovers."),
    ),
    "Web leads: act": (
        "crm.web_leads_process",
        60,
        _("Makes the leads of the site's forms; each form also wakes it, so this only picks up leftovers."),
    ),
    "Imports: resume": ("crm.imports_resume", 60, _("Starts again an import that no worker is doing.")),
    "Maintenance due": ("crm.outreach_maintenance_due", 3600, _("Reminds clients of maintenance due soon.")),
    "Deliveries moved or at risk": ("crm.outreach_deliveries", 900, _("Warns clients before they call.")),
    "Long orders on track": ("crm.outreach_orders_on_track", 3600, _("The weekly confirmation for long orders.")),
    "Greetings": ("crm.outreach_greetings", 3600, _("Birthdays and professional holidays.")),
    "Thanks to type 1 clients": ("crm.outreach_thanks", 3600, _("A personal thank-you, at each account's cadence.")),
    "Training and tips campaigns": ("crm.outreach_campaigns", 600, _("Plans active campaigns for their audience.")),
    "Surveys: monthly rounds": ("surveys.cadence_plan", 3600, _("Each active account's round of cadence surveys.")),
    "Surveys: after events": (
        "surveys.triggered_plan",
        900,
        _("Invitations after interactions, resolved requests and deliveries."),
    ),
    "Surveys: reminders": ("surveys.reminders_plan", 3600, _("Reminds those who have not answered.")),
    "Surveys: unsent drafts": ("surveys.drafts_finalise", 3600, _("Counts answers saved and never sent.")),
    "Feedback cases: escalate": ("surveys.cases_escalate", 600, _("Overdue cases go to the owner's head.")),
    "Zones and levels: reclassify": (
        "segments.classify",
        86400,
        _("Every account's zone and level, as answers leave the window and the year moves on."),
    ),
    "Zones: daily digest": ("segments.zone_digest", 86400, _("Each manager's zone changes of the day before.")),
    "Journeys: norms and drawn-out stages": (
        "journeys.daily",
        86400,
        _("Each stage's median time, then a task for each account far over its stage's norm."),
    ),
    "Behaviour types: suggest": (
        "segments.behaviour_suggest",
        7 * 86400,
        _("Reads everyone's notes and open answers again with the current lexicons; resumes where it stopped."),
    ),
}


def schedules_install(**kwargs) -> int:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    created = 0
    for name, (task, seconds, description) in DEFAULT_SCHEDULE.items():
        interval, _created = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
        _task, was_created = PeriodicTask.objects.get_or_create(
            name=name,
            defaults={
                "task": task,
                "interval": interval,
                "description": str(description),
                # As if it last ran an interval ago: beat's first tick runs every job once, not after an hour.
                "last_run_at": timezone.now() - timedelta(seconds=seconds),
            },
        )
        created += was_created
    return created
