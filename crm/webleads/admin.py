"""Web leads in the admin: each form as it came, with its campaign, and the rules that route new prospects."""

from django.contrib import admin
from unfold.admin import ModelAdmin

from crm.admin.mixins import RowLevelAccessMixin
from crm.webleads.models import LeadRoute, WebLead


@admin.register(WebLead)
class WebLeadAdmin(RowLevelAccessMixin, ModelAdmin):
    list_display = ["submitted_at", "name", "company", "account", "lead_source", "new_account", "utm_campaign"]
    list_select_related = ["account", "lead_source"]
    list_filter = ["new_account", "lead_source", "utm_source"]
    search_fields = ["name", "company", "email", "phone"]
    fields = [
        *("submitted_at", "name", "company", "phone", "email", "comment", "region", "account", "contact"),
        *("lead_source", "new_account", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"),
        *("industry", "referrer", "landing_page", "ym_client_id", "ga_client_id", "processed_at"),
    ]
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # a lead comes from the site's form (/forms/lead/)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LeadRoute)
class LeadRouteAdmin(ModelAdmin):
    list_display = ["position", "industry", "region", "manager"]
    list_editable = ["industry", "region", "manager"]
    list_display_links = ["position"]
    autocomplete_fields = ["manager"]
