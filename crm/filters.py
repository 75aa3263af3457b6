import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from crm.api.fields import MAX_ID, SUPPORTED_YEARS, YEAR_OUT_OF_RANGE
from crm.models import Account, Commitment, Contact, Interaction, Order, Phone, ServiceRequest, Task
from crm.phones import phone_normalize


def phone_e164_or_400(value: str, *, param: str) -> str:
    try:
        return phone_normalize(value).e164
    except DjangoValidationError as error:
        raise ValidationError({param: error.messages}) from None


class _IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


class IdFilter(django_filters.NumberFilter):
    """A row's id: a whole number in the range of the id column (a larger one failed in the database)."""

    field_class = _IdField


class _BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    default_error_messages = {"out_of_range": YEAR_OUT_OF_RANGE}

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
        except OverflowError:  # the year 1 or 9999 moved into the time zone
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range") from None
        if parsed is not None and parsed.year not in SUPPORTED_YEARS:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return parsed


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time between 1900 and 2199, as the API's date-time fields take (crm/api/fields.py)."""

    field_class = _BoundedIsoDateTimeField


class FilterSet(django_filters.FilterSet):
    """django-filter rebuilds the same form class on every request; build it once per FilterSet class.

    A filter by a linked row (`?account=57`, `?contact=`, `?manager=`) takes a plain id: any id filters the
    user's rows and an unknown one finds nothing. A choice among every row (django-filter's default) answered
    200 for another manager's account and 400 for an id that does not exist, telling the two apart."""

    FILTER_DEFAULTS = {
        **django_filters.filterset.FILTER_FOR_DBFIELD_DEFAULTS,
        models.ForeignKey: {"filter_class": IdFilter},
    }

    def get_form_class(self):
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class


class AccountFilter(FilterSet):
    phone = django_filters.CharFilter(method="filter_phone", label=_("Phone of any contact, in any format"))

    class Meta:
        model = Account
        fields = [
            "manager",
            "industry",
            "status",
            "lead_source",
            "size",
            "inn",
            "referred_by",
            "zone",
            "level",
            "behaviour_type",
        ]

    def filter_phone(self, queryset, name, value):
        phones = Phone.objects.filter(number=phone_e164_or_400(value, param=name))
        return queryset.filter(pk__in=phones.values("contact__account_id"))


class ContactFilter(FilterSet):
    phone = django_filters.CharFilter(method="filter_phone", label=_("Phone in any format"))

    class Meta:
        model = Contact
        fields = ["account", "email", "is_decision_maker", "language", "emotional", "confident"]

    def filter_phone(self, queryset, name, value):
        # Numbers with an extension count too: a PBX reports the office line without it.
        return queryset.filter(phones__number=phone_e164_or_400(value, param=name)).distinct()


class PhoneFilter(FilterSet):
    number = django_filters.CharFilter(method="filter_number", label=_("Number in any format"))

    class Meta:
        model = Phone
        fields = ["contact", "kind"]

    def filter_number(self, queryset, name, value):
        return queryset.filter(number=phone_e164_or_400(value, param=name))


class InteractionFilter(FilterSet):
    occurred_after = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Interaction
        fields = ["account", "contact", "user", "channel", "direction", "source", "external_id"]


class OrderFilter(FilterSet):
    ordered_after = IsoDateTimeFilter(field_name="ordered_at", lookup_expr="gte")
    ordered_before = IsoDateTimeFilter(field_name="ordered_at", lookup_expr="lt")

    class Meta:
        model = Order
        fields = ["account", "status", "number", "currency"]


class CommitmentFilter(FilterSet):
    due_after = IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = Commitment
        fields = ["account", "owner", "department", "status", "kind"]


class TaskFilter(FilterSet):
    due_before = IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = Task
        fields = ["account", "assignee", "status", "kind", "priority"]


class ServiceRequestFilter(FilterSet):
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = ServiceRequest
        fields = ["account", "contact", "assignee", "status", "channel"]
