"""CSV/XLSX import and export of accounts and contacts (django-import-export).

Rows are checked like a form: a bad row is reported with its errors and skipped, the good
rows are imported. Only accounts the importing user may see can be updated.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from crm.models import Account, AccountEvent, Contact, Industry, LeadSource, Phone, User
from crm.phones import phone_normalize
from crm.services.accounts import account_event_record


class _NamedWidget(widgets.ForeignKeyWidget):
    """A reference by name, with an error that says what to do when the name is unknown."""

    def clean(self, value, row=None, **kwargs):
        if not value:
            return None
        try:
            return super().clean(str(value).strip(), row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(
                _("Unknown %(thing)s “%(value)s”: add it first or fix the spelling.")
                % {"thing": self.model._meta.verbose_name, "value": value}
            ) from None


class _VisibleAccountWidget(widgets.ForeignKeyWidget):
    """An account by INN or by exact name, among the accounts the importing user may see."""

    def __init__(self, user):
        super().__init__(Account)
        self.user = user

    def clean(self, value, row=None, **kwargs):
        value = str(value or "").strip()
        if not value:
            raise ValueError(_("Say which account: its INN or exact name."))
        accounts = Account.objects.for_user(self.user)
        matches = list(accounts.filter(inn=value)[:2]) if value.isdigit() else []
        matches = matches or list(accounts.filter(name=value)[:2])
        if len(matches) != 1:
            message = (
                _("No account of yours matches “%(value)s”.")
                if not matches
                else _("More than one account matches “%(value)s”: use the INN.")
            )
            raise ValueError(message % {"value": value})
        return matches[0]


class _PhonesWidget(widgets.Widget):
    """Phones separated by ";" or new lines, each in any format."""

    def clean(self, value, row=None, **kwargs):
        raws = [part.strip() for part in str(value or "").replace("\n", ";").split(";") if part.strip()]
        normalized = []
        for raw in raws:
            try:
                normalized.append((raw, phone_normalize(raw)))
            except ValidationError as error:
                raise ValueError(" ".join(error.messages)) from None
        return normalized

    def render(self, value, obj=None, **kwargs):
        return "; ".join(phone.raw for phone in obj.phones.all()) if obj is not None and obj.pk else ""


class _UserScopedResource(resources.ModelResource):
    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user


class AccountResource(_UserScopedResource):
    industry = fields.Field("industry", "industry", _NamedWidget(Industry, "name"))
    lead_source = fields.Field("lead_source", "lead_source", _NamedWidget(LeadSource, "name"))
    manager = fields.Field("manager", "manager", _NamedWidget(User, "username"))

    class Meta:
        model = Account
        fields = ["id", "name", "legal_name", "inn", "industry", "size", "status", "lead_source", "manager"]
        export_order = fields
        import_id_fields = []
        clean_model_instances = True
        skip_unchanged = False

    def get_import_fields(self):
        return [field for field in super().get_import_fields() if field.column_name != "id"]

    def get_queryset(self):
        return Account.objects.for_user(self.user).select_related("industry", "lead_source", "manager")

    def get_instance(self, instance_loader, row):
        # Re-importing a file updates accounts found by INN instead of creating copies.
        inn = str(row.get("inn") or "").strip()
        if not inn:
            return None
        existing = Account.objects.filter(inn=inn).first()
        if existing is not None and not Account.objects.for_user(self.user).filter(pk=existing.pk).exists():
            raise ValidationError({"inn": _("An account with this INN exists and is managed by someone else.")})
        return existing

    def before_save_instance(self, instance, row, **kwargs):
        if instance.manager_id is None and not self.user.sees_all_accounts:
            instance.manager = self.user

    def after_save_instance(self, instance, row, **kwargs):
        if not kwargs.get("dry_run") and not instance.events.exists():
            account_event_record(
                account=instance,
                type=AccountEvent.Type.IMPORTED,
                acting_user=self.user,
                manager_id=instance.manager_id,
                status=instance.status,
            )


class ContactResource(_UserScopedResource):
    phones = fields.Field(attribute="imported_phones", column_name="phones", widget=_PhonesWidget())

    class Meta:
        model = Contact
        fields = [
            "id",
            "account",
            "last_name",
            "first_name",
            "patronymic",
            "position",
            "is_decision_maker",
            "email",
            "language",
            "birthday",
            "phones",
        ]
        export_order = fields
        import_id_fields = []
        clean_model_instances = True

    def __init__(self, user=None, **kwargs):
        super().__init__(user=user, **kwargs)
        self.fields["account"] = fields.Field("account", "account", _VisibleAccountWidget(user))

    def get_import_fields(self):
        return [field for field in super().get_import_fields() if field.column_name != "id"]

    def get_queryset(self):
        return Contact.objects.for_user(self.user).select_related("account").prefetch_related("phones")

    def dehydrate_account(self, contact):
        return contact.account.inn or contact.account.name

    def after_save_instance(self, instance, row, **kwargs):
        if kwargs.get("dry_run"):
            return
        for index, (raw, normalized) in enumerate(getattr(instance, "imported_phones", None) or []):
            Phone.objects.get_or_create(
                contact=instance,
                number=normalized.e164,
                extension=normalized.extension,
                defaults={"raw": raw, "is_primary": index == 0},
            )


class ImportKeepsGoodRowsMixin:
    """Offer to import the valid rows even when some rows are invalid; the invalid ones are listed and skipped.

    django-import-export already skips invalid rows on the real import (it rolls back only on
    hard errors); its admin merely hides the confirm button when any row is invalid.
    """

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {**super().get_resource_kwargs(request, *args, **kwargs), "user": request.user}

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        result = context.get("result")
        if result is not None and not result.has_errors() and result.has_validation_errors():
            valid, invalid = len(result.valid_rows()), len(result.invalid_rows)
            if valid:
                context["confirm_form"] = self.create_confirm_form(request, import_form=context["form"])
            messages.warning(
                request,
                _(
                    "%(valid)s rows are valid and will be imported; %(invalid)s rows have errors (listed below) "
                    "and will be skipped."
                )
                % {"valid": valid, "invalid": invalid},
            )
        return response
