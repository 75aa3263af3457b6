from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.sites import UnfoldAdminSite


class CRMAdminSite(UnfoldAdminSite):
    site_title = _("CRM")
    site_header = _("Customer CRM")
    index_title = _("Customer CRM")

    def index(self, request, extra_context=None):
        # Account managers land on their accounts: the navigation lives in the sidebar.
        return redirect(reverse("admin:crm_account_changelist", current_app=self.name))

    def extra_urls(self):
        from django.urls import path

        from crm.admin.views import (
            click_to_call_view,
            internal_rate_view,
            internal_report_view,
            my_day_view,
            screen_pop_view,
        )
        from crm.portal.admin import client_page_send_view
        from journeys.admin_views import journey_analytics_view, journey_move_view
        from surveys.admin_views import dashboard_view, forms_import_view, review_view

        return [
            path("my-day/", self.admin_view(my_day_view), name="crm_my_day"),
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
            path("journeys/move/<int:account_id>/", self.admin_view(journey_move_view), name="journeys_move"),
        ]
