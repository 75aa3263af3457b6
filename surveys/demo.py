"""Demo answers through the real services: a year of history for the charts, and this month's round
answered on the survey page, so cases and feedback items are there to work on. Deterministic and
safe to run again (responses are keyed by external id, invitations by round)."""

import random
from datetime import timedelta

from django.utils import timezone

from crm.models import Account, Contact
from crm.outreach.models import OutboundMessage
from surveys import links
from surveys.models import Invitation, Survey
from surveys.services.invitations import survey_invite
from surveys.services.responses import SurveyLinkError, survey_response_record, survey_response_submit

_FIX = [
    "Сократить сроки поставки запчастей; присылать отчёт о работах раз в неделю; упростить форму заказа",
    "Быстрее отвечать на письма; меньше согласований; личный кабинет",
    "Faster replies to email; a clearer invoice; training for our new staff",
]
_LIKE = [
    "Внимательный менеджер; качество оборудования; всегда перезваниваете",
    "Reliable deliveries; your engineers; honest advice",
]


def _scores(rng: random.Random, mood: float, low: int, high: int) -> int:
    """A score on low..high for a client whose mood is 1..10."""
    spread = (high - low) / 9
    return max(low, min(high, round(rng.gauss(low + (mood - 1) * spread, 1.2 * spread))))


_SCALES = {
    "relationship": (("result", "understanding", "service_quality", "recommend"), 1, 10),
    "nps": (("recommend",), 0, 10),
    "csat": (("satisfaction",), 1, 5),
    "ces": (("effort",), 1, 5),
}


def _demo_answers(rng: random.Random, mood: float, slug: str) -> dict:
    codes, low, high = _SCALES[slug]
    return {code: _scores(rng, mood, low, high) for code in codes}


def _demo_invitation_delivered(*, survey: Survey, contact: Contact, round: str, at) -> None:
    """The demo's invitation went out when it was made, three days ago: its e-mail is sent, not still queued
    for the worker to send after the person has answered."""
    sent = OutboundMessage.objects.filter(
        idempotency_key=f"survey-invitation:{survey.id}:{contact.id}:{round}", status=OutboundMessage.Status.QUEUED
    ).update(status=OutboundMessage.Status.SENT, sent_at=at, attempts=1)
    if sent:
        Invitation.objects.filter(survey=survey, contact=contact, round=round).update(sent_at=at)


def surveys_demo_seed(*, seed: int = 1, history_months: int = 12) -> dict:
    surveys = {survey.slug: survey for survey in Survey.objects.prefetch_related("questions")}
    if set(surveys) < {"nps", "csat", "ces", "relationship"}:
        return {}
    now = timezone.now()
    counts = {"history responses": 0, "answered this month": 0}
    accounts = Account.objects.filter(status=Account.Status.ACTIVE).order_by("id")
    contacts = {}
    for contact in (
        Contact.objects.filter(account__in=accounts)
        .select_related("account__manager")
        .order_by("account_id", "-is_decision_maker", "id")
    ):
        contacts.setdefault(contact.account_id, contact)
    for account_id, contact in contacts.items():
        rng = random.Random(f"surveys-{seed}-{account_id}")  # noqa: S311  (demo data)
        mood = rng.uniform(5.0, 9.9)
        for months_ago in range(history_months, 0, -1):
            if rng.random() > 0.35:
                continue
            at = now - timedelta(days=30 * months_ago + rng.randint(0, 20))
            slug = rng.choice(["relationship", "nps", "csat", "ces"])
            answers = _demo_answers(rng, mood, slug)
            _response, created = survey_response_record(
                survey=surveys[slug],
                contact=contact,
                submitted_at=at,
                external_id=f"demo-{seed}-{contact.id}-{months_ago}",
                answers=answers,
            )
            counts["history responses"] += created
        # This month's relationship round, answered on the page by about a fifth of the clients.
        if rng.random() > 0.2:
            continue
        survey, round = surveys["relationship"], f"demo-{now:%Y-%m}"
        invited_at = now - timedelta(days=3)
        survey_invite(survey=survey, people=[(contact, round)], now=invited_at)
        _demo_invitation_delivered(survey=survey, contact=contact, round=round, at=invited_at)
        token = links.invitation_token(survey_id=survey.id, contact_id=contact.id, round=round)
        answers = {
            code: _scores(rng, mood, 1, 10) for code in ("result", "understanding", "service_quality", "recommend")
        }
        answers["fix_three"] = rng.choice(_FIX) if rng.random() < 0.7 else ""
        answers["like_three"] = rng.choice(_LIKE) if rng.random() < 0.5 else ""
        answers["talk_to_owner"] = "yes" if rng.random() < 0.05 else "no"
        try:
            survey_response_submit(
                token=token, answers=answers, complete=True, now=now - timedelta(days=rng.randint(0, 2))
            )
        except SurveyLinkError:  # the person opted out, or the survey was closed
            continue
        counts["answered this month"] += 1
    return counts
