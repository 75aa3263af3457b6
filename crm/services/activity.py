"""Interactions, promises, tasks and service requests: the day-to-day work with a client."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, override
from django.utils.translation import gettext as _

from crm.events import InteractionLogged, PersonWordsAdded, publish
from crm.models import Commitment, Interaction, ResponseTarget, ServiceRequest, Task

COMMITMENT_OVERDUE_RULE = "commitment_overdue"
INTERNAL_RATING_RULE = "internal_rating"


def task_title(user, message: str, **values) -> str:
    """A task's title in the language of the person it is for (a user, or their language code; not the
    server's), cut to the field's length. `message` is marked with gettext_noop where it is written."""
    language = user if isinstance(user, str) else getattr(user, "language", None)
    with override(language or None):
        return (gettext(message) % values)[:255]


def interaction_log(*, source: str = "", external_id: str = "", **fields) -> tuple[Interaction, bool]:
    """Record an interaction. With an external id, a retried call returns the first record: (it, False)."""
    if external_id:
        existing = Interaction.objects.filter(source=source, external_id=external_id).first()
        if existing is not None:
            return existing, False
    interaction = Interaction(source=source, external_id=external_id, **fields)
    interaction.full_clean(validate_constraints=False)  # its clean() refuses a person of another account
    try:
        with transaction.atomic():
            interaction.save()
    except IntegrityError:
        # Two deliveries of the same event raced: the other one won, return its record.
        existing = Interaction.objects.filter(source=source, external_id=external_id).first()
        if existing is None:
            raise
        return existing, False
    if interaction.contact_id and (interaction.notes or interaction.outcome):
        interaction_text_changed(interaction=interaction)
    publish(
        InteractionLogged(
            account_id=interaction.account_id,
            interaction_id=interaction.id,
            contact_id=interaction.contact_id,
            occurred_at=interaction.occurred_at,
            touchpoint_id=interaction.touchpoint_id,
            source=interaction.source,
        )
    )
    return interaction, True


def interaction_text_changed(*, interaction: Interaction) -> None:
    """New words about a person: what they suggest about the person's behaviour type may change."""
    publish(PersonWordsAdded(contact_id=interaction.contact_id))


@transaction.atomic
def commitment_create(*, description: str, due_at: datetime, created_by=None, **fields) -> Commitment:
    commitment = Commitment(description=description, due_at=due_at, created_by=created_by, **fields)
    if commitment.owner_id is None and commitment.department_id is None:
        commitment.owner = created_by
    commitment.full_clean()
    commitment.save()
    return commitment


@transaction.atomic
def commitment_close(*, commitment: Commitment, status: str, at: datetime | None = None) -> Commitment:
    """Mark a promise kept, broken or cancelled. Closing twice to the same status is a no-op."""
    if status not in (Commitment.Status.KEPT, Commitment.Status.BROKEN, Commitment.Status.CANCELLED):
        raise ValidationError({"status": _("A promise can be closed as kept, broken or cancelled.")})
    if commitment.status == status:
        return commitment
    if commitment.status != Commitment.Status.OPEN:
        raise ValidationError(
            {
                "status": _("This promise is already closed as “%(status)s”.")
                % {"status": commitment.get_status_display()}
            }
        )
    commitment.status = status
    commitment.fulfilled_at = (at or timezone.now()) if status == Commitment.Status.KEPT else None
    commitment.save(update_fields=["status", "fulfilled_at", "updated_at"])
    if status == Commitment.Status.KEPT and commitment.receiving_department_id:
        _internal_rating_ask(commitment)
    return commitment


def _internal_rating_ask(commitment: Commitment) -> None:
    """A delivered request between departments: whoever asked for it (or the receiving head) rates it, 1..5."""
    requester = commitment.created_by
    if requester is None or not (
        requester.department_id == commitment.receiving_department_id
        or commitment.receiving_department_id in requester.headed_department_ids
    ):
        requester = commitment.receiving_department.head
    if requester is None:
        return
    rule_tasks_open(
        [
            Task(
                assignee=requester,
                commitment=commitment,
                title=task_title(
                    requester,
                    gettext_noop("Rate what you received: %(description)s"),
                    description=commitment.description,
                ),
                kind=Task.Kind.FOLLOW_UP,
                priority=Task.Priority.NORMAL,
                due_at=commitment.fulfilled_at + timedelta(days=2),
                created_by_rule=INTERNAL_RATING_RULE,
                idempotency_key=f"{INTERNAL_RATING_RULE}:{commitment.id}",
            )
        ]
    )


def commitments_overdue_remind(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Give each overdue open promise's owner one follow-up task. Safe to run any number of times."""
    now = now or timezone.now()
    overdue = (
        Commitment.objects.overdue(now=now)
        .filter(owner__isnull=False)
        .filter(~Exists(Task.objects.filter(commitment=OuterRef("pk"), created_by_rule=COMMITMENT_OVERDUE_RULE)))
        .order_by("due_at")
        .values("id", "owner_id", "owner__language", "account_id", "description")[:batch_size]
    )
    tasks = [
        Task(
            assignee_id=row["owner_id"],
            account_id=row["account_id"],
            commitment_id=row["id"],
            title=task_title(
                row["owner__language"],
                gettext_noop("Overdue promise: %(description)s"),
                description=row["description"],
            ),
            kind=Task.Kind.FOLLOW_UP,
            priority=Task.Priority.HIGH,
            due_at=now,
            created_by_rule=COMMITMENT_OVERDUE_RULE,
            idempotency_key=f"{COMMITMENT_OVERDUE_RULE}:{row['id']}",
        )
        for row in overdue
    ]
    return rule_tasks_open(tasks)


def rule_tasks_open(tasks: list[Task]) -> int:
    """Save the tasks a system rule opens. A task whose idempotency key exists is skipped: reruns add none."""
    return len(Task.objects.bulk_create(tasks, ignore_conflicts=True))


@transaction.atomic
def task_create(*, title: str, created_by=None, **fields) -> Task:
    task = Task(title=title, created_by=created_by, **fields)
    if task.assignee_id is None:
        task.assignee = created_by
    task.full_clean()
    task.save()
    return task


@transaction.atomic
def task_complete(*, task: Task, at: datetime | None = None) -> Task:
    if task.status == Task.Status.DONE:
        return task
    task.status, task.completed_at = Task.Status.DONE, at or timezone.now()
    task.save(update_fields=["status", "completed_at", "updated_at"])
    return task


def service_request_first_response_due(*, channel: str, created_at: datetime) -> datetime:
    target = ResponseTarget.objects.filter(channel=channel).values_list("first_response_minutes", flat=True).first()
    if target is None:
        raise ValidationError(
            {
                "channel": _("No response target is set for the channel “%(channel)s”: add one under Response targets.")
                % {"channel": channel}
            }
        )
    return created_at + timedelta(minutes=target)


@transaction.atomic
def service_request_create(*, account, channel: str, subject: str, created_at: datetime | None = None, **fields):
    created_at = created_at or timezone.now()
    request = ServiceRequest(
        account=account,
        channel=channel,
        subject=subject,
        created_at=created_at,
        first_response_due_at=service_request_first_response_due(channel=channel, created_at=created_at),
        **fields,
    )
    request.full_clean()  # its clean() refuses a person of another account
    request.save()
    return request


@transaction.atomic
def service_request_respond(*, service_request: ServiceRequest, at: datetime | None = None) -> ServiceRequest:
    if service_request.first_response_at is None:
        service_request.first_response_at = at or timezone.now()
        if service_request.status == ServiceRequest.Status.NEW:
            service_request.status = ServiceRequest.Status.IN_PROGRESS
        service_request.save(update_fields=["first_response_at", "status", "updated_at"])
    return service_request


@transaction.atomic
def service_request_resolve(
    *, service_request: ServiceRequest, at_first_contact: bool = False, at: datetime | None = None
) -> ServiceRequest:
    if service_request.resolved_at is not None:
        return service_request
    at = at or timezone.now()
    service_request.first_response_at = service_request.first_response_at or at
    service_request.resolved_at = at
    service_request.resolved_at_first_contact = at_first_contact
    service_request.status = ServiceRequest.Status.RESOLVED
    service_request.full_clean()
    service_request.save()
    return service_request
