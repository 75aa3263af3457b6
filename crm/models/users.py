from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.models.base import Language


class Department(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    call_group = models.CharField(
        _("call group"),
        max_length=100,
        blank=True,
        default="",
        db_default="",
        help_text=_("Extension or queue that rings the department when a client's manager is away."),
    )
    head = models.ForeignKey(
        "crm.User",
        verbose_name=_("head"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_departments",
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A person who works in the CRM: an account manager, a head, support, an integration owner."""

    patronymic = models.CharField(_("patronymic"), max_length=150, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    head = models.ForeignKey(
        "self",
        verbose_name=_("head"),
        help_text=_("The person this user reports to."),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    phone_extension = models.CharField(_("telephony extension"), max_length=16, blank=True)
    available_for_calls = models.BooleanField(
        _("takes calls now"),
        default=True,
        db_default=True,
        help_text=_("Untick when away: your clients' calls then go to your department's group."),
    )
    sip_uri = models.CharField(_("softphone / SIP identity"), max_length=255, blank=True)
    language = models.CharField(_("preferred language"), max_length=2, choices=Language, default=Language.RUSSIAN)
    signature = models.TextField(
        _("signature"),
        max_length=1000,
        blank=True,
        default="",
        db_default="",
        help_text=_("Ends every message sent to your clients."),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username

    @cached_property
    def headed_department_ids(self) -> list[int]:
        """Departments this user heads: cached for the request, since every queryset asks."""
        return list(self.headed_departments.values_list("id", flat=True))

    @property
    def signature_text(self) -> str:
        return self.signature or "\n".join(filter(None, [self.get_full_name() or self.username, self.email]))

    @property
    def sees_all_accounts(self) -> bool:
        return self.is_superuser or self.has_perm("crm.view_all_accounts")
