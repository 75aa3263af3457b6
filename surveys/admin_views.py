"""Admin pages: the feedback dashboard (charts), the monthly review, and "send a survey" for chosen accounts."""

import json
from datetime import date, datetime, timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import Account, Industry, User
from surveys import metrics, selectors
from surveys.models import Survey
from surveys.services.invitations import survey_audience_invite


class DashboardFilters(forms.Form):
    survey = forms.ModelChoiceField(
        Survey.objects.all(), required=False, label=gettext_lazy("survey"), to_field_name="slug"
    )
    start = forms.DateField(required=False, label=gettext_lazy("from"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label=gettext_lazy("to"), widget=forms.DateInput(attrs={"type": "date"}))
    manager = forms.ModelChoiceField(User.objects.filter(is_active=True), required=False, label=gettext_lazy("manager"))
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
    headline = {"nps": metrics.nps(filters), "csat": metrics.csat(filters), "ces": metrics.ces(filters)}
    charts = {}
    names = {"nps": "NPS", "csat": _("CSAT, top two %"), "ces": "CES"}
    for group_by in ("month", "manager", "industry"):
        series = selectors.metric_series(filters, group_by=group_by)
        charts[group_by] = {
            metric: _chart(
                series.labels,
                [
                    {
                        "label": names[metric],
                        "data": series.values[metric],
                        "borderColor": _COLOURS[metric],
                        "backgroundColor": _COLOURS[metric],
                    }
                ],
            )
            | {"counts": list(zip(series.labels, series.counts[metric], series.values[metric], strict=True))}
            for metric in ("nps", "csat", "ces")
        }
    distribution = headline["csat"]["distribution"]
    funnel = selectors.response_funnel(user=request.user, start=start, end=end, survey=data.get("survey"))
    funnel_labels = [_("invited"), _("sent"), _("opened"), _("reminded"), _("answered")]
    funnel_values = [funnel["invited"], funnel["sent"], funnel["opened"], funnel["reminded"], funnel["answered"]]
    context = {
        **admin.site.each_context(request),
        "title": _("Feedback dashboard"),
        "form": form,
        "headline": headline,
        "charts": charts,
        "grouped_charts": [(_("by manager"), charts["manager"]), (_("by industry"), charts["industry"])],
        "distribution_chart": _chart(
            list(distribution),
            [{"label": _("answers"), "data": list(distribution.values()), "backgroundColor": "#16a34a"}],
        ),
        "funnel": funnel,
        "funnel_chart": _chart(funnel_labels, [{"label": _("invitations"), "data": funnel_values}]),
        "done_within_quarter": selectors.feedback_done_within_quarter(user=request.user, start=start, end=end),
        "min_sample": settings.CRM_METRICS_MIN_SAMPLE,
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
        "title": _("Monthly feedback review: %(month)s") % {"month": month.strftime("%Y-%m")},
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
