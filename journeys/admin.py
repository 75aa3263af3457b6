import logging

from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from crm.admin.mixins import AppendOnlyAdminMixin, RowLevelAccessMixin
from journeys.models import AccountJourney, Journey, Stage, Touchpoint, Transition, TransitionRule

logger = logging.getLogger(__name__)


class StageInline(TabularInline):
    model = Stage
    extra = 0
    fields = ["position", "code", "name_ru", "name_en", "purpose", "median_days"]
    readonly_fields = ["median_days"]
    ordering = ["position"]


class TransitionRuleInline(TabularInline):
    model = TransitionRule
    extra = 0
    fields = ["event", "to_stage", "is_active"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "to_stage":
            journey_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = Stage.objects.filter(journey_id=journey_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Journey)
class JourneyAdmin(ModelAdmin):
    list_display = ["__str__", "is_default", "industry", "segment", "drawn_out_multiple"]
    list_select_related = ["industry", "segment"]
    inlines = [StageInline, TransitionRuleInline]
    autocomplete_fields = ["industry"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if any(formset.model is Stage and formset.has_changed() for formset in formsets):
            journey_id = form.instance.pk
            transaction.on_commit(lambda: _facts_refresh_enqueue(journey_id))
            self.message_user(request, _("The stages changed: every account's funnel is being counted again."))


def _facts_refresh_enqueue(journey_id: int) -> None:
    from journeys.tasks import journey_facts_refresh_task

    try:
        journey_facts_refresh_task.delay(journey_id)
    except Exception:  # the broker is down: say so; a later save of the stages enqueues it again
        logger.warning("Could not enqueue the funnel refresh of journey %s", journey_id, exc_info=True)


@admin.register(Touchpoint)
class TouchpointAdmin(ModelAdmin):
    list_display = ["name_en", "name_ru", "stage", "channel", "position"]
    list_select_related = ["stage"]
    list_filter = ["stage__journey", "channel"]
    search_fields = ["name_en", "name_ru"]


@admin.register(Transition)
class TransitionAdmin(AppendOnlyAdminMixin, RowLevelAccessMixin, ModelAdmin):
    """Every move of every account: read here, written by the rules and by a manager's move from the card."""

    list_display = ["at", "account", "from_stage", "to_stage", "rule", "reason", "acting_user"]
    list_select_related = ["account", "from_stage", "to_stage", "acting_user"]
    list_filter = ["journey", "to_stage", "rule"]
    search_fields = ["account__name"]
    show_full_result_count = False
    readonly_fields = [field.name for field in Transition._meta.fields]


@admin.register(AccountJourney)
class AccountJourneyAdmin(AppendOnlyAdminMixin, RowLevelAccessMixin, ModelAdmin):
    list_display = ["account", "journey", "stage", "since", "started_at"]
    list_select_related = ["account", "journey", "stage"]
    list_filter = ["journey", "stage"]
    search_fields = ["account__name"]
    show_full_result_count = False
    readonly_fields = [field.name for field in AccountJourney._meta.fields]
