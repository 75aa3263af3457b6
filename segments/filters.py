"""The filters a saved segment is made of. A segment stores the raw values; these FilterSets check and apply them.

The account filters choose the accounts; for a segment of people the person filters then choose among
those accounts' people.
"""

from datetime import timedelta

import django_filters
from django.db.models import Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.http import QueryDict
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_filters import FilterSet

from crm.access import account_managers_q
from crm.models import (
    Account,
    Axis,
    BehaviourType,
    Contact,
    ContactConsent,
    Industry,
    Language,
    LeadSource,
    Level,
    Order,
    OrderLine,
    ProductCategory,
    User,
    Zone,
)
from journeys.models import Stage

NPS_GROUPS = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}  # DOMAIN §3, on the 0..10 scale


class AccountSegmentFilter(FilterSet):
    industry = django_filters.ModelMultipleChoiceFilter(queryset=Industry.objects.all(), label=_("industry"))
    manager = django_filters.ModelMultipleChoiceFilter(
        queryset=lambda request: User.objects.filter(account_managers_q()).distinct(), label=_("account manager")
    )
    lead_source = django_filters.ModelMultipleChoiceFilter(queryset=LeadSource.objects.all(), label=_("lead source"))
    status = django_filters.MultipleChoiceFilter(choices=Account.Status.choices, label=_("status"))
    zone = django_filters.MultipleChoiceFilter(choices=Zone.choices, label=_("zone"))
    level = django_filters.MultipleChoiceFilter(choices=Level.choices, label=_("level"))
    behaviour_type = django_filters.MultipleChoiceFilter(choices=BehaviourType.choices, label=_("behaviour type"))
    journey_stage = django_filters.ModelMultipleChoiceFilter(
        queryset=Stage.objects.select_related("journey"), field_name="journey_state__stage", label=_("journey stage")
    )
    bought_category = django_filters.ModelMultipleChoiceFilter(
        queryset=ProductCategory.objects.all(),
        method="filter_bought_category",
        label=_("bought from any of these categories"),
    )
    last_order_days_min = django_filters.NumberFilter(
        method="filter_last_order_days_min", min_value=0, label=_("last order at least this many days ago")
    )
    last_order_days_max = django_filters.NumberFilter(
        method="filter_last_order_days_max", min_value=0, label=_("last order within this many days")
    )
    nps_group = django_filters.ChoiceFilter(
        choices=[
            ("promoter", _("Promoters (9-10)")),
            ("passive", _("Passives (7-8)")),
            ("detractor", _("Detractors (0-6)")),
        ],
        method="filter_nps_group",
        label=_("latest recommendation score"),
    )

    class Meta:
        model = Account
        fields = []

    @staticmethod
    def _orders():
        return Order.objects.filter(account=OuterRef("pk")).exclude(status=Order.Status.CANCELLED)

    def filter_bought_category(self, queryset, name, value):
        if not value:
            return queryset
        lines = OrderLine.objects.filter(order__account=OuterRef("pk"), product__category__in=value).exclude(
            order__status=Order.Status.CANCELLED
        )
        return queryset.filter(Exists(lines))

    def filter_last_order_days_min(self, queryset, name, value):
        """Bought before, and not in the last `value` days: the clients who went quiet."""
        since = timezone.now() - timedelta(days=int(value))
        return queryset.filter(Exists(self._orders())).exclude(Exists(self._orders().filter(ordered_at__gt=since)))

    def filter_last_order_days_max(self, queryset, name, value):
        since = timezone.now() - timedelta(days=int(value))
        return queryset.filter(Exists(self._orders().filter(ordered_at__gte=since)))

    def filter_nps_group(self, queryset, name, value):
        from surveys.models import Answer

        low, high = NPS_GROUPS[value]
        latest = (
            Answer.objects.filter(account_id=OuterRef("pk"), metric="nps", score__isnull=False)
            .order_by("-submitted_at")
            .values("score")[:1]
        )
        return queryset.annotate(latest_nps=Subquery(latest, output_field=IntegerField())).filter(
            latest_nps__range=(low, high)
        )


class ContactSegmentFilter(FilterSet):
    is_decision_maker = django_filters.BooleanFilter(label=_("decision maker"))
    language = django_filters.MultipleChoiceFilter(choices=Language.choices, label=_("language"))
    emotional = django_filters.MultipleChoiceFilter(choices=Axis.choices, label=_("emotional"))
    confident = django_filters.MultipleChoiceFilter(choices=Axis.choices, label=_("confident"))
    marketing = django_filters.ChoiceFilter(
        choices=[
            ("granted", _("Agreed to marketing messages")),
            ("not_opted_out", _("Has not opted out of marketing")),
            ("opted_out", _("Opted out of marketing")),
        ],
        method="filter_marketing",
        label=_("marketing consent"),
    )

    class Meta:
        model = Contact
        fields = []

    def filter_marketing(self, queryset, name, value):
        consents = ContactConsent.objects.filter(contact=OuterRef("pk"), purpose=ContactConsent.Purpose.MARKETING)
        if value == "granted":
            return queryset.filter(Exists(consents.filter(granted=True)))
        opted_out = Exists(consents.filter(granted=False))
        return queryset.filter(opted_out) if value == "opted_out" else queryset.exclude(opted_out)


def segment_filtersets(filters: dict, accounts: QuerySet, *, people: bool):
    """The account FilterSet, and for a segment of people the person FilterSet over those accounts' people."""
    data = QueryDict(mutable=True)
    for name, value in (filters or {}).items():
        data.setlist(name, [str(item) for item in value] if isinstance(value, list) else [str(value)])
    account_set = AccountSegmentFilter(data, queryset=accounts)
    person_set = None
    if people:
        person_set = ContactSegmentFilter(
            data, queryset=Contact.objects.filter(account__in=account_set.qs.values("id"))
        )
    return account_set, person_set


def segment_filter_errors(*, filters, people: bool) -> list[str]:
    """What is wrong with a segment's filters, as sentences naming the filter; [] when they are fine."""
    if not isinstance(filters, dict):
        return [_('Filters are a JSON object: {"zone": ["red"], "industry": [3]}.')]
    known = set(AccountSegmentFilter.base_filters)
    if people:
        known |= set(ContactSegmentFilter.base_filters)
    errors = [
        _("“%(name)s” is not a filter here; use one of: %(known)s.") % {"name": name, "known": ", ".join(sorted(known))}
        for name in filters
        if name not in known
    ]
    for filterset in segment_filtersets(filters, Account.objects.none(), people=people):
        if filterset is not None and not filterset.is_valid():
            errors += [f"{name}: {' '.join(messages)}" for name, messages in filterset.errors.items()]
    return errors


def segment_filters_described(filters: dict) -> str:
    """A segment's filters as the reader says them: "zone: Red; last order at least this many days ago: 90",
    with choices by their names and records by their names, in the reader's language."""
    declared = {**AccountSegmentFilter.base_filters, **ContactSegmentFilter.base_filters}
    parts = []
    for name, raw in (filters or {}).items():
        declared_filter = declared.get(name)
        if declared_filter is None:
            continue
        values = raw if isinstance(raw, list) else [raw]
        field = declared_filter.field
        if isinstance(declared_filter, django_filters.BooleanFilter):
            shown = [str(_("yes")) if str(value).lower() in {"true", "1", "yes"} else str(_("no")) for value in values]
        elif hasattr(field, "queryset"):
            names = {str(obj.pk): str(obj) for obj in field.queryset.filter(pk__in=[str(v) for v in values])}
            shown = [names.get(str(value), str(value)) for value in values]
        elif getattr(field, "choices", None):
            labels = {str(key): str(label) for key, label in field.choices}
            shown = [labels.get(str(value), str(value)) for value in values]
        else:
            shown = [str(value) for value in values]
        parts.append(f"{capfirst(str(declared_filter.label))}: {', '.join(shown)}")
    return "; ".join(parts)
