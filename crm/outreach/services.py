"""The outbox: planning messages by idempotency key, claiming them exactly once, sending, retrying."""

import logging
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from crm.models import Account, Contact, ContactConsent, OutboundMessage, User
from crm.models.base import Language
from crm.outreach import rendering
from crm.outreach.channels import PermanentError, TransientError, channel_for
from crm.outreach.hooks import kind_hooks
from crm.outreach.models import MessageChannel, MessageKind, MessageTemplate
from crm.outreach.rules import CONSENT_CHANNEL, outbox_rules_check
from crm.outreach.telegram_links import telegram_deep_link
from crm.outreach.unsubscribe import unsubscribe_url
from crm.services.accounts import contact_consent_set

logger = logging.getLogger(__name__)

Purpose = ContactConsent.Purpose
KIND_PURPOSE = {
    MessageKind.BIRTHDAY: Purpose.GREETINGS,
    MessageKind.HOLIDAY: Purpose.GREETINGS,
    MessageKind.THANKS: Purpose.GREETINGS,
    MessageKind.CAMPAIGN: Purpose.MARKETING,
    MessageKind.SURVEY_INVITATION: Purpose.SURVEYS,
    MessageKind.SURVEY_REMINDER: Purpose.SURVEYS,
}


@dataclass
class MessagePlan:
    """One message to plan: to a client's person (`contact`) or to one of ours (`recipient_user`)."""

    key: str
    kind: str
    contact: Contact | None = None
    recipient_user: User | None = None
    account: Account | None = None  # for a message to one of ours: the client it is about
    context: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    subject: str = ""  # with `body`: the words, for messages whose text is not a kind's template
    body: str = ""
    send_after: datetime | None = None


def contact_channel_pick(contact: Contact) -> str:
    """The person's preferred channel when we can reach them on it, email otherwise."""
    if contact.preferred_channel == Contact.Channel.MESSENGER and contact.telegram_chat_id:
        return MessageChannel.TELEGRAM
    if contact.preferred_channel == Contact.Channel.SMS and settings.CRM_OUTREACH_WEBHOOK_URL:
        return MessageChannel.WEBHOOK
    return MessageChannel.EMAIL


def _person(contact: Contact) -> dict:
    return {
        "name": contact.addressed_name,
        "first_name": contact.first_name,
        "patronymic": contact.patronymic,
        "last_name": contact.last_name,
        "full_name": contact.full_name,
    }


def _manager(user: User | None) -> dict:
    if user is None:
        return {"name": "", "signature": "", "email": settings.DEFAULT_FROM_EMAIL, "phone_extension": ""}
    return {
        "name": user.get_full_name() or user.username,
        "signature": user.signature_text,
        "email": user.email,
        "phone_extension": user.phone_extension,
    }


class TemplateIndex:
    """Every template, loaded once per planning run: the behaviour type's, else the general one, else English."""

    def __init__(self):
        self.by_key = {(t.kind, t.language, t.behaviour_type): t for t in MessageTemplate.objects.all()}

    def pick(self, kind: str, language: str, behaviour_type: int | None) -> MessageTemplate | None:
        for key in ((kind, language, behaviour_type), (kind, language, None), (kind, Language.ENGLISH, None)):
            if key in self.by_key:
                return self.by_key[key]
        return None


def _recipient_language(plan: MessagePlan) -> str:
    return (plan.contact or plan.recipient_user).language


def _message_build(plan: MessagePlan, templates: TemplateIndex, footer: str) -> OutboundMessage:
    """Build the outbox row, rendered in the language active now (the recipient's: see messages_plan)."""
    if plan.contact is not None:
        contact = plan.contact
        account = contact.account
        language, channel = contact.language, contact_channel_pick(contact)
        purpose = KIND_PURPOSE.get(plan.kind, Purpose.SERVICE)
        unsubscribe = unsubscribe_url(contact_id=contact.id, purpose=purpose, channel=channel)
        context = {
            "contact": _person(contact),
            "account": {"name": account.name},
            "manager": _manager(account.manager),
            "unsubscribe_url": unsubscribe,
            **plan.context,
        }
    else:
        user = plan.recipient_user
        account = plan.account
        language, channel, purpose, unsubscribe = user.language, MessageChannel.EMAIL, Purpose.SERVICE, ""
        context = {"user": {"name": user.get_full_name() or user.username}, **plan.context}
    # Ids rather than objects: the relation setters cost more than the rest of the row, 100,000 times.
    message = OutboundMessage(
        idempotency_key=plan.key,
        kind=plan.kind,
        purpose=purpose,
        channel=channel,
        account_id=account.id if account else None,
        contact_id=plan.contact.id if plan.contact else None,
        recipient_user_id=plan.recipient_user.id if plan.recipient_user else None,
        language=language,
        data=plan.data,
        send_after=plan.send_after or timezone.now(),
    )
    template = None
    if plan.subject:
        subject, body = plan.subject, plan.body
    else:
        template = templates.pick(plan.kind, language, account.behaviour_type if account else None)
        subject = template.subject if template else ""
        body = template.body if template else ""
    if not subject:
        message.subject = MessageKind(plan.kind).label
        message.status = OutboundMessage.Status.SUPPRESSED
        message.status_reason = _("There is no template for this kind of message: add one under Message templates.")
        return message
    message.template_id = template.id if template else None
    message.subject, message.body = rendering.render(subject=subject, body=body, context=context)
    if unsubscribe:
        message.body += footer % {"url": unsubscribe}
        if (
            channel == MessageChannel.EMAIL
            and not plan.contact.telegram_chat_id
            and (telegram := telegram_deep_link(plan.contact.id))
        ):
            message.body += "\n" + _("Get our messages in Telegram: %(url)s") % {"url": telegram}
    return message


def messages_plan(
    plans: Iterable[MessagePlan],
    *,
    templates: TemplateIndex | None = None,
    send_now: bool = True,
) -> int:
    """Put messages in the outbox; a key already there is skipped. Returns how many were new.

    A constant number of queries for the batch: one to find known keys, one insert. With
    `send_now`, sending starts when the transaction commits; batch jobs start it once at their end.
    """
    plans = list(plans)
    if not plans:
        return 0
    known = set(
        OutboundMessage.objects.filter(idempotency_key__in=[plan.key for plan in plans]).values_list(
            "idempotency_key", flat=True
        )
    )
    templates = templates or TemplateIndex()
    fresh: dict[str, dict[str, MessagePlan]] = {}  # language -> key -> plan
    for plan in plans:
        if plan.key not in known:
            fresh.setdefault(_recipient_language(plan), {}).setdefault(plan.key, plan)
    messages = []
    for language, group in fresh.items():
        with override(language):  # once per language, not per message: planning runs 100,000 at a time
            footer = "\n\n--\n" + _("Do not want these messages? Unsubscribe: %(url)s")
            messages += [_message_build(plan, templates, footer) for plan in group.values()]
    # ignore_conflicts: a planner running at the same moment may have inserted some keys meanwhile.
    OutboundMessage.objects.bulk_create(messages, ignore_conflicts=True, batch_size=1000)
    if messages and send_now:
        enqueue_after_commit("crm.outbox_send")
    return len(messages)


def message_plan(plan: MessagePlan) -> OutboundMessage:
    """Plan one message and return the outbox row for its key (the earlier one if it was planned before)."""
    messages_plan([plan])
    return OutboundMessage.objects.get(idempotency_key=plan.key)


def enqueue_after_commit(task_name: str) -> None:
    """Run the task of this name (crm/outreach/tasks.py) once the transaction commits, never against rolled-back
    data. Sent by name: the tasks call these services, so the services do not import them.

    If the broker is down the work is not lost: the rows are in the database and the beat job that
    runs the same task picks them up.
    """

    def enqueue():
        try:
            current_app.send_task(task_name)
        except Exception:
            logger.warning("Could not enqueue %s; its periodic run will do the work.", task_name, exc_info=True)

    transaction.on_commit(enqueue)


@dataclass
class SendReport:
    counts: Counter = field(default_factory=Counter)

    def __str__(self):
        return ", ".join(f"{name}: {count}" for name, count in sorted(self.counts.items())) or "nothing to send"


def outbox_claim(*, batch_size: int, now: datetime) -> list[OutboundMessage]:
    """Take up to `batch_size` due messages for this sender alone.

    The conditional UPDATE on status is what makes the claim exclusive: two workers, a retried task
    or a doubled beat tick can each claim a row at most once between them. SKIP LOCKED (PostgreSQL)
    only keeps concurrent senders from waiting on each other.
    """
    token = uuid.uuid4().hex
    with transaction.atomic():
        due = (
            OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED, send_after__lte=now)
            .order_by("send_after", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:batch_size]
        )
        OutboundMessage.objects.filter(id__in=list(due), status=OutboundMessage.Status.QUEUED).update(
            status=OutboundMessage.Status.SENDING, claim_token=token, claimed_at=now
        )
    return list(
        OutboundMessage.objects.filter(claim_token=token, status=OutboundMessage.Status.SENDING)
        .select_related("contact", "account", "recipient_user")
        .prefetch_related("contact__phones")
        .order_by("channel", "id")
    )


def _record(message: OutboundMessage, **fields) -> None:
    """Write a claimed message's outcome, if it is still ours."""
    OutboundMessage.objects.filter(id=message.id, claim_token=message.claim_token).update(claim_token="", **fields)


def _retry_or_fail(message: OutboundMessage, error: TransientError, now: datetime) -> str:
    attempts = message.attempts + 1
    if attempts >= settings.CRM_OUTBOX_MAX_ATTEMPTS:
        _record(
            message,
            status=OutboundMessage.Status.FAILED,
            attempts=attempts,
            status_reason=(_("Gave up after %(n)s attempts: %(error)s") % {"n": attempts, "error": error})[:500],
        )
        return "failed"
    delay = error.retry_after or settings.CRM_OUTBOX_RETRY_BASE_SECONDS * 2 ** (attempts - 1)
    _record(
        message,
        status=OutboundMessage.Status.QUEUED,
        attempts=attempts,
        send_after=now + timedelta(seconds=min(delay, 6 * 3600)),
        status_reason=str(error)[:500],
    )
    return "retrying"


def outbox_send_batch(*, batch_size: int | None = None, now: datetime | None = None) -> SendReport:
    """Claim one batch of due messages, check the rules again, send what passes, record every outcome."""
    now = now or timezone.now()
    report = SendReport()
    messages = outbox_claim(batch_size=batch_size or settings.CRM_OUTBOX_BATCH_SIZE, now=now)
    if not messages:
        return report
    decisions = outbox_rules_check(messages, now=now)
    for message in messages:
        decision = decisions.get(message.id)
        if decision is None:
            continue
        if decision.defer_until:
            _record(
                message,
                status=OutboundMessage.Status.QUEUED,
                send_after=decision.defer_until,
                status_reason=decision.reason[:500],
            )
            report.counts["deferred"] += 1
        else:
            _record(message, status=OutboundMessage.Status.SUPPRESSED, status_reason=decision.reason[:500])
            report.counts["suppressed"] += 1

    by_channel: dict[str, list[OutboundMessage]] = {}
    for message in messages:
        if message.id not in decisions:
            by_channel.setdefault(message.channel, []).append(message)
    for channel_name, group in by_channel.items():
        channel = channel_for(channel_name)
        try:
            channel.open()
        except (TransientError, PermanentError) as error:
            for message in group:
                report.counts[_outcome_of_error(message, error, now)] += 1
            continue
        try:
            for message in group:
                report.counts[_send_one(channel, message, now)] += 1
        finally:
            channel.close()
    return report


def _send_one(channel, message: OutboundMessage, now: datetime) -> str:
    link = ""
    if message.contact_id:
        link = unsubscribe_url(contact_id=message.contact_id, purpose=message.purpose, channel=message.channel)
    hooks = kind_hooks(message.kind)
    try:
        if hooks.before_send:
            hooks.before_send(message)
        provider_id = channel.send(message, unsubscribe_url=link)
    except (TransientError, PermanentError) as error:
        return _outcome_of_error(message, error, now)
    except Exception as error:  # a bug or an unexpected answer: keep the message and retry it later
        logger.exception("Sending outbound message %s failed unexpectedly", message.id)
        return _outcome_of_error(message, TransientError(f"{type(error).__name__}: {error}"), now)
    message.sent_at = timezone.now()
    _record(
        message,
        status=OutboundMessage.Status.SENT,
        sent_at=message.sent_at,
        attempts=message.attempts + 1,
        provider_message_id=provider_id[:200],
        status_reason="",
    )
    if hooks.after_sent:
        hooks.after_sent(message)
    return "sent"


def _outcome_of_error(message: OutboundMessage, error: Exception, now: datetime) -> str:
    if isinstance(error, PermanentError):
        _record(
            message,
            status=OutboundMessage.Status.FAILED,
            attempts=message.attempts + 1,
            status_reason=str(error)[:500],
        )
        return "failed"
    return _retry_or_fail(message, error, now)


def outbox_requeue_stale(*, now: datetime | None = None) -> int:
    """Give back messages whose sender died mid-batch (claimed long ago, never finished)."""
    now = now or timezone.now()
    return OutboundMessage.objects.filter(
        status=OutboundMessage.Status.SENDING,
        claimed_at__lt=now - timedelta(minutes=settings.CRM_OUTBOX_CLAIM_TIMEOUT_MINUTES),
    ).update(status=OutboundMessage.Status.QUEUED, claim_token="")


def outbox_send_due(*, time_budget_seconds: float = 50.0) -> SendReport:
    """Send batches until the outbox has nothing due or the time budget is spent."""
    started = timezone.now()
    outbox_requeue_stale()
    report = SendReport()
    while (timezone.now() - started).total_seconds() < time_budget_seconds:
        batch = outbox_send_batch()
        if not batch.counts:
            break
        report.counts.update(batch.counts)
    return report


@transaction.atomic
def outbound_message_retry(*, message: OutboundMessage) -> bool:
    """Put a failed or suppressed message back in the queue, from the admin. False if it was not stuck."""
    updated = OutboundMessage.objects.filter(
        id=message.id, status__in=[OutboundMessage.Status.FAILED, OutboundMessage.Status.SUPPRESSED]
    ).update(status=OutboundMessage.Status.QUEUED, attempts=0, send_after=timezone.now(), status_reason="")
    if updated:
        enqueue_after_commit("crm.outbox_send")
    return bool(updated)


@transaction.atomic
def contact_unsubscribe(*, contact: Contact, purposes: Iterable[str], channel: str, source: str) -> list[str]:
    """Record opt-outs for the chosen purposes; queued messages for them are suppressed now, not at send time."""
    purposes = [purpose for purpose in purposes if purpose in Purpose.values]
    for purpose in purposes:
        contact_consent_set(contact=contact, purpose=purpose, channel=channel, granted=False, source=source)
    if purposes:
        queued = OutboundMessage.objects.filter(
            contact=contact, purpose__in=purposes, status=OutboundMessage.Status.QUEUED
        )
        if channel != ContactConsent.Channel.ANY:
            queued = queued.filter(channel__in=[c for c, v in CONSENT_CHANNEL.items() if v == channel])
        queued.update(status=OutboundMessage.Status.SUPPRESSED, status_reason=_("The person unsubscribed."))
    return purposes
