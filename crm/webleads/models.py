"""A lead from a site's form, kept as it came (with its marketing source), and the rules that route new ones."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.access import account_access_q
from crm.models.accounts import Account, Contact, Industry, LeadSource


class LeadRoute(models.Model):
    """A new prospect from the site goes to this manager when its industry and region match (empty: any)."""

    position = models.PositiveSmallIntegerField(_("order"), default=0, help_text=_("The first rule that matches wins."))
    industry = models.ForeignKey(
        Industry, verbose_name=_("industry"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    region = models.CharField(
        _("region"), max_length=100, blank=True, help_text=_("As the site's form sends it, e.g. Москва. Empty: any.")
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("manager"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("web lead route")
        verbose_name_plural = _("web lead routes")
        ordering = ["position", "id"]

    def __str__(self):
        return f"{self.industry or '*'} · {self.region or '*'} → {self.manager}"


class WebLeadQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="account__"))


class WebLead(models.Model):
    # The form token's digest: the same form sent twice (a double click, a retry) is one lead.
    key = models.CharField(max_length=64, unique=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("email"), blank=True)
    comment = models.TextField(_("comment"), max_length=5000, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    utm_source = models.CharField("utm_source", max_length=200, blank=True)
    utm_medium = models.CharField("utm_medium", max_length=200, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=200, blank=True)
    utm_content = models.CharField("utm_content", max_length=200, blank=True)
    utm_term = models.CharField("utm_term", max_length=200, blank=True)
    referrer = models.CharField(_("referrer"), max_length=2000, blank=True)
    landing_page = models.CharField(_("landing page"), max_length=2000, blank=True)
    ym_client_id = models.CharField(_("Yandex Metrika ClientID"), max_length=64, blank=True)
    ga_client_id = models.CharField(_("Google Analytics client id"), max_length=64, blank=True)
    industry = models.CharField(_("industry"), max_length=200, blank=True)
    # What the worker made of it (crm/webleads/services.py), seconds after it came.
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, null=True, blank=True, related_name="web_leads"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("person"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    lead_source = models.ForeignKey(
        LeadSource, verbose_name=_("lead source"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    new_account = models.BooleanField(
        _("new prospect"), null=True, help_text=_("No: the person was already ours. Empty: not acted on yet.")
    )
    processed_at = models.DateTimeField(_("acted on at"), null=True, blank=True)

    objects = WebLeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("web lead")
        verbose_name_plural = _("web leads")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["id"], condition=models.Q(processed_at__isnull=True), name="web_lead_todo_idx")]

    def __str__(self):
        return f"{self.name} ({self.company or self.email or self.phone})"
