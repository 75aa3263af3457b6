from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportActionModelAdmin
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateTimeFilter
from unfold.contrib.import_export.forms import ExportForm

from crm.admin.mixins import FormulaSafeExportMixin, ReturnToNextMixin, RowLevelAccessMixin
from crm.admin.paginator import EstimatedCountPaginator
from crm.models import Commitment, Equipment, Interaction, ResponseTarget, ServiceRequest, Task
from crm.services.activity import (
    commitment_close,
    commitment_create,
    interaction_log,
    interaction_text_changed,
    service_request_create,
    service_request_resolve,
    service_request_respond,
    task_complete,
    task_create,
)


class ExportableAdmin(FormulaSafeExportMixin, ExportActionModelAdmin, ModelAdmin):
    export_form_class = ExportForm


def _model_fields(form, obj) -> dict:
    return {name: value for name, value in form.cleaned_data.items() if name in {f.name for f in obj._meta.fields}}


@admin.register(Interaction)
class InteractionAdmin(RowLevelAccessMixin, ReturnToNextMixin, ExportableAdmin):
    list_display = ["occurred_at", "account", "contact", "channel", "direction", "subject", "user"]
    list_select_related = ["account", "contact", "user"]
    list_filter = ["channel", "direction", "wow", ("occurred_at", RangeDateTimeFilter)]
    list_filter_submit = True
    search_fields = ["subject", "account__name"]
    autocomplete_fields = ["account", "contact", "user"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    fields = [
        "account",
        "contact",
        "channel",
        "direction",
        "occurred_at",
        "duration_seconds",
        "subject",
        "notes",
        "outcome",
        "recording_url",
        "wow",
        "user",
    ]

    def get_changeform_initial_data(self, request):
        return {"user": request.user, "occurred_at": timezone.now(), **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            if obj.contact_id and {"subject", "notes", "outcome", "contact"} & set(form.changed_data):
                interaction_text_changed(interaction=obj)
            return None
        fields = _model_fields(form, obj)
        fields["user"] = fields.get("user") or request.user
        obj.pk = interaction_log(**fields)[0].pk


@admin.register(Commitment)
class CommitmentAdmin(RowLevelAccessMixin, ReturnToNextMixin, ExportableAdmin):
    list_display = ["description", "account", "owner", "kind", "due", "status"]
    list_select_related = ["account", "owner"]
    list_filter = ["status", "kind", ("due_at", RangeDateTimeFilter), "department", "receiving_department"]
    list_filter_submit = True
    search_fields = ["description", "account__name"]
    autocomplete_fields = [
        "account",
        "contact",
        "owner",
        "source_interaction",
        "source_order",
        "source_service_request",
        "department",
        "receiving_department",
        "internal_service",
    ]
    readonly_fields = ["status", "fulfilled_at", "created_by", "internal_rating_buttons", "rated_by", "rated_at"]
    exclude = ["internal_rating"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = ["mark_kept", "mark_broken"]

    class Media:
        css = {"all": ["crm/crm.css"]}

    @admin.display(description=_("due"), ordering="due_at")
    def due(self, obj):
        due = date_format(timezone.localtime(obj.due_at), "SHORT_DATETIME_FORMAT")
        if obj.is_overdue:
            return format_html('<span class="crm-badge crm-badge--overdue">{} · {}</span>', due, _("overdue"))
        return due

    @admin.display(description=_("internal customer's rating"))
    def internal_rating_buttons(self, obj):
        """The one internal CSAT question, as buttons that post to the rating view (no form inside the form);
        the view lets only the receiving department rate."""
        if obj is None or not obj.receiving_department_id:
            return "—"
        if obj.status != Commitment.Status.KEPT:
            return obj.internal_rating or "—"
        url = reverse("admin:crm_internal_rate", args=[obj.pk])
        buttons = format_html_join(
            " ",
            (
                '<button type="submit" formaction="{}" formmethod="post" name="rating" value="{}" '
                'class="crm-badge{}">{}</button>'
            ),
            ((url, n, " crm-badge--active" if obj.internal_rating == n else "", n) for n in range(1, 6)),
        )
        return format_html(
            '{}<br><span class="crm-muted">{}</span>', buttons, _("1 very dissatisfied … 5 very satisfied")
        )

    def get_changeform_initial_data(self, request):
        return {"owner": request.user, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        fields = {
            k: v for k, v in _model_fields(form, obj).items() if k not in ("status", "fulfilled_at", "created_by")
        }
        obj.pk = commitment_create(created_by=request.user, **fields).pk

    def _close(self, request, queryset, status):
        closed, errors = 0, []
        for commitment in queryset:
            try:
                commitment_close(commitment=commitment, status=status)
                closed += 1
            except ValidationError as error:
                errors.append(f"{commitment}: {' '.join(error.messages)}")
        self.message_user(request, _("%(count)s promises updated.") % {"count": closed})
        for error in errors:
            self.message_user(request, error, level=messages.WARNING)

    @admin.action(description=_("Mark as kept"), permissions=["change"])
    def mark_kept(self, request, queryset):
        self._close(request, queryset, Commitment.Status.KEPT)

    @admin.action(description=_("Mark as broken"), permissions=["change"])
    def mark_broken(self, request, queryset):
        self._close(request, queryset, Commitment.Status.BROKEN)


@admin.register(Task)
class TaskAdmin(RowLevelAccessMixin, ReturnToNextMixin, ExportableAdmin):
    list_display = ["title", "account", "assignee", "priority", "due_at", "status", "created_by_rule"]
    list_select_related = ["account", "assignee"]
    list_filter = ["status", "kind", "priority"]
    search_fields = ["title", "account__name"]
    autocomplete_fields = ["account", "assignee", "commitment"]
    readonly_fields = ["video_call", "completed_at", "created_by", "created_by_rule"]

    @admin.display(description=_("video call"))
    def video_call(self, obj):
        """A type 4 client's call-back or meeting is offered as a video call (DOMAIN §5)."""
        link = obj.video_link if obj and obj.pk else ""
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', link, link) if link else "—"

    show_full_result_count = False

    paginator = EstimatedCountPaginator
    actions = ["mark_done"]

    def get_changeform_initial_data(self, request):
        return {"assignee": request.user, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        fields = {k: v for k, v in _model_fields(form, obj).items() if k not in ("status", "completed_at")}
        obj.pk = task_create(created_by=request.user, **fields).pk

    @admin.action(description=_("Mark as done"), permissions=["change"])
    def mark_done(self, request, queryset):
        for task in queryset:
            task_complete(task=task)
        self.message_user(request, _("Tasks marked as done."))


@admin.register(ServiceRequest)
class ServiceRequestAdmin(RowLevelAccessMixin, ReturnToNextMixin, ExportableAdmin):
    list_display = ["subject", "account", "channel", "status", "first_response_due_at", "first_response_at", "assignee"]
    list_select_related = ["account", "assignee"]
    list_filter = ["status", "channel", "resolved_at_first_contact"]
    search_fields = ["subject", "account__name"]
    autocomplete_fields = ["account", "contact", "assignee"]
    readonly_fields = [
        "first_response_due_at",
        "first_response_at",
        "resolved_at",
        "equipment",
        "problem_code",
        "signal_count",
    ]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = ["mark_responded", "mark_resolved"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        fields = {
            k: v
            for k, v in _model_fields(form, obj).items()
            if k not in ("first_response_due_at", "first_response_at", "resolved_at", "status")
        }
        obj.pk = service_request_create(**fields).pk

    @admin.action(description=_("Record the first response now"), permissions=["change"])
    def mark_responded(self, request, queryset):
        for service_request in queryset:
            service_request_respond(service_request=service_request)
        self.message_user(request, _("First response recorded."))

    @admin.action(description=_("Mark as resolved"), permissions=["change"])
    def mark_resolved(self, request, queryset):
        for service_request in queryset:
            service_request_resolve(service_request=service_request)
        self.message_user(request, _("Service requests resolved."))


@admin.register(Equipment)
class EquipmentAdmin(RowLevelAccessMixin, ExportableAdmin):
    list_display = [
        "model_name",
        "serial_number",
        "account",
        "last_maintenance_at",
        "next_maintenance_at",
        "last_signal",
    ]
    list_select_related = ["account", "last_signal"]
    search_fields = ["model_name", "serial_number", "account__name"]
    autocomplete_fields = ["account", "responsible_contact"]
    readonly_fields = ["recent_signals"]

    @admin.display(description=_("Last signals"))
    def recent_signals(self, obj):
        if obj.pk is None:
            return "—"
        signals = obj.signals.select_related("service_request").order_by("-occurred_at", "-id")[:10]
        rows = format_html_join(
            "",
            "<li>{} · {} · {}{} {}</li>",
            (
                (
                    date_format(timezone.localtime(signal.occurred_at), "SHORT_DATETIME_FORMAT"),
                    signal.get_kind_display(),
                    signal.get_severity_display(),
                    f" · {signal.code}" if signal.code else "",
                    format_html(
                        '· <a href="{}">{}</a>',
                        reverse("admin:crm_servicerequest_change", args=[signal.service_request_id]),
                        signal.service_request,
                    )
                    if signal.service_request_id
                    else "",
                )
                for signal in signals
            ),
        )
        if not rows:
            return _("No signals yet.")
        url = reverse("admin:crm_equipmentsignal_changelist") + f"?equipment__id__exact={obj.pk}"
        return format_html('<ul>{}</ul><a href="{}">{}</a>', rows, url, _("All signals"))


@admin.register(ResponseTarget)
class ResponseTargetAdmin(ModelAdmin):
    list_display = ["channel", "first_response_minutes"]
    list_editable = ["first_response_minutes"]
