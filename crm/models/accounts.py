import functools
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.ru import inn as stdnum_inn

from crm.access import account_access_q
from crm.models.base import Language, TimeStampedModel
from crm.phones import phone_format_display


def validate_inn(value: str) -> None:
    try:
        stdnum_inn.validate(value)
    except StdnumValidationError:
        raise ValidationError(
            _(
                "“%(value)s” is not a valid INN: it must be 10 digits (a company) or 12 digits (a person) "
                "with correct check digits."
            ),
            code="inn_invalid",
            params={"value": value},
        ) from None


@functools.cache
def _time_zones() -> frozenset[str]:
    """Read once per process: zoneinfo walks the whole zone database on disk every time it is asked."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _time_zones():
        raise ValidationError(
            _("“%(value)s” is not a time zone: use a name such as Europe/Moscow or Asia/Yekaterinburg."),
            code="time_zone_invalid",
            params={"value": value},
        )


class BehaviourType(models.IntegerChoices):
    """DOMAIN §5: two axes, emotional and confident, give four types."""

    EMOTIONAL_CONFIDENT = 1, _("1 · emotional, confident")
    UNEMOTIONAL_CONFIDENT = 2, _("2 · unemotional, confident")
    UNEMOTIONAL_UNCONFIDENT = 3, _("3 · unemotional, unconfident")
    EMOTIONAL_UNCONFIDENT = 4, _("4 · emotional, unconfident")

    @classmethod
    def from_axes(cls, emotional: str, confident: str) -> "BehaviourType | None":
        """None while either axis is "not sure"."""
        return {
            (Axis.YES, Axis.YES): cls.EMOTIONAL_CONFIDENT,
            (Axis.NO, Axis.YES): cls.UNEMOTIONAL_CONFIDENT,
            (Axis.NO, Axis.NO): cls.UNEMOTIONAL_UNCONFIDENT,
            (Axis.YES, Axis.NO): cls.EMOTIONAL_UNCONFIDENT,
        }.get((emotional, confident))


class Axis(models.TextChoices):
    """One of the two axes of a behaviour type, as the manager (or the suggestion) reads the person."""

    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNSURE = "unsure", _("Not sure")


class Industry(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        ordering = ["name"]

    def __str__(self):
        return self.name


class LeadSource(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    # A site's lead with these UTM tags gets this source (crm/webleads); an unseen combination makes a new source.
    utm_source = models.CharField("utm_source", max_length=200, blank=True)
    utm_medium = models.CharField("utm_medium", max_length=200, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=200, blank=True)

    class Meta:
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["utm_source", "utm_medium", "utm_campaign"],
                condition=~models.Q(utm_source=""),
                name="lead_source_unique_utm",
            )
        ]

    def __str__(self):
        return self.name


class LeadSourceCost(models.Model):
    """What a lead source cost over a period: the denominator of its ROI."""

    lead_source = models.ForeignKey(
        LeadSource, verbose_name=_("lead source"), on_delete=models.CASCADE, related_name="costs"
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"), help_text=_("Inclusive."))
    amount = models.DecimalField(_("cost"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("lead source cost")
        verbose_name_plural = _("lead source costs")
        ordering = ["lead_source", "-period_start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="lead_cost_period_order"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="lead_cost_not_negative"),
        ]

    def __str__(self):
        return f"{self.lead_source}: {self.period_start}–{self.period_end}"


class Zone(models.TextChoices):
    """DOMAIN §4: how the client feels, from the monthly relationship survey."""

    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")
    GREY = "grey", _("Grey (no answers)")


class Level(models.TextChoices):
    """DOMAIN §6: where the account stands in the customer base."""

    LEAD = "lead", _("Lead")
    FIRST_TIME = "first_time", _("First-time")
    REPEAT = "repeat", _("Repeat")
    CORE = "core", _("Core")
    ADVOCATE = "advocate", _("Advocate")


class AccountQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user))

    def for_manager(self, user):
        return self.filter(manager=user)

    def in_zone(self, zone: str):
        return self.filter(zone=zone)


class Account(TimeStampedModel):
    """A client company."""

    class Size(models.TextChoices):
        MICRO = "micro", _("Micro (up to 15 people)")
        SMALL = "small", _("Small (16-100)")
        MEDIUM = "medium", _("Medium (101-250)")
        LARGE = "large", _("Large (251-1000)")
        ENTERPRISE = "enterprise", _("Enterprise (1000+)")

    class Status(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        ACTIVE = "active", _("Active")
        CHURNED = "churned", _("Churned")

    name = models.CharField(_("name"), max_length=255)
    legal_name = models.CharField(_("legal name"), max_length=255, blank=True)
    inn = models.CharField(_("INN"), max_length=12, blank=True, validators=[validate_inn])
    industry = models.ForeignKey(Industry, verbose_name=_("industry"), on_delete=models.PROTECT, null=True, blank=True)
    size = models.CharField(_("size"), max_length=16, choices=Size, blank=True)
    lead_source = models.ForeignKey(
        LeadSource, verbose_name=_("lead source"), on_delete=models.PROTECT, null=True, blank=True
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        help_text=_("Leave empty to put the account in the unassigned queue."),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_accounts",
        db_index=False,  # account_manager_name_idx starts with the manager: one index less to keep on every write
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PROSPECT)
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        help_text=_("The client who recommended this one."),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Moscow",
        db_default="Europe/Moscow",  # database defaults too: bulk loaders (bench/generate.py) COPY rows in
        validators=[validate_time_zone],
        help_text=_("Messages to this client's people respect quiet hours and weekends in this zone."),
    )
    behaviour_type_set = models.PositiveSmallIntegerField(
        _("behaviour type"),
        choices=BehaviourType,
        null=True,
        blank=True,
        help_text=_("Leave empty to take the type of the decision maker, as their manager reads them."),
    )
    # Kept by segments.services.behaviour (with an AccountEvent for every change): the type set on the
    # account, else its decision maker's. Outreach, playbooks and the caller card read this one.
    behaviour_type = models.PositiveSmallIntegerField(
        _("behaviour type"), choices=BehaviourType, null=True, blank=True, editable=False
    )
    weekly_order_updates = models.BooleanField(
        _("weekly order updates"),
        default=False,
        db_default=False,
        help_text=_("Confirm every week that a long order is on track (always done for behaviour type 3)."),
    )
    thanks_every_days = models.PositiveSmallIntegerField(
        _("thank them every, days"),
        null=True,
        blank=True,
        help_text=_(
            "For behaviour type 1: how often the manager thanks the client personally and they get a thank-you "
            "note. Empty: the company's cadence; 0: never."
        ),
    )
    # Kept by segments.services (with a ZoneChange row for every change): a convenience for lists and filters.
    zone = models.CharField(
        _("zone"), max_length=8, choices=Zone, default=Zone.GREY, db_default=Zone.GREY, editable=False
    )
    zone_changed_at = models.DateTimeField(_("zone since"), null=True, blank=True, editable=False)
    level = models.CharField(
        _("level"), max_length=16, choices=Level, default=Level.LEAD, db_default=Level.LEAD, editable=False
    )
    level_changed_at = models.DateTimeField(_("level since"), null=True, blank=True, editable=False)
    survey_cadence_days = models.PositiveSmallIntegerField(
        _("relationship survey every, days"),
        null=True,
        blank=True,
        validators=[MinValueValidator(7), MaxValueValidator(366)],
        help_text=_("How often this client's people get the relationship survey. Empty: the survey's own (monthly)."),
    )
    extra = models.JSONField(
        _("extra data"),
        default=dict,
        db_default={},
        blank=True,
        help_text=_("Fields another system kept on this client (its custom fields), as they were imported."),
    )
    survey_day = models.PositiveSmallIntegerField(
        _("monthly survey day"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("For a monthly survey: the day of the month its round starts, e.g. the client's prepayment day."),
    )

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name", "id"]
        permissions = [("view_all_accounts", _("Can see every account, whoever manages it"))]
        indexes = [
            models.Index(fields=["name", "id"], name="account_name_idx"),
            models.Index(fields=["manager", "name", "id"], name="account_manager_name_idx"),
            models.Index(fields=["inn"], name="account_inn_idx"),
            models.Index(fields=["zone", "manager"], name="account_zone_idx"),
            # No index on the level: then a change of level touches no index, and PostgreSQL rewrites the row
            # in place (a HOT update, with the room migration 0022 leaves in each page). A first classification
            # changes every account's level; with an index it spent four fifths of its time on index entries.
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(referred_by=models.F("id")), name="account_not_self_referred"),
            models.CheckConstraint(
                condition=models.Q(survey_cadence_days__isnull=True) | models.Q(survey_cadence_days__range=(7, 366)),
                name="account_survey_cadence_range",
            ),
            models.CheckConstraint(
                condition=models.Q(survey_day__isnull=True) | models.Q(survey_day__range=(1, 28)),
                name="account_survey_day_range",
            ),
        ]

    def __str__(self):
        return self.name


class AccountEvent(models.Model):
    """Append-only history of an account: who changed what about it, and why."""

    class Type(models.TextChoices):
        CREATED = "created", _("Created")
        IMPORTED = "imported", _("Imported")
        MANAGER_CHANGED = "manager_changed", _("Manager changed")
        STATUS_CHANGED = "status_changed", _("Status changed")
        BEHAVIOUR_TYPE_CHANGED = "behaviour_type_changed", _("Behaviour type changed")
        CONTACT_BEHAVIOUR_CHANGED = "contact_behaviour_changed", _("A person's behaviour axes changed")
        CONTACT_ERASED = "contact_erased", _("A person's data erased on request")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(_("type"), max_length=32, choices=Type)
    data = models.JSONField(_("data"), default=dict, blank=True)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("account event")
        verbose_name_plural = _("account events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="account_event_account_idx")]

    def __str__(self):
        return f"{self.get_type_display()} · {self.account_id}"


class ContactQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="account__"))


class Contact(TimeStampedModel):
    """A person at a client company."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        MESSENGER = "messenger", _("Messenger")
        SMS = "sms", _("SMS")
        VIDEO = "video", _("Video call")

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(_("first name"), max_length=100)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    is_decision_maker = models.BooleanField(_("decision maker"), default=False)
    email = models.EmailField(_("email"), blank=True)
    # The sending platform reported a hard bounce: no more mail to this address until it is changed.
    email_bounced_at = models.DateTimeField(_("e-mail bounced at"), null=True, blank=True, editable=False)
    email_bounce_reason = models.CharField(_("bounce reason"), max_length=300, blank=True, editable=False)
    language = models.CharField(_("language"), max_length=2, choices=Language, default=Language.RUSSIAN)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    extra = models.JSONField(
        _("extra data"),
        default=dict,
        db_default={},
        blank=True,
        help_text=_("Fields another system kept on this person, as they were imported."),
    )
    preferred_channel = models.CharField(_("preferred channel"), max_length=16, choices=Channel, blank=True)
    emotional = models.CharField(
        _("emotional"), max_length=8, choices=Axis, default=Axis.UNSURE, db_default=Axis.UNSURE
    )
    confident = models.CharField(
        _("confident"), max_length=8, choices=Axis, default=Axis.UNSURE, db_default=Axis.UNSURE
    )
    telegram_chat_id = models.CharField(
        _("Telegram chat id"),
        max_length=32,
        blank=True,
        default="",
        db_default="",
        help_text=_("Filled when the person starts a chat with our Telegram bot; messenger messages go there."),
    )

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["account", "last_name"], name="contact_account_idx"),
            models.Index(fields=["email"], name="contact_email_idx"),
            models.Index(Upper("email"), name="contact_email_upper_idx"),  # email__iexact: a site's lead
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        """Russian order ("Сидоров Иван Петрович") for Russian speakers, "John Smith" for English ones."""
        if self.language == Language.RUSSIAN:
            parts = (self.last_name, self.first_name, self.patronymic)
        else:
            parts = (self.first_name, self.last_name)
        return " ".join(part for part in parts if part)

    @property
    def behaviour_type(self) -> "BehaviourType | None":
        return BehaviourType.from_axes(self.emotional, self.confident)

    @property
    def addressed_name(self) -> str:
        """How we address the person: "Иван Петрович" in Russian, the first name in English."""
        if self.language == Language.RUSSIAN and self.patronymic:
            return f"{self.first_name} {self.patronymic}"
        return self.first_name


class ContactConsent(models.Model):
    """The current consent or opt-out of a contact for one purpose and channel, with its time."""

    class Purpose(models.TextChoices):
        SURVEYS = "surveys", _("Surveys")
        MARKETING = "marketing", _("Marketing")
        SERVICE = "service", _("Service notices")
        GREETINGS = "greetings", _("Greetings")

    class Channel(models.TextChoices):
        ANY = "any", _("Any channel")
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        MESSENGER = "messenger", _("Messenger")
        PHONE = "phone", _("Phone")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel, default=Channel.ANY)
    granted = models.BooleanField(_("granted"), help_text=_("Unticked means the person opted out."))
    changed_at = models.DateTimeField(_("changed at"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents and opt-outs")
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "purpose", "channel"], name="consent_unique_per_purpose_channel"
            ),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} / {self.get_channel_display()}"


class PhoneQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="contact__account__"))


class Phone(models.Model):
    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        WORK = "work", _("Work")
        OTHER = "other", _("Other")

    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="phones")
    raw = models.CharField(_("as entered"), max_length=64)
    number = models.CharField(_("number (E.164)"), max_length=16, db_index=True, editable=False)
    extension = models.CharField(_("extension"), max_length=16, blank=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.MOBILE)
    is_primary = models.BooleanField(_("primary"), default=False)

    objects = PhoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "number", "extension"], name="phone_unique_per_contact"),
        ]

    def __str__(self):
        return self.display

    @property
    def display(self) -> str:
        number = phone_format_display(self.number) if self.number else self.raw
        return f"{number} ({_('ext.')} {self.extension})" if self.extension else number
