"""The closed loop: answers become cases and feedback items that a person owns until the client is told."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, override

from crm.models import Interaction, MessageKind, Task, User
from crm.outreach.hooks import KindHooks, kind_hooks_register
from crm.outreach.services import MessagePlan, messages_plan
from crm.services.activity import rule_tasks_open, task_title
from surveys.models import Answer, Case, FeedbackItem, FeedbackRule, Question, Response, Survey

CASE_RULE = "feedback_case"
HISTORY_DAYS = 30
Reason = FeedbackRule.Reason
# Open answers that carry a wish or a compliment rather than a reason for a score.
_LIKES = {"like_three"}


def company_head() -> User | None:
    users = User.objects.filter(is_active=True)
    if settings.CRM_COMPANY_HEAD_USERNAME:
        return users.filter(username=settings.CRM_COMPANY_HEAD_USERNAME).first()
    return users.filter(is_superuser=True).order_by("id").first()


def _admin_url(path: str) -> str:
    return settings.CRM_PUBLIC_BASE_URL.rstrip("/") + path


def _triggered(response: Response, answers: list[Answer], rules: dict[str, FeedbackRule]) -> dict[str, str]:
    """reason -> a one-line summary, for each active rule this response meets."""
    found = {}
    for answer in answers:
        if answer.skipped:
            continue
        rule = rules.get(Reason.NPS_DETRACTOR)
        if rule and answer.metric == "nps" and answer.score <= (rule.threshold or Decimal(6)):
            found[Reason.NPS_DETRACTOR] = _("Recommendation score %(score)s of %(max)s") % {
                "score": answer.score,
                "max": answer.scale_max,
            }
        rule = rules.get(Reason.LOW_CSAT)
        if rule and answer.metric == "csat" and answer.score <= (rule.threshold or Decimal(2)):
            found[Reason.LOW_CSAT] = _("Satisfaction %(score)s of %(max)s") % {
                "score": answer.score,
                "max": answer.scale_max,
            }
        if Reason.TALK_TO_OWNER in rules and answer.question.code == "talk_to_owner" and answer.yes:
            found[Reason.TALK_TO_OWNER] = _("Asked to talk to the head of the company")
    if Reason.RED_RELATIONSHIP in rules and response.survey.kind == Survey.Kind.RELATIONSHIP:
        scores = [a.score for a in answers if a.score is not None and a.question.type == Question.Type.SCALE]
        if scores and sum(scores) / len(scores) < settings.CRM_ZONE_YELLOW_FROM:
            found[Reason.RED_RELATIONSHIP] = _("Relationship average %(mean)s (red zone)") % {
                "mean": number_format(round(sum(scores) / len(scores), 1), 1)
            }
    return found


def feedback_loop_run(*, response: Response, now: datetime) -> list[Case]:
    """Open the cases this response calls for and turn its open answers into feedback items."""
    answers = list(response.answers.select_related("question"))
    rules = {rule.reason: rule for rule in FeedbackRule.objects.filter(is_active=True)}
    if response.submitted_at < now - timedelta(days=HISTORY_DAYS):
        rules = {}  # an imported answer from long ago is history: it counts, but nobody calls about it now
    manager = response.account.manager
    with override(manager.language if manager else settings.LANGUAGE_CODE):  # the summary is for its owner to read
        triggered = _triggered(response, answers, rules)
    cases = []
    for reason, summary in triggered.items():
        case = case_open(response=response, rule=rules[reason], summary=summary, now=now)
        if case is not None:
            cases.append(case)
    _answers_to_head(response, [a for a in answers if a.question.routes_to_head and a.text])
    urgency = FeedbackItem.Urgency.HIGH if cases else FeedbackItem.Urgency.NORMAL
    FeedbackItem.objects.bulk_create(
        [
            FeedbackItem(
                account_id=response.account_id,
                contact_id=response.contact_id,
                response=response,
                question_code=answer.question.code,
                text=answer.text,
                tags=answer.question.code,
                urgency=FeedbackItem.Urgency.LOW if answer.question.code in _LIKES else urgency,
            )
            for answer in answers
            if answer.question.type == Question.Type.TEXT and answer.text
        ],
        ignore_conflicts=True,
    )
    return cases


def _answers_to_head(response: Response, answers: list[Answer]) -> None:
    """ "Whom should we reward, penalise or train": the answer goes to the head of the account's manager (else the
    head of the manager's department, else the company's head), as a task with the client's words."""
    if not answers:  # most responses: nothing to look up on the way through survey submit
        return
    manager = response.account.manager
    head = (manager and (manager.head or (manager.department and manager.department.head))) or company_head()
    if head is None:
        return
    rule_tasks_open(
        [
            Task(
                assignee=head,
                account_id=response.account_id,
                title=task_title(
                    head,
                    gettext_noop("About our staff, from %(account)s: %(text)s"),
                    account=response.account.name,
                    text=answer.text[:120],
                ),
                description=answer.text,
                kind=Task.Kind.FOLLOW_UP,
                priority=Task.Priority.HIGH,
                due_at=response.submitted_at + timedelta(days=3),
                created_by_rule="staff_feedback",
                idempotency_key=f"staff-feedback:{answer.id}",
            )
            for answer in answers
        ]
    )


def case_open(*, response: Response, rule: FeedbackRule, summary: str, now: datetime) -> Case | None:
    """One open case per account and reason: a second low score adds nothing while the first is open."""
    account = response.account
    owner = company_head() if rule.owner == FeedbackRule.Owner.COMPANY_HEAD else account.manager or company_head()
    contact = response.contact
    case = Case(
        account=account,
        contact=contact,
        response=response,
        reason=rule.reason,
        summary=f"{contact.full_name}: {summary}"[:500],
        owner=owner,
        urgent=rule.urgent,
        due_at=now + timedelta(hours=rule.due_hours),
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        return None
    if owner is not None:
        rule_tasks_open(
            [
                Task(
                    assignee=owner,
                    account=account,
                    title=task_title(
                        owner, gettext_noop("Call back about feedback: %(summary)s"), summary=case.summary
                    ),
                    kind=Task.Kind.CALL_BACK,
                    priority=Task.Priority.URGENT if rule.urgent else Task.Priority.HIGH,
                    due_at=case.due_at,
                    created_by_rule=CASE_RULE,
                    idempotency_key=f"{CASE_RULE}:{case.id}",
                )
            ]
        )
        _case_alert(case, kind=MessageKind.CASE_OPENED, to=owner)
    return case


def _case_alert(case: Case, *, kind: str, to: User) -> None:
    with override(to.language):
        context = {
            "account": {"name": case.account.name},
            "contact": {"name": case.contact.addressed_name if case.contact else ""},
            "case": {
                "summary": case.summary,
                "reason": case.get_reason_display(),
                "due_at": case.due_at,
                "urgent": case.urgent,
                "url": _admin_url(f"/admin/surveys/case/{case.id}/change/"),
            },
        }
    if kind == MessageKind.CASE_OVERDUE:
        context["owner"] = {"name": str(case.owner) if case.owner else ""}
    messages_plan(
        [
            MessagePlan(
                key=f"{kind}:{case.id}:{to.id}",
                kind=kind,
                recipient_user=to,
                account=case.account,
                context=context,
                data={"case_id": case.id},
            )
        ]
    )


def cases_escalate(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Open cases past their due time: a human contact since the case opened closes the clock; otherwise
    the case goes to the owner's head, once."""
    now = now or timezone.now()
    overdue = Case.objects.open().filter(due_at__lt=now, first_contact_at__isnull=True, escalated_at__isnull=True)
    contacted = Interaction.objects.filter(
        account_id=OuterRef("account_id"), user__isnull=False, occurred_at__gte=OuterRef("created_at")
    )
    Case.objects.filter(id__in=overdue.filter(Exists(contacted)).values("id")).update(first_contact_at=now)
    escalated = 0
    for case in overdue.select_related("owner__department__head", "owner__head", "account", "contact")[:batch_size]:
        owner = case.owner
        head = None
        if owner is not None:
            head = owner.head or (owner.department.head if owner.department else None)
        head = head if head is not None and head != owner else company_head()
        if Case.objects.filter(id=case.id, escalated_at__isnull=True).update(escalated_at=now, escalated_to=head):
            escalated += 1
            if head is not None:
                _case_alert(case, kind=MessageKind.CASE_OVERDUE, to=head)
    return escalated


@transaction.atomic
def case_close(*, case: Case, resolution: str, acting_user: User, now: datetime | None = None) -> Case:
    if not resolution.strip():
        raise ValidationError({"resolution": _("Say what was done before closing the case.")})
    now = now or timezone.now()
    case.status = Case.Status.CLOSED
    case.resolution = resolution
    case.closed_at = now
    case.first_contact_at = case.first_contact_at or now
    case.save(update_fields=["status", "resolution", "closed_at", "first_contact_at", "updated_at"])
    Task.objects.filter(idempotency_key=f"{CASE_RULE}:{case.id}", status=Task.Status.OPEN).update(
        status=Task.Status.DONE, completed_at=now
    )
    return case


@transaction.atomic
def feedback_item_update(
    *, item: FeedbackItem, status: str, done_note: str = "", tell_client: bool = False, acting_user: User | None = None
) -> FeedbackItem:
    """Move an item along; marking it done can tell the client, in their language, through the outbox."""
    if status not in FeedbackItem.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    if tell_client and status != FeedbackItem.Status.DONE:
        raise ValidationError({"status": _("Only a done item can be told to the client.")})
    if tell_client and not done_note.strip():
        raise ValidationError({"done_note": _("Write what was done: it is what the client will read.")})
    item.status = status
    item.done_note = done_note or item.done_note
    item.done_at = timezone.now() if status == FeedbackItem.Status.DONE else None
    item.save(update_fields=["status", "done_note", "done_at", "updated_at"])
    if tell_client and item.contact is not None:
        messages_plan(
            [
                MessagePlan(
                    key=f"feedback-done:{item.id}",
                    kind=MessageKind.FEEDBACK_DONE,
                    contact=item.contact,
                    context={
                        "feedback": {"text": item.text, "done_note": item.done_note, "date": item.created_at.date()}
                    },
                    data={"feedback_item_id": item.id},
                )
            ]
        )
    return item


def _client_told(message) -> None:
    FeedbackItem.objects.filter(id=message.data.get("feedback_item_id"), client_told_at__isnull=True).update(
        client_told_at=message.sent_at
    )


def outbox_hooks_register() -> None:
    kind_hooks_register(MessageKind.FEEDBACK_DONE, KindHooks(after_sent=_client_told))
