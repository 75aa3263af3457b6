from celery import Celery

from config.entrypoint import settings_module_required

settings_module_required()

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(
    ["crm.outreach", "crm.monitoring", "crm.moving_in", "crm.webleads"]
)  # crm's feature packages with tasks of their own
