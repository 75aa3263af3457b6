import copy

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from crm.admin.mixins import AppendOnlyAdminMixin, RowLevelAccessMixin, admin_action_contribute
from crm.models import Account, Contact
from segments.exports import segment_csv_response
from segments.filters import AccountSegmentFilter, ContactSegmentFilter, segment_filters_described
from segments.models import BehaviourSuggestion, LevelBaseline, LevelChange, LexiconEntry, Segment, ZoneChange
from segments.selectors import segment_accounts, segment_editable_by, segment_members
from segments.services.behaviour import contact_behaviour_accept_suggestion
from surveys.admin_views import send_survey as send_survey_to_accounts

MEMBERS_SHOWN = 20


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


@admin.register(LexiconEntry)
class LexiconEntryAdmin(ModelAdmin):
    """The behaviour lexicons: managers add the words their clients use. A change applies to new suggestions;
    `python manage.py suggest_behaviour --restart` reads everyone again."""

    list_display = ["phrase", "language", "axis", "leans", "weight", "is_active", "stems"]
    list_editable = ["weight", "is_active"]
    list_filter = ["language", "axis", "leans", "is_active"]
    search_fields = ["phrase", "stems"]
    fields = ["language", "axis", "leans", "phrase", "weight", "is_active", "stems"]
    readonly_fields = ["stems"]


@admin.register(BehaviourSuggestion)
class BehaviourSuggestionAdmin(AppendOnlyAdminMixin, RowLevelAccessMixin, ModelAdmin):
    """What the lexicons read in people's notes: the manager decides on the person's own page."""

    list_display = ["contact", "emotional", "emotional_confidence", "confident", "confident_confidence", "texts"]
    list_select_related = ["contact"]
    list_filter = ["emotional", "confident"]
    search_fields = ["contact__last_name", "contact__account__name"]
    show_full_result_count = False
    readonly_fields = [field.name for field in BehaviourSuggestion._meta.fields]


def _filter_fields() -> dict:
    """The form fields of every segment filter, optional: the segment form shows them instead of raw JSON."""
    fields = {}
    for filterset in (AccountSegmentFilter, ContactSegmentFilter):
        for name, declared in filterset.base_filters.items():
            field = copy.deepcopy(declared.field)
            field.required = False
            fields[name] = field
    return fields


class _SegmentFormBase(forms.ModelForm):
    """The filters as form fields; what is filled in is stored as the segment's `filters`."""

    class Meta:
        model = Segment
        fields = ["name", "description", "target"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, value in (self.instance.filters or {}).items():
            if name in self.fields:
                self.initial[name] = value

    def clean(self):
        cleaned = super().clean()
        filters = {}
        for name in FILTER_NAMES:
            raw = self.fields[name].widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            if raw not in (None, "", [], "unknown"):
                filters[name] = raw
        if cleaned.get("target") != Segment.Target.CONTACTS:
            filters = {name: value for name, value in filters.items() if name in AccountSegmentFilter.base_filters}
        self.instance.filters = filters
        return cleaned


# Declared on the class, as the admin's form factory needs every field of the fieldsets to be.
SegmentForm = type("SegmentForm", (_SegmentFormBase,), _filter_fields())
FILTER_NAMES = [*AccountSegmentFilter.base_filters, *ContactSegmentFilter.base_filters]


@admin.action(description=_("Send a survey to the accounts of the selected segments…"), permissions=["view"])
def send_survey(modeladmin, request, queryset):
    """The accounts' survey page, for the segments' accounts: named like it, so its confirmation comes back here."""
    in_any = Q()
    for segment in queryset:
        in_any |= Q(id__in=segment_accounts(segment=segment, user=request.user).values("id"))
    return send_survey_to_accounts(
        modeladmin, request, Account.objects.filter(in_any) if in_any else Account.objects.none()
    )


@admin.register(Segment)
class SegmentAdmin(ModelAdmin):
    form = SegmentForm
    list_display = ["name", "target", "filters_shown", "created_by", "updated_at"]
    list_select_related = ["created_by"]
    search_fields = ["name", "description"]
    actions = ["export_csv", send_survey]
    change_form_before_template = "segments/admin/segment_members.html"

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["name", "description", "target"]}),
            (_("Accounts"), {"fields": list(AccountSegmentFilter.base_filters)}),
            (
                _("People (for a segment made of people)"),
                {"fields": list(ContactSegmentFilter.base_filters)},
            ),
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or segment_editable_by(segment=obj, user=request.user))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or segment_editable_by(segment=obj, user=request.user))

    @admin.display(description=_("filters"))
    def filters_shown(self, obj):
        return segment_filters_described(obj.filters) or _("everyone")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        segment = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if segment is not None:
            members = segment_members(segment=segment, user=request.user)
            extra_context.update(
                segment=segment,
                members_count=members.count(),
                members_sample=members.order_by("pk")[:MEMBERS_SHOWN],
                members_shown=MEMBERS_SHOWN,
                export_url=reverse("admin:segments_segment_export", args=[segment.pk]),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:segment_id>/export/",
                self.admin_site.admin_view(self.export_view),
                name="segments_segment_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request, segment_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        segment = get_object_or_404(Segment, pk=segment_id)
        return segment_csv_response(segment=segment, user=request.user)

    @admin.action(description=_("Export the members as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Export one segment at a time."), messages.WARNING)
            return None
        return segment_csv_response(segment=queryset.get(), user=request.user)


@admin.action(description=_("Accept the suggested behaviour axes"), permissions=["change"])
def accept_behaviour_suggestion(modeladmin, request, queryset):
    accepted = sum(
        contact_behaviour_accept_suggestion(contact=contact, acting_user=request.user) for contact in queryset
    )
    modeladmin.message_user(request, _("Axes taken from the suggestion for %(count)d people.") % {"count": accepted})


admin_action_contribute(Contact, accept_behaviour_suggestion)
