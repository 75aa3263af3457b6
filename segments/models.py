from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.access import account_access_q
from crm.models import Account, BehaviourType, Contact, Language, Level, TimeStampedModel, Zone
from crm.models import Axis as PersonAxis
from segments.filters import segment_filter_errors


class ZoneChangeQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="account__"))


class ZoneChange(models.Model):
    """Append-only: an account moved from one zone to another, with the reading behind it."""

    class Trigger(models.TextChoices):
        RESPONSE = "response", _("A survey answer")
        RECLASSIFICATION = "reclassification", _("Reclassification")

    # Not indexed alone: the (account, -created_at) index below serves every lookup by account.
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
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

    # Not indexed alone: the (account, -created_at) index below serves every lookup by account.
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
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
    lifetime_years_average = models.DecimalField(
        _("average client lifetime, years"),
        max_digits=8,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("From the first order to today for current clients, to the last order for lapsed ones (CLV)."),
    )

    class Meta:
        verbose_name = _("company average")
        verbose_name_plural = _("company averages")
        ordering = ["-computed_at", "-id"]
        get_latest_by = "computed_at"

    def __str__(self):
        return f"{self.computed_at:%Y-%m-%d}: {self.purchases_average} / {self.categories_average}"


class LexiconEntry(models.Model):
    """A word or phrase that hints at one side of one behaviour axis (DOMAIN §5): editable data."""

    class Axis(models.TextChoices):
        EMOTIONAL = "emotional", _("emotional")
        CONFIDENT = "confident", _("confident")

    class Leans(models.TextChoices):
        YES = "yes", _("yes")
        NO = "no", _("no")

    language = models.CharField(_("language"), max_length=2, choices=Language)
    axis = models.CharField(_("axis"), max_length=16, choices=Axis)
    leans = models.CharField(
        _("suggests"), max_length=3, choices=Leans, help_text=_("Which side of the axis the phrase points to.")
    )
    phrase = models.CharField(
        _("word or phrase"),
        max_length=200,
        help_text=_("Any word form: “гарантия” also finds “гарантии” and “гарантией”."),
    )
    stems = models.CharField(_("matched as"), max_length=400, editable=False)
    weight = models.PositiveSmallIntegerField(
        _("weight"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (a faint hint) to 5 (a clear sign)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lexicon entry")
        verbose_name_plural = _("behaviour lexicon")
        ordering = ["language", "axis", "leans", "phrase"]
        constraints = [
            models.UniqueConstraint(fields=["language", "axis", "stems"], name="lexicon_entry_unique"),
            models.CheckConstraint(condition=~models.Q(stems=""), name="lexicon_entry_not_empty"),
            models.CheckConstraint(condition=models.Q(weight__range=(1, 5)), name="lexicon_entry_weight_range"),
        ]

    def __str__(self):
        return self.phrase

    def clean(self):
        from segments.lexicon import phrase_stems

        self.phrase = " ".join(self.phrase.split())
        self.stems = phrase_stems(self.phrase)
        if not self.stems:
            raise ValidationError({"phrase": _("Give a word or a phrase: this one has no letters or digits.")})
        same = LexiconEntry.objects.filter(language=self.language, axis=self.axis, stems=self.stems).exclude(pk=self.pk)
        if twin := same.first():
            raise ValidationError(
                {
                    "phrase": _(
                        "“%(phrase)s” matches the same words as the entry “%(other)s” (suggests %(leans)s): "
                        "edit that one instead."
                    )
                    % {"phrase": self.phrase, "other": twin.phrase, "leans": twin.get_leans_display()}
                }
            )


class ReadableJSONEncoder(DjangoJSONEncoder):
    """Keeps Russian as it is instead of \\u escapes: readable in the database, and a third of the bytes, which
    the batch run of suggestions sends by the million (each escape is also escaped again when quoted)."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class BehaviourSuggestionQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="contact__account__"))


class BehaviourSuggestion(models.Model):
    """What the lexicons suggest about one person, with the evidence: never the manager's own choice."""

    contact = models.OneToOneField(
        Contact,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="behaviour_suggestion",
    )
    emotional = models.CharField(_("emotional"), max_length=8, choices=PersonAxis)
    confident = models.CharField(_("confident"), max_length=8, choices=PersonAxis)
    emotional_confidence = models.PositiveSmallIntegerField(_("confidence, emotional, %"))
    confident_confidence = models.PositiveSmallIntegerField(_("confidence, confident, %"))
    evidence = models.JSONField(_("evidence"), default=list, encoder=ReadableJSONEncoder)
    texts = models.PositiveIntegerField(_("texts read"))
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    objects = BehaviourSuggestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("behaviour suggestion")
        verbose_name_plural = _("behaviour suggestions")

    def __str__(self):
        return f"{self.contact_id}: {self.emotional}/{self.confident}"

    @property
    def behaviour_type(self):
        return BehaviourType.from_axes(self.emotional, self.confident)

    @property
    def behaviour_type_label(self) -> str:
        return BehaviourType(self.behaviour_type).label if self.behaviour_type else ""

    @property
    def evidence_shown(self) -> list[dict]:
        """The evidence with its axis and side in the reader's language."""
        return [
            {
                **item,
                "axis_label": LexiconEntry.Axis(item["axis"]).label,
                "leans_label": LexiconEntry.Leans(item["leans"]).label,
            }
            for item in self.evidence
        ]

    @property
    def confidence(self) -> int:
        """Of the type as a whole: it is only as sure as its less certain axis."""
        return min(self.emotional_confidence, self.confident_confidence)

    @property
    def disagrees(self) -> bool:
        """True when, on either axis, the manager and the suggestion both decided, differently."""
        contact = self.contact
        return any(
            mine != PersonAxis.UNSURE and suggested != PersonAxis.UNSURE and mine != suggested
            for mine, suggested in ((contact.emotional, self.emotional), (contact.confident, self.confident))
        )


class Segment(TimeStampedModel):
    """A saved filter over accounts or their people: a live list, an export, an audience for campaigns
    and surveys. `filters` holds the raw values of segments.filters' FilterSets, checked on save."""

    class Target(models.TextChoices):
        ACCOUNTS = "accounts", _("Accounts")
        CONTACTS = "contacts", _("People")

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    target = models.CharField(
        _("made of"),
        max_length=16,
        choices=Target,
        default=Target.ACCOUNTS,
        help_text=_("People: the accounts' people who also pass the person filters."),
    )
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        verbose_name = _("saved segment")
        verbose_name_plural = _("saved segments")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        # Not keyed by "filters": the admin form shows the filters as fields of their own, not that one.
        if errors := segment_filter_errors(filters=self.filters, people=self.target == self.Target.CONTACTS):
            raise ValidationError(errors)
