import django_filters
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from crm.models import Account, Commitment, Contact, Interaction, Order, Phone, ServiceRequest, Task
from crm.phones import phone_normalize


def _filter_by_phone(queryset, field: str, value: str):
    from django.core.exceptions import ValidationError as DjangoValidationError

    try:
        number = phone_normalize(value).e164
    except DjangoValidationError as error:
        raise ValidationError({"phone": error.messages}) from None
    return queryset.filter(**{field: number}).distinct()


class AccountFilter(django_filters.FilterSet):
    phone = django_filters.CharFilter(method="filter_phone", label=_("Phone of any contact, in any format"))

    class Meta:
        model = Account
        fields = ["manager", "industry", "status", "lead_source", "size", "inn", "referred_by"]

    def filter_phone(self, queryset, name, value):
        return _filter_by_phone(queryset, "contacts__phones__number", value)


class ContactFilter(django_filters.FilterSet):
    phone = django_filters.CharFilter(method="filter_phone", label=_("Phone in any format"))

    class Meta:
        model = Contact
        fields = ["account", "email", "is_decision_maker", "language"]

    def filter_phone(self, queryset, name, value):
        return _filter_by_phone(queryset, "phones__number", value)


class PhoneFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(method="filter_number", label=_("Number in any format"))

    class Meta:
        model = Phone
        fields = ["contact", "kind"]

    def filter_number(self, queryset, name, value):
        return _filter_by_phone(queryset, "number", value)


class InteractionFilter(django_filters.FilterSet):
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Interaction
        fields = ["account", "contact", "user", "channel", "direction", "source", "external_id"]


class OrderFilter(django_filters.FilterSet):
    ordered_after = django_filters.IsoDateTimeFilter(field_name="ordered_at", lookup_expr="gte")
    ordered_before = django_filters.IsoDateTimeFilter(field_name="ordered_at", lookup_expr="lt")

    class Meta:
        model = Order
        fields = ["account", "status", "number", "currency"]


class CommitmentFilter(django_filters.FilterSet):
    due_after = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = Commitment
        fields = ["account", "owner", "department", "status", "kind"]


class TaskFilter(django_filters.FilterSet):
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = Task
        fields = ["account", "assignee", "status", "kind", "priority"]


class ServiceRequestFilter(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = ServiceRequest
        fields = ["account", "contact", "assignee", "status", "channel"]
