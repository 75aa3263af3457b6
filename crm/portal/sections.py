"""The client page is a list of sections, each a table with its headline figures (and, for some, bars), read for one
account only. The page, the XLSX and the PDF all render the same sections, so they never disagree.

The core's sections are here; an app adds its own in AppConfig.ready():

    client_page_section_register(SectionSource(key="satisfaction", order=40, read=satisfaction_section))

`read(account, limit)` returns a Section (or None to leave it out), with at most `limit` rows (None: all), in the
active language, reading nothing but that account's rows: nothing internal (notes, margins, our people's details).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.formats import date_format, get_format
from django.utils.translation import gettext as _

from crm.models import Account, Commitment, DeliveryDateChange, Order, ResponseTarget, ServiceRequest

TEXT, NUMBER, MONEY, DATE, PERCENT = "text", "number", "money", "date", "percent"


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = TEXT


@dataclass(frozen=True)
class Figure:
    """A headline figure: its value (None: no data) and the sample it stands on."""

    label: str
    value: Decimal | float | int | None
    n: int
    kind: str = PERCENT


@dataclass(frozen=True)
class Bar:
    label: str
    percent: float | None
    n: int


@dataclass
class Section:
    key: str
    title: str
    columns: list[Column]
    rows: list[tuple]
    total: int  # rows in all; the page shows the newest `limit`
    figures: list[Figure] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    note: str = ""
    empty: str = ""


@dataclass(frozen=True)
class SectionSource:
    key: str
    order: int
    read: Callable[[Account, int | None], Section | None]


_SOURCES: dict[str, SectionSource] = {}


def client_page_section_register(source: SectionSource) -> None:
    _SOURCES[source.key] = source


def client_page_sections(account: Account, *, limit: int | None) -> list[Section]:
    """Every section of the account's page, in order, in the active language."""
    sections = (source.read(account, limit) for source in sorted(_SOURCES.values(), key=lambda s: (s.order, s.key)))
    return [section for section in sections if section is not None]


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def month_label(month: datetime | date) -> str:
    return date_format(month, "F Y")


_STRFTIME = {"d": "%d", "m": "%m", "Y": "%Y", "y": "%y"}


def short_date_formatter() -> Callable[[date], str]:
    """The active language's short date as a function, fast enough for thousands of rows: its format through
    strftime when it uses only day, month and year with zeros ("d.m.Y", "Y-m-d"), else Django's date_format."""
    django_format = get_format("SHORT_DATE_FORMAT")
    if all(char in _STRFTIME or not char.isalpha() for char in django_format):
        pattern = "".join(_STRFTIME.get(char, char.replace("%", "%%")) for char in django_format)
        return lambda day: day.strftime(pattern)
    return lambda day: date_format(day, "SHORT_DATE_FORMAT")


# On-time delivery ----------------------------------------------------------------------------------------------

MONTHS_SHOWN = 12


def first_promised_dates(account: Account) -> dict[int, date]:
    """The date first promised of each of the account's moved orders: the old date of its earliest move (an order
    never moved was first promised the date it has)."""
    first: dict[int, date] = {}
    moves = DeliveryDateChange.objects.filter(order__account=account, old_date__isnull=False).order_by(
        "created_at", "id"
    )
    for order_id, old_date in moves.values_list("order_id", "old_date"):
        first.setdefault(order_id, old_date)
    return first


def on_time_section(account: Account, limit: int | None) -> Section:
    """Share of delivered orders that arrived on or before the date first promised, per month of delivery (in the
    company's time zone). Counted here, not in SQL: the first promise is a per-order lookup a query would repeat
    for every order."""
    first = first_promised_dates(account)
    zone = timezone.get_current_timezone()
    months: dict[date, list[int]] = {}  # month -> [delivered, on time]
    delivered = (
        Order.objects.filter(account=account, delivered_at__isnull=False)
        .exclude(status=Order.Status.CANCELLED)
        .values_list("id", "promised_delivery_date", "delivered_at")
    )
    for order_id, promised, delivered_at in delivered:
        promised = first.get(order_id, promised)
        if promised is None:
            continue  # nothing was promised: neither on time nor late
        day = delivered_at.astimezone(zone).date()
        counts = months.setdefault(day.replace(day=1), [0, 0])
        counts[0] += 1
        counts[1] += day <= promised
    by_month = [
        {"month": month, "n": n, "on_time": on_time} for month, (n, on_time) in sorted(months.items(), reverse=True)
    ]
    n = sum(row["n"] for row in by_month)
    on_time = sum(row["on_time"] for row in by_month)
    recent = by_month[:MONTHS_SHOWN][::-1]
    return Section(
        key="on_time",
        title=_("On-time delivery"),
        columns=[
            Column(_("month")),
            Column(_("orders delivered"), NUMBER),
            Column(_("of them on time"), NUMBER),
            Column(_("share on time"), PERCENT),
        ],
        rows=[
            (month_label(row["month"]), row["n"], row["on_time"], percent(row["on_time"], row["n"]))
            for row in by_month[:limit]
        ],
        total=len(by_month),
        figures=[Figure(_("Delivered on or before the date first promised"), percent(on_time, n), n)],
        bars=[Bar(month_label(row["month"]), percent(row["on_time"], row["n"]), row["n"]) for row in recent],
        note=_(
            "An order counts as on time when it arrived on or before the first date we promised, even if the "
            "date was moved later."
        ),
        empty=_("No deliveries yet."),
    )


# Orders --------------------------------------------------------------------------------------------------------


def orders_section(account: Account, limit: int | None) -> Section:
    orders = Order.objects.filter(account=account)
    # Days in the company's time zone, computed by the database: thousands of rows convert nothing in Python.
    rows = list(
        orders.annotate(ordered_day=TruncDate("ordered_at"), delivered_day=TruncDate("delivered_at"))
        .order_by("-ordered_at", "-id")
        .values_list(
            "id", "number", "ordered_day", "status", "amount", "currency", "promised_delivery_date", "delivered_day"
        )[:limit]
    )
    changes = DeliveryDateChange.objects.filter(order__account=account, old_date__isnull=False)
    if limit is not None:
        changes = changes.filter(order_id__in=[row[0] for row in rows])
    short_date = short_date_formatter()
    moves: dict[int, list[str]] = {}
    first_promised: dict[int, date] = {}  # the old date of each order's earliest move
    for order_id, old, new, reason in changes.order_by("created_at", "id").values_list(
        "order_id", "old_date", "new_date", "reason"
    ):
        first_promised.setdefault(order_id, old)
        moves.setdefault(order_id, []).append(f"{short_date(old)} → {short_date(new)}: {reason}")
    statuses = {value: str(label) for value, label in Order.Status.choices}
    yes, no = _("yes"), _("no")
    table = []
    for order_id, number, ordered, status, amount, currency, now_promised, delivered in rows:
        first = first_promised.get(order_id, now_promised)
        on_time = "" if not (delivered and first) else (yes if delivered <= first else no)
        table.append(
            (
                number,
                ordered,
                statuses.get(status, status),
                (amount, currency),
                first,
                now_promised,
                delivered,
                on_time,
                "; ".join(moves.get(order_id, ())),
            )
        )
    return Section(
        key="orders",
        title=_("Orders"),
        columns=[
            Column(_("number")),
            Column(_("ordered"), DATE),
            Column(_("status")),
            Column(_("amount"), MONEY),
            Column(_("first promised"), DATE),
            Column(_("promised now"), DATE),
            Column(_("delivered"), DATE),
            Column(_("on time")),
            Column(_("moved dates and why")),
        ],
        rows=table,
        total=orders.count(),
        empty=_("No orders yet."),
    )


# Service -------------------------------------------------------------------------------------------------------


def _hours(delta: timedelta) -> Decimal:
    return (Decimal(delta.total_seconds()) / 3600).quantize(Decimal("0.1"))


def service_section(account: Account, limit: int | None) -> Section:
    """Their service requests, with the time to the first response and to resolution against our targets."""
    requests = ServiceRequest.objects.filter(account=account)
    # The first response's target is on each request (its due time); resolution targets are per channel, optional.
    targets = dict(ResponseTarget.objects.exclude(resolution_hours=None).values_list("channel", "resolution_hours"))
    counts = requests.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(resolved_at__isnull=True)),
        answered=Count("id", filter=Q(first_response_at__isnull=False)),
        answered_in_time=Count("id", filter=Q(first_response_at__lte=F("first_response_due_at"))),
    )
    resolved = requests.filter(resolved_at__isnull=False, channel__in=targets).values_list(
        "channel", "created_at", "resolved_at"
    )
    within = [resolved_at - created <= timedelta(hours=targets[channel]) for channel, created, resolved_at in resolved]
    statuses, channels = dict(ServiceRequest.Status.choices), dict(ServiceRequest.Channel.choices)
    yes, no = _("yes"), _("no")
    rows = []
    for subject, channel, status, created, first, due, resolved_at in requests.order_by(
        "-created_at", "-id"
    ).values_list(
        "subject", "channel", "status", "created_at", "first_response_at", "first_response_due_at", "resolved_at"
    )[:limit]:
        resolution_target = targets.get(channel)
        rows.append(
            (
                timezone.localdate(created),
                subject,
                str(channels.get(channel, channel)),
                str(statuses.get(status, status)),
                _hours(first - created) if first else None,
                (yes if first <= due else no) if first else "",
                _hours(resolved_at - created) if resolved_at else None,
                ""
                if not (resolved_at and resolution_target)
                else (yes if resolved_at - created <= timedelta(hours=resolution_target) else no),
            )
        )
    return Section(
        key="service",
        title=_("Service requests"),
        columns=[
            Column(_("opened"), DATE),
            Column(_("subject")),
            Column(_("channel")),
            Column(_("status")),
            Column(_("first response, hours"), NUMBER),
            Column(_("within target")),
            Column(_("resolved in, hours"), NUMBER),
            Column(_("within target")),
        ],
        rows=rows,
        total=counts["total"],
        figures=[
            Figure(
                _("First response within our target"),
                percent(counts["answered_in_time"], counts["answered"]),
                counts["answered"],
            ),
            *(
                [Figure(_("Resolved within our target"), percent(sum(within), len(within)), len(within))]
                if targets
                else []
            ),
            Figure(_("Open now"), counts["open"], counts["total"], NUMBER),
        ],
        note=_(
            "Our targets for the first response: e-mail and web form within 24 hours, social media within an "
            "hour, phone within 3 minutes, chat and messengers at once."
        ),
        empty=_("No service requests."),
    )


# Promises ------------------------------------------------------------------------------------------------------


def promises_section(account: Account, limit: int | None) -> Section:
    """What we promised them and whether we kept it (the promises made to this account only)."""
    promises = Commitment.objects.filter(account=account).exclude(status=Commitment.Status.CANCELLED)
    now = timezone.now()
    counts = promises.filter(due_at__lt=now).aggregate(
        due=Count("id"), kept=Count("id", filter=Q(status=Commitment.Status.KEPT, fulfilled_at__lte=F("due_at")))
    )
    statuses = dict(Commitment.Status.choices)
    yes, no = _("yes"), _("no")
    rows = []
    for description, due, status, fulfilled in promises.order_by("-due_at", "-id").values_list(
        "description", "due_at", "status", "fulfilled_at"
    )[:limit]:
        kept = "" if status == Commitment.Status.OPEN else (yes if fulfilled and fulfilled <= due else no)
        rows.append((description, timezone.localdate(due), str(statuses.get(status, status)), kept))
    return Section(
        key="promises",
        title=_("What we promised"),
        columns=[Column(_("promise")), Column(_("due"), DATE), Column(_("status")), Column(_("kept on time"))],
        rows=rows,
        total=promises.count(),
        figures=[Figure(_("Promises kept on time"), percent(counts["kept"], counts["due"]), counts["due"])],
        empty=_("No promises recorded."),
    )


client_page_section_register(SectionSource(key="on_time", order=10, read=on_time_section))
client_page_section_register(SectionSource(key="orders", order=20, read=orders_section))
client_page_section_register(SectionSource(key="service", order=30, read=service_section))
client_page_section_register(SectionSource(key="promises", order=50, read=promises_section))
