"""A client page link: one person's way in to their account's page. The database keeps only the token's hash."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.access import account_access_q
from crm.models.accounts import Account, Contact


class ClientPageLinkQuerySet(models.QuerySet):
    def for_user(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_all_accounts:
            return self.all()
        return self.filter(account_access_q(user, prefix="account__"))

    def valid(self, *, now=None):
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class ClientPageLink(models.Model):
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="client_page_links"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("person"), on_delete=models.CASCADE, related_name="client_page_links"
    )
    nonce = models.CharField(max_length=32, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_opened_at = models.DateTimeField(_("last opened at"), null=True, blank=True)
    open_count = models.PositiveIntegerField(_("times opened"), default=0)

    objects = ClientPageLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("client page link")
        verbose_name_plural = _("client page links")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contact", "expires_at"], name="client_page_contact_idx")]

    def __str__(self):
        return f"{self.contact} · {self.account}"
