"""The columns of accounts and contacts in files, both ways (django-import-export resources): the admin's exports
and the imports (crm/services/imports.py).

Rows are checked like a form: a bad row is reported with its errors and skipped, the good
rows are imported. Only accounts the importing user may see can be updated.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from crm.access import assignable_managers_q
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


class _AssignableManagerWidget(_NamedWidget):
    """A manager by username, among those the importing user may hand an account to (crm/access.py)."""

    def __init__(self, user):
        super().__init__(User, "username")
        self.user = user

    def get_queryset(self, value, row, *args, **kwargs):
        return User.objects.filter(assignable_managers_q(self.user))


class AccountResource(_UserScopedResource):
    industry = fields.Field("industry", "industry", _NamedWidget(Industry, "name"))
    lead_source = fields.Field("lead_source", "lead_source", _NamedWidget(LeadSource, "name"))

    class Meta:
        model = Account
        fields = ["id", "name", "legal_name", "inn", "industry", "size", "status", "lead_source", "manager"]
        export_order = fields
        import_id_fields = []
        clean_model_instances = True
        skip_unchanged = False

    def __init__(self, user=None, **kwargs):
        super().__init__(user=user, **kwargs)
        self.fields["manager"] = fields.Field("manager", "manager", _AssignableManagerWidget(user))

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
            # Refused like any row you may not import, without saying whose the INN is.
            raise ValidationError(
                {"inn": _("You cannot import INN “%(inn)s”: check the number, or ask your head.") % {"inn": inn}}
            )
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
