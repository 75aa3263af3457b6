"""Outbound messaging: the outbox, its templates, the greetings calendar, campaigns and tracked links."""

import calendar
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.access import account_access_q
from crm.models.accounts import Account, BehaviourType, Contact, ContactConsent, Industry
from crm.models.base import Language, TimeStampedModel
from crm.models.orders import ProductCategory
from crm.outreach.kinds import MessageKind
from crm.outreach.rendering import template_errors

Purpose = ContactConsent.Purpose


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    TELEGRAM = "telegram", _("Telegram")
    WEBHOOK = "webhook", _("Outgoing webhook (SMS gateway and others)")


class MessageTemplate(TimeStampedModel):
    """The words of one kind of message in one language, optionally for one behaviour type.

    Subject and body are Django templates; which variables each kind offers is listed on the form.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=MessageKind)
    language = models.CharField(_("language"), max_length=2, choices=Language)
    behaviour_type = models.PositiveSmallIntegerField(
        _("behaviour type"),
        choices=BehaviourType,
        null=True,
        blank=True,
        help_text=_("Empty: for everyone. A template for a type wins over the general one."),
    )
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"), max_length=20_000)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["kind", "language", "behaviour_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "language"],
                condition=Q(behaviour_type__isnull=True),
                name="message_template_unique_general",
            ),
            models.UniqueConstraint(
                fields=["kind", "language", "behaviour_type"],
                condition=Q(behaviour_type__isnull=False),
                name="message_template_unique_per_type",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.language}"

    def clean(self):
        errors = template_errors(kind=self.kind, subject=self.subject, body=self.body)
        if errors:
            raise ValidationError(errors)


class OutboundMessageQuerySet(models.QuerySet):
    def for_user(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_all_accounts:
            return self.all()
        return self.filter(
            (Q(account__isnull=False) & account_access_q(user, prefix="account__")) | Q(recipient_user=user)
        )


class OutboundMessage(models.Model):
    """One message in the outbox. Its idempotency key makes planning it twice a no-op."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        BOUNCED = "bounced", _("Bounced")  # the platform could not deliver it (crm/outreach/delivery.py)
        COMPLAINED = "complained", _("Marked as spam")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Suppressed")

    # Unique through Meta.constraints: unique=True would add a LIKE index that every insert pays for.
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=MessageKind)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose)
    channel = models.CharField(_("channel"), max_length=16, choices=MessageChannel, default=MessageChannel.EMAIL)
    # No single-column indexes on these: the composite indexes below start with them, and every
    # index costs time on each of the 100,000 inserts a planning run makes.
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        db_index=False,
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("client's person"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        db_index=False,
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our person"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    template = models.ForeignKey(
        MessageTemplate,
        verbose_name=_("template"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # templates are few and rarely deleted; a scan then is cheaper than an index always
    )
    language = models.CharField(_("language"), max_length=2, choices=Language)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    data = models.JSONField(_("event data"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.QUEUED)
    status_reason = models.CharField(
        _("reason or last error"), max_length=500, blank=True, help_text=_("Why it was suppressed, or the last error.")
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    send_after = models.DateTimeField(_("not before"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True, editable=False)
    # Set by the sender that claimed the row; only that sender may record the outcome.
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider's message id"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = OutboundMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "send_after"], name="outbox_due_idx"),
            models.Index(fields=["account", "-created_at"], name="outbox_account_idx"),
            models.Index(fields=["contact", "purpose", "sent_at"], name="outbox_contact_cap_idx"),
            # A relay's delivery report names the Message-ID we sent.
            models.Index(
                fields=["provider_message_id"], condition=~Q(provider_message_id=""), name="outbox_provider_id_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="outbox_idempotency_key_unique"),
            models.CheckConstraint(
                condition=Q(contact__isnull=False, recipient_user__isnull=True)
                | Q(contact__isnull=True, recipient_user__isnull=False),
                name="outbox_one_recipient",
            ),
        ]

    def __str__(self):
        return self.subject

    @property
    def recipient(self):
        return self.contact or self.recipient_user


class ProfessionalHoliday(models.Model):
    """A professional holiday of an industry, e.g. Day of Metallurgists, the third Sunday of July."""

    class Week(models.IntegerChoices):
        FIRST = 1, _("first")
        SECOND = 2, _("second")
        THIRD = 3, _("third")
        FOURTH = 4, _("fourth")
        LAST = -1, _("last")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    name_ru = models.CharField(_("name in Russian"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    month = models.PositiveSmallIntegerField(_("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    day = models.PositiveSmallIntegerField(
        _("day of the month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("For a fixed date. Leave empty and pick a week and weekday for rules like “third Sunday”."),
    )
    week = models.SmallIntegerField(_("week"), choices=Week, null=True, blank=True)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday, null=True, blank=True)
    industries = models.ManyToManyField(Industry, verbose_name=_("industries"), blank=True, related_name="holidays")

    class Meta:
        verbose_name = _("professional holiday")
        verbose_name_plural = _("professional holidays")
        ordering = ["month", "day", "week"]
        constraints = [
            models.CheckConstraint(
                condition=Q(day__isnull=False, week__isnull=True, weekday__isnull=True)
                | Q(day__isnull=True, week__isnull=False, weekday__isnull=False),
                name="holiday_fixed_date_or_weekday_rule",
            ),
        ]

    def __str__(self):
        return self.name_en

    def clean(self):
        if (self.day is None) == (self.week is None or self.weekday is None):
            raise ValidationError(_("Give either a day of the month, or a week and a weekday."))
        if self.day is not None and self.day > calendar.monthrange(2024, self.month)[1]:
            raise ValidationError({"day": _("This month has no such day.")})

    def name(self, language: str) -> str:
        return self.name_ru if language == Language.RUSSIAN else self.name_en

    def date_in(self, year: int) -> date:
        if self.day is not None:
            last_day = calendar.monthrange(year, self.month)[1]
            return date(year, self.month, min(self.day, last_day))
        days = [
            week[self.weekday]
            for week in calendar.monthcalendar(year, self.month)
            if week[self.weekday]  # 0 marks a day of the neighbouring month
        ]
        return date(year, self.month, days[-1] if self.week == self.Week.LAST else days[self.week - 1])


class Campaign(TimeStampedModel):
    """A training or tips message to a chosen audience: its industries and what they bought."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        FINISHED = "finished", _("Finished")

    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.DRAFT)
    starts_at = models.DateTimeField(_("send from"), default=timezone.now)
    industries = models.ManyToManyField(Industry, verbose_name=_("industries"), blank=True, related_name="campaigns")
    product_categories = models.ManyToManyField(
        ProductCategory,
        verbose_name=_("bought from categories"),
        blank=True,
        related_name="campaigns",
        help_text=_("Only accounts that have ordered from one of these categories."),
    )
    segment = models.ForeignKey(
        "segments.Segment",
        verbose_name=_("saved segment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        help_text=_("Only its accounts or people; with industries or categories too, those who match both."),
    )
    subject_ru = models.CharField(_("subject in Russian"), max_length=255)
    body_ru = models.TextField(_("body in Russian"), max_length=20_000)
    subject_en = models.CharField(_("subject in English"), max_length=255)
    body_en = models.TextField(_("body in English"), max_length=20_000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("training and tips campaigns")
        ordering = ["-starts_at", "-id"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        for language in Language.values:
            for field, message in template_errors(
                kind=MessageKind.CAMPAIGN,
                subject=getattr(self, f"subject_{language}"),
                body=getattr(self, f"body_{language}"),
            ).items():
                errors[f"{field}_{language}"] = message
        if errors:
            raise ValidationError(errors)


class TrackedLinkQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="account__"))


class TrackedLink(TimeStampedModel):
    """A proposal or document sent through the CRM: opening it is recorded and may ask for a call."""

    token = models.CharField(max_length=32, unique=True, editable=False)
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="links")
    contact = models.ForeignKey(Contact, verbose_name=_("sent to"), on_delete=models.CASCADE, related_name="links")
    title = models.CharField(_("title"), max_length=255)
    target_url = models.URLField(_("document link"), max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    first_opened_at = models.DateTimeField(_("first opened"), null=True, blank=True)
    last_opened_at = models.DateTimeField(_("last opened"), null=True, blank=True)
    open_count = models.PositiveIntegerField(_("opened, times"), default=0)

    objects = TrackedLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("tracked proposal")
        verbose_name_plural = _("tracked proposals")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title


class Reference(models.Model):
    """Proof for clients who want it (behaviour type 3, DOMAIN §5): an example of completed work or a testimonial,
    linked from order confirmations, proposals and invoices."""

    class Kind(models.TextChoices):
        COMPLETED_WORK = "completed_work", _("Completed work")
        TESTIMONIAL = "testimonial", _("Testimonial")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("link"), max_length=500)
    language = models.CharField(
        _("language"), max_length=2, choices=Language, blank=True, help_text=_("Empty: for every language.")
    )
    industry = models.ForeignKey(
        Industry,
        verbose_name=_("industry"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: for every industry. A client of this industry sees its references first."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reference")
        verbose_name_plural = _("references")
        ordering = ["position", "id"]

    def __str__(self):
        return self.title


class EmailEvent(models.Model):
    """A delivery receipt, bounce or spam complaint from the sending platform, recorded once (they retry)."""

    class Kind(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        SOFT_BOUNCE = "soft_bounce", _("Soft bounce (temporary)")
        HARD_BOUNCE = "hard_bounce", _("Hard bounce (the address does not take mail)")
        COMPLAINT = "complaint", _("Spam complaint")

    key = models.CharField(max_length=64, unique=True, editable=False)
    provider = models.CharField(_("platform"), max_length=32)
    kind = models.CharField(_("event"), max_length=16, choices=Kind)
    address = models.CharField(_("address"), max_length=254)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    message = models.ForeignKey(
        OutboundMessage,
        verbose_name=_("message"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="email_events",
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("person"), on_delete=models.CASCADE, null=True, blank=True, related_name="email_events"
    )

    class Meta:
        verbose_name = _("e-mail event")
        verbose_name_plural = _("e-mail events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["contact", "-occurred_at"], name="email_event_contact_idx")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.address}"
