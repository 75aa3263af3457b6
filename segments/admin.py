from django.contrib import admin
from unfold.admin import ModelAdmin

from crm.admin.mixins import AppendOnlyAdminMixin, RowLevelAccessMixin
from segments.models import LevelBaseline, LevelChange, ZoneChange


@admin.register(ZoneChange)
class ZoneChangeAdmin(AppendOnlyAdminMixin, RowLevelAccessMixin, ModelAdmin):
    """The append-only history of zones: read, never edited."""

    list_display = ["created_at", "account", "from_zone", "to_zone", "mean", "answers", "trigger"]
    list_select_related = ["account"]
    list_filter = ["to_zone", "from_zone", "trigger"]
    search_fields = ["account__name"]
    show_full_result_count = False
    readonly_fields = [field.name for field in ZoneChange._meta.fields]


@admin.register(LevelChange)
class LevelChangeAdmin(ZoneChangeAdmin):
    list_display = ["created_at", "account", "from_level", "to_level", "purchases_last_year", "categories_last_year"]
    list_filter = ["to_level", "from_level", "trigger"]
    readonly_fields = [field.name for field in LevelChange._meta.fields]


@admin.register(LevelBaseline)
class LevelBaselineAdmin(AppendOnlyAdminMixin, ModelAdmin):
    """The averages each classification compared accounts with: company-wide figures, no client data."""

    list_display = ["computed_at", "buying_accounts", "purchases_average", "categories_average"]
    readonly_fields = [field.name for field in LevelBaseline._meta.fields]
