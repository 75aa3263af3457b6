"""Reads: querysets with their joins already chosen, so pages run a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from crm.models import (
    Account,
    Commitment,
    Contact,
    DeliveryDateChange,
    Department,
    Equipment,
    Interaction,
    Order,
    OutboundMessage,
    Phone,
    ServiceRequest,
    Task,
)
from crm.panels import ShownPanel, card_panels_read


def account_list(*, user) -> QuerySet[Account]:
    return Account.objects.for_user(user).select_related("manager", "industry", "lead_source")


def contact_list(*, user) -> QuerySet[Contact]:
    return Contact.objects.for_user(user).select_related("behaviour_suggestion").prefetch_related("phones")


def interaction_list(*, user) -> QuerySet[Interaction]:
    return Interaction.objects.for_user(user).select_related("account", "contact", "user")


def order_list(*, user) -> QuerySet[Order]:
    return Order.objects.for_user(user).select_related("account").prefetch_related("lines__product__category")


def commitment_list(*, user) -> QuerySet[Commitment]:
    return Commitment.objects.for_user(user).select_related("account", "contact", "owner", "department")


def task_list(*, user) -> QuerySet[Task]:
    return Task.objects.for_user(user).select_related("account", "assignee")


def service_request_list(*, user) -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.for_user(user).select_related("account", "contact", "assignee")


def phone_lookup(*, user, e164: str, limit: int = 20) -> list[Phone]:
    """Phones with this number (any extension) the user may see, with contact and account: one query."""
    return list(
        Phone.objects.for_user(user)
        .filter(number=e164)
        .select_related("contact__account")
        .only(
            "number",
            "extension",
            "contact__first_name",
            "contact__patronymic",
            "contact__last_name",
            "contact__language",
            "contact__account__name",
            "contact__account__manager",
        )
        .order_by("-is_primary", "id")[:limit]
    )


def account_last_delivery_move(*, account: Account) -> DeliveryDateChange | None:
    """The latest move of a promised delivery date for this client, if any: the card warns of it."""
    return (
        DeliveryDateChange.objects.filter(order__account=account)
        .select_related("order")
        .order_by("-created_at", "-id")
        .first()
    )


@dataclass
class ClientCard:
    account: Account
    contacts: list[Contact]
    timeline: Page
    orders: list[Order]
    open_commitments: list[Commitment]
    open_tasks: list[Task]
    open_service_requests: list[ServiceRequest]
    equipment: list[Equipment]
    last_delivery_move: DeliveryDateChange | None
    messages: list[OutboundMessage]
    panels: dict[str, list[ShownPanel]]  # each place's panels (crm/panels.py), in order
    now: datetime
    wow_moments: list[Interaction] = field(default_factory=list)  # the newest, for the card's line
    wow_count_year: int = 0

    @property
    def overdue_commitments(self) -> int:
        return sum(commitment.due_at < self.now for commitment in self.open_commitments)

    @property
    def open_orders(self) -> list[Order]:
        """The recent orders still on their way (neither delivered nor cancelled)."""
        done = {Order.Status.DELIVERED, Order.Status.CANCELLED}
        return [order for order in self.orders if order.status not in done]


def account_client_card(*, account: Account, timeline_page: int | str = 1, recent_orders: int = 10) -> ClientCard:
    """Everything a manager needs when the client calls, in a fixed number of queries."""
    contacts = list(
        account.contacts.select_related("behaviour_suggestion")
        .prefetch_related(Prefetch("phones", queryset=Phone.objects.order_by("-is_primary", "id")))
        .order_by("-is_decision_maker", "last_name", "id")
    )
    timeline = Paginator(
        account.interactions.select_related("contact", "user").order_by("-occurred_at", "-id"),
        settings.CRM_CLIENT_CARD_TIMELINE_PAGE_SIZE,
    ).get_page(timeline_page)
    orders = list(
        account.orders.prefetch_related(
            Prefetch("delivery_date_changes", queryset=DeliveryDateChange.objects.order_by("-created_at", "-id"))
        ).order_by("-ordered_at", "-id")[:recent_orders]
    )
    card = ClientCard(
        account=account,
        contacts=contacts,
        timeline=timeline,
        orders=orders,
        open_commitments=list(account.commitments.open().select_related("owner", "contact").order_by("due_at", "id")),
        open_tasks=list(
            account.tasks.open().select_related("assignee", "account").order_by("due_at", "-priority", "id")
        ),
        open_service_requests=list(
            account.service_requests.unresolved().select_related("assignee").order_by("first_response_due_at")
        ),
        equipment=list(account.equipment.select_related("last_signal").order_by("next_maintenance_at", "id")),
        last_delivery_move=account_last_delivery_move(account=account),
        messages=list(
            account.messages.select_related("contact", "recipient_user").order_by("-created_at", "-id")[
                : settings.CRM_CLIENT_CARD_MESSAGES
            ]
        ),
        panels={},
        now=timezone.now(),
    )
    wow = account.interactions.filter(wow=True)
    card.wow_count_year = wow.filter(occurred_at__gte=card.now - timedelta(days=365)).count()
    card.wow_moments = list(wow.order_by("-occurred_at", "-id")[:3])
    card.panels = card_panels_read(card)
    return card


def card_behaviour_from(card: ClientCard) -> Contact | None:
    """The decision maker whose type the account takes, when none is set on it."""
    if card.account.behaviour_type_set:
        return None
    deciding = (contact for contact in card.contacts if contact.is_decision_maker and contact.behaviour_type)
    return min(deciding, key=lambda contact: contact.id, default=None)


@dataclass(frozen=True)
class KeptRate:
    """Kept-promise rate (DOMAIN §3): promises kept on time / promises due in the period, with its sample."""

    due: int
    kept_on_time: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.kept_on_time / self.due, 1) if self.due else None

    @property
    def enough_data(self) -> bool:
        return self.due >= settings.CRM_METRICS_MIN_SAMPLE


def commitment_kept_rate(*, start: datetime, end: datetime, owner=None, department=None) -> KeptRate:
    """Over promises due in [start, end) and already due; cancelled ones do not count.

    A department's promises are those made in its name and those its members own.
    """
    promises = Commitment.objects.filter(due_at__gte=start, due_at__lt=min(end, timezone.now())).exclude(
        status=Commitment.Status.CANCELLED
    )
    if owner is not None:
        promises = promises.filter(owner=owner)
    if department is not None:
        promises = promises.filter(Q(department=department) | Q(owner__department=department))
    counts = promises.aggregate(
        due=Count("id"),
        kept=Count("id", filter=Q(status=Commitment.Status.KEPT, fulfilled_at__lte=F("due_at"))),
    )
    return KeptRate(due=counts["due"], kept_on_time=counts["kept"])


@dataclass(frozen=True)
class InternalServiceFigures:
    """What a serving department delivered to its internal customers (DOMAIN §9), with each figure's sample.

    Requests due in the period and already due count (cancelled ones do not); internal CSAT is over the rated ones,
    strict = share of 5, broad = share of 4 and 5 (DOMAIN §3 on a 1..5 scale).
    """

    department_id: int
    department: str
    month: datetime | None
    due: int
    kept_on_time: int
    rated: int
    top: int
    top_two: int
    overdue_now: int

    @property
    def kept_rate(self) -> KeptRate:
        return KeptRate(due=self.due, kept_on_time=self.kept_on_time)

    @property
    def csat_strict(self) -> float | None:
        return round(100 * self.top / self.rated, 1) if self.rated else None

    @property
    def csat_broad(self) -> float | None:
        return round(100 * self.top_two / self.rated, 1) if self.rated else None

    @property
    def csat_enough_data(self) -> bool:
        return self.rated >= settings.CRM_METRICS_MIN_SAMPLE


def internal_service_figures(
    *, start: datetime, end: datetime, department_ids=None, by_month: bool = True, now: datetime | None = None
) -> list[InternalServiceFigures]:
    """Per serving department (and due month, in the company's time zone): two grouped queries, any period."""
    now = now or timezone.now()
    requests = Commitment.objects.filter(receiving_department__isnull=False)
    if department_ids is not None:
        requests = requests.filter(department_id__in=department_ids)
    groups = ["department_id", "department__name", *(["month"] if by_month else [])]
    due = (
        requests.filter(due_at__gte=start, due_at__lt=min(end, now))
        .exclude(status=Commitment.Status.CANCELLED)
        .annotate(month=TruncMonth("due_at"))
        .values(*groups)
        .annotate(
            due=Count("id"),
            kept=Count("id", filter=Q(status=Commitment.Status.KEPT, fulfilled_at__lte=F("due_at"))),
            rated=Count("internal_rating"),
            top=Count("id", filter=Q(internal_rating=5)),
            top_two=Count("id", filter=Q(internal_rating__gte=4)),
        )
        .order_by("department__name", *(["month"] if by_month else []))
    )
    overdue = dict(requests.overdue(now=now).values_list("department_id").annotate(n=Count("id")).order_by())
    rows = [
        InternalServiceFigures(
            department_id=row["department_id"],
            department=row["department__name"],
            month=row.get("month"),
            due=row["due"],
            kept_on_time=row["kept"],
            rated=row["rated"],
            top=row["top"],
            top_two=row["top_two"],
            overdue_now=overdue.get(row["department_id"], 0),
        )
        for row in due
    ]
    # A department with overdue requests but none due in the period still shows, with its overdue count.
    seen = {row.department_id for row in rows}
    missing = {department_id: n for department_id, n in overdue.items() if department_id not in seen}
    if missing:
        names = dict(Department.objects.filter(id__in=missing).values_list("id", "name"))
        rows += [
            InternalServiceFigures(department_id, names[department_id], None, 0, 0, 0, 0, 0, n)
            for department_id, n in missing.items()
        ]
    return rows


@dataclass
class MyDay:
    tasks_due: list[Task]
    overdue_commitments: list[Commitment]
    commitments_due_today: list[Commitment]
    service_requests_at_risk: list[ServiceRequest]
    kept_rate_mine: KeptRate
    internal_service: list[InternalServiceFigures]
    now: datetime
    wow_mine: int = 0  # the wow moments this manager logged in the kept-rate window


def department_kept_rate(*, user, now: datetime | None = None) -> KeptRate | None:
    """The kept-promise rate of the user's department over the same window as My day's own: every promise of a
    department is counted, so it is loaded after the page (crm/admin/views.py)."""
    if not user.department_id:
        return None
    now = now or timezone.now()
    start = now - timedelta(days=settings.CRM_KEPT_RATE_WINDOW_DAYS)
    return commitment_kept_rate(start=start, end=now, department=user.department)


def my_day(*, user, now: datetime | None = None, limit: int = 100) -> MyDay:
    now = now or timezone.now()
    end_of_today = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=0)
    horizon = now + timedelta(hours=settings.CRM_MY_DAY_DEADLINE_HORIZON_HOURS)
    mine = Commitment.objects.open().filter(owner=user).select_related("account", "contact")
    window_start = now - timedelta(days=settings.CRM_KEPT_RATE_WINDOW_DAYS)
    return MyDay(
        tasks_due=list(
            Task.objects.open()
            .filter(assignee=user, due_at__lte=end_of_today)
            .select_related("account")
            .order_by("due_at", "-priority")[:limit]
        ),
        overdue_commitments=list(mine.filter(due_at__lt=now).order_by("due_at")[:limit]),
        commitments_due_today=list(mine.filter(due_at__gte=now, due_at__lte=end_of_today).order_by("due_at")[:limit]),
        service_requests_at_risk=list(
            ServiceRequest.objects.unresolved()
            .filter(first_response_at__isnull=True, first_response_due_at__lte=horizon)
            .filter(Q(assignee=user) | Q(assignee__isnull=True, account__manager=user))
            .select_related("account")
            .order_by("first_response_due_at")[:limit]
        ),
        kept_rate_mine=commitment_kept_rate(start=window_start, end=now, owner=user),
        internal_service=internal_service_figures(
            start=window_start, end=now, department_ids=user.headed_department_ids, by_month=False, now=now
        )
        if user.headed_department_ids
        else [],
        now=now,
        wow_mine=Interaction.objects.filter(user=user, wow=True, occurred_at__gte=window_start).count(),
    )
