from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from crm.selectors import caller_card, my_day, screen_pop_call


def my_day_view(request):
    """The manager's day: tasks due, promises overdue or due today, service requests near their deadline."""
    context = {
        **admin.site.each_context(request),
        "title": _("My day"),
        "day": my_day(user=request.user),
        "kept_rate_days": settings.CRM_KEPT_RATE_WINDOW_DAYS,
    }
    return TemplateResponse(request, "crm/admin/my_day.html", context)


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
