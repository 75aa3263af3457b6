"""Customer journeys (DOMAIN §7): stages in order, touchpoints, the rules that move accounts, and every move."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from crm.access import account_access_q
from crm.models import Account, Industry, Language


class Journey(models.Model):
    """The stages a client goes through. One is the default; an industry or a saved segment may have its own."""

    name_ru = models.CharField(_("name in Russian"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    is_default = models.BooleanField(_("default"), default=False, help_text=_("For accounts no other journey fits."))
    industry = models.ForeignKey(
        Industry,
        verbose_name=_("for the industry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journeys",
    )
    segment = models.ForeignKey(
        "segments.Segment",
        verbose_name=_("for the saved segment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journeys",
        help_text=_("Checked before the industry: an account in the segment follows this journey."),
    )
    drawn_out_multiple = models.DecimalField(
        _("drawn out after, × median"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("2.0"),
        validators=[MinValueValidator(Decimal("1.0"))],
        help_text=_("An account is drawn out when its time in a stage exceeds this multiple of the stage's median."),
    )

    class Meta:
        verbose_name = _("journey")
        verbose_name_plural = _("journeys")
        ordering = ["-is_default", "name_en"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="journey_one_default"),
            models.UniqueConstraint(fields=["industry"], name="journey_one_per_industry"),
            models.UniqueConstraint(fields=["segment"], name="journey_one_per_segment"),
        ]

    def __str__(self):
        return self.name(get_language())

    def name(self, language: str | None) -> str:
        return self.name_ru if (language or "")[:2] == Language.RUSSIAN else self.name_en


class Stage(models.Model):
    journey = models.ForeignKey(Journey, verbose_name=_("journey"), on_delete=models.CASCADE, related_name="stages")
    code = models.SlugField(_("code"), max_length=50, help_text=_("Stable name used by the API and the rules."))
    position = models.PositiveSmallIntegerField(_("order"))
    name_ru = models.CharField(_("name in Russian"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    purpose = models.CharField(_("purpose and metrics"), max_length=500, blank=True)
    # Kept by the daily norms job from the completed stays in this stage: the card's norm.
    median_days = models.DecimalField(
        _("median days in stage"), max_digits=8, decimal_places=1, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["journey", "position"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "code"], name="stage_unique_code"),
            models.UniqueConstraint(fields=["journey", "position"], name="stage_unique_position"),
            models.UniqueConstraint(fields=["journey", "name_en"], name="stage_unique_name_en"),
            models.UniqueConstraint(fields=["journey", "name_ru"], name="stage_unique_name_ru"),
        ]

    def __str__(self):
        return f"{self.position}. {self.label}"

    @property
    def label(self) -> str:
        return self.name(get_language())

    def name(self, language: str | None) -> str:
        return self.name_ru if (language or "")[:2] == Language.RUSSIAN else self.name_en

    @property
    def norm_days(self) -> Decimal | None:
        return (
            (self.median_days * self.journey.drawn_out_multiple).quantize(Decimal("0.1")) if self.median_days else None
        )


class Touchpoint(models.Model):
    """A named point of contact in a stage: an interaction tied to it moves the account to the stage."""

    class Channel(models.TextChoices):
        WEBSITE_FORM = "website_form", _("Website form")
        PROPOSAL = "proposal", _("Proposal sent")
        MEETING = "meeting", _("Meeting")
        DEMO = "demo", _("Demo or consultation")
        DELIVERY = "delivery", _("Delivery")
        INSTALLATION = "installation", _("Installation")
        TRAINING = "training", _("Training")
        SUPPORT_CALL = "support_call", _("Support call")
        SURVEY = "survey", _("Survey")
        REFERRAL = "referral", _("Referral or testimonial")

    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.CASCADE, related_name="touchpoints")
    name_ru = models.CharField(_("name in Russian"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel)
    position = models.PositiveSmallIntegerField(_("order"), default=1)

    class Meta:
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        ordering = ["stage__position", "position", "id"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return self.name(get_language())

    def name(self, language: str | None) -> str:
        return self.name_ru if (language or "")[:2] == Language.RUSSIAN else self.name_en


class Event(models.TextChoices):
    """What happens to an account that can move it along its journey."""

    INTERACTION = "interaction", _("Any interaction (the first one)")
    TOUCHPOINT = "touchpoint", _("An interaction tied to a touchpoint: to the touchpoint's stage")
    PROPOSAL_SENT = "proposal_sent", _("A proposal sent")
    ORDER = "order", _("An order (the first one)")
    ORDER_DELIVERED = "order_delivered", _("An order delivered")
    REFERRAL = "referral", _("The account referred another")
    PROMOTER_ANSWER = "promoter_answer", _("A promoter answer (9-10)")


class TransitionRule(models.Model):
    """An event moves an account of the journey to a stage, forward only: rules never move anyone back."""

    journey = models.ForeignKey(Journey, verbose_name=_("journey"), on_delete=models.CASCADE, related_name="rules")
    event = models.CharField(_("when"), max_length=16, choices=Event)
    to_stage = models.ForeignKey(
        Stage,
        verbose_name=_("move to"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for “an interaction tied to a touchpoint”: the touchpoint says where."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("transition rule")
        verbose_name_plural = _("transition rules")
        constraints = [models.UniqueConstraint(fields=["journey", "event"], name="transition_rule_one_per_event")]

    def __str__(self):
        return f"{self.get_event_display()} → {self.to_stage or '…'}"


class TransitionQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="account__"))


class Transition(models.Model):
    """Append-only: an account entered a stage (or left the journey as lost: no stage), when, and why."""

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+")
    journey = models.ForeignKey(Journey, verbose_name=_("journey"), on_delete=models.CASCADE, related_name="+")
    from_stage = models.ForeignKey(
        Stage, verbose_name=_("from"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(
        Stage,
        verbose_name=_("to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the account left the journey as lost."),
    )
    at = models.DateTimeField(_("when"))
    # Set when the account moves on: the stay in `to_stage` is [at, left_at), `stay_seconds` long. Kept so time in
    # stage needs no window, and its percentiles can be read off an index.
    left_at = models.DateTimeField(_("left at"), null=True, blank=True, editable=False)
    stay_seconds = models.PositiveIntegerField(_("stay, seconds"), null=True, blank=True, editable=False)
    rule = models.CharField(_("by rule"), max_length=16, choices=Event, blank=True, help_text=_("Empty: by hand."))
    touchpoint = models.ForeignKey(
        Touchpoint, verbose_name=_("touchpoint"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = TransitionQuerySet.as_manager()

    class Meta:
        verbose_name = _("stage transition")
        verbose_name_plural = _("stage transitions")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["account", "at"], name="transition_account_idx"),
            models.Index(
                fields=["journey", "to_stage", "stay_seconds"],
                condition=Q(stay_seconds__isnull=False),
                name="transition_stay_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_stage__isnull=True) | Q(to_stage__isnull=True) | ~Q(from_stage=models.F("to_stage")),
                name="transition_changes_stage",
            ),
        ]

    def __str__(self):
        return f"{self.account_id}: {self.from_stage_id} → {self.to_stage_id}"


class AccountJourneyQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="account__"))


class AccountJourney(models.Model):
    """Where an account is on its journey now: a convenience kept with every Transition."""

    account = models.OneToOneField(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, primary_key=True, related_name="journey_state"
    )
    journey = models.ForeignKey(Journey, verbose_name=_("journey"), on_delete=models.PROTECT, related_name="+")
    stage = models.ForeignKey(
        Stage,
        verbose_name=_("stage"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: left the journey as lost."),
    )
    since = models.DateTimeField(_("since"))
    started_at = models.DateTimeField(_("journey started"))
    # The account's funnel, kept with every move (journeys.services.funnel_facts) so the funnel over a million
    # accounts is one pass over these rows. Bit r-1 stands for the journey's r-th stage in order.
    entered = models.PositiveIntegerField(_("stages entered"), default=0, editable=False)
    went_on = models.PositiveIntegerField(_("stages left for a later one"), default=0, editable=False)
    in_order = models.PositiveSmallIntegerField(_("stages entered in order"), default=0, editable=False)

    objects = AccountJourneyQuerySet.as_manager()

    class Meta:
        verbose_name = _("account's journey")
        verbose_name_plural = _("accounts' journeys")
        indexes = [
            models.Index(fields=["journey", "started_at"], name="account_journey_started_idx"),
            models.Index(fields=["stage", "since"], name="account_journey_stage_idx"),
        ]

    def __str__(self):
        return f"{self.account_id}: {self.stage_id}"


class AccountFirsts(models.Model):
    """An account's first contact, proposal, order and delivery: on PostgreSQL kept by triggers with the rows they
    come from (journeys.firsts), so the cycle times over a million accounts are one pass; empty on SQLite, where
    the cycle times read the rows. The account is a plain id: the triggers drop the row when the account's last
    interaction, link and order are gone, as its deletion does."""

    account_id = models.BigIntegerField(primary_key=True)
    contact_at = models.DateTimeField(null=True)
    proposal_at = models.DateTimeField(null=True)
    deal_at = models.DateTimeField(null=True)
    delivery_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("account's firsts")
        verbose_name_plural = _("accounts' firsts")

    def __str__(self):
        return str(self.account_id)


class FunnelCount(models.Model):
    """How many accounts of a journey have a combination of funnel facts (AccountJourney.entered, .went_on,
    .in_order): on PostgreSQL appended by a trigger with every write to the accounts' journeys (journeys.counts), a
    count being the sum of its rows, so the funnel over every account is a sum over a few dozen rows; empty on
    SQLite. Plain ids: the rows come and go with the journeys they count."""

    journey_id = models.BigIntegerField()
    entered = models.PositiveIntegerField()
    went_on = models.PositiveIntegerField()
    in_order = models.PositiveSmallIntegerField()
    n = models.BigIntegerField()

    class Meta:
        verbose_name = _("funnel count")
        verbose_name_plural = _("funnel counts")

    def __str__(self):
        return f"{self.journey_id}/{self.entered}/{self.went_on}/{self.in_order}: {self.n}"


class StayCount(models.Model):
    """How many completed stays in a stage fall in a bucket of lengths (an hour below a week, a day from then on):
    on PostgreSQL appended by a trigger with every write to the transitions (journeys.counts), a count being the sum
    of its rows, so the whole journey's percentiles of time in stage are found without counting a stage's every
    stay; empty on SQLite. Plain ids: the rows come and go with the transitions they count."""

    journey_id = models.BigIntegerField()
    stage_id = models.BigIntegerField()
    bucket = models.IntegerField()
    n = models.BigIntegerField()

    class Meta:
        verbose_name = _("stays' count")
        verbose_name_plural = _("stays' counts")

    def __str__(self):
        return f"{self.stage_id}/{self.bucket}: {self.n}"
