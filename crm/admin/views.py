from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.models import Phone
from crm.selectors import my_day
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
