from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from crm.selectors import my_day


def my_day_view(request):
    """The manager's day: tasks due, promises overdue or due today, service requests near their deadline."""
    context = {
        **admin.site.each_context(request),
        "title": _("My day"),
        "day": my_day(user=request.user),
        "kept_rate_days": settings.CRM_KEPT_RATE_WINDOW_DAYS,
    }
    return TemplateResponse(request, "crm/admin/my_day.html", context)
