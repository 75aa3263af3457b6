from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.models.base import TimeStampedModel


class MoveIn(TimeStampedModel):
    """The files of one export from Bitrix24 or amoCRM: checked (what would be created, updated, merged or skipped,
    and why), then imported by a worker, file by file in chunks, going on from its progress if the worker dies."""

    class System(models.TextChoices):
        BITRIX24 = "bitrix24", "Bitrix24"
        AMOCRM = "amocrm", "amoCRM"

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked: map the stages and confirm")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.CASCADE, related_name="+"
    )
    system = models.CharField(_("from"), max_length=16, choices=System)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.CHECKING)
    # [{"name", "path", "kind", "rows"}], in the order they are imported: companies, contacts, deals.
    files = models.JSONField(_("files"), default=list, editable=False)
    # The check: counts per file, the first errors, merged duplicates, unknown managers, the stages found.
    preview = models.JSONField(_("preview"), default=dict, editable=False)
    stage_map = models.JSONField(
        _("stage mapping"),
        default=dict,
        blank=True,
        help_text=_("Each source stage → a journey stage, an order, or nothing."),
    )
    progress = models.JSONField(_("progress"), default=dict, editable=False)  # {"file": index, "row": rows done}
    report = models.JSONField(_("report"), default=dict, editable=False)
    failure = models.TextField(_("why it failed"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("move-in")
        verbose_name_plural = _("moving in")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_system_display()} · {self.created_at:%Y-%m-%d %H:%M}"


class SourceKey(models.Model):
    """What a record of the source system became here: re-importing the same files finds it and updates it.
    Also the keys by which duplicates merge (a company's name with a phone) and rows name companies (by name)."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        COMPANY_NAME = "company-name", _("Company by name")
        COMPANY_NAME_PHONE = "company-name-phone", _("Company by name and phone")
        CONTACT = "contact", _("Contact")
        DEAL = "deal", _("Deal")

    system = models.CharField(_("from"), max_length=16, choices=MoveIn.System)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind)
    external_id = models.CharField(_("source id"), max_length=300)
    object_id = models.BigIntegerField(_("our id"))

    class Meta:
        verbose_name = _("source key")
        verbose_name_plural = _("source keys")
        constraints = [
            models.UniqueConstraint(fields=["system", "kind", "external_id"], name="source_key_unique"),
        ]

    def __str__(self):
        return f"{self.system}:{self.kind}:{self.external_id} → {self.object_id}"
