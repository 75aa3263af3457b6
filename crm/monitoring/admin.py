"""Equipment signals in the admin: what each unit reported and what we did about it (read only)."""

from django.contrib import admin
from unfold.admin import ModelAdmin

from crm.admin.mixins import RowLevelAccessMixin
from crm.admin.paginator import EstimatedCountPaginator
from crm.monitoring.models import EquipmentSignal


@admin.register(EquipmentSignal)
class EquipmentSignalAdmin(RowLevelAccessMixin, ModelAdmin):
    list_display = ["occurred_at", "equipment", "kind", "severity", "code", "service_request", "processed_at"]
    list_select_related = ["equipment", "service_request"]
    list_filter = ["kind", "severity"]
    search_fields = ["equipment__serial_number", "equipment__model_name", "code"]
    fields = [*list_display, "received_at", "data"]
    readonly_fields = fields
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request):
        return False  # signals come from the monitoring system (POST /api/v1/equipment/signals/)

    def has_change_permission(self, request, obj=None):
        return False
