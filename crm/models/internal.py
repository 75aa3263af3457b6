"""Internal customers (DOMAIN §9): what one department owes another, and by when.

A request between departments is a promise (`Commitment`) with a serving department (`department`) and a
receiving one; the receiving department rates what it got with one question (internal CSAT, 1..5).
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from crm.models.users import Department


class InternalService(models.Model):
    """One line of the register: which department serves which, with what, by when, how complete, in what form."""

    serving_department = models.ForeignKey(
        Department, verbose_name=_("serving department"), on_delete=models.CASCADE, related_name="services_given"
    )
    receiving_department = models.ForeignKey(
        Department, verbose_name=_("internal customer"), on_delete=models.CASCADE, related_name="services_received"
    )
    deliverable = models.CharField(_("deliverable"), max_length=200)
    deadline_days = models.PositiveSmallIntegerField(
        _("deadline, days"),
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Days from the request to delivery: the due date of every request for this service."),
    )
    completeness = models.TextField(
        _("completeness"), blank=True, help_text=_("What a delivery must contain to count as complete.")
    )
    delivery_format = models.CharField(
        _("format"), max_length=200, blank=True, help_text=_("For example: XLSX by e-mail, a signed PDF.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("internal service")
        verbose_name_plural = _("internal services")
        ordering = ["serving_department__name", "receiving_department__name", "deliverable"]
        constraints = [
            models.UniqueConstraint(
                fields=["serving_department", "receiving_department", "deliverable"], name="internal_service_unique"
            ),
            models.CheckConstraint(
                condition=~Q(serving_department=F("receiving_department")), name="internal_service_two_departments"
            ),
        ]

    def __str__(self):
        return f"{self.deliverable}: {self.serving_department} → {self.receiving_department}"


INTERNAL_RATING_SCALE = (1, 5)
