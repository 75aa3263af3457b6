"""Who is asked, when: triggers, the monthly round, throttling, invitations and reminders.

Invitations and reminders are outbox messages, so the outbox's rules (opt-outs, quiet hours, an
address on the channel) and its exactly-once sending apply to them. The link goes into the message
only at send time (see surveys/links.py).
"""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.http import PermanentError
from crm.models import (
    Account,
    Contact,
    ContactConsent,
    Interaction,
    MessageKind,
    Order,
    OutboundMessage,
    ServiceRequest,
)
from crm.outreach.hooks import KindHooks, kind_hooks_register
from crm.outreach.services import MessagePlan, TemplateIndex, enqueue_after_commit, messages_plan
from surveys import links
from surveys.models import Invitation, Question, Survey

logger = logging.getLogger(__name__)
BATCH_SIZE = 1000


@dataclass
class InviteReport:
    invited: int = 0
    dropped: dict[str, int] = field(default_factory=dict)

    def add(self, other: "InviteReport") -> "InviteReport":
        self.invited += other.invited
        for reason, count in other.dropped.items():
            self.dropped[reason] = self.dropped.get(reason, 0) + count
        return self

    def __str__(self):
        text = _("%(n)s invited") % {"n": self.invited}
        if self.dropped:
            dropped = ", ".join(f"{reason}: {count}" for reason, count in self.dropped.items())
            text += "; " + _("not invited: %(reasons)s") % {"reasons": dropped}
        return text


def _survey_context(survey: Survey, questions: list[Question], language: str, expires_at: datetime) -> dict:
    """What a survey message says of the survey. The same for everyone asked in one language:
    the link is a placeholder until the message is sent."""
    url = links.LINK_PLACEHOLDER
    first = next((q for q in questions if q.type == Question.Type.SCALE), None)
    context = {"title": survey.title(language), "url": url, "expires_at": expires_at}
    if first is not None:
        low, high = first.labels(language)
        scores = [{"score": n, "url": f"{url}?{first.code}={n}"} for n in first.scores]
        context |= {
            "question": first.text(language),
            "low_label": low,
            "high_label": high,
            "scores": scores,
            # One line a score, ready to print: a template loop over eleven scores, 100,000 times a round,
            # cost a third of planning it.
            "score_links": "".join(f"{option['score']}: {option['url']}\n" for option in scores),
        }
    else:
        context |= {"question": "", "low_label": "", "high_label": "", "scores": [], "score_links": ""}
    return context


def _drop_reasons(survey: Survey, contacts: list[Contact], now: datetime) -> dict[int, str]:
    """contact id -> why they are not asked now, for those who are not."""
    wait_from = now - timedelta(days=settings.CRM_SURVEY_PERSON_WAIT_DAYS)
    cadence_from = now - timedelta(days=survey.cadence_days)
    new_client_from = now - timedelta(days=settings.CRM_SURVEY_NEW_CLIENT_DELAY_DAYS)
    ids = [contact.id for contact in contacts]
    reasons = {}
    recent = Invitation.objects.filter(
        contact_id__in=ids,
        dropped_reason="",
        # An invitation goes out within days of its creation; this bound keeps the index range short.
        created_at__gte=min(wait_from, cadence_from) - timedelta(days=7),
    )
    if survey.trigger == Survey.Trigger.CADENCE:
        # Its rounds are its cadence (one invitation per person and round): last month's round must not
        # hold up this one, as a 30-day wait would every March.
        recent = recent.exclude(survey=survey)
    for contact_id, survey_id, created_at, sent_at in recent.values_list(
        "contact_id", "survey_id", "created_at", "sent_at"
    ):
        if (sent_at or created_at) >= wait_from:
            reasons[contact_id] = _("asked another survey less than %(days)s days ago") % {
                "days": settings.CRM_SURVEY_PERSON_WAIT_DAYS
            }
        elif survey_id == survey.id and created_at >= cadence_from:
            reasons.setdefault(
                contact_id, _("asked this survey less than %(days)s days ago") % {"days": survey.cadence_days}
            )
    opted_out = set(
        ContactConsent.objects.filter(
            contact_id__in=ids, purpose=ContactConsent.Purpose.SURVEYS, granted=False
        ).values_list("contact_id", flat=True)
    )
    for contact in contacts:
        if contact.id in opted_out:
            reasons[contact.id] = _("opted out of surveys")
        elif contact.account.created_at > new_client_from:
            reasons.setdefault(
                contact.id,
                _("new client: first survey after %(days)s days") % {"days": settings.CRM_SURVEY_NEW_CLIENT_DELAY_DAYS},
            )
    return reasons


def survey_invite(
    *,
    survey: Survey,
    people: Iterable[tuple[Contact, str]],
    now: datetime | None = None,
    templates: TemplateIndex | None = None,
) -> InviteReport:
    """Invite each (person, round) once. Throttled people get a dropped invitation, logged and never retried.

    The contacts must come with their account (and its manager) loaded. A constant number of
    queries per call; callers pass at most a batch of about a thousand.
    """
    now = now or timezone.now()
    report = InviteReport()
    if not survey.is_active:
        return report
    people = list({contact.id: (contact, round) for contact, round in people}.values())  # once per person
    if not people:
        return report
    known = set(
        Invitation.objects.filter(survey=survey, contact_id__in=[c.id for c, _r in people]).values_list(
            "contact_id", "round"
        )
    )
    people = [(contact, round) for contact, round in people if (contact.id, round) not in known]
    reasons = _drop_reasons(survey, [contact for contact, _r in people], now)
    questions = list(survey.questions.all())
    expires_at = now + timedelta(days=survey.expires_after_days)
    contexts: dict[str, dict] = {}  # language -> the survey's part of the message
    invitations, plans = [], []
    for contact, round in people:
        token = links.invitation_token(survey_id=survey.id, contact_id=contact.id, round=round)
        reason = reasons.get(contact.id, "")
        invitations.append(
            Invitation(  # ids, not objects: the relation setters cost more than the rest of the row
                survey_id=survey.id,
                contact_id=contact.id,
                account_id=contact.account_id,
                round=round,
                token_hash=links.token_hash(token),
                created_at=now,
                expires_at=expires_at,
                dropped_reason=reason,
            )
        )
        if reason:
            report.dropped[reason] = report.dropped.get(reason, 0) + 1
            continue
        if contact.language not in contexts:
            contexts[contact.language] = _survey_context(survey, questions, contact.language, expires_at)
        plans.append(
            MessagePlan(
                key=f"survey-invitation:{survey.id}:{contact.id}:{round}",
                kind=MessageKind.SURVEY_INVITATION,
                contact=contact,
                context={"survey": contexts[contact.language]},
                data={"survey_id": survey.id, "round": round},
            )
        )
    with transaction.atomic():
        Invitation.objects.bulk_create(invitations, ignore_conflicts=True, batch_size=1000)
        report.invited = messages_plan(plans, templates=templates, send_now=False)
    if report.dropped:
        logger.info("Survey %s: %s", survey.slug, report)
    return report


def _batches(ids: list[int], size: int = BATCH_SIZE) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _contacts_by_account(contacts) -> dict[int, list[Contact]]:
    by_account: dict[int, list[Contact]] = {}
    for contact in contacts.select_related("account__manager").order_by("account_id", "-is_decision_maker", "id"):
        by_account.setdefault(contact.account_id, []).append(contact)
    return by_account


def audience_pick(survey: Survey, account_ids: list[int], now: datetime) -> list[Contact]:
    """Who in each account is asked: every decision maker (else the main person), or one person in rotation."""
    contacts = Contact.objects.filter(account_id__in=account_ids)
    if survey.audience == Survey.Audience.DECISION_MAKERS:
        # Only the people who may be asked: a monthly round loads 100,000 of them.
        has_decision_maker = Contact.objects.filter(account_id=OuterRef("account_id"), is_decision_maker=True)
        contacts = contacts.filter(Q(is_decision_maker=True) | ~Exists(has_decision_maker))
        return [
            contact
            for people in _contacts_by_account(contacts).values()
            for contact in ([c for c in people if c.is_decision_maker] or people[:1])
        ]
    by_account = _contacts_by_account(contacts)
    # Rotation: the person asked this survey longest ago (never beats any date), decision makers first,
    # skipping anyone asked within the rotation period.
    last_asked = dict(
        Invitation.objects.filter(survey=survey, account_id__in=account_ids, dropped_reason="")
        .values("contact_id")
        .annotate(last=Max("created_at"))
        .values_list("contact_id", "last")
    )
    rotation_from = now - timedelta(days=settings.CRM_SURVEY_ROTATION_DAYS)
    never = datetime.min.replace(tzinfo=now.tzinfo)
    picked = []
    for contacts in by_account.values():
        eligible = [c for c in contacts if last_asked.get(c.id, never) < rotation_from]
        if eligible:  # min() keeps the first of equals: decision makers come first
            picked.append(min(eligible, key=lambda c: last_asked.get(c.id, never)))
    return picked


def survey_audience_invite(*, survey: Survey, accounts, round: str, now: datetime | None = None) -> InviteReport:
    """Invite chosen accounts by hand (an admin action): their people per the survey's audience setting."""
    now = now or timezone.now()
    report = InviteReport()
    templates = TemplateIndex()
    for batch in _batches(list(accounts.order_by("id").values_list("id", flat=True))):
        people = [(contact, round) for contact in audience_pick(survey, batch, now)]
        report.add(survey_invite(survey=survey, people=people, now=now, templates=templates))
    if report.invited:
        enqueue_after_commit("crm.outbox_send")
    return report


def cadence_round(cadence_days: int, now: datetime, start_day: int | None = None) -> str:
    """The round `now` falls in: a month for a monthly cadence (starting on `start_day`, else the 1st),
    else a numbered period of `cadence_days`."""
    if cadence_days == 30:
        return (now - timedelta(days=(start_day or 1) - 1)).strftime("%Y-%m")
    period = (now.date().toordinal() // cadence_days) * cadence_days
    return f"{datetime.fromordinal(period):%Y-%m-%d}+{cadence_days}d"


def surveys_cadence_plan(*, now: datetime | None = None, accounts=None) -> InviteReport:
    """Each active client account (of `accounts`, default all) gets the round of every cadence survey,
    the monthly relationship survey among them, on its own schedule when it has one."""
    now = now or timezone.now()
    report = InviteReport()
    templates = TemplateIndex()
    accounts = Account.objects.all() if accounts is None else accounts
    active = accounts.filter(status=Account.Status.ACTIVE)
    # A handful of distinct schedules, so each is one round and one query for its accounts.
    schedules = list(active.order_by().values_list("survey_cadence_days", "survey_day").distinct())
    for survey in Survey.objects.filter(is_active=True, trigger=Survey.Trigger.CADENCE):
        for cadence_days, start_day in schedules:
            round = cadence_round(cadence_days or survey.cadence_days, now, start_day)
            # Accounts that already have this round are skipped in the query, so a rerun is cheap.
            done = Invitation.objects.filter(survey=survey, round=round).values("account_id")
            account_ids = list(
                active.filter(survey_cadence_days=cadence_days, survey_day=start_day)
                .exclude(id__in=done)
                .order_by("id")
                .values_list("id", flat=True)
            )
            for batch in _batches(account_ids):
                people = [(contact, round) for contact in audience_pick(survey, batch, now)]
                report.add(survey_invite(survey=survey, people=people, now=now, templates=templates))
    if report.invited:
        enqueue_after_commit("crm.outbox_send")
    return report


def _event_people(survey: Survey, since: datetime, until: datetime) -> Iterator[list[tuple[Contact, str]]]:
    """(person, round) for each event of the survey's trigger in the window, in batches."""
    if survey.trigger == Survey.Trigger.INTERACTION:
        rows = Interaction.objects.filter(
            channel__in=survey.trigger_channels, occurred_at__gte=since, occurred_at__lt=until, contact__isnull=False
        ).values_list("id", "contact_id")
        prefix = "interaction"
    elif survey.trigger == Survey.Trigger.SERVICE_REQUEST_RESOLVED:
        rows = ServiceRequest.objects.filter(
            resolved_at__gte=since, resolved_at__lt=until, contact__isnull=False
        ).values_list("id", "contact_id")
        prefix = "service-request"
    else:
        rows = Order.objects.filter(
            status=Order.Status.DELIVERED, delivered_at__gte=since, delivered_at__lt=until
        ).values_list("id", "account_id")
        prefix = "order"
    rows = list(rows.order_by("id"))
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        if prefix == "order":
            # An order has no person of its own: ask the account's audience.
            by_account = {}
            for contact in audience_pick(survey, list({account_id for _id, account_id in batch}), until):
                by_account.setdefault(contact.account_id, []).append(contact)
            yield [
                (contact, f"order-{order_id}")
                for order_id, account_id in batch
                for contact in by_account.get(account_id, [])
            ]
        else:
            contacts = Contact.objects.select_related("account__manager").in_bulk({c for _id, c in batch})
            yield [
                (contacts[contact_id], f"{prefix}-{event_id}")
                for event_id, contact_id in batch
                if contact_id in contacts
            ]


def surveys_triggered_plan(*, now: datetime | None = None) -> InviteReport:
    """Invitations after interactions, resolved requests and deliveries, once each event is `delay_hours` old."""
    now = now or timezone.now()
    report = InviteReport()
    templates = TemplateIndex()
    triggers = [Survey.Trigger.INTERACTION, Survey.Trigger.SERVICE_REQUEST_RESOLVED, Survey.Trigger.ORDER_DELIVERED]
    for survey in Survey.objects.filter(is_active=True, trigger__in=triggers):
        until = now - timedelta(hours=survey.delay_hours)
        since = until - timedelta(days=settings.CRM_SURVEY_TRIGGER_LOOKBACK_DAYS)
        for people in _event_people(survey, since, until):
            report.add(survey_invite(survey=survey, people=people, now=now, templates=templates))
    if report.invited:
        enqueue_after_commit("crm.outbox_send")
    return report


def survey_reminders_plan(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Remind those who have not answered, `reminder_interval_days` apart, up to the survey's count."""
    now = now or timezone.now()
    candidates = (
        Invitation.objects.filter(
            survey__is_active=True,
            dropped_reason="",
            answered_at__isnull=True,
            sent_at__isnull=False,
            expires_at__gt=now,
            reminders_sent__lt=F("survey__reminders"),
        )
        .select_related("survey", "contact__account__manager")
        .order_by("sent_at")
    )
    templates = TemplateIndex()
    planned = 0
    for invitation in candidates[: batch_size * 10].iterator(chunk_size=batch_size):
        survey = invitation.survey
        if invitation.sent_at + timedelta(days=survey.reminder_interval_days * (invitation.reminders_sent + 1)) > now:
            continue
        number = invitation.reminders_sent + 1
        with transaction.atomic():
            claimed = Invitation.objects.filter(id=invitation.id, reminders_sent=number - 1).update(
                reminders_sent=number
            )
            if not claimed:  # another run took it
                continue
            contact = invitation.contact
            planned += messages_plan(
                [
                    MessagePlan(
                        key=f"survey-reminder:{invitation.id}:{number}",
                        kind=MessageKind.SURVEY_REMINDER,
                        contact=contact,
                        context={
                            "survey": _survey_context(
                                survey, list(survey.questions.all()), contact.language, invitation.expires_at
                            )
                        },
                        data={"survey_id": survey.id, "round": invitation.round},
                    )
                ],
                templates=templates,
                send_now=False,
            )
    if planned:
        enqueue_after_commit("crm.outbox_send")
    return planned


# The outbox's hooks for invitations and reminders ----------------------------------------------------


def _message_invitation_filter(message: OutboundMessage) -> Q:
    return Q(survey_id=message.data.get("survey_id"), contact_id=message.contact_id, round=message.data.get("round"))


def _invitations_load(messages: list[OutboundMessage]) -> dict[tuple, Invitation]:
    query = Q(pk__in=[])
    for message in messages:
        query |= _message_invitation_filter(message)
    return {
        (invitation.survey_id, invitation.contact_id, invitation.round): invitation
        for invitation in Invitation.objects.filter(query).select_related("survey")
    }


def _invitation_reason(message: OutboundMessage, invitations: dict) -> str:
    invitation = invitations.get((message.data.get("survey_id"), message.contact_id, message.data.get("round")))
    if invitation is None or invitation.dropped_reason:
        return _("The survey invitation no longer exists.")
    if invitation.answered_at is not None:
        return _("The person has answered the survey meanwhile.")
    if not invitation.survey.is_active:
        return _("The survey was closed.")
    if invitation.expires_at <= timezone.now():
        return _("The survey link has expired.")
    return ""


def _link_fill(message: OutboundMessage) -> None:
    try:
        token = links.invitation_token(
            survey_id=int(message.data["survey_id"]), contact_id=message.contact_id, round=message.data["round"]
        )
    except (KeyError, TypeError, ValueError) as error:
        raise PermanentError("The message does not say which survey invitation it carries.") from error
    url = links.invitation_url(token)
    message.subject = message.subject.replace(links.LINK_PLACEHOLDER, url)
    message.body = message.body.replace(links.LINK_PLACEHOLDER, url)


def _invitation_sent(message: OutboundMessage) -> None:
    Invitation.objects.filter(_message_invitation_filter(message), sent_at__isnull=True).update(sent_at=message.sent_at)


def outbox_hooks_register() -> None:
    still_holds = (_invitations_load, _invitation_reason)
    kind_hooks_register(
        MessageKind.SURVEY_INVITATION,
        KindHooks(still_holds=still_holds, before_send=_link_fill, after_sent=_invitation_sent),
    )
    kind_hooks_register(MessageKind.SURVEY_REMINDER, KindHooks(still_holds=still_holds, before_send=_link_fill))
