from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from crm.admin.mixins import RowLevelAccessMixin, admin_action_contribute
from crm.models import Account
from surveys.admin_views import send_survey
from surveys.models import Answer, Case, FeedbackItem, FeedbackRule, Invitation, Question, Response, Survey
from surveys.services.loop import case_close, feedback_item_update


class QuestionInline(TabularInline):
    model = Question
    extra = 0
    fields = ["position", "code", "type", "metric", "scale_min", "scale_max", "required", "text_ru", "text_en"]


class QuestionLabelsInline(TabularInline):
    model = Question
    extra = 0
    verbose_name_plural = _("scale end labels")
    fields = ["code", "low_label_ru", "high_label_ru", "low_label_en", "high_label_en"]
    readonly_fields = ["code"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Survey)
class SurveyAdmin(ModelAdmin):
    list_display = ["slug", "title_en", "kind", "trigger", "is_active", "cadence_days", "reminders"]
    list_filter = ["kind", "trigger", "is_active"]
    search_fields = ["slug", "title_ru", "title_en"]
    inlines = [QuestionInline, QuestionLabelsInline]
    fieldsets = [
        (None, {"fields": ["slug", "kind", "is_active", "title_ru", "title_en", "intro_ru", "intro_en"]}),
        (
            _("Who is asked, and when"),
            {"fields": ["trigger", "trigger_channels", "audience", "delay_hours", "cadence_days"]},
        ),
        (_("Link and reminders"), {"fields": ["expires_after_days", "reminders", "reminder_interval_days"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # Answers refer to the slug and kind: changing them would change what past answers mean.
        return ["slug", "kind"] if obj and obj.responses.exists() else []


@admin.register(Invitation)
class InvitationAdmin(RowLevelAccessMixin, ModelAdmin):
    list_display = [
        "created_at",
        "survey",
        "contact",
        "account",
        "round",
        "sent_at",
        "opened_at",
        "answered_at",
        "reminders_sent",
        "dropped_reason",
    ]
    list_select_related = ["survey", "contact", "account"]
    list_filter = [
        "survey",
        ("answered_at", admin.EmptyFieldListFilter),
        ("dropped_reason", admin.EmptyFieldListFilter),
    ]
    search_fields = ["account__name", "contact__last_name", "contact__email", "round"]
    show_full_result_count = False
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Invitation._meta.fields if f.name != "token_hash"]
    exclude = ["token_hash"]

    def has_add_permission(self, request):
        return False  # the triggers and the "Send a survey" action on accounts invite

    def has_change_permission(self, request, obj=None):
        return False


class AnswerInline(TabularInline):
    model = Answer
    fk_name = "response"
    extra = 0
    fields = ["question", "score", "text", "yes", "skipped"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Response)
class ResponseAdmin(RowLevelAccessMixin, ModelAdmin):
    list_display = ["submitted_at", "survey", "contact", "account", "source", "completed"]
    list_select_related = ["survey", "contact", "account"]
    list_filter = ["survey", "source", "completed"]
    search_fields = ["account__name", "contact__last_name", "external_id"]
    show_full_result_count = False
    date_hierarchy = "submitted_at"
    readonly_fields = [
        "survey",
        "contact",
        "account",
        "invitation",
        "source",
        "external_id",
        "submitted_at",
        "completed",
    ]
    inlines = [AnswerInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FeedbackRule)
class FeedbackRuleAdmin(ModelAdmin):
    list_display = ["reason", "is_active", "threshold", "owner", "urgent", "due_hours"]
    list_editable = ["is_active", "threshold", "owner", "urgent", "due_hours"]
    readonly_fields = ["reason"]

    def has_add_permission(self, request):
        return False  # one rule per reason, shipped by a migration


class CaseForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = ["owner", "resolution", "status"]

    def clean(self):
        data = super().clean()
        if data.get("status") == Case.Status.CLOSED and not (data.get("resolution") or "").strip():
            raise ValidationError({"resolution": _("Say what was done before closing the case.")})
        return data


@admin.register(Case)
class CaseAdmin(RowLevelAccessMixin, ModelAdmin):
    form = CaseForm
    list_display = ["summary", "account", "reason", "owner", "urgent_badge", "due_at", "status", "escalated_to"]
    list_select_related = ["account", "owner", "escalated_to"]
    list_filter = ["status", "reason", "urgent"]
    search_fields = ["summary", "account__name"]
    readonly_fields = [
        "account",
        "contact",
        "response",
        "reason",
        "summary",
        "urgent",
        "due_at",
        "first_contact_at",
        "escalated_to",
        "escalated_at",
        "closed_at",
        "created_at",
    ]
    fields = [*readonly_fields[:7], "owner", "status", "resolution", *readonly_fields[7:]]
    actions = ["record_contact"]

    def has_add_permission(self, request):
        return False  # the feedback rules open cases

    @admin.display(description=_("urgent"), ordering="urgent")
    def urgent_badge(self, obj):
        return format_html('<span class="crm-badge crm-badge--failed">{}</span>', _("urgent")) if obj.urgent else ""

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if obj.status == Case.Status.CLOSED and "status" in form.changed_data:
            case_close(case=obj, resolution=obj.resolution, acting_user=request.user)
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description=_("Record a human contact with the client now"), permissions=["change"])
    def record_contact(self, request, queryset):
        updated = queryset.filter(first_contact_at__isnull=True).update(first_contact_at=timezone.now())
        self.message_user(request, _("%(n)s case(s) updated.") % {"n": updated}, messages.SUCCESS)


class FeedbackItemForm(forms.ModelForm):
    tell_client = forms.BooleanField(
        label=_("Tell the client it is done"),
        required=False,
        help_text=_("Sends “you asked, we did” with the text above, in the client's language."),
    )

    class Meta:
        model = FeedbackItem
        fields = ["status", "urgency", "tags", "done_note"]

    def clean(self):
        data = super().clean()
        if data.get("tell_client"):
            if data.get("status") != FeedbackItem.Status.DONE:
                raise ValidationError({"tell_client": _("Only a done item can be told to the client.")})
            if not (data.get("done_note") or "").strip():
                raise ValidationError({"done_note": _("Write what was done: it is what the client will read.")})
        return data


@admin.register(FeedbackItem)
class FeedbackItemAdmin(RowLevelAccessMixin, ModelAdmin):
    form = FeedbackItemForm
    list_display = ["text_short", "account", "question_code", "urgency", "status", "created_at", "client_told_at"]
    list_select_related = ["account"]
    list_filter = ["status", "urgency", "question_code"]
    search_fields = ["text", "tags", "account__name"]
    show_full_result_count = False
    readonly_fields = [
        "account",
        "contact",
        "response",
        "question_code",
        "text",
        "done_at",
        "client_told_at",
        "created_at",
    ]
    fields = [*readonly_fields[:5], "status", "urgency", "tags", "done_note", "tell_client", *readonly_fields[5:]]

    def has_add_permission(self, request):
        return False  # items come from open answers

    @admin.display(description=_("text"))
    def text_short(self, obj):
        return obj.text[:100]

    def save_model(self, request, obj, form, change):
        feedback_item_update(
            item=obj,
            status=obj.status,
            done_note=obj.done_note,
            tell_client=form.cleaned_data.get("tell_client", False),
            acting_user=request.user,
        )
        if form.cleaned_data.get("tell_client"):
            self.message_user(request, _("The client will be told, in their language."), messages.SUCCESS)


admin_action_contribute(Account, send_survey)  # on the accounts list: invite the selected accounts' people
