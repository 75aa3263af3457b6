import copy
import threading

from cachetools import TTLCache
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from unfold.sites import UnfoldAdminSite

# The apps and models each user may see, per process (CRMAdminSite.get_app_list).
_app_lists: TTLCache = TTLCache(maxsize=2000, ttl=60)
_app_lists_lock = threading.Lock()


def app_lists_forget() -> None:
    with _app_lists_lock:
        _app_lists.clear()


class CRMAdminSite(UnfoldAdminSite):
    site_title = _("CRM")
    site_header = _("Customer CRM")
    index_title = _("Customer CRM")

    def get_app_list(self, request, app_label=None):
        """Every admin page lists the apps and models its user may see (the sidebar's "All applications"): some 60
        models, each with its links and permission checks, a third of a simple page's time (issue 22). Remembered
        per process for a minute, per user, language and set of permissions, so a change of a user's groups or
        permissions shows at once, and a change of what else decides it (a department's head) within a minute.
        Which models one may open, not what they hold: no account data is kept here."""
        user = request.user
        key = (user.pk, user.is_superuser, frozenset(user.get_all_permissions()), get_language(), app_label)
        with _app_lists_lock:
            found = _app_lists.get(key)
        if found is None:
            found = super().get_app_list(request, app_label)
            with _app_lists_lock:
                _app_lists[key] = found
        return copy.deepcopy(found)  # the pages' own, to change as they like

    def index(self, request, extra_context=None):
        # Account managers land on their accounts: the navigation lives in the sidebar.
        return redirect(reverse("admin:crm_account_changelist", current_app=self.name))

    def extra_urls(self):
        from django.urls import path

        from crm.admin.views import (
            click_to_call_view,
            internal_rate_view,
            internal_report_view,
            my_day_department_view,
            my_day_view,
            screen_pop_view,
        )
        from crm.portal.admin import client_page_send_view
        from journeys.admin_views import journey_analytics_view, journey_cycle_times_view, journey_move_view
        from surveys.admin_views import dashboard_view, forms_import_view, review_view

        return [
            path("my-day/", self.admin_view(my_day_view), name="crm_my_day"),
            path("my-day/department/", self.admin_view(my_day_department_view), name="crm_my_day_department"),
            path("internal/report/", self.admin_view(internal_report_view), name="crm_internal_report"),
            path("internal/rate/<int:commitment_id>/", self.admin_view(internal_rate_view), name="crm_internal_rate"),
            path(
                "client-page/send/<int:contact_id>/",
                self.admin_view(client_page_send_view),
                name="crm_client_page_send",
            ),
            path("screen-pop/", self.admin_view(screen_pop_view), name="crm_screen_pop"),
            path("click-to-call/<int:phone_id>/", self.admin_view(click_to_call_view), name="crm_click_to_call"),
            path("feedback/dashboard/", self.admin_view(dashboard_view), name="surveys_dashboard"),
            path("feedback/review/", self.admin_view(review_view), name="surveys_review"),
            path("feedback/import/", self.admin_view(forms_import_view), name="surveys_forms_import"),
            path("journeys/analytics/", self.admin_view(journey_analytics_view), name="journeys_analytics"),
            path(
                "journeys/analytics/cycle-times/",
                self.admin_view(journey_cycle_times_view),
                name="journeys_cycle_times",
            ),
            path("journeys/move/<int:account_id>/", self.admin_view(journey_move_view), name="journeys_move"),
        ]
