from django.contrib import admin
from unfold.admin import ModelAdmin

from crm.admin.mixins import RowLevelAccessMixin
from segments.models import ZoneChange


@admin.register(ZoneChange)
class ZoneChangeAdmin(RowLevelAccessMixin, ModelAdmin):
    """The append-only history of zones: read, never edited."""

    list_display = ["created_at", "account", "from_zone", "to_zone", "mean", "answers", "trigger"]
    list_select_related = ["account"]
    list_filter = ["to_zone", "from_zone", "trigger"]
    search_fields = ["account__name"]
    show_full_result_count = False
    readonly_fields = [field.name for field in ZoneChange._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
