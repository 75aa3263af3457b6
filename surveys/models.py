"""Surveys and their questions, invitations, responses and answers, and the closed feedback loop."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from crm.access import account_access_q
from crm.models import Account, BehaviourType, Contact, Industry, Interaction, TimeStampedModel
from crm.models.base import Language

# The scales each kind of survey may ask its scored question on (DOMAIN §3).
ALLOWED_SCALES = {
    "nps": {(0, 10), (1, 10)},
    "csat": {(1, 5), (1, 7), (1, 10)},
    "ces": {(1, 5), (1, 7), (1, 10)},
    "relationship": {(1, 10)},
    "custom": {(0, 10), (1, 5), (1, 7), (1, 10)},
}


class Metric(models.TextChoices):
    NPS = "nps", _("NPS")
    CSAT = "csat", _("CSAT")
    CES = "ces", _("CES")


PROMOTER_FROM = 9  # an NPS score of 9 or 10 is a promoter's (DOMAIN §3)


class Survey(TimeStampedModel):
    class Kind(models.TextChoices):
        NPS = "nps", _("NPS")
        CSAT = "csat", _("CSAT")
        CES = "ces", _("CES")
        RELATIONSHIP = "relationship", _("Monthly relationship survey")
        CUSTOM = "custom", _("Custom")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("By hand, for a chosen audience")
        INTERACTION = "interaction", _("After an interaction")
        SERVICE_REQUEST_RESOLVED = "service_request_resolved", _("After a service request is resolved")
        ORDER_DELIVERED = "order_delivered", _("After an order is delivered")
        CADENCE = "cadence", _("On a cadence, per account")

    class Audience(models.TextChoices):
        DECISION_MAKERS = "decision_makers", _("All decision makers")
        ROTATE = "rotate", _("One person per round, in rotation")

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    title_ru = models.CharField(_("title in Russian"), max_length=200)
    title_en = models.CharField(_("title in English"), max_length=200)
    intro_ru = models.TextField(_("introduction in Russian"), blank=True)
    intro_en = models.TextField(_("introduction in English"), blank=True)
    is_active = models.BooleanField(
        _("open"), default=True, help_text=_("A closed survey sends no invitations and accepts no answers.")
    )
    trigger = models.CharField(_("asked"), max_length=32, choices=Trigger, default=Trigger.MANUAL)
    trigger_channels = models.JSONField(
        _("after interactions on channels"),
        default=list,
        blank=True,
        help_text=_('For “after an interaction”: the interaction channels, e.g. ["phone", "meeting"].'),
    )
    audience = models.CharField(
        _("who is asked per account"), max_length=16, choices=Audience, default=Audience.DECISION_MAKERS
    )
    cadence_days = models.PositiveIntegerField(
        _("ask the same person again after, days"),
        default=30,
        help_text=_("For a cadence survey this is also how often each account gets a round."),
    )
    delay_hours = models.PositiveIntegerField(
        _("delay after the event, hours"), default=2, help_text=_("How long after the trigger the invitation goes.")
    )
    expires_after_days = models.PositiveIntegerField(_("link valid for, days"), default=14)
    reminders = models.PositiveSmallIntegerField(
        _("reminders"),
        default=1,
        choices=[(0, "0"), (1, "1"), (2, "2")],
        help_text=_("To those who have not answered."),
    )
    reminder_interval_days = models.PositiveIntegerField(_("days between reminders"), default=3)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["slug"]

    def __str__(self):
        return self.title(get_language())

    def title(self, language: str | None) -> str:
        return self.title_ru if (language or "")[:2] == Language.RUSSIAN else self.title_en

    def intro(self, language: str) -> str:
        return self.intro_ru if language == Language.RUSSIAN else self.intro_en

    def clean(self):
        if self.trigger == self.Trigger.INTERACTION:
            unknown = set(self.trigger_channels or []) - set(Interaction.Channel.values)
            if not self.trigger_channels or unknown:
                raise ValidationError(
                    {
                        "trigger_channels": _("Name one or more of these channels: %(channels)s.")
                        % {"channels": ", ".join(Interaction.Channel.values)}
                    }
                )


class Question(models.Model):
    class Type(models.TextChoices):
        SCALE = "scale", _("Score on a scale")
        TEXT = "text", _("Open text")
        YES_NO = "yes_no", _("Yes / no")

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="questions")
    code = models.SlugField(_("code"), max_length=50, help_text=_("Stable name used by the API and imports."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    type = models.CharField(_("type"), max_length=8, choices=Type)
    metric = models.CharField(
        _("counts in"), max_length=8, choices=Metric, blank=True, help_text=_("The metric a scored answer feeds.")
    )
    scale_min = models.PositiveSmallIntegerField(_("scale from"), null=True, blank=True)
    scale_max = models.PositiveSmallIntegerField(_("scale to"), null=True, blank=True)
    required = models.BooleanField(_("required"), default=False)
    text_ru = models.CharField(_("question in Russian"), max_length=500)
    text_en = models.CharField(_("question in English"), max_length=500)
    low_label_ru = models.CharField(_("low end label in Russian"), max_length=100, blank=True)
    low_label_en = models.CharField(_("low end label in English"), max_length=100, blank=True)
    high_label_ru = models.CharField(_("high end label in Russian"), max_length=100, blank=True)
    high_label_en = models.CharField(_("high end label in English"), max_length=100, blank=True)
    asked_of_behaviour_type = models.PositiveSmallIntegerField(
        _("asked only of behaviour type"),
        choices=BehaviourType,
        null=True,
        blank=True,
        help_text=_("Empty: asked of everyone."),
    )
    routes_to_head = models.BooleanField(
        _("answers go to the manager's head"),
        default=False,
        db_default=False,
        help_text=_("A written answer becomes a task for the head of the account's manager, with the answer."),
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["survey", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="question_code_unique_per_survey"),
            models.CheckConstraint(
                condition=Q(type="scale", scale_min__isnull=False, scale_max__gt=models.F("scale_min"))
                | (~Q(type="scale") & Q(scale_min__isnull=True, scale_max__isnull=True)),
                name="question_scale_only_for_scores",
            ),
        ]

    def __str__(self):
        return self.code

    def clean(self):
        if self.type != self.Type.SCALE:
            if self.scale_min is not None or self.scale_max is not None or self.metric:
                raise ValidationError(_("Only a scored question has a scale and counts in a metric."))
            return
        scale = (self.scale_min, self.scale_max)
        allowed = ALLOWED_SCALES[self.survey.kind if self.survey_id else Survey.Kind.CUSTOM]
        if self.metric:
            allowed = allowed & ALLOWED_SCALES[self.metric]
        if scale not in allowed:
            raise ValidationError(
                {
                    "scale_max": _("This survey's scores go on one of these scales: %(scales)s.")
                    % {"scales": ", ".join(f"{low}..{high}" for low, high in sorted(allowed))}
                }
            )

    def text(self, language: str) -> str:
        return self.text_ru if language == Language.RUSSIAN else self.text_en

    def labels(self, language: str) -> tuple[str, str]:
        if language == Language.RUSSIAN:
            return self.low_label_ru, self.high_label_ru
        return self.low_label_en, self.high_label_en

    @property
    def scores(self) -> range:
        return range(self.scale_min, self.scale_max + 1)


class InvitationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="account__"))


class Invitation(models.Model):
    """One survey put to one person for one round. The link's token is kept only as a hash."""

    # No single-column indexes on survey, contact and token_hash: the composite and unique indexes in Meta
    # cover their lookups, and a monthly round inserts 100,000 rows into every index the table has.
    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="invitations", db_index=False
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("person"), on_delete=models.CASCADE, related_name="invitations", db_index=False
    )
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+")
    round = models.CharField(
        _("round"), max_length=64, help_text=_("What the invitation is about: a month, a request, an order.")
    )
    token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("invited at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("first opened"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders planned"), default=0)
    dropped_reason = models.CharField(
        _("not sent because"),
        max_length=255,
        blank=True,
        help_text=_("Throttled or opted out: kept so the same round is never tried again."),
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "contact", "round"], name="invitation_unique_per_round"),
            models.UniqueConstraint(fields=["token_hash"], name="invitation_token_hash_unique"),
        ]
        indexes = [models.Index(fields=["contact", "-created_at"], name="invitation_contact_idx")]

    def __str__(self):
        return f"{self.survey.slug} · {self.round}"

    @property
    def expired(self) -> bool:
        return timezone.now() >= self.expires_at


class ResponseQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="account__"))


class Response(models.Model):
    class Source(models.TextChoices):
        PAGE = "page", _("Survey page")
        API = "api", _("API")
        IMPORT = "import", _("Import")

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.PROTECT, related_name="responses")
    contact = models.ForeignKey(Contact, verbose_name=_("person"), on_delete=models.CASCADE, related_name="responses")
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(
        Invitation, verbose_name=_("invitation"), on_delete=models.SET_NULL, null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=8, choices=Source)
    external_id = models.CharField(_("external id"), max_length=128, null=True, blank=True)
    submitted_at = models.DateTimeField(_("answered at"), default=timezone.now)
    completed = models.BooleanField(
        _("completed"), default=False, help_text=_("Unticked: the person saved some answers and has not sent them.")
    )

    objects = ResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "external_id"], name="response_external_id_unique"),
        ]
        indexes = [models.Index(fields=["account", "-submitted_at"], name="response_account_idx")]

    def __str__(self):
        return f"{self.survey.slug} · {self.contact}"


class Answer(models.Model):
    """One answer. The survey, metric, time, account, manager and industry are copied here when it is
    recorded, so metrics over millions of answers read one table (the manager and industry as they
    were when the client answered)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.PROTECT, related_name="+")
    score = models.SmallIntegerField(_("score"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)
    yes = models.BooleanField(_("yes"), null=True, blank=True)
    skipped = models.BooleanField(_("skipped"), default=False)
    # Copies for metrics.
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="+", db_index=False)
    metric = models.CharField(max_length=8, choices=Metric, blank=True)
    scale_max = models.PositiveSmallIntegerField(null=True, blank=True)
    submitted_at = models.DateTimeField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False
    )
    industry = models.ForeignKey(Industry, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_unique_per_question"),
        ]
        indexes = [
            models.Index(
                fields=["metric", "submitted_at"],
                include=["score", "scale_max", "survey"],
                condition=Q(score__isnull=False),
                name="answer_metric_idx",
            ),
            models.Index(
                fields=["metric", "manager", "submitted_at"],
                include=["score", "scale_max", "survey"],
                condition=Q(score__isnull=False),
                name="answer_metric_manager_idx",
            ),
            models.Index(
                fields=["metric", "industry", "submitted_at"],
                include=["score", "scale_max", "survey"],
                condition=Q(score__isnull=False),
                name="answer_metric_industry_idx",
            ),
            # With the manager and the industry, a user who sees some accounts has the dashboard's counts of their
            # answers from this index alone, without reading the answers themselves (issue 22).
            models.Index(
                fields=["account", "metric", "submitted_at"],
                include=["score", "scale_max", "survey", "manager", "industry"],
                name="answer_account_idx",
            ),
        ]

    def __str__(self):
        return str(self.question)


class AnswerMonth(models.Model):
    """Scored answers counted per local month, metric, survey, manager, industry and score (0 where there is none):
    kept by triggers on PostgreSQL in the transaction that writes the answers, read by the surveys dashboard of a
    user who sees every account (surveys/answer_months.py). Empty on SQLite."""

    month = models.DateField()
    metric = models.CharField(max_length=8)
    survey_id = models.BigIntegerField()
    manager_id = models.BigIntegerField()
    industry_id = models.BigIntegerField()
    scale_max = models.SmallIntegerField()
    score = models.SmallIntegerField()
    n = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "metric", "survey_id", "manager_id", "industry_id", "scale_max", "score"],
                name="answer_month_key",
            )
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.metric} {self.score}/{self.scale_max}: {self.n}"


class FeedbackRule(models.Model):
    """Turns an answer into a case for a person to own. Shipped by a migration, editable by heads."""

    class Reason(models.TextChoices):
        NPS_DETRACTOR = "nps_detractor", _("NPS detractor")
        LOW_CSAT = "low_csat", _("Low CSAT")
        RED_RELATIONSHIP = "red_relationship", _("Red relationship average")
        TALK_TO_OWNER = "talk_to_owner", _("Wants to talk to the head of the company")

    class Owner(models.TextChoices):
        MANAGER = "manager", _("The account manager")
        COMPANY_HEAD = "company_head", _("The head of the company")

    reason = models.CharField(_("reason"), max_length=32, choices=Reason, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    threshold = models.DecimalField(
        _("threshold"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_(
            "NPS and CSAT: the highest score that opens a case. The relationship average uses the red zone "
            "threshold setting."
        ),
    )
    owner = models.CharField(_("owner"), max_length=16, choices=Owner, default=Owner.MANAGER)
    urgent = models.BooleanField(_("urgent"), default=False)
    due_hours = models.PositiveIntegerField(_("first human contact within, hours"), default=48)

    class Meta:
        verbose_name = _("feedback rule")
        verbose_name_plural = _("feedback rules")
        ordering = ["reason"]

    def __str__(self):
        return self.get_reason_display()


class CaseQuerySet(models.QuerySet):
    def for_user(self, user):
        """The cases on accounts the user sees, and the ones they own (a head of the company owns
        every "talk to the owner" case)."""
        return self.filter(account_access_q(user, prefix="account__") | Q(owner_id=user.pk or 0))

    def open(self):
        return self.filter(status=Case.Status.OPEN)


class Case(TimeStampedModel):
    """A low score or a request that a person owns until the client has been contacted and helped."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="cases")
    contact = models.ForeignKey(
        Contact, verbose_name=_("person"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    response = models.ForeignKey(
        Response, verbose_name=_("response"), on_delete=models.SET_NULL, null=True, blank=True, related_name="cases"
    )
    reason = models.CharField(_("reason"), max_length=32, choices=FeedbackRule.Reason)
    summary = models.CharField(_("summary"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
    )
    urgent = models.BooleanField(_("urgent"), default=False)
    due_at = models.DateTimeField(_("first human contact due"))
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.OPEN)
    first_contact_at = models.DateTimeField(_("first human contact at"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalated to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    resolution = models.TextField(_("what was done"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["status", "due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "reason"], condition=Q(status="open"), name="case_one_open_per_account_reason"
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="case_due_idx")]

    def __str__(self):
        return self.summary


class FeedbackItemQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="account__"))


class FeedbackItem(TimeStampedModel):
    """A wish, a complaint or a compliment from an open answer, followed until it is done."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DEFERRED = "deferred", _("Deferred to a later quarter")
        REJECTED = "rejected", _("Rejected")

    class Urgency(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="feedback_items"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("raised by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    response = models.ForeignKey(
        Response, verbose_name=_("response"), on_delete=models.CASCADE, related_name="feedback_items"
    )
    question_code = models.SlugField(_("question"), max_length=50)
    text = models.TextField(_("text"))
    tags = models.CharField(_("tags"), max_length=255, blank=True, help_text=_("Comma-separated."))
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency, default=Urgency.NORMAL)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.NEW)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    client_told_at = models.DateTimeField(_("client told at"), null=True, blank=True)
    done_note = models.TextField(
        _("what we did"), blank=True, help_text=_("Told to the client in the “you asked, we did” message.")
    )

    objects = FeedbackItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question_code"], name="feedback_item_unique_per_answer"),
        ]

    def __str__(self):
        return self.text[:80]
