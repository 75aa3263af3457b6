"""Admin → Moving in: upload a Bitrix24 or amoCRM export, read its check (what would be created, updated, merged
or refused, and why), map its deal stages onto our journey, import; the page follows the progress."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from crm.moving_in.formats import COMPANIES, CONTACTS, DEALS, LEADS
from crm.moving_in.models import MoveIn
from crm.moving_in.services import move_in_confirm, move_in_create, stage_targets


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class _MultipleFileField(forms.FileField):
    widget = _MultipleFileInput

    def clean(self, data, initial=None):
        one = super().clean  # a comprehension has no super() of its own
        files = [file for file in (data if isinstance(data, (list, tuple)) else [data]) if file]
        return [one(file, initial) for file in files] or one(None, initial)


class MoveInForm(forms.Form):
    system = forms.ChoiceField(label=_("From"), choices=MoveIn.System.choices, widget=forms.RadioSelect)
    files = _MultipleFileField(
        label=_("Exported files"),
        help_text=_(
            "Companies, contacts and deals, as the system exports them: CSV (UTF-8 or Windows-1251), Bitrix24's "
            "Excel (.xls) or amoCRM's .xlsx. Choose them all at once."
        ),
    )


def may_move_in(request) -> bool:
    """Whoever sees every account (the sidebar's link, and the pages)."""
    return request.user.is_active and request.user.sees_all_accounts


@admin.register(MoveIn)
class MoveInAdmin(ModelAdmin):
    list_display = ["__str__", "status", "created_by", "created_at", "finished_at"]
    list_filter = ["system", "status"]
    list_select_related = ["created_by"]

    def has_module_permission(self, request):
        return may_move_in(request)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request) and (obj is None or obj.status != MoveIn.Status.IMPORTING)

    def get_urls(self):
        return [
            path("<int:move_in_id>/import/", self.admin_site.admin_view(self.confirm_view), name="crm_movein_confirm"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = MoveInForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            uploads = form.cleaned_data["files"]
            try:
                move_in = move_in_create(
                    system=form.cleaned_data["system"],
                    uploads=uploads,
                    acting_user=request.user,
                    check_now=sum(upload.size for upload in uploads) <= 256 * 1024,  # small: checked at once
                )
            except ValidationError as error:
                form.add_error("files", error.messages)
            else:
                return redirect("admin:crm_movein_change", move_in.pk)
        return TemplateResponse(
            request,
            "crm/admin/move_in_form.html",
            {**self.admin_site.each_context(request), "title": _("Moving in"), "opts": self.model._meta, "form": form},
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        move_in = self.get_queryset(request).filter(pk=object_id).first()
        if move_in is None or not self.has_view_permission(request):
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        targets = stage_targets()
        stages = [
            {"name": name, "deals": deals, "target": move_in.stage_map.get(name, ""), "field": f"stage-{number}"}
            for number, (name, deals) in enumerate(move_in.preview.get("stages", {}).items())
        ]
        kinds = {COMPANIES: _("companies"), CONTACTS: _("contacts"), DEALS: _("deals"), LEADS: _("leads")}
        return TemplateResponse(
            request,
            "crm/admin/move_in.html",
            {
                **self.admin_site.each_context(request),
                "title": str(move_in),
                "opts": self.model._meta,
                "move_in": move_in,
                "files": [
                    {**described, "kind_name": kinds[described["kind"]]}
                    for described in move_in.preview.get("files", [])
                ],
                "stages": stages,
                "targets": targets.items(),
                "working": move_in.status in (MoveIn.Status.CHECKING, MoveIn.Status.IMPORTING),
                "may_import": move_in.status == MoveIn.Status.CHECKED and move_in.created_by_id == request.user.pk,
            },
        )

    def confirm_view(self, request, move_in_id):
        move_in = self.get_queryset(request).filter(pk=move_in_id).first()
        if request.method != "POST" or move_in is None or not self.has_add_permission(request):
            return redirect("admin:crm_movein_changelist")
        names = list(move_in.preview.get("stages", {}))
        mapping = {
            name: request.POST.get(f"stage-{number}", "")
            for number, name in enumerate(names)
            if f"stage-{number}" in request.POST
        }
        try:
            move_in_confirm(move_in=move_in, stage_map=mapping, acting_user=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        return redirect("admin:crm_movein_change", move_in.pk)
