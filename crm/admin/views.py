from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.models import Commitment, Phone
from crm.selectors import department_kept_rate, internal_service_figures, my_day
from crm.services.internal import internal_request_rate
from crm.telephony.card import caller_card
from crm.telephony.selectors import screen_pop_call
from crm.telephony.services import call_place


def my_day_view(request):
    """The manager's day: tasks due, promises overdue or due today, service requests near their deadline."""
    context = {
        **admin.site.each_context(request),
        "title": _("My day"),
        "day": my_day(user=request.user),
        "kept_rate_days": settings.CRM_KEPT_RATE_WINDOW_DAYS,
    }
    return TemplateResponse(request, "crm/admin/my_day.html", context)


def my_day_department_view(request):
    """My day's department figure, fetched once the page is shown: it counts every promise of the department, which
    at a large department costs more than the rest of the page (issue 22)."""
    context = {"rate": department_kept_rate(user=request.user)}
    return TemplateResponse(request, "crm/admin/my_day_department.html", context)


@require_POST
def internal_rate_view(request, commitment_id: int):
    """The receiving department's answer to the one internal CSAT question (buttons on the promise's page)."""
    commitment = get_object_or_404(Commitment.objects.for_user(request.user), pk=commitment_id)
    try:
        internal_request_rate(commitment=commitment, rating=int(request.POST.get("rating", "")), user=request.user)
    except ValueError:
        messages.error(request, _("Choose a rating from 1 to 5."))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("Thank you: your rating is recorded."))
    return redirect("admin:crm_commitment_change", commitment.pk)


def internal_report_view(request):
    """Internal customers (DOMAIN §9): per serving department and month, kept on time, internal CSAT, overdue now."""
    now = timezone.now()
    months = 6
    start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _month in range(months - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    user = request.user
    departments = None if user.sees_all_accounts else [*user.headed_department_ids, user.department_id]
    context = {
        **admin.site.each_context(request),
        "title": _("Internal customers"),
        "rows": internal_service_figures(start=start, end=now, department_ids=departments, now=now),
        "since": start,
        "min_sample": settings.CRM_METRICS_MIN_SAMPLE,
    }
    return TemplateResponse(request, "crm/admin/internal_report.html", context)


def screen_pop_view(request):
    """The caller card of a call ringing for this user right now, for the admin's short polling (JSON).

    Only the user the call routes to gets it; a call counts as ringing for CRM_SCREEN_POP_SECONDS.
    """
    call = screen_pop_call(user=request.user)
    if call is None:
        return JsonResponse({"call": None})
    card = caller_card(contact=call.contact, number=call.client_number or call.from_number)
    card["account_url"] = reverse("admin:crm_account_change", args=[call.account_id]) if call.account_id else ""
    labels = {
        "calling": _("Calling:"),
        "moved": _("Last delivery was moved"),
        "open": _("Open the client card"),
        "close": _("Close"),
    }
    return JsonResponse(
        {"call": {"id": call.id, "from": call.client_number or call.from_number}, "card": card, "labels": labels}
    )


@require_POST
def click_to_call_view(request, phone_id: int):
    """From the client card: the provider rings the manager's phone, then connects the client."""
    phone = get_object_or_404(Phone.objects.for_user(request.user).select_related("contact"), pk=phone_id)
    try:
        call_place(user=request.user, phone=phone)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Your phone rings now; pick it up to be connected to %(number)s.") % {"number": phone.display}
        )
    return redirect("admin:crm_account_change", phone.contact.account_id)
