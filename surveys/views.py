"""The respondent's page: no login, the person's language, drafts kept, one response however often it is sent."""

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from crm.outreach.telegram_links import telegram_deep_link
from crm.ratelimit import public_rate_limit
from surveys.models import Invitation, Question, Response
from surveys.services.responses import (
    SurveyLinkError,
    answers_clean,
    invitation_check,
    invitation_for_token,
    questions_asked,
    survey_response_submit,
)


def _message(request, title: str, message: str, status: int = 200):
    return render(request, "crm/public/message.html", {"title": title, "message": message}, status=status)


def _link_error(request, error: SurveyLinkError):
    return _message(request, _("This survey cannot take answers"), error.message, status=error.status)


def _form_answers(questions: list[Question], data, *, complete: bool) -> dict:
    """The posted form as answers by code. An unticked yes/no box means "no" when the form is sent."""
    answers = {}
    for question in questions:
        name = f"q_{question.code}"
        if question.type == Question.Type.YES_NO:
            if name in data:
                answers[question.code] = data[name]
            elif complete:
                answers[question.code] = "no"
        elif name in data:
            answers[question.code] = data[name]
    return answers


def _page(request, invitation: Invitation, questions, values: dict, *, errors=None, saved=False, status=200):
    language = invitation.contact.language
    items = []
    for question in questions:
        low, high = question.labels(language) if question.type == Question.Type.SCALE else ("", "")
        items.append(
            {
                "question": question,
                "name": f"q_{question.code}",
                "text": question.text(language),
                "low": low,
                "high": high,
                "value": values.get(question.code, ""),
                "error": (errors or {}).get(question.code, ""),
            }
        )
    return render(
        request,
        "surveys/page.html",
        {
            "title": invitation.survey.title(language),
            "intro": invitation.survey.intro(language),
            "contact": invitation.contact,
            "items": items,
            "errors": errors,
            "saved": saved,
            "expires_at": invitation.expires_at,
            # The person's link to our bot, while their chat is not bound yet (crm/outreach/telegram_links.py).
            "telegram_url": "" if invitation.contact.telegram_chat_id else telegram_deep_link(invitation.contact_id),
        },
        status=status,
    )


def _draft_values(invitation: Invitation) -> dict:
    response = Response.objects.filter(invitation=invitation).first()
    if response is None:
        return {}
    values = {}
    for answer in response.answers.select_related("question"):
        if answer.skipped:
            continue
        if answer.score is not None:
            values[answer.question.code] = str(answer.score)
        elif answer.yes is not None:
            values[answer.question.code] = "yes" if answer.yes else "no"
        else:
            values[answer.question.code] = answer.text
    return values


@never_cache
@require_http_methods(["GET", "POST"])
@public_rate_limit("survey")
def survey_page(request, token: str):
    try:
        invitation = invitation_for_token(token[:200])
    except SurveyLinkError as error:
        return _link_error(request, error)
    with translation.override(invitation.contact.language):
        request.LANGUAGE_CODE = invitation.contact.language
        if Response.objects.filter(invitation=invitation, completed=True).exists():
            return _message(
                request, _("You have already answered"), _("Thank you: we have your answers and are working on them.")
            )
        now = timezone.now()
        questions = questions_asked(invitation)
        if request.method == "GET":
            try:
                invitation_check(invitation, now=now)
            except SurveyLinkError as error:
                return _link_error(request, error)
            Invitation.objects.filter(id=invitation.id, opened_at__isnull=True).update(opened_at=now)
            values = _draft_values(invitation)
            # A score clicked in the message (?recommend=9) is preselected; the page's script saves it
            # as a draft, so a mail scanner that fetches links does not answer for the client.
            try:
                clicked = answers_clean(
                    survey=invitation.survey,
                    answers={q.code: request.GET[q.code] for q in questions if q.code in request.GET},
                    complete=False,
                )
            except ValidationError:
                clicked = {}
            values |= {code: str(value.score) for code, value in clicked.items() if value.score is not None}
            return _page(request, invitation, questions, values)

        # The service checks the link again (expired, closed, opted out) under its lock.
        complete = request.POST.get("action") != "save"
        answers = _form_answers(questions, request.POST, complete=complete)
        try:
            survey_response_submit(token=token, answers=answers, complete=complete, now=now)
        except SurveyLinkError as error:
            return _link_error(request, error)
        except ValidationError as error:
            if request.headers.get("Accept") == "application/json":
                return JsonResponse({"saved": False, "errors": error.message_dict}, status=400)
            messages = {code: " ".join(text) for code, text in error.message_dict.items()}
            return _page(request, invitation, questions, answers, errors=messages, status=400)
        if not complete:
            if request.headers.get("Accept") == "application/json":
                return JsonResponse({"saved": True})
            return _page(request, invitation, questions, _draft_values(invitation), saved=True)
        return _message(
            request, _("Thank you!"), _("Your answers are recorded. Every one of them is read by a person.")
        )
