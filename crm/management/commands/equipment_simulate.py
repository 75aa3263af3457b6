"""Play an equipment signal through the real endpoint against this database, then act on it as the worker would.

    python manage.py equipment_simulate [--serial PR-7781] [--kind fault] [--severity critical] [--code E42]

Without --serial it picks a unit of the demo data. It uses a user "monitoring-simulator" (who may see every
account) with a short-lived token, sends the request through Django's test client (no server needed) and prints
the answer, the service request, the manager's task and the message to the client.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.utils import timezone

from crm.models import Equipment, EquipmentSignal, OutboundMessage, Task, User
from crm.monitoring.services import equipment_signals_process
from crm.services.tokens import api_token_issue, api_token_revoke


class Command(BaseCommand):
    help = "Send an equipment-monitoring signal through the API and show what the CRM did about it."

    def add_arguments(self, parser):
        parser.add_argument("--serial", help="The unit's serial number (default: a demo unit)")
        parser.add_argument("--kind", default="fault", choices=EquipmentSignal.Kind.values)
        parser.add_argument("--severity", default="warning", choices=EquipmentSignal.Severity.values)
        parser.add_argument("--code", default="", help="The problem's code: signals of one code are one problem")

    def handle(self, *args, serial, kind, severity, code, **options):
        units = Equipment.objects.exclude(serial_number="")
        unit = (units.filter(serial_number=serial) if serial else units.order_by("id")).first()
        if unit is None:
            raise CommandError(f"No unit with the serial number {serial}." if serial else "No equipment: seed_demo?")
        user, _created = User.objects.get_or_create(username="monitoring-simulator", defaults={"is_active": True})
        user.user_permissions.add(Permission.objects.get(codename="view_all_accounts", content_type__app_label="crm"))
        token, raw = api_token_issue(
            user=user,
            name="equipment_simulate",
            scopes=["equipment:write"],
            expires_at=timezone.now() + timedelta(minutes=5),
        )
        host = next((h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")), "localhost")
        body = {
            "serial_number": unit.serial_number,
            "model": unit.model_name,
            "kind": kind,
            "severity": severity,
            "code": code,
            "occurred_at": timezone.now().isoformat(),
            "data": {"source": "equipment_simulate"},
        }
        try:
            answer = Client(HTTP_HOST=host).post(
                "/api/v1/equipment/signals/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
            )
        finally:
            api_token_revoke(token=token)
        self.stdout.write(
            f"POST /api/v1/equipment/signals/ {unit} {kind}: {answer.status_code} {answer.content.decode()}"
        )
        if answer.status_code >= 400:
            raise CommandError("The signal was refused: see the answer above.")
        equipment_signals_process()
        stored = EquipmentSignal.objects.select_related("service_request").get(pk=answer.json()["id"])
        request = stored.service_request
        if request is None:
            self.stdout.write("No service request: this kind of signal is recorded on the unit only.")
            return
        self.stdout.write(
            f"Service request #{request.pk}: {request.subject} · {request.get_status_display()} "
            f"· signals {request.signal_count}"
        )
        for task in Task.objects.filter(idempotency_key=f"equipment-problem:{request.pk}"):
            self.stdout.write(f"Task for {task.assignee}: {task.title} · {task.get_status_display()}")
        for message in OutboundMessage.objects.filter(idempotency_key=f"equipment-alert:{request.pk}"):
            self.stdout.write(f"Message to {message.recipient}: {message.subject} · {message.get_status_display()}")
