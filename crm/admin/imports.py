"""Importing accounts and contacts from a file: the list's "Import" button, and each upload's own page with its
progress, counts, first rows and errors, and the button that imports the valid rows (crm/services/imports.py)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action

from crm.models import ImportJob
from crm.services.imports import AUTO, RESOURCES, import_job_confirm, import_job_create


class ImportFileForm(forms.Form):
    import_file = forms.FileField(label=_("File"), help_text=_("CSV (UTF-8 or Windows-1251, “,” or “;”) or XLSX."))
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        choices=[(AUTO, _("Find out")), ("utf-8-sig", "UTF-8"), ("cp1251", "Windows-1251")],
        required=False,
    )
    delimiter = forms.ChoiceField(
        label=_("Delimiter"),
        choices=[(AUTO, _("Find out")), (",", _("Comma")), (";", _("Semicolon")), ("\t", _("Tab"))],
        required=False,
    )


class ImportFromFileMixin:
    """An "Import" button above the list: the upload becomes an import job, checked before anything is kept."""

    import_kind: str
    actions_list = ["import_file"]

    @action(description=_("Import"), url_path="import", permissions=["add"], icon="upload")
    def import_file(self, request):
        form = ImportFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                job = import_job_create(
                    kind=self.import_kind,
                    upload=form.cleaned_data["import_file"],
                    acting_user=request.user,
                    encoding=form.cleaned_data["encoding"],
                    delimiter=form.cleaned_data["delimiter"],
                )
            except ValidationError as error:
                form.add_error("import_file", error.message_dict["import_file"])
            else:
                return redirect("admin:crm_importjob_change", job.pk)
        columns = [field.column_name for field in RESOURCES[self.import_kind](user=request.user).get_import_fields()]
        return TemplateResponse(
            request,
            "crm/admin/import_form.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Import %(things)s") % {"things": self.model._meta.verbose_name_plural},
                "opts": self.model._meta,
                "form": form,
                "columns": columns,
                "recent": ImportJob.objects.for_user(request.user).filter(kind=self.import_kind).defer("content")[:5],
            },
        )


@admin.register(ImportJob)
class ImportJobAdmin(ModelAdmin):
    list_display = ["file_name", "kind", "status", "total_rows", "valid_rows", "invalid_rows", "created_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["created_by"]
    search_fields = ["file_name"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user).defer("content")

    def has_add_permission(self, request):
        return False  # from the accounts' or contacts' list, where the button is

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("crm.add_account") or request.user.has_perm("crm.add_contact")

    def has_delete_permission(self, request, obj=None):
        return obj is None or obj.created_by_id == request.user.pk or request.user.is_superuser

    def get_urls(self):
        return [
            path("<int:job_id>/confirm/", self.admin_site.admin_view(self.confirm_view), name="crm_importjob_confirm"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_queryset(request).filter(pk=object_id).first()
        if job is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        list_name = "crm_account_changelist" if job.kind == ImportJob.Kind.ACCOUNTS else "crm_contact_changelist"
        return TemplateResponse(
            request,
            "crm/admin/import_job.html",
            {
                **self.admin_site.each_context(request),
                "title": str(job),
                "opts": self.model._meta,
                "job": job,
                "list_url": reverse(f"admin:{list_name}"),
                "may_confirm": job.status == ImportJob.Status.CHECKED
                and job.created_by_id == request.user.pk
                and job.valid_rows > 0,
            },
        )

    def confirm_view(self, request, job_id):
        job = self.get_queryset(request).filter(pk=job_id).first()
        if request.method != "POST" or job is None:
            return redirect("admin:crm_importjob_changelist")
        try:
            import_job_confirm(job=job, acting_user=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        return redirect("admin:crm_importjob_change", job.pk)
