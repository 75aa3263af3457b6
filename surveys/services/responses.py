"""Recording answers: from the survey page, the API and imports, checked the same way and stored once."""

from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.events import publish
from crm.models import Contact, ContactConsent
from surveys import links
from surveys.events import ResponseCompleted
from surveys.models import PROMOTER_FROM, Answer, Invitation, Metric, Question, Response, Survey
from surveys.services.loop import feedback_loop_run

_YES = {True, "yes", "true", "1", "on", "да"}
_NO = {False, "no", "false", "0", "off", "нет"}
_TEXT_MAX = 5000


class SurveyLinkError(Exception):
    """A survey link that cannot take answers; `status` is the HTTP status a page or API answers with."""

    status = 400
    title = ""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class LinkInvalid(SurveyLinkError):
    status = 404


class LinkExpired(SurveyLinkError):
    status = 410


class SurveyClosed(SurveyLinkError):
    status = 410


class OptedOut(SurveyLinkError):
    status = 403


@dataclass(frozen=True)
class Cleaned:
    score: int | None = None
    text: str = ""
    yes: bool | None = None
    skipped: bool = False


SKIPPED = Cleaned(skipped=True)


def _clean_one(question: Question, value) -> Cleaned:
    if value is None or value == "":
        return SKIPPED
    if question.type == Question.Type.SCALE:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, str):
            value = value.strip()
        try:
            score = int(value)
        except (TypeError, ValueError):
            raise ValueError from None
        if score != value and str(score) != value:  # 7.5, "7.5"
            raise ValueError
        if not question.scale_min <= score <= question.scale_max:
            raise ValueError
        return Cleaned(score=score)
    if question.type == Question.Type.YES_NO:
        normalised = value.strip().lower() if isinstance(value, str) else value
        if normalised in _YES and not isinstance(value, float):
            return Cleaned(yes=True)
        if normalised in _NO and not isinstance(value, float):
            return Cleaned(yes=False)
        raise ValueError
    if not isinstance(value, str) or len(value) > _TEXT_MAX or "\x00" in value:  # PostgreSQL text holds no NUL
        raise ValueError
    value = value.strip()
    return Cleaned(text=value) if value else SKIPPED


def _expected(question: Question) -> str:
    if question.type == Question.Type.SCALE:
        return _("a whole number from %(low)s to %(high)s") % {"low": question.scale_min, "high": question.scale_max}
    if question.type == Question.Type.YES_NO:
        return _("yes or no (true or false)")
    return _("text of up to %(max)s characters, without NUL characters") % {"max": _TEXT_MAX}


def questions_asked(invitation) -> list[Question]:
    """The survey's questions this person is asked: those for everyone and those for their account's type."""
    behaviour_type = invitation.account.behaviour_type
    return [
        question
        for question in invitation.survey.questions.all()
        if question.asked_of_behaviour_type is None or question.asked_of_behaviour_type == behaviour_type
    ]


def answers_clean(*, survey: Survey, answers, complete: bool) -> dict[str, Cleaned]:
    """Check answers by question code. Raises ValidationError naming each bad code and what it expects."""
    if not isinstance(answers, dict):
        raise ValidationError({"answers": _("Give the answers as an object: question code → answer.")})
    questions = {question.code: question for question in survey.questions.all()}
    errors, cleaned = {}, {}
    for code, value in answers.items():
        question = questions.get(code)
        if question is None:
            errors[str(code)[:50]] = _("There is no question “%(code)s” in this survey. Its questions: %(codes)s.") % {
                "code": str(code)[:50],
                "codes": ", ".join(questions),
            }
            continue
        try:
            cleaned[code] = _clean_one(question, value)
        except ValueError:
            errors[code] = _("Expected %(expected)s.") % {"expected": _expected(question)}
    if complete:
        for code, question in questions.items():
            if question.required and cleaned.get(code, SKIPPED).skipped and code not in errors:
                errors[code] = _("This question needs an answer.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _opted_out_of_surveys(contact: Contact) -> bool:
    # An opt-out on any channel counts: the person said they do not want to be surveyed.
    return ContactConsent.objects.filter(
        contact=contact, purpose=ContactConsent.Purpose.SURVEYS, granted=False
    ).exists()


def _answers_write(response: Response, cleaned: dict[str, Cleaned], *, complete: bool) -> None:
    """Replace the response's answers with the merged state; on completion, unanswered ones are skipped."""
    questions = {question.code: question for question in response.survey.questions.all()}
    merged = {
        answer.question.code: Cleaned(score=answer.score, text=answer.text, yes=answer.yes, skipped=answer.skipped)
        for answer in response.answers.select_related("question")
    }
    merged.update(cleaned)
    if complete:
        for code in questions:
            merged.setdefault(code, SKIPPED)
    account = response.account
    response.answers.all().delete()
    Answer.objects.bulk_create(
        Answer(
            response=response,
            question=questions[code],
            score=value.score,
            text=value.text,
            yes=value.yes,
            skipped=value.skipped,
            survey_id=response.survey_id,
            metric=questions[code].metric if value.score is not None else "",
            scale_max=questions[code].scale_max,
            submitted_at=response.submitted_at,
            account_id=account.id,
            manager_id=account.manager_id,
            industry_id=account.industry_id,
        )
        for code, value in merged.items()
    )


def invitation_for_token(token: str, *, lock: bool = False) -> Invitation:
    try:
        digest = links.token_check(token)
    except signing.BadSignature:
        raise LinkInvalid(_("This survey link is not valid. Please use the link from the message we sent.")) from None
    queryset = Invitation.objects.select_related("survey", "contact", "account")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    invitation = queryset.filter(token_hash=digest).first()
    if invitation is None:
        raise LinkInvalid(_("This survey link is not valid. Please use the link from the message we sent."))
    return invitation


def invitation_check(invitation: Invitation, *, now: datetime) -> None:
    """Raises the reason this invitation cannot take answers, if there is one."""
    if not invitation.survey.is_active:
        raise SurveyClosed(_("This survey is closed. Thank you for your time all the same."))
    if now >= invitation.expires_at:
        raise LinkExpired(_("This survey link has expired."))
    if _opted_out_of_surveys(invitation.contact):
        raise OptedOut(_("You unsubscribed from our surveys, so we do not record answers from this link."))


@transaction.atomic
def survey_response_submit(*, token: str, answers: dict, complete: bool, now: datetime | None = None) -> Response:
    """Save answers from the survey page. `complete=False` keeps a draft the person can come back to.

    Submitting again after completion changes nothing and returns the recorded response, so a double
    click or a retried request records one response.
    """
    now = now or timezone.now()
    invitation = invitation_for_token(token, lock=True)
    response = Response.objects.filter(invitation=invitation).select_related("survey", "account").first()
    if response is not None and response.completed:
        return response
    invitation_check(invitation, now=now)
    cleaned = answers_clean(survey=invitation.survey, answers=answers, complete=complete)
    if response is None:
        response = Response.objects.create(
            survey=invitation.survey,
            contact=invitation.contact,
            account=invitation.account,
            invitation=invitation,
            source=Response.Source.PAGE,
            submitted_at=now,
        )
    response.submitted_at = now
    response.completed = complete
    response.save(update_fields=["submitted_at", "completed"])
    _answers_write(response, cleaned, complete=complete)
    if complete:
        response_complete(response=response, now=now)
    return response


def response_complete(*, response: Response, now: datetime) -> None:
    response.completed = True
    response.save(update_fields=["completed"])
    if response.invitation_id:
        # An answer was opened first, even when the score was clicked in the e-mail itself: the funnel never
        # shows more answered than opened.
        Invitation.objects.filter(id=response.invitation_id, answered_at__isnull=True).update(
            answered_at=now, opened_at=Coalesce("opened_at", Value(now))
        )
    feedback_loop_run(response=response, now=now)
    # One query for what the answers mean elsewhere: a promoter moves the journey, words feed the suggestions.
    said = response.answers.aggregate(
        promoter=Count("id", filter=Q(metric=Metric.NPS, score__gte=PROMOTER_FROM)),
        words=Count("id", filter=~Q(text="")),
    )
    publish(
        ResponseCompleted(
            account_id=response.account_id,
            contact_id=response.contact_id,
            response_id=response.id,
            submitted_at=response.submitted_at,
            completed_at=now,
            relationship=response.survey.kind == Survey.Kind.RELATIONSHIP,
            promoter=bool(said["promoter"]),
            words=bool(said["words"]),
        )
    )


@transaction.atomic
def survey_response_record(
    *,
    survey: Survey,
    contact: Contact,
    submitted_at: datetime,
    external_id: str,
    answers: dict,
    source: str = Response.Source.API,
) -> tuple[Response, bool]:
    """Record a response collected elsewhere. Idempotent on (survey, external_id): returns (response, created)."""
    existing = Response.objects.filter(survey=survey, external_id=external_id).first()
    if existing is not None:
        return existing, False
    if not survey.is_active:
        raise ValidationError(_("The survey “%(slug)s” is closed and takes no answers.") % {"slug": survey.slug})
    if timezone.is_naive(submitted_at):
        raise ValidationError({"submitted_at": _("Give the time with its offset, e.g. 2026-05-01T10:00:00+03:00.")})
    if submitted_at > timezone.now() + timezone.timedelta(minutes=5):
        raise ValidationError({"submitted_at": _("This time is in the future.")})
    if _opted_out_of_surveys(contact):
        raise ValidationError({"contact": _("This person opted out of surveys; their answers are not recorded.")})
    cleaned = answers_clean(survey=survey, answers=answers, complete=True)
    if not any(not value.skipped for value in cleaned.values()):
        raise ValidationError({"answers": _("The response answers no question.")})
    try:
        with transaction.atomic():
            response = Response.objects.create(
                survey=survey,
                contact=contact,
                account=contact.account,
                source=source,
                external_id=external_id,
                submitted_at=submitted_at,
            )
    except IntegrityError:
        # The same answer sent twice at once: the other request recorded it first (PostgreSQL let this one
        # wait on the unique index, then refused it). The answer is theirs, as for any repeat.
        existing = Response.objects.filter(survey=survey, external_id=external_id).first()
        if existing is None:
            raise
        return existing, False
    _answers_write(response, cleaned, complete=True)
    response_complete(response=response, now=timezone.now())
    return response, True


def survey_drafts_finalise(*, now: datetime | None = None) -> int:
    """Answers saved and never sent (a one-click score, say) count once the draft has sat long enough."""
    from django.conf import settings

    now = now or timezone.now()
    cutoff = now - timezone.timedelta(hours=settings.CRM_SURVEY_DRAFT_FINALISE_HOURS)
    done = 0
    for response_id in Response.objects.filter(completed=False, submitted_at__lt=cutoff).values_list("id", flat=True):
        with transaction.atomic():
            response = (
                Response.objects.select_for_update(of=("self",))
                .select_related("survey", "account")
                .filter(id=response_id, completed=False)
                .first()
            )
            if response is None:  # another run finished it
                continue
            _answers_write(response, {}, complete=True)
            response_complete(response=response, now=now)
            done += 1
    return done


def contact_responses_export(contact: Contact, data: dict) -> None:
    """The person's survey answers, for their data export (crm/personal_data.py)."""
    responses = Response.objects.filter(contact=contact).order_by("submitted_at").select_related("survey")
    data["survey_responses"] = [
        {
            "survey": response.survey.slug,
            "submitted_at": response.submitted_at.isoformat(),
            "answers": list(
                Answer.objects.filter(response=response).values("question__code", "score", "text", "yes", "skipped")
            ),
        }
        for response in responses
    ]


def contact_answers_erase(contact: Contact, acting_user=None) -> None:
    """Erasure on request: what the person wrote goes; their scores stay, so the metrics do not change."""
    Answer.objects.filter(response__contact=contact).exclude(text="").update(text="")
