from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from crm.models import ApiToken, Department, InternalService, User
from crm.services.internal import internal_request_create
from crm.services.tokens import VALID_SCOPES, api_token_issue, api_token_revoke

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ModelAdmin):
    search_fields = ["name"]
    filter_horizontal = ["permissions"]


@admin.register(User)
class UserAdmin(BaseUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ["username", "get_full_name", "department", "head", "phone_extension", "language", "is_active"]
    list_select_related = ["department", "head"]
    list_filter = ["department", "is_active", "is_staff", "language"]
    autocomplete_fields = ["department", "head"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (
            _("Work"),
            {"fields": ["patronymic", "department", "head", "phone_extension", "sip_uri", "language", "signature"]},
        ),
    ]


@admin.register(Department)
class DepartmentAdmin(ModelAdmin):
    list_display = ["name", "head"]
    list_select_related = ["head"]
    search_fields = ["name"]
    autocomplete_fields = ["head"]


@admin.register(InternalService)
class InternalServiceAdmin(ModelAdmin):
    """The register of internal services (DOMAIN §9); "Request" asks the serving department for one."""

    list_display = ["deliverable", "serving_department", "receiving_department", "deadline_days", "delivery_format"]
    list_select_related = ["serving_department", "receiving_department"]
    list_filter = ["serving_department", "receiving_department", "is_active"]
    search_fields = ["deliverable", "serving_department__name", "receiving_department__name"]
    autocomplete_fields = ["serving_department", "receiving_department"]
    actions = ["request_now"]

    @admin.action(description=_("Request now (a promise due after the deadline)"))
    def request_now(self, request, queryset):
        made = [
            internal_request_create(service=service, requested_by=request.user)
            for service in queryset.select_related("serving_department__head", "receiving_department")
            if service.is_active
        ]
        self.message_user(request, _("%(count)s requests sent to the serving departments.") % {"count": len(made)})


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(label=_("scopes"), choices=[(scope, scope) for scope in sorted(VALID_SCOPES)])

    class Meta:
        model = ApiToken
        fields = ["user", "name", "scopes", "expires_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(ModelAdmin):
    form = ApiTokenForm
    list_display = ["name", "prefix", "user", "scopes", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return False  # A token is issued or revoked, never edited.

    def save_model(self, request, obj, form, change):
        token, raw = api_token_issue(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data["expires_at"],
        )
        obj.pk = token.pk
        messages.warning(request, _("Copy the token now, it will not be shown again: %(token)s") % {"token": raw})

    @admin.action(description=_("Revoke"))
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token)
        self.message_user(request, _("Tokens revoked."))
