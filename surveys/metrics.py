"""CX metrics, exactly as DOMAIN §3 defines them, each with its sample size and inputs.

Every function takes the same filters (period, account, manager, industry; a survey for the survey
metrics) and the user asking, whose access limits the data like everywhere else. A figure on fewer
than CRM_METRICS_MIN_SAMPLE cases says so (`enough_data: false`) rather than hiding.
"""

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.access import account_access_q
from crm.models import Account, Commitment, LeadSource, LeadSourceCost, Order, OrderLine, ServiceRequest
from surveys.models import Answer, Survey


@dataclass(frozen=True)
class MetricFilters:
    user: object
    start: datetime | None = None
    end: datetime | None = None
    account: int | None = None
    manager: int | None = None
    industry: int | None = None
    lead_source: int | None = None
    survey: Survey | None = None

    def accounts_q(self, prefix: str = "") -> Q:
        q = account_access_q(self.user, prefix=prefix)
        if self.account is not None:
            q &= Q(**{f"{prefix}id": self.account})
        if self.manager is not None:
            q &= Q(**{f"{prefix}manager_id": self.manager})
        if self.industry is not None:
            q &= Q(**{f"{prefix}industry_id": self.industry})
        if self.lead_source is not None:
            q &= Q(**{f"{prefix}lead_source_id": self.lead_source})
        return q

    def period_q(self, field: str) -> Q:
        q = Q()
        if self.start is not None:
            q &= Q(**{f"{field}__gte": self.start})
        if self.end is not None:
            q &= Q(**{f"{field}__lt": self.end})
        return q


def _enough(n: int) -> bool:
    return n >= settings.CRM_METRICS_MIN_SAMPLE


def _money(amount) -> str:
    return str(Decimal(amount or 0).quantize(Decimal("0.01")))


def _pct(part, whole, digits=1):
    return round(100 * part / whole, digits) if whole else None


def _answers(filters: MetricFilters, *metric_names: str):
    """Scored answers of the metrics named. Manager and industry are those of the account when the client answered
    (copied onto each answer), so a reassigned account's history stays with the manager who earned it."""
    answers = Answer.objects.filter(metric__in=metric_names, score__isnull=False)
    answers = answers.filter(filters.period_q("submitted_at"))
    if filters.survey is not None:
        answers = answers.filter(survey=filters.survey)
    if filters.account is not None:
        answers = answers.filter(account_id=filters.account)
    if filters.manager is not None:
        answers = answers.filter(manager_id=filters.manager)
    if filters.industry is not None:
        answers = answers.filter(industry_id=filters.industry)
    if not filters.user.sees_all_accounts:
        answers = answers.filter(account_access_q(filters.user, prefix="account__"))
    return answers


def score_counts(filters: MetricFilters, *metric_names: str, by: dict | None = None) -> list[dict]:
    """How many answers gave each score on each scale, per metric and per each expression of `by` (named by its
    key): the rows every survey metric is computed from, so one pass over the answers gives several figures."""
    by = by or {}
    return list(
        _answers(filters, *metric_names)
        .values("metric", "score", "scale_max", **by)
        .annotate(n=Count("*"))  # not the id, which the answers' covering indexes leave out
        .values("metric", "score", "scale_max", "n", *by)
        .order_by()
    )


def nps(filters: MetricFilters) -> dict:
    return nps_of(score_counts(filters, "nps"))


def nps_of(rows: list[dict]) -> dict:
    """%promoters (9-10) − %detractors (0-6), −100..100, with the 95 % margin of error in points."""
    n = sum(row["n"] for row in rows)
    promoters = sum(row["n"] for row in rows if row["score"] >= 9)
    detractors = sum(row["n"] for row in rows if row["score"] <= 6)
    value = margin = None
    if n:
        p, d = promoters / n, detractors / n
        value = round(100 * (p - d), 1)
        margin = round(1.96 * math.sqrt(max(p + d - (p - d) ** 2, 0) / n) * 100, 1)
    return {
        "value": value,
        "n": n,
        "promoters": promoters,
        "passives": n - promoters - detractors,
        "detractors": detractors,
        "margin_of_error": margin,
        "enough_data": _enough(n),
    }


def _per_score(rows: list[dict]) -> dict[tuple[int, int], int]:
    """Rows of any grouping folded to answers per (scale_max, score)."""
    counts: dict[tuple[int, int], int] = {}
    for row in rows:
        key = (row["scale_max"], row["score"])
        counts[key] = counts.get(key, 0) + row["n"]
    return counts


def csat(filters: MetricFilters) -> dict:
    return csat_of(score_counts(filters, "csat"))


def csat_of(rows: list[dict]) -> dict:
    """Strict: share of the top score; broad: share of the top two; per scale. The top two of five and the top
    two of ten are not the same share of satisfied clients, so answers on several scales are reported per scale
    (`by_scale`) and never pooled into one percentage."""
    counts = _per_score(rows)
    by_scale = []
    for scale_max in sorted({scale for scale, _score in counts}):
        on_scale = sorted((score, n) for (scale, score), n in counts.items() if scale == scale_max)
        n = sum(count for _score, count in on_scale)
        by_scale.append(
            {
                "scale": f"1..{scale_max}",
                "strict": _pct(sum(count for score, count in on_scale if score == scale_max), n),
                "broad": _pct(sum(count for score, count in on_scale if score >= scale_max - 1), n),
                "n": n,
                "distribution": {str(score): count for score, count in on_scale},
            }
        )
    n = sum(scale["n"] for scale in by_scale)
    if len(by_scale) == 1:
        return {**by_scale[0], "enough_data": _enough(n)}
    return {
        "strict": None,
        "broad": None,
        "n": n,
        "scale": "mixed" if by_scale else None,
        "distribution": {},
        "by_scale": by_scale,
        "enough_data": False,
    }


def ces(filters: MetricFilters) -> dict:
    return ces_of(score_counts(filters, "ces"))


def ces_of(rows: list[dict]) -> dict:
    """The mean score, higher is easier, reported with its scale; several scales are never averaged together."""
    counts = _per_score(rows)
    by_scale = []
    for scale_max in sorted({scale for scale, _score in counts}):
        on_scale = [(score, count) for (scale, score), count in counts.items() if scale == scale_max]
        n = sum(count for _score, count in on_scale)
        mean = sum(score * count for score, count in on_scale) / n
        by_scale.append({"scale": f"1..{scale_max}", "value": round(mean, 2), "n": n})
    n = sum(scale["n"] for scale in by_scale)
    if len(by_scale) == 1:
        return {**by_scale[0], "enough_data": _enough(n)}
    return {"value": None, "n": n, "scale": "mixed" if by_scale else None, "by_scale": by_scale, "enough_data": False}


def _accounts(filters: MetricFilters):
    return Account.objects.filter(filters.accounts_q())


def _orders(filters: MetricFilters):
    return Order.objects.exclude(status=Order.Status.CANCELLED).filter(filters.accounts_q(prefix="account__"))


def _active_at(orders, moment: datetime) -> set[int]:
    cycle = timedelta(days=settings.CRM_CHURN_CYCLE_DAYS)
    return set(
        orders.filter(ordered_at__gte=moment - cycle, ordered_at__lt=moment)
        .values_list("account_id", flat=True)
        .distinct()
    )


def churn(filters: MetricFilters) -> dict:
    """Lost during the period / active at its start × 100. Active: ordered within the expected cycle
    (CRM_CHURN_CYCLE_DAYS) before the moment and not marked churned. New clients do not offset lost ones."""
    end = filters.end or timezone.now()
    start = filters.start or end - timedelta(days=365)
    orders = _orders(filters)
    active_start = _active_at(orders, start)
    churned = set(
        Account.objects.filter(id__in=active_start, status=Account.Status.CHURNED)
        .filter(events__type="status_changed", events__created_at__gte=start, events__created_at__lt=end)
        .values_list("id", flat=True)
    )
    still_active = _active_at(orders, end)
    lost = {account for account in active_start if account in churned or account not in still_active}
    n = len(active_start)
    return {"value": _pct(len(lost), n), "n": n, "lost": len(lost), "active_at_start": n, "enough_data": _enough(n)}


def clv(filters: MetricFilters) -> dict:
    """APV × APF × ACL: revenue per purchase, purchases per customer per year, mean customer lifetime in years;
    and `margin_value`, the same with APV in gross margin per purchase (per category margin, see _margins).
    A customer's lifetime runs from their first order to the end of the period (today by default) while they
    are still a customer (not marked churned, and ordered within CRM_CHURN_CYCLE_DAYS of the end), else to their
    last order: so a client who ordered once last month has a month of lifetime, not none. Over orders in the
    period (default: all)."""
    end = filters.end or timezone.now()
    cycle = timedelta(days=settings.CRM_CHURN_CYCLE_DAYS)
    orders = _orders(filters).filter(filters.period_q("ordered_at"))
    totals = orders.aggregate(revenue=Sum("amount"), purchases=Count("id"), customers=Count("account", distinct=True))
    revenue, purchases, customers = totals["revenue"] or Decimal(0), totals["purchases"], totals["customers"]
    current = Q(last__gte=end - cycle) & ~Q(account__status=Account.Status.CHURNED)
    lifetime = (
        _orders(filters)
        .filter(account_id__in=orders.values("account_id"), ordered_at__lt=end)
        .values("account_id")
        .annotate(first=Min("ordered_at"), last=Max("ordered_at"))
        .annotate(until=Case(When(current, then=Value(end)), default=F("last"), output_field=DateTimeField()))
        .annotate(lifetime=ExpressionWrapper(F("until") - F("first"), output_field=DurationField()))
        .order_by()
        .aggregate(average=Avg("lifetime"))["average"]
    )
    acl = lifetime.total_seconds() / (365.25 * 86400) if lifetime is not None else 0.0
    first_order = orders.aggregate(first=Min("ordered_at"))["first"]
    period_years = (
        ((filters.end or timezone.now()) - (filters.start or first_order)).days / 365.25 if first_order else 0
    )
    apv = revenue / purchases if purchases else Decimal(0)
    apf = purchases / customers / max(period_years, 1 / 12) if customers else 0.0
    value = round(float(apv) * apf * acl, 2)
    margin = margin_total(orders) if purchases else Decimal(0)
    return {
        "value": value,
        # The same in gross-margin terms (APV of margin, DOMAIN §3 ROI's margin): what a client may cost to win.
        "margin_value": round(float(margin / purchases) * apf * acl, 2) if purchases else 0.0,
        "gross_margin": _money(margin),
        "n": customers,
        "apv": round(float(apv), 2),
        "apf_per_year": round(apf, 3),
        "acl_years": round(acl, 3),
        "revenue": _money(revenue),
        "purchases": purchases,
        "enough_data": _enough(customers),
    }


def _service_requests(filters: MetricFilters):
    return ServiceRequest.objects.filter(filters.accounts_q(prefix="account__")).filter(filters.period_q("created_at"))


def first_response(filters: MetricFilters) -> dict:
    """First response − request time, per channel, against each channel's target."""
    rows = (
        _service_requests(filters)
        .filter(first_response_at__isnull=False)
        .values_list("channel", "created_at", "first_response_at", "first_response_due_at")
    )
    per_channel: dict[str, list] = {}
    for channel, created, responded, due in rows:
        per_channel.setdefault(channel, []).append(((responded - created).total_seconds() / 60, responded <= due))
    channels = {
        channel: {
            "n": len(values),
            "mean_minutes": round(statistics.fmean(v for v, _ok in values), 1),
            "median_minutes": round(statistics.median(v for v, _ok in values), 1),
            "within_target": _pct(sum(ok for _v, ok in values), len(values)),
        }
        for channel, values in sorted(per_channel.items())
    }
    all_values = [v for values in per_channel.values() for v, _ok in values]
    n = len(all_values)
    return {
        "median_minutes": round(statistics.median(all_values), 1) if n else None,
        "n": n,
        "within_target": _pct(sum(ok for values in per_channel.values() for _v, ok in values), n),
        "channels": channels,
        "enough_data": _enough(n),
    }


def fcr(filters: MetricFilters) -> dict:
    """Requests resolved at the first contact / all requests × 100."""
    counts = _service_requests(filters).aggregate(
        n=Count("id"), first=Count("id", filter=Q(resolved_at_first_contact=True))
    )
    return {
        "value": _pct(counts["first"], counts["n"]),
        "n": counts["n"],
        "resolved_at_first_contact": counts["first"],
        "enough_data": _enough(counts["n"]),
    }


def resolution_time(filters: MetricFilters) -> dict:
    """Mean and median of (resolved − created), in hours, over resolved requests."""
    hours = [
        (resolved - created).total_seconds() / 3600
        for created, resolved in _service_requests(filters)
        .filter(resolved_at__isnull=False)
        .values_list("created_at", "resolved_at")
    ]
    n = len(hours)
    return {
        "mean_hours": round(statistics.fmean(hours), 2) if n else None,
        "median_hours": round(statistics.median(hours), 2) if n else None,
        "n": n,
        "enough_data": _enough(n),
    }


def repeat_purchase(filters: MetricFilters) -> dict:
    """Share of customers with two or more orders, and the mean value of their 2nd and later orders."""
    orders = _orders(filters).filter(filters.period_q("ordered_at"))
    per_account = list(orders.values("account_id").annotate(n=Count("id")).values_list("account_id", "n"))
    customers = len(per_account)
    repeat = [account for account, count in per_account if count >= 2]
    repeat_values = []
    if repeat:
        by_account: dict[int, list] = {}
        for account_id, amount in (
            orders.filter(account_id__in=repeat).order_by("ordered_at", "id").values_list("account_id", "amount")
        ):
            by_account.setdefault(account_id, []).append(amount)
        repeat_values = [amount for amounts in by_account.values() for amount in amounts[1:]]
    return {
        "value": _pct(len(repeat), customers),
        "n": customers,
        "repeat_customers": len(repeat),
        "average_repeat_order": _money(sum(repeat_values) / len(repeat_values)) if repeat_values else None,
        "enough_data": _enough(customers),
    }


def kept_promises(filters: MetricFilters) -> dict:
    """Kept on time / due in the period × 100 (promises already due; cancelled ones do not count).
    The manager filter means the promises that manager owns."""
    end = min(filters.end or timezone.now(), timezone.now())
    promises = Commitment.objects.filter(due_at__lt=end).exclude(status=Commitment.Status.CANCELLED)
    if filters.start is not None:
        promises = promises.filter(due_at__gte=filters.start)
    if filters.account is not None:
        promises = promises.filter(account_id=filters.account)
    if filters.manager is not None:
        promises = promises.filter(owner_id=filters.manager)
    if filters.industry is not None:
        promises = promises.filter(account__industry_id=filters.industry)
    if not filters.user.sees_all_accounts:
        promises = promises.filter(Q(owner=filters.user) | account_access_q(filters.user, prefix="account__"))
    counts = promises.aggregate(
        due=Count("id"), kept=Count("id", filter=Q(status=Commitment.Status.KEPT, fulfilled_at__lte=F("due_at")))
    )
    return {
        "value": _pct(counts["kept"], counts["due"]),
        "n": counts["due"],
        "kept_on_time": counts["kept"],
        "enough_data": _enough(counts["due"]),
    }


def _margins(orders, by: str) -> dict:
    """Gross margin of `orders` per value of `by` (a path from the order): an order's lines at their product
    category's margin (the company's, CRM_GROSS_MARGIN_PERCENT, where the category has none); an order without
    lines at the company's."""
    default = Decimal(str(settings.CRM_GROSS_MARGIN_PERCENT))
    on_lines = (
        OrderLine.objects.filter(order__in=orders.values("id"))
        .values(f"order__{by}")
        .annotate(
            margin=Sum(
                F("quantity") * F("unit_price") * Coalesce("product__category__margin_percent", Value(default)),
                output_field=DecimalField(),
            )
        )
        .values_list(f"order__{by}", "margin")
    )
    without_lines = (
        orders.filter(~Exists(OrderLine.objects.filter(order=OuterRef("pk"))))
        .values(by)
        .annotate(revenue=Sum("amount"))
        .values_list(by, "revenue")
    )
    margins: dict = {}
    for key, margin in on_lines:
        margins[key] = margins.get(key, Decimal(0)) + Decimal(str(margin or 0)) / 100
    for key, revenue in without_lines:
        margins[key] = margins.get(key, Decimal(0)) + Decimal(str(revenue or 0)) * default / 100
    return margins


def margin_by_lead_source(orders) -> dict[int, Decimal]:
    """Each lead source's gross margin on `orders` (see _margins)."""
    return _margins(orders, "account__lead_source")


def margin_total(orders) -> Decimal:
    """The gross margin of `orders` (see _margins)."""
    return sum(_margins(orders, "currency").values(), Decimal(0))


def _costs_in_period(filters: MetricFilters) -> dict[int, Decimal]:
    """Each lead source's cost in the period: a cost row counts in proportion to the days it shares with the
    period (a quarter's cost over a month of it counts a third), not whole."""
    costs = LeadSourceCost.objects.all()
    start = filters.start.date() if filters.start else None
    end = filters.end.date() if filters.end else None  # exclusive
    if start is not None:
        costs = costs.filter(period_end__gte=start)
    if end is not None:
        costs = costs.filter(period_start__lt=end)
    totals: dict[int, Decimal] = {}
    for row in costs.values("lead_source_id", "period_start", "period_end", "amount"):
        days = (row["period_end"] - row["period_start"]).days + 1
        first = max(row["period_start"], start) if start else row["period_start"]
        last = min(row["period_end"], end - timedelta(days=1)) if end else row["period_end"]
        share = Decimal(max((last - first).days + 1, 0)) / days
        totals[row["lead_source_id"]] = totals.get(row["lead_source_id"], Decimal(0)) + row["amount"] * share
    return totals


def roi(filters: MetricFilters) -> dict:
    """Per lead source: (gross margin − cost) / cost × 100, over orders and costs in the period (costs in
    proportion to their overlap with it; the margin per product category, margin_by_lead_source); and what
    acquiring a client cost: the cost over the clients of the source whose first order fell in the period."""
    orders = _orders(filters).filter(filters.period_q("ordered_at"))
    margins = margin_by_lead_source(orders.filter(account__lead_source__isnull=False))
    revenue = dict(
        orders.filter(account__lead_source__isnull=False)
        .values("account__lead_source")
        .annotate(revenue=Sum("amount"))
        .values_list("account__lead_source", "revenue")
    )
    customers = dict(
        orders.filter(account__lead_source__isnull=False)
        .values("account__lead_source")
        .annotate(n=Count("account", distinct=True))
        .values_list("account__lead_source", "n")
    )
    cost = _costs_in_period(filters)
    first_order = (
        Order.objects.exclude(status=Order.Status.CANCELLED)
        .filter(account=OuterRef("pk"))
        .order_by("ordered_at")
        .values("ordered_at")[:1]
    )
    acquired = dict(
        _accounts(filters)
        .filter(lead_source__isnull=False)
        .annotate(first=Subquery(first_order))
        .filter(filters.period_q("first"), first__isnull=False)
        .values("lead_source")
        .annotate(n=Count("id"))
        .values_list("lead_source", "n")
    )
    sources = []
    for source in LeadSource.objects.filter(id__in=set(revenue) | set(cost)).order_by("name"):
        income, spent = revenue.get(source.id, Decimal(0)), cost.get(source.id, Decimal(0))
        margin = margins.get(source.id, Decimal(0))
        sources.append(
            {
                "lead_source": source.name,
                "revenue": _money(income),
                "margin": _money(margin),
                "cost": _money(spent),
                "customers": customers.get(source.id, 0),
                "acquired": acquired.get(source.id, 0),
                "cost_per_client": _money(spent / acquired[source.id]) if spent and acquired.get(source.id) else None,
                "value": round(float((margin - spent) / spent * 100), 1) if spent else None,
            }
        )
    return {
        "margin_percent": settings.CRM_GROSS_MARGIN_PERCENT,
        "n": sum(customers.values()),
        "lead_sources": sources,
        "enough_data": _enough(sum(customers.values())),
    }


METRICS = {
    "nps": nps,
    "csat": csat,
    "ces": ces,
    "churn": churn,
    "clv": clv,
    "first-response": first_response,
    "fcr": fcr,
    "resolution-time": resolution_time,
    "repeat-purchase": repeat_purchase,
    "kept-promises": kept_promises,
    "roi": roi,
}
SURVEY_METRICS = {"nps", "csat", "ces"}
