from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.access import account_access_q
from crm.models import Account, Level, Zone


class ZoneChangeQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="account__"))


class ZoneChange(models.Model):
    """Append-only: an account moved from one zone to another, with the reading behind it."""

    class Trigger(models.TextChoices):
        RESPONSE = "response", _("A survey answer")
        RECLASSIFICATION = "reclassification", _("Reclassification")

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+")
    from_zone = models.CharField(_("from"), max_length=8, choices=Zone)
    to_zone = models.CharField(_("to"), max_length=8, choices=Zone)
    mean = models.DecimalField(_("mean score"), max_digits=4, decimal_places=2, null=True, blank=True)
    answers = models.PositiveIntegerField(_("answers"), default=0)
    trigger = models.CharField(_("why"), max_length=16, choices=Trigger)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    objects = ZoneChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("zone change")
        verbose_name_plural = _("zone changes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="zone_change_account_idx")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(from_zone=models.F("to_zone")), name="zone_change_changes")
        ]

    def __str__(self):
        return f"{self.account_id}: {self.from_zone} → {self.to_zone}"


class LevelChangeQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="account__"))


class LevelChange(models.Model):
    """Append-only: an account moved between base levels, with the figures behind it."""

    class Trigger(models.TextChoices):
        ORDER = "order", _("An order or a referral")
        RECLASSIFICATION = "reclassification", _("Reclassification")

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+")
    from_level = models.CharField(_("from"), max_length=16, choices=Level)
    to_level = models.CharField(_("to"), max_length=16, choices=Level)
    purchases = models.PositiveIntegerField(_("purchases"), default=0)
    purchases_last_year = models.PositiveIntegerField(_("purchases in 12 months"), default=0)
    categories_last_year = models.PositiveIntegerField(_("categories in 12 months"), default=0)
    referrals = models.PositiveIntegerField(_("referrals"), default=0)
    trigger = models.CharField(_("why"), max_length=16, choices=Trigger)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    objects = LevelChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("level change")
        verbose_name_plural = _("level changes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="level_change_account_idx")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(from_level=models.F("to_level")), name="level_change_changes")
        ]

    def __str__(self):
        return f"{self.account_id}: {self.from_level} → {self.to_level}"


class LevelBaseline(models.Model):
    """The company averages a classification compared each account with: kept so the rule can be checked."""

    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    buying_accounts = models.PositiveIntegerField(_("accounts that bought in 12 months"))
    purchases_average = models.DecimalField(_("average purchases in 12 months"), max_digits=10, decimal_places=2)
    categories_average = models.DecimalField(_("average categories in 12 months"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("company average")
        verbose_name_plural = _("company averages")
        ordering = ["-computed_at", "-id"]
        get_latest_by = "computed_at"

    def __str__(self):
        return f"{self.computed_at:%Y-%m-%d}: {self.purchases_average} / {self.categories_average}"
