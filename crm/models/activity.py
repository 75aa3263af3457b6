import hashlib
import hmac

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.access import account_access_q
from crm.http import http_url_or_blank
from crm.models.accounts import Account, BehaviourType, Contact
from crm.models.base import TimeStampedModel, same_account_check
from crm.models.users import Department


class InteractionQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="account__"))


class Interaction(TimeStampedModel):
    """One contact with a client: a call, an email, a meeting... The client's timeline is made of these."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        MEETING = "meeting", _("Meeting")
        VIDEO = "video", _("Video call")
        VIDEO_MESSAGE = "video_message", _("Video message")
        MESSENGER = "messenger", _("Messenger / chat")
        SOCIAL = "social", _("Social media")
        VISIT = "visit", _("Visit")
        PORTAL = "portal", _("Portal")
        NOTE = "note", _("Note")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="interactions"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our side"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel)
    direction = models.CharField(_("direction"), max_length=16, choices=Direction)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    duration_seconds = models.PositiveIntegerField(_("duration, seconds"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    notes = models.TextField(_("notes"), max_length=10_000, blank=True)
    outcome = models.CharField(_("outcome"), max_length=255, blank=True)
    recording_url = models.URLField(_("recording link"), max_length=500, blank=True)
    wow = models.BooleanField(
        _("wow moment"),
        default=False,
        db_default=False,
        help_text=_(
            "A small surprise beyond what we owed: an early delivery, a useful article, help beyond the contract."
        ),
    )
    source = models.CharField(
        _("source"), max_length=32, blank=True, help_text=_("The system it came from: an import, a telephony provider.")
    )
    external_id = models.CharField(_("external id"), max_length=128, blank=True)
    touchpoint = models.ForeignKey(
        "journeys.Touchpoint",
        verbose_name=_("touchpoint"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The point of the client's journey this contact was: it can move the account to that stage."),
    )

    objects = InteractionQuerySet.as_manager()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-occurred_at", "-id"], name="interaction_timeline_idx"),
            # Few rows (only the wow moments): each manager's count on My day, each account's on its card.
            models.Index(fields=["user", "occurred_at"], condition=Q(wow=True), name="interaction_wow_idx"),
            models.Index(fields=["account", "occurred_at"], condition=Q(wow=True), name="interaction_wow_account_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="interaction_unique_external_id_per_source",
            ),
        ]

    def __str__(self):
        return self.subject or f"{self.get_channel_display()} · {self.occurred_at:%Y-%m-%d %H:%M}"

    def clean(self):
        same_account_check(self, "contact")

    @property
    def recording_link(self) -> str:
        """The recording's link, if it is one a browser may follow (rows stored before links were checked)."""
        return http_url_or_blank(self.recording_url)


class CommitmentQuerySet(models.QuerySet):
    def for_user(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_all_accounts:
            return self.all()
        # Promises between departments have no account: their owner and both departments see them.
        departments = [*user.headed_department_ids, *([user.department_id] if user.department_id else [])]
        return self.filter(
            (Q(account__isnull=False) & account_access_q(user, prefix="account__"))
            | Q(owner=user)
            | Q(account__isnull=True, department_id__in=departments)
            | Q(account__isnull=True, receiving_department_id__in=departments)
        )

    def open(self):
        return self.filter(status=Commitment.Status.OPEN)

    def overdue(self, *, now=None):
        return self.open().filter(due_at__lt=now or timezone.now())


class Commitment(TimeStampedModel):
    """A promise: what we said we would do, for whom, by when, and whether we did."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply")
        DELIVERY = "delivery", _("Delivery")
        CALL_BACK = "call_back", _("Call back")
        DOCUMENT = "document", _("Document")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        KEPT = "kept", _("Kept")
        BROKEN = "broken", _("Broken")
        CANCELLED = "cancelled", _("Cancelled")

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        help_text=_("Leave empty for a promise between departments."),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="commitments",
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("to whom"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commitments",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    description = models.CharField(_("what was promised"), max_length=500)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.OTHER)
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.OPEN)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    source_interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("from interaction"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source_order = models.ForeignKey(
        "crm.Order", verbose_name=_("from order"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_service_request = models.ForeignKey(
        "crm.ServiceRequest",
        verbose_name=_("from service request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Between departments (DOMAIN §9): `department` serves, the receiving department is the internal customer.
    receiving_department = models.ForeignKey(
        Department,
        verbose_name=_("internal customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    internal_service = models.ForeignKey(
        "crm.InternalService",
        verbose_name=_("internal service"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
    )
    internal_rating = models.PositiveSmallIntegerField(
        _("internal customer's rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("How satisfied the receiving department is with what it got, 1..5."),
    )
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("promise")
        verbose_name_plural = _("promises")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["account", "status", "due_at"], name="commitment_account_idx"),
            models.Index(fields=["status", "due_at"], name="commitment_due_idx"),
            models.Index(fields=["owner", "status", "due_at"], name="commitment_owner_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | Q(department__isnull=False),
                name="commitment_has_owner_or_department",
            ),
            models.CheckConstraint(
                condition=~Q(status="kept") | Q(fulfilled_at__isnull=False), name="commitment_kept_has_fulfilled_at"
            ),
            models.CheckConstraint(
                condition=Q(receiving_department__isnull=True) | Q(account__isnull=True, department__isnull=False),
                name="commitment_internal_between_departments",
            ),
            models.CheckConstraint(
                condition=Q(internal_rating__isnull=True) | Q(internal_rating__range=(1, 5), status="kept"),
                name="commitment_internal_rating_after_delivery",
            ),
        ]

    def __str__(self):
        return self.description

    def clean(self):
        same_account_check(self, "contact", "source_interaction", "source_order", "source_service_request")

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_at < timezone.now()

    @property
    def kept_on_time(self) -> bool | None:
        if self.status != self.Status.KEPT:
            return None
        return self.fulfilled_at <= self.due_at


class TaskQuerySet(models.QuerySet):
    def for_user(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_all_accounts:
            return self.all()
        return self.filter((Q(account__isnull=False) & account_access_q(user, prefix="account__")) | Q(assignee=user))

    def open(self):
        return self.filter(status=Task.Status.OPEN)


class Task(TimeStampedModel):
    class Kind(models.TextChoices):
        CALL_BACK = "call_back", _("Call back")
        FOLLOW_UP = "follow_up", _("Follow up")
        MEETING = "meeting", _("Meeting")
        DOCUMENT = "document", _("Prepare a document")
        OTHER = "other", _("Other")

    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), max_length=10_000, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.FOLLOW_UP)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority, default=Priority.NORMAL)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.OPEN)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by_rule = models.CharField(
        _("created by rule"), max_length=64, blank=True, help_text=_("Set when the system created the task.")
    )
    commitment = models.ForeignKey(
        Commitment, verbose_name=_("promise"), on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    # A system rule creates at most one task per key, so a retried job cannot create two.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)

    objects = TaskQuerySet.as_manager()

    @property
    def video_link(self) -> str:
        """For a type 4 client (emotional, unconfident; DOMAIN §5) a call-back or a meeting is offered as a video
        call: the room of this task (CRM_VIDEO_ROOM_URL). Read with the task's account loaded."""
        pattern = settings.CRM_VIDEO_ROOM_URL
        if not (pattern and self.pk and self.account_id) or self.kind not in (Task.Kind.CALL_BACK, Task.Kind.MEETING):
            return ""
        if self.account.behaviour_type != BehaviourType.EMOTIONAL_UNCONFIDENT:
            return ""
        room = hmac.new(settings.SECRET_KEY.encode(), f"task-video-room:{self.pk}".encode(), hashlib.sha256)
        return pattern.format(room=f"crm-{room.hexdigest()[:20]}")

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at", "-priority", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_assignee_idx"),
            models.Index(fields=["account", "status"], name="task_account_idx"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        same_account_check(self, "commitment")


class ServiceRequestQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="account__"))

    def unresolved(self):
        return self.exclude(status__in=[ServiceRequest.Status.RESOLVED, ServiceRequest.Status.CLOSED])


class ServiceRequest(TimeStampedModel):
    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        WEB_FORM = "web_form", _("Web form")
        SOCIAL = "social", _("Social media")
        PHONE = "phone", _("Phone")
        CHAT = "chat", _("Live chat / messenger")
        MONITORING = "monitoring", _("Equipment monitoring")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING = "waiting", _("Waiting for the client")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="service_requests"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel)
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), max_length=10_000, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_requests",
    )
    first_response_due_at = models.DateTimeField(_("first response due at"), editable=False)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_at_first_contact = models.BooleanField(_("resolved at first contact"), default=False)
    # Opened by equipment monitoring (crm/monitoring): the unit, the sender's problem code, and how many signals
    # of that problem arrived while it was open.
    equipment = models.ForeignKey(
        "Equipment",
        verbose_name=_("equipment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_requests",
    )
    problem_code = models.CharField(_("problem code"), max_length=64, blank=True)
    signal_count = models.PositiveIntegerField(_("signals"), default=0, editable=False)

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "status"], name="service_request_account_idx"),
            models.Index(fields=["status", "first_response_due_at"], name="service_request_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("created_at")),
                name="service_request_resolved_after_created",
            ),
            # One open request per unit and problem, however many workers act on its signals at once.
            models.UniqueConstraint(
                fields=["equipment", "problem_code"],
                condition=Q(channel="monitoring", equipment__isnull=False) & ~Q(status__in=["resolved", "closed"]),
                name="service_request_one_open_problem",
            ),
        ]

    def __str__(self):
        return self.subject

    def clean(self):
        same_account_check(self, "contact")

    @property
    def is_first_response_overdue(self) -> bool:
        return self.first_response_at is None and self.first_response_due_at < timezone.now()


class ResponseTarget(models.Model):
    """How fast the first response to a service request must come, per channel (editable data)."""

    channel = models.CharField(_("channel"), max_length=16, unique=True, choices=ServiceRequest.Channel)
    first_response_minutes = models.PositiveIntegerField(_("first response within, minutes"))
    resolution_hours = models.PositiveIntegerField(
        _("resolved within, hours"), null=True, blank=True, help_text=_("Empty: no resolution target.")
    )

    class Meta:
        verbose_name = _("response target")
        verbose_name_plural = _("response targets")
        ordering = ["first_response_minutes"]

    def __str__(self):
        return f"{self.channel}: {self.first_response_minutes}"


class EquipmentQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="account__"))


class Equipment(TimeStampedModel):
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="equipment")
    model_name = models.CharField(_("model"), max_length=200)
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    installed_at = models.DateField(_("installed on"), null=True, blank=True)
    maintenance_interval_days = models.PositiveIntegerField(_("maintenance every, days"), null=True, blank=True)
    last_maintenance_at = models.DateField(_("last maintenance"), null=True, blank=True)
    next_maintenance_at = models.DateField(_("next maintenance"), null=True, blank=True, db_index=True)
    responsible_contact = models.ForeignKey(
        Contact,
        verbose_name=_("responsible person"),
        help_text=_("Gets the maintenance reminders. Empty: the account's decision maker."),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    last_signal = models.ForeignKey(
        "crm.EquipmentSignal",
        verbose_name=_("last signal"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = EquipmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        ordering = ["model_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["model_name", "serial_number"],
                condition=~Q(serial_number=""),
                name="equipment_unique_serial_per_model",
            ),
        ]
        indexes = [models.Index(fields=["serial_number"], name="equipment_serial_idx")]

    def __str__(self):
        return f"{self.model_name} {self.serial_number}".strip()

    def clean(self):
        same_account_check(self, "responsible_contact")
