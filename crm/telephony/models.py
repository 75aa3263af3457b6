"""Telephony: connections to PBX providers, and calls as they happen."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.access import account_access_q
from crm.models.accounts import Account, Contact, LeadSource
from crm.models.activity import Interaction
from crm.models.base import TimeStampedModel
from crm.phones import phone_normalize


def _webhook_key() -> str:
    return secrets.token_urlsafe(18)


class TelephonyConnection(TimeStampedModel):
    """One PBX or cloud telephony account that sends us its calls."""

    class Provider(models.TextChoices):
        GENERIC = "generic", _("Generic JSON API")
        TWILIO = "twilio", _("Twilio Programmable Voice")
        ZADARMA = "zadarma", _("Zadarma / Novofon")
        MANGO = "mango", _("Mango Office")
        ITOOLABS = "itoolabs", _("MegaFon VATS / ITooLabs CRM API")
        ASTERISK = "asterisk", _("Asterisk")

    provider = models.CharField(_("provider"), max_length=16, choices=Provider)
    name = models.CharField(_("name"), max_length=100, unique=True)
    # Part of the webhook URLs: says which connection a request is for before its signature is checked.
    webhook_key = models.CharField(max_length=32, unique=True, default=_webhook_key, editable=False)
    secret = models.CharField(
        _("signing secret or token"),
        max_length=255,
        help_text=_("Twilio's auth token, Zadarma's secret key, Mango's salt, the PBX's crm_token."),
    )
    api_key = models.CharField(
        _("API key"), max_length=255, blank=True, help_text=_("Zadarma's key, Mango's vpbx key.")
    )
    fallback_target = models.CharField(
        _("fallback routing target"),
        max_length=100,
        help_text=_("Extension, queue or SIP address for unknown callers and when nobody is available."),
    )
    public_base_url = models.URLField(
        _("public base URL"),
        blank=True,
        help_text=_("The address the provider calls us at, when behind a proxy: signatures are computed over it."),
    )
    outbound_caller_id = models.CharField(
        _("our number for calls placed from the CRM"),
        max_length=32,
        blank=True,
        help_text=_("Twilio: the number clients see when a manager clicks to call."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("telephony connection")
        verbose_name_plural = _("telephony connections")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def secret_hint(self) -> str:
        return f"…{self.secret[-4:]}" if len(self.secret) > 8 else "…"


class CallQuerySet(models.QuerySet):
    def for_user(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_all_accounts:
            return self.all()
        return self.filter((Q(account__isnull=False) & account_access_q(user, prefix="account__")) | Q(routed_to=user))


class Call(models.Model):
    """A call, updated as the provider's events arrive; its interaction is the timeline entry."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    class Status(models.TextChoices):
        RINGING = "ringing", _("Ringing")
        ANSWERED = "answered", _("Answered")
        MISSED = "missed", _("Missed")
        ENDED = "ended", _("Ended")

    connection = models.ForeignKey(TelephonyConnection, on_delete=models.PROTECT, related_name="calls")
    provider_call_id = models.CharField(_("provider's call id"), max_length=128)
    direction = models.CharField(_("direction"), max_length=16, choices=Direction)
    from_number = models.CharField(_("from, as sent"), max_length=64)
    to_number = models.CharField(_("to, as sent"), max_length=64, blank=True)
    lead_source = models.ForeignKey(
        LeadSource,
        verbose_name=_("lead source"),
        help_text=_("An inbound call to one of the source's tracking numbers."),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    client_number = models.CharField(
        _("client's number (E.164)"), max_length=16, blank=True, db_index=True, help_text=_("Empty if unparseable.")
    )
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls")
    account = models.ForeignKey(Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls")
    routed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("routed to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    route_target = models.CharField(_("route target"), max_length=100, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.RINGING)
    started_at = models.DateTimeField(_("started at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration, seconds"), null=True, blank=True)
    recording_url = models.URLField(_("recording link"), max_length=500, blank=True)
    recording_ref = models.CharField(
        _("provider's recording id"),
        max_length=255,
        blank=True,
        help_text=_("Zadarma and Mango announce a recording by id; its link is asked for when someone listens."),
    )
    last_event_seq = models.BigIntegerField(default=0, help_text="Providers that number their events (Mango).")
    interaction = models.OneToOneField(
        Interaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="call"
    )

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "provider_call_id"], name="call_unique_per_connection"),
        ]

    def __str__(self):
        return f"{self.from_number} → {self.to_number} · {self.started_at:%Y-%m-%d %H:%M}"


class TrackingNumber(models.Model):
    """A number a campaign publishes (call tracking): an inbound call to it records its lead source on the call,
    and a lead made from an unknown caller of it gets that source."""

    lead_source = models.ForeignKey(
        LeadSource, verbose_name=_("lead source"), on_delete=models.CASCADE, related_name="tracking_numbers"
    )
    number = models.CharField(
        _("number"), max_length=32, unique=True, help_text=_("Any format: it is kept in the international one.")
    )
    note = models.CharField(_("where it is published"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tracking number")
        verbose_name_plural = _("tracking numbers")
        ordering = ["number"]

    def __str__(self):
        return self.number

    def clean(self):
        try:
            self.number = phone_normalize(self.number).e164
        except ValidationError as error:
            raise ValidationError({"number": error.messages}) from None
