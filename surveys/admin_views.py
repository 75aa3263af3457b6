"""Admin pages: the feedback dashboard (charts), the monthly review, and "send a survey" for chosen accounts."""

import json
import shutil
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.access import account_managers_q
from crm.models import Account, Industry, User
from crm.widgets import LocalDateInput
from surveys import metrics, selectors
from surveys.models import Survey
from surveys.services.forms_import import forms_file_read, forms_import
from surveys.services.invitations import survey_audience_invite


class DashboardFilters(forms.Form):
    survey = forms.ModelChoiceField(
        Survey.objects.all(), required=False, label=gettext_lazy("survey"), to_field_name="slug"
    )
    start = forms.DateField(required=False, label=gettext_lazy("from"), widget=LocalDateInput())
    end = forms.DateField(required=False, label=gettext_lazy("to"), widget=LocalDateInput())
    manager = forms.ModelChoiceField(
        User.objects.filter(account_managers_q()).distinct(), required=False, label=gettext_lazy("manager")
    )
    industry = forms.ModelChoiceField(Industry.objects.all(), required=False, label=gettext_lazy("industry"))


def _aware(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _chart(labels, datasets, **options) -> dict:
    return {
        "data": json.dumps({"labels": labels, "datasets": datasets}),
        "options": json.dumps(
            {"maxBarThickness": 28, "plugins": {"legend": {"display": len(datasets) > 1}}, **options}
        ),
    }


_COLOURS = {"nps": "var(--color-primary-600)", "csat": "#16a34a", "ces": "#f59e0b"}
METRICS = ("nps", "csat", "ces")
_NAMES = {"nps": "NPS", "csat": gettext_lazy("CSAT, top two %"), "ces": "CES"}


def _month_chart(metric: str, labels: list[str], values: list, counts: list[int], min_sample: int) -> dict:
    """A month's point is drawn full only with at least `min_sample` answers; thinner months are hollow grey
    points of their own series ("not enough data"), not joined to the line, so a month of two answers cannot
    draw a zigzag."""
    enough = [value if n >= min_sample else None for value, n in zip(values, counts, strict=True)]
    thin = [value if n < min_sample else None for value, n in zip(values, counts, strict=True)]
    colour = _COLOURS[metric]
    datasets = [{"label": str(_NAMES[metric]), "data": enough, "borderColor": colour, "backgroundColor": colour}]
    if any(value is not None for value in thin):
        datasets.append(
            {
                "label": _("fewer than %(n)s answers: not enough data") % {"n": min_sample},
                "data": thin,
                "showLine": False,
                "borderColor": "#9ca3af",
                "backgroundColor": "rgba(0,0,0,0)",
                "pointRadius": 4,
            }
        )
    return _chart(labels, datasets, scales={"x": {"ticks": {"maxRotation": 0, "autoSkip": True}}}) | {
        "thin_months": sum(value is not None for value in thin)
    }


def _metric_table(series: selectors.Series) -> list[dict]:
    """NPS, CSAT and CES side by side per manager or industry: a few rows read better as a table than as three
    bar charts, and each figure appears once, with its n."""
    return [
        {
            "label": label,
            "cells": [{"value": series.values[metric][row], "n": series.counts[metric][row]} for metric in METRICS],
        }
        for row, label in enumerate(series.labels)
    ]


def _funnel_steps(funnel: dict) -> list[dict]:
    """Each step of the invitations' way with its share of those invited."""
    invited = funnel["invited"]
    names = {
        "invited": _("invited"),
        "sent": _("sent"),
        "opened": _("opened"),
        "reminded": _("reminded"),
        "answered": _("answered"),
    }
    return [
        {"name": name, "n": funnel[key], "share": round(100 * funnel[key] / invited) if invited else None}
        for key, name in names.items()
    ]


def dashboard_view(request):
    if not request.user.has_perm("surveys.view_response"):
        raise PermissionDenied
    form = DashboardFilters(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    start = _aware(data.get("start") or today.replace(day=1) - timedelta(days=335))
    end = _aware((data.get("end") or today) + timedelta(days=1))
    filters = metrics.MetricFilters(
        user=request.user,
        start=start,
        end=end,
        manager=data["manager"].id if data.get("manager") else None,
        industry=data["industry"].id if data.get("industry") else None,
        survey=data.get("survey"),
    )
    figures = selectors.dashboard_figures(filters)
    headline, months = figures.headline, figures.by["month"]
    min_sample = settings.CRM_METRICS_MIN_SAMPLE
    month_labels = [date_format(date(*map(int, label.split("-")), 1), "M y") for label in months.labels]
    distribution = headline["csat"]["distribution"]
    funnel = selectors.response_funnel(user=request.user, start=start, end=end, survey=data.get("survey"))
    context = {
        **admin.site.each_context(request),
        "title": _("Feedback dashboard"),
        "form": form,
        "headline": headline,
        "month_charts": {
            metric: _month_chart(metric, month_labels, months.values[metric], months.counts[metric], min_sample)
            for metric in METRICS
        },
        "tables": [
            (_("By manager"), _metric_table(figures.by["manager"])),
            (_("By industry"), _metric_table(figures.by["industry"])),
        ],
        "distribution_chart": _chart(
            list(distribution),
            [{"label": _("answers"), "data": list(distribution.values()), "backgroundColor": "#16a34a"}],
        ),
        "funnel": _funnel_steps(funnel),
        "done_within_quarter": selectors.feedback_done_within_quarter(user=request.user, start=start, end=end),
        "min_sample": min_sample,
        "metric_names": [_NAMES[metric] for metric in METRICS],
    }
    return TemplateResponse(request, "surveys/admin/dashboard.html", context)


def review_view(request):
    if not request.user.has_perm("surveys.view_feedbackitem"):
        raise PermissionDenied
    today = timezone.localdate()
    try:
        month = date.fromisoformat(request.GET.get("month", "") + "-01")
    except ValueError:
        month = today.replace(day=1)
    review = selectors.monthly_review(user=request.user, month_start=_aware(month))
    previous = (month - timedelta(days=1)).replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    context = {
        **admin.site.each_context(request),
        "title": _("Monthly feedback review: %(month)s") % {"month": date_format(month, "YEAR_MONTH_FORMAT")},
        "review": review,
        "previous": previous.strftime("%Y-%m"),
        "next": following.strftime("%Y-%m") if following <= today else "",
    }
    return TemplateResponse(request, "surveys/admin/review.html", context)


class InviteForm(forms.Form):
    survey = forms.ModelChoiceField(Survey.objects.filter(is_active=True), label=gettext_lazy("survey"))
    round = forms.SlugField(
        label=gettext_lazy("round"),
        max_length=50,
        help_text=gettext_lazy("A name for this round, e.g. 2026-q4-key-clients. A person is asked once per round."),
    )


@admin.action(description=gettext_lazy("Send a survey to the selected accounts…"), permissions=["view"])
def send_survey(modeladmin, request, queryset):
    """An intermediate page: pick the survey and name the round, then invite the accounts' people."""
    if not request.user.has_perm("surveys.add_invitation"):
        modeladmin.message_user(request, _("You may not send surveys."), messages.ERROR)
        return None
    form = InviteForm(request.POST if "round" in request.POST else None)
    if form.is_valid():
        ids = queryset.values_list("id", flat=True)
        report = survey_audience_invite(
            survey=form.cleaned_data["survey"],
            accounts=Account.objects.filter(id__in=ids),
            round=f"manual-{form.cleaned_data['round']}",
        )
        modeladmin.message_user(request, _("Survey: %(report)s.") % {"report": report}, messages.SUCCESS)
        return HttpResponseRedirect(request.get_full_path())
    context = {
        **admin.site.each_context(request),
        "title": _("Send a survey"),
        "form": form,
        "accounts": queryset[:50],
        "count": queryset.count(),
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "surveys/admin/send_survey.html", context)


# --- Answers from Google Forms / Yandex Forms (surveys/services/forms_import.py) ---------------------------------

_FORMS_SIGNER = signing.Signer(salt="surveys.forms-import")
SCALES = {"": gettext_lazy("the question's own"), "1-5": "1-5", "1-10": "1-10", "0-10": "0-10"}


def may_import_answers(request) -> bool:
    return request.user.has_perm("surveys.add_response")


class FormsUploadForm(forms.Form):
    survey = forms.ModelChoiceField(label=gettext_lazy("Survey"), queryset=Survey.objects.filter(is_active=True))
    time_column = forms.CharField(
        label=gettext_lazy("Time column"),
        required=False,
        max_length=200,
        help_text=gettext_lazy(
            "Only if the responses' time is not in «Отметка времени» / “Timestamp” (Google Forms): its header as in "
            "the file, e.g. a Yandex Forms export's."
        ),
    )
    answers_file = forms.FileField(
        label=gettext_lazy("Exported answers"),
        help_text=gettext_lazy(
            "Google Forms or Yandex Forms export: CSV or XLSX, one row per response, one column per question."
        ),
    )


def _forms_path(token: str) -> Path:
    """The upload a signed token names (a browser cannot name another file)."""
    folder = _FORMS_SIGNER.unsign(token)
    return next((Path(settings.CRM_MOVE_IN_DIR) / "forms" / folder).iterdir())


def forms_import_view(request):
    """Upload → columns matched to questions (changeable), scales, a dry run's counts → import."""
    if not may_import_answers(request):
        raise PermissionDenied
    context = {**admin.site.each_context(request), "title": _("Import answers from Google Forms or Yandex Forms")}
    upload = FormsUploadForm(request.POST or None, request.FILES or None)
    token = request.POST.get("token", "")
    if token:
        try:
            path = _forms_path(token)
            survey = Survey.objects.get(pk=request.POST.get("survey_id"))
            time_column = request.POST.get("time_column", "")
        except (signing.BadSignature, StopIteration, FileNotFoundError, Survey.DoesNotExist, ValueError):
            messages.error(request, _("The upload has expired: choose the file again."))
            return redirect("admin:surveys_forms_import")
    elif request.method == "POST" and upload.is_valid():
        folder = uuid.uuid4().hex
        path = Path(settings.CRM_MOVE_IN_DIR) / "forms" / folder / Path(upload.cleaned_data["answers_file"].name).name
        path.parent.mkdir(parents=True)
        with path.open("wb") as out:
            for piece in upload.cleaned_data["answers_file"].chunks():
                out.write(piece)
        token, survey = _FORMS_SIGNER.sign(folder), upload.cleaned_data["survey"]
        time_column = upload.cleaned_data["time_column"]
    else:
        return TemplateResponse(request, "surveys/admin/forms_import.html", {**context, "upload": upload})
    try:
        read = forms_file_read(survey=survey, path=path, name=path.name, time_column=time_column)
    except ValidationError as error:
        shutil.rmtree(path.parent, ignore_errors=True)
        upload.add_error(None, error.messages)
        return TemplateResponse(request, "surveys/admin/forms_import.html", {**context, "upload": upload})
    questions = {question.code: question for question in survey.questions.all()}
    for column in read.columns:
        if f"column-{column.index}" in request.POST:
            column.question = questions.get(request.POST[f"column-{column.index}"])
            scale = request.POST.get(f"scale-{column.index}", "")
            column.scale = tuple(int(end) for end in scale.split("-")) if scale in SCALES and scale else None
    importing = "import" in request.POST
    try:
        report = forms_import(survey=survey, forms=read, dry_run=not importing)
    except ValidationError as error:
        report = None
        messages.error(request, " ".join(error.messages))
    if importing and report is not None:
        shutil.rmtree(path.parent, ignore_errors=True)
    return TemplateResponse(
        request,
        "surveys/admin/forms_import.html",
        {
            **context,
            "survey": survey,
            "token": token,
            "time_column": time_column,
            "read": read,
            "questions": questions.values(),
            "scales": SCALES.items(),
            "report": report,
            "imported": importing and report is not None,
        },
    )
