from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from unfold.admin import ModelAdmin

from crm.admin.mixins import RowLevelAccessMixin
from crm.models import (
    Campaign,
    MessageKind,
    MessageTemplate,
    OutboundMessage,
    ProfessionalHoliday,
    Reference,
    TrackedLink,
)
from crm.outreach.documents import proposal_comparison
from crm.outreach.jobs import campaign_activate, campaign_audience
from crm.outreach.proposals import document_url_check, proposal_send, tracked_link_url
from crm.outreach.rendering import variables_help
from crm.outreach.services import enqueue_after_commit, outbound_message_retry
from crm.templatetags.crm_format import crm_when


@admin.register(OutboundMessage)
class OutboundMessageAdmin(RowLevelAccessMixin, ModelAdmin):
    list_display = [
        "created",
        "recipient_display",
        "account",
        "kind",
        "channel",
        "status_badge",
        "attempts",
        "sent",
        "reason_short",
    ]
    list_select_related = ["account", "contact", "recipient_user"]
    list_filter = ["status", "kind", "purpose", "channel"]
    search_fields = ["subject", "idempotency_key", "account__name", "contact__last_name", "contact__email"]
    show_full_result_count = False
    date_hierarchy = "created_at"
    actions = ["retry", "send_now"]
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]

    def has_add_permission(self, request):
        return False  # messages are planned by the jobs and services, never typed in

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("recipient"))
    def recipient_display(self, obj):
        return obj.recipient

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return format_html('<span class="crm-badge crm-badge--{}">{}</span>', obj.status, obj.get_status_display())

    @admin.display(description=_("created at"), ordering="created_at")
    def created(self, obj):
        return crm_when(obj.created_at)

    @admin.display(description=_("sent at"), ordering="sent_at")
    def sent(self, obj):
        return crm_when(obj.sent_at)

    @admin.display(description=_("reason"))
    def reason_short(self, obj):
        """The first words of the reason, the whole of it on hover: the list stays within the screen."""
        if not obj.status_reason:
            return "—"
        return format_html('<span title="{}">{}</span>', obj.status_reason, Truncator(obj.status_reason).chars(30))

    @admin.action(description=_("Retry the selected failed or suppressed messages"), permissions=["view"])
    def retry(self, request, queryset):
        retried = sum(outbound_message_retry(message=message) for message in queryset)
        self.message_user(request, _("%(n)s message(s) are queued again.") % {"n": retried}, messages.SUCCESS)

    @admin.action(description=_("Send due messages now"), permissions=["view"])
    def send_now(self, request, queryset):
        enqueue_after_commit("crm.outbox_send")
        self.message_user(request, _("Sending has started; refresh in a moment."), messages.SUCCESS)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ModelAdmin):
    list_display = ["kind", "language", "behaviour_type", "subject", "updated_at"]
    list_filter = ["kind", "language", "behaviour_type"]
    search_fields = ["subject", "body"]

    @admin.display(description=_("Variables each kind offers"))
    def variables(self, obj=None):
        return format_html(
            "<dl>{}</dl>",
            format_html_join(
                "",
                "<dt><b>{}</b></dt><dd><code>{}</code></dd>",
                ((kind.label, variables_help(kind)) for kind in MessageKind),
            ),
        )

    readonly_fields = ["variables"]
    fields = ["kind", "language", "behaviour_type", "subject", "body", "variables"]


@admin.register(ProfessionalHoliday)
class ProfessionalHolidayAdmin(ModelAdmin):
    list_display = ["name_ru", "name_en", "rule", "this_year"]
    filter_horizontal = ["industries"]
    search_fields = ["name_ru", "name_en"]

    @admin.display(description=_("rule"))
    def rule(self, obj):
        if obj.day:
            return f"{obj.day:02d}.{obj.month:02d}"
        return f"{obj.get_week_display()} {obj.get_weekday_display()}, {obj.month:02d}"

    @admin.display(description=_("this year"))
    def this_year(self, obj):
        from django.utils import timezone

        return obj.date_in(timezone.localdate().year)


@admin.register(Campaign)
class CampaignAdmin(ModelAdmin):
    list_display = ["name", "status", "starts_at", "created_by"]
    list_filter = ["status"]
    search_fields = ["name"]
    filter_horizontal = ["industries", "product_categories"]
    readonly_fields = ["status", "audience_size"]
    fieldsets = [
        (None, {"fields": ["name", "status", "starts_at"]}),
        (_("Audience"), {"fields": ["segment", "industries", "product_categories", "audience_size"]}),
        (_("Russian"), {"fields": ["subject_ru", "body_ru"]}),
        (_("English"), {"fields": ["subject_en", "body_en"]}),
    ]
    actions = ["activate", "finish"]

    @admin.display(description=_("people in the audience"))
    def audience_size(self, obj):
        return campaign_audience(obj).count() if obj.pk else "—"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Start the selected campaigns"), permissions=["change"])
    def activate(self, request, queryset):
        for campaign in queryset:
            try:
                campaign_activate(campaign=campaign)
            except ValidationError as error:
                self.message_user(request, f"{campaign}: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, _("%(name)s is active.") % {"name": campaign}, messages.SUCCESS)

    @admin.action(description=_("Stop the selected campaigns"), permissions=["change"])
    def finish(self, request, queryset):
        queryset.update(status=Campaign.Status.FINISHED)


class TrackedLinkForm(forms.ModelForm):
    discount_percent = forms.DecimalField(
        label=_("compare with our offer: discount, %"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal("99.99"),
        decimal_places=2,
        help_text=_(
            "Optional. The message then carries a table of what the client paid per product over the last 12 months "
            "and the same volume at this discount, with the saving: what a type 2 client reads first."
        ),
    )

    def clean_target_url(self):
        url = self.cleaned_data["target_url"]
        try:
            document_url_check(url)
        except ValidationError as error:
            raise ValidationError(error.message_dict["target_url"]) from None
        return url

    def clean(self):
        cleaned = super().clean()
        self.comparison = None
        contact, discount = cleaned.get("contact"), cleaned.get("discount_percent")
        if contact is not None and discount is not None:
            try:
                self.comparison = proposal_comparison(account=contact.account, discount_percent=discount)
            except ValidationError as error:
                self.add_error("discount_percent", error.messages)
        return cleaned


@admin.register(Reference)
class ReferenceAdmin(ModelAdmin):
    """Completed work and testimonials that documents for type 3 clients link to."""

    list_display = ["title", "kind", "language", "industry", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["kind", "language", "industry", "is_active"]
    search_fields = ["title"]


@admin.register(TrackedLink)
class TrackedLinkAdmin(RowLevelAccessMixin, ModelAdmin):
    form = TrackedLinkForm
    list_display = ["title", "account", "contact", "created_by", "created_at", "open_count", "first_opened_at"]
    list_select_related = ["account", "contact", "created_by"]
    search_fields = ["title", "account__name"]
    autocomplete_fields = ["contact"]
    show_full_result_count = False

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["contact", "title", "target_url", "discount_percent"]
        return [
            "account",
            "contact",
            "title",
            "target_url",
            "link",
            "created_by",
            "created_at",
            "open_count",
            "first_opened_at",
            "last_opened_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj else []

    @admin.display(description=_("tracked link"))
    def link(self, obj):
        return tracked_link_url(obj)

    def save_model(self, request, obj, form, change):
        if not change:
            sent = proposal_send(
                contact=form.cleaned_data["contact"],
                title=form.cleaned_data["title"],
                target_url=form.cleaned_data["target_url"],
                acting_user=request.user,
                comparison=form.comparison,
            )
            obj.pk, obj.token = sent.pk, sent.token


# django-celery-beat's admin, in the theme: schedules are edited here.
for model in (PeriodicTask, IntervalSchedule, CrontabSchedule, SolarSchedule, ClockedSchedule):
    admin.site.unregister(model)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin, ModelAdmin):
    pass


@admin.register(IntervalSchedule)
class IntervalScheduleAdmin(ModelAdmin):
    pass


@admin.register(CrontabSchedule)
class CrontabScheduleAdmin(beat_admin.CrontabScheduleAdmin, ModelAdmin):
    pass


@admin.register(SolarSchedule)
class SolarScheduleAdmin(ModelAdmin):
    pass


@admin.register(ClockedSchedule)
class ClockedScheduleAdmin(beat_admin.ClockedScheduleAdmin, ModelAdmin):
    pass
