"""A signal from a monitored unit, kept as received; a worker acts on it (crm/monitoring/services.py)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.access import account_access_q
from crm.models.activity import Equipment, ServiceRequest


class EquipmentSignalQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="equipment__account__"))


class EquipmentSignal(models.Model):
    class Kind(models.TextChoices):
        PREDICTED_FAILURE = "predicted_failure", _("Predicted failure")
        FAULT = "fault", _("Fault")
        THRESHOLD = "threshold", _("Threshold crossed")
        NORMAL = "normal", _("Back to normal")

    class Severity(models.TextChoices):
        INFO = "info", _("Information")
        WARNING = "warning", _("Warning")
        CRITICAL = "critical", _("Critical")

    equipment = models.ForeignKey(  # no index of its own: equipment_signal_unit_idx begins with it
        Equipment, verbose_name=_("equipment"), on_delete=models.CASCADE, related_name="signals", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity, default=Severity.WARNING)
    code = models.CharField(
        _("problem code"), max_length=64, blank=True, help_text=_("The sender's code of the problem, e.g. E42.")
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    # The sender's id of the signal, else a digest of what it says: a repeated signal is stored once. Unique by a
    # constraint, not unique=True, which on PostgreSQL adds a second index for LIKE that no query here uses.
    key = models.CharField(max_length=64, editable=False)
    service_request = models.ForeignKey(
        ServiceRequest,
        verbose_name=_("service request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="signals",
    )
    processed_at = models.DateTimeField(_("acted on at"), null=True, blank=True)

    objects = EquipmentSignalQuerySet.as_manager()

    class Meta:
        verbose_name = _("equipment signal")
        verbose_name_plural = _("equipment signals")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["equipment", "-occurred_at"], name="equipment_signal_unit_idx"),
            models.Index(fields=["id"], condition=Q(processed_at__isnull=True), name="equipment_signal_todo_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["key"], name="equipment_signal_key")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.equipment}"

    @property
    def opens_problem(self) -> bool:
        return self.kind in (self.Kind.PREDICTED_FAILURE, self.Kind.FAULT)
