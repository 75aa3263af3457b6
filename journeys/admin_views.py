"""Admin pages: journey analytics with charts, and moving an account along its journey by hand."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, connection, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from psycopg.errors import QueryCanceled

from crm.access import account_managers_q
from crm.models import Account, Industry, LeadSource, User
from crm.widgets import LocalDateInput
from journeys import selectors
from journeys.models import AccountJourney, Journey, Stage
from journeys.services import account_stage_move, journey_for_account
from segments.models import Segment

DRAWN_OUT_SHOWN = 50


class AnalyticsFilters(forms.Form):
    journey = forms.ModelChoiceField(Journey.objects.all(), required=False, label=gettext_lazy("journey"))
    start = forms.DateField(required=False, label=gettext_lazy("started from"), widget=LocalDateInput())
    end = forms.DateField(required=False, label=gettext_lazy("to"), widget=LocalDateInput())
    industry = forms.ModelChoiceField(Industry.objects.all(), required=False, label=gettext_lazy("industry"))
    manager = forms.ModelChoiceField(
        User.objects.filter(account_managers_q()).distinct(), required=False, label=gettext_lazy("manager")
    )
    lead_source = forms.ModelChoiceField(LeadSource.objects.all(), required=False, label=gettext_lazy("lead source"))
    segment = forms.ModelChoiceField(Segment.objects.all(), required=False, label=gettext_lazy("saved segment"))

    def journey_filters(self, user) -> selectors.JourneyFilters | None:
        """The filters as the selectors take them; None when there is no journey at all."""
        data = self.cleaned_data if self.is_valid() else {}
        journey = data.get("journey") or Journey.objects.filter(is_default=True).first() or Journey.objects.first()
        if journey is None:
            return None
        return selectors.JourneyFilters(
            user=user,
            journey=journey,
            start=selectors.day_start(data.get("start")),
            end=selectors.day_start(data.get("end"), next_day=True),
            industry=data["industry"].id if data.get("industry") else None,
            manager=data["manager"].id if data.get("manager") else None,
            lead_source=data["lead_source"].id if data.get("lead_source") else None,
            segment=data.get("segment"),
        )


def _chart(labels, datasets) -> dict:
    return {
        "data": json.dumps({"labels": labels, "datasets": datasets}),
        "options": json.dumps({"maxBarThickness": 36, "plugins": {"legend": {"display": len(datasets) > 1}}}),
    }


def journey_analytics_view(request):
    if not request.user.has_perm("journeys.view_transition"):
        raise PermissionDenied
    form = AnalyticsFilters(request.GET or None)
    filters = form.journey_filters(request.user)
    context = {**admin.site.each_context(request), "title": _("Customer journeys"), "form": form}
    if filters is not None:
        rows = selectors.journey_funnel(filters)
        now = timezone.now()
        drawn_out = selectors.drawn_out_first(limit=DRAWN_OUT_SHOWN, user=request.user, journey=filters.journey)
        for state in drawn_out:
            state.days_in_stage = (now - state.since).days
        labels = [row.stage.name(request.LANGUAGE_CODE) for row in rows]
        context.update(
            journey=filters.journey,
            rows=rows,
            drop_offs=selectors.journey_drop_offs(rows)[:3],
            funnel_chart=_chart(
                labels,
                [
                    {
                        "label": _("entered in order"),
                        "data": [row.entered_in_order for row in rows],
                        "backgroundColor": "#2563eb",
                    },
                    {  # shown on a click on its legend: it can rise from one stage to the next (the page says why)
                        "label": _("entered by any path"),
                        "data": [row.entered for row in rows],
                        "backgroundColor": "#93c5fd",
                        "hidden": True,
                    },
                ],
            ),
            time_chart=_chart(
                labels,
                [
                    {
                        "label": _("median days"),
                        "data": [row.median_days for row in rows],
                        "backgroundColor": "#16a34a",
                    },
                    {
                        "label": _("90th percentile"),
                        "data": [row.p90_days for row in rows],
                        "backgroundColor": "#f59e0b",
                    },
                ],
            ),
            lead_sources=selectors.lead_sources(filters),
            drawn_out=drawn_out,
            drawn_out_shown=DRAWN_OUT_SHOWN,
            now=now,
        )
    return TemplateResponse(request, "journeys/admin/analytics.html", context)


# Under gunicorn's 30 s timeout, past which the worker is killed and the browser gets a 500: at a million accounts on
# a slow hour, under load, the cycle times took 33 s once (bench/RESULTS.md).
CYCLE_TIMES_BUDGET_MS = 20_000


def journey_cycle_times_view(request):
    """The analytics page's cycle times, fetched once the page is shown: at a million accounts they take each
    account's first contact, proposal, order and delivery, which costs more than the rest of the page (issue 22).
    Past CYCLE_TIMES_BUDGET_MS PostgreSQL cancels them: a 503 saying to narrow the filters, not a killed worker."""
    if not request.user.has_perm("journeys.view_transition"):
        raise PermissionDenied
    filters = AnalyticsFilters(request.GET or None).journey_filters(request.user)
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL statement_timeout = %s", [CYCLE_TIMES_BUDGET_MS])
            context = {"cycle_times": selectors.cycle_times(filters) if filters is not None else None}
    except OperationalError as error:
        if not isinstance(error.__cause__, QueryCanceled):
            raise
        context = {"too_slow": True, "budget_seconds": f"{CYCLE_TIMES_BUDGET_MS / 1000:g}"}
        return TemplateResponse(request, "journeys/admin/cycle_times.html", context, status=503)
    return TemplateResponse(request, "journeys/admin/cycle_times.html", context)


class MoveForm(forms.Form):
    to_stage = forms.ModelChoiceField(
        Stage.objects.none(),
        required=False,
        label=gettext_lazy("move to"),
        empty_label=gettext_lazy("— left the journey as lost —"),
    )
    reason = forms.CharField(
        required=False,
        max_length=500,
        label=gettext_lazy("reason"),
        help_text=gettext_lazy("Needed to go back or to leave as lost, e.g. “chose a competitor on price”."),
    )

    def __init__(self, *args, journey: Journey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].queryset = journey.stages.order_by("position")


def journey_move_view(request, account_id):
    """From the client card: move the account to another stage, or out of the journey, with a reason."""
    if not request.user.has_perm("journeys.add_transition"):
        raise PermissionDenied
    account = get_object_or_404(Account.objects.for_user(request.user), pk=account_id)
    state = AccountJourney.objects.select_related("journey", "stage").filter(account=account).first()
    journey = state.journey if state else journey_for_account(account=account)
    if journey is None:
        messages.error(request, _("There is no journey to put this account on: create a default journey first."))
        return HttpResponseRedirect(reverse("admin:crm_account_change", args=[account.pk]))
    form = MoveForm(request.POST or None, journey=journey)
    if request.method == "POST" and form.is_valid():
        try:
            account_stage_move(
                account=account,
                to_stage=form.cleaned_data["to_stage"],
                reason=form.cleaned_data["reason"],
                acting_user=request.user,
            )
        except ValidationError as error:
            for field, errors in (
                error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
            ).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Moved."))
            return HttpResponseRedirect(reverse("admin:crm_account_change", args=[account.pk]))
    context = {
        **admin.site.each_context(request),
        "title": _("Move %(account)s along the journey") % {"account": account.name},
        "form": form,
        "account": account,
        "state": state,
        "journey": journey,
    }
    return TemplateResponse(request, "journeys/admin/move.html", context)
