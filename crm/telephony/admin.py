from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from crm.admin.mixins import RowLevelAccessMixin
from crm.models import Account
from crm.services.accounts import account_create, contact_create
from crm.telephony.models import Call, TelephonyConnection
from crm.telephony.recordings import RecordingError, call_recording_link
from crm.telephony.services import telephony_webhook_urls


class TelephonyConnectionForm(forms.ModelForm):
    # Never sent back to the browser: leave empty to keep the stored secret.
    secret = forms.CharField(
        label=_("signing secret or token"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Twilio's auth token, Zadarma's secret key, Mango's salt, the PBX's crm_token. "
            "Leave empty to keep the current one."
        ),
    )

    class Meta:
        model = TelephonyConnection
        fields = [
            "provider",
            "name",
            "secret",
            "api_key",
            "fallback_target",
            "outbound_caller_id",
            "public_base_url",
            "is_active",
        ]

    def clean_secret(self):
        secret = self.cleaned_data["secret"]
        if not secret and not self.instance.pk:
            raise forms.ValidationError(_("A new connection needs its secret."))
        return secret or self.instance.secret


@admin.register(TelephonyConnection)
class TelephonyConnectionAdmin(ModelAdmin):
    form = TelephonyConnectionForm
    list_display = ["name", "provider", "secret_hint", "fallback_target", "is_active"]
    readonly_fields = ["webhook_urls"]

    def get_fields(self, request, obj=None):
        return [*TelephonyConnectionForm.Meta.fields, *(["webhook_urls"] if obj else [])]

    @admin.display(description=_("secret"))
    def secret_hint(self, obj):
        return obj.secret_hint

    @admin.display(description=_("webhook URLs"))
    def webhook_urls(self, obj):
        return format_html_join("", "<div>{}: <code>{}</code></div>", telephony_webhook_urls(obj).items())


@admin.register(Call)
class CallAdmin(RowLevelAccessMixin, ModelAdmin):
    list_display = [
        "started_at",
        "direction",
        "from_number",
        "account",
        "contact",
        "routed_to",
        "status",
        "duration_seconds",
        "lead_source",
    ]
    list_select_related = ["account", "contact", "routed_to", "lead_source"]
    list_filter = ["status", "direction", "connection", "lead_source"]
    search_fields = ["client_number", "from_number", "account__name"]
    show_full_result_count = False
    actions = ["lead_from_unknown_caller"]
    readonly_fields = [*(f.name for f in Call._meta.fields), "listen"]

    def get_urls(self):
        listen = path(
            "<int:object_id>/recording/", self.admin_site.admin_view(self.recording_view), name="crm_call_recording"
        )
        return [listen, *super().get_urls()]

    def recording_view(self, request, object_id):
        """Listen: the provider's fresh link to the recording, for users who may see the call."""
        call = self.get_queryset(request).select_related("connection").filter(pk=object_id).first()
        if call is None or not self.has_view_permission(request, call):
            raise Http404(_("No such call, or not one of yours."))
        try:
            return HttpResponseRedirect(call_recording_link(call))
        except RecordingError as error:
            self.message_user(
                request, _("The recording cannot be played: %(reason)s") % {"reason": error}, messages.ERROR
            )
            return HttpResponseRedirect(reverse("admin:crm_call_change", args=[call.pk]))

    @admin.display(description=_("recording"))
    def listen(self, obj):
        if not (obj.recording_ref or obj.recording_url):
            return "—"
        return format_html(
            '<a href="{}" target="_blank">{}</a>', reverse("admin:crm_call_recording", args=[obj.pk]), _("Listen")
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Make a lead from the unknown caller"), permissions=["view"])
    def lead_from_unknown_caller(self, request, queryset):
        made = 0
        for call in queryset.filter(contact__isnull=True).exclude(client_number=""):
            with transaction.atomic():
                account = account_create(
                    name=str(_("Caller %(number)s") % {"number": call.client_number}),
                    manager=request.user,
                    status=Account.Status.PROSPECT,
                    lead_source=call.lead_source,  # the campaign whose tracking number they dialled
                    acting_user=request.user,
                )
                contact = contact_create(account=account, first_name="?", phones=[call.client_number])
                Call.objects.filter(client_number=call.client_number, contact__isnull=True).update(
                    contact=contact, account=account
                )
            made += 1
        self.message_user(request, _("%(n)s lead(s) made: fill in the names.") % {"n": made}, messages.SUCCESS)
