"""Reads for the surveys dashboard and the monthly review."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Avg, Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from crm.access import account_access_q
from crm.models import Industry, User
from crm.telephony.card import CallerCardPart, moment
from surveys import answer_months, metrics
from surveys.models import Answer, Case, FeedbackItem, Invitation, Survey


def zone_of(mean: float | None) -> str:
    """DOMAIN §4: green from CRM_ZONE_GREEN_FROM, yellow from CRM_ZONE_YELLOW_FROM, red below, grey unknown."""
    if mean is None:
        return "grey"
    if mean >= settings.CRM_ZONE_GREEN_FROM:
        return "green"
    if mean >= settings.CRM_ZONE_YELLOW_FROM:
        return "yellow"
    return "red"


def _metric_point(metric: str, rows: list[dict]) -> float | None:
    """One metric's value from grouped (score, scale_max, count) rows."""
    n = sum(row["n"] for row in rows)
    if not n:
        return None
    if metric != "nps" and len({row["scale_max"] for row in rows}) > 1:
        return None  # CSAT or CES on several scales: not one figure (the headline gives them per scale)
    if metric == "nps":
        promoters = sum(row["n"] for row in rows if row["score"] >= 9)
        detractors = sum(row["n"] for row in rows if row["score"] <= 6)
        return round(100 * (promoters - detractors) / n, 1)
    if metric == "csat":
        return round(100 * sum(row["n"] for row in rows if row["score"] >= row["scale_max"] - 1) / n, 1)
    return round(sum(row["score"] * row["n"] for row in rows) / n, 2)


@dataclass
class Series:
    labels: list[str]
    values: dict[str, list]  # metric -> value per label (None where there is no answer)
    counts: dict[str, list]


SURVEY_METRICS = ("nps", "csat", "ces")
# group -> (its column in score-count rows, the expression); not named after Answer's own fields, which Django refuses.
_GROUPS = {
    "month": ("month", TruncMonth("submitted_at")),
    "manager": ("by_manager", F("manager_id")),
    "industry": ("by_industry", F("industry_id")),
}


def _series(rows: list[dict], group_by: str) -> Series:
    """NPS, CSAT (broad) and CES per month, manager or industry of score-count rows, with n per point."""
    column = _GROUPS[group_by][0]
    grouped: dict = {}
    for row in rows:
        grouped.setdefault(row[column], {}).setdefault(row["metric"], []).append(row)
    groups = sorted((g for g in grouped if g is not None), key=str)
    if group_by == "month":
        labels = [g.strftime("%Y-%m") for g in groups]
    else:
        model = User if group_by == "manager" else Industry
        names = {obj.id: str(obj) for obj in model.objects.filter(id__in=groups)}
        labels = [names.get(g, "—") for g in groups]
    values = {m: [_metric_point(m, grouped[g].get(m, [])) for g in groups] for m in SURVEY_METRICS}
    counts = {m: [sum(r["n"] for r in grouped[g].get(m, [])) for g in groups] for m in SURVEY_METRICS}
    return Series(labels, values, counts)


def _score_counts(filters: metrics.MetricFilters, *groups: str, months: bool = False) -> list[dict]:
    """Score-count rows of the survey metrics per group; with `months`, from the monthly counts where they answer
    (surveys/answer_months.py: answer_months.usable(filters) says when)."""

    def from_answers(part: metrics.MetricFilters) -> list[dict]:
        return metrics.score_counts(part, *SURVEY_METRICS, by=dict(_GROUPS[group] for group in groups))

    if months:
        return answer_months.score_counts(filters, SURVEY_METRICS, groups, from_answers)
    return from_answers(filters)


@dataclass
class Figures:
    headline: dict[str, dict]  # metric -> what metrics.nps/csat/ces return
    by: dict[str, Series]  # month, manager, industry


def dashboard_figures(filters: metrics.MetricFilters) -> Figures:
    """The dashboard's headline and its series from score-count rows, which every figure folds out of:
    - from the monthly counts (answer_months.usable), a pass per grouping;
    - over every account's answers, two passes: by month and manager (the headline and both series), and by
      industry. Months times managers stay a few thousand rows however many answers there are; adding industries
      to the first pass would multiply them;
    - over some accounts' answers (a manager's, a department's, a filter's), one pass by all three: its cost is
      reaching each account's answers, which a second pass would pay again (110 ms a pass for a manager of 20,000
      accounts), and its rows are at most those answers."""
    if answer_months.usable(filters):  # the counts are small: a pass per grouping makes fewer rows
        rows, by_manager = _score_counts(filters, "month", months=True), _score_counts(filters, "manager", months=True)
        by_industry = _score_counts(filters, "industry", months=True)
    elif not filters.accounts_q():  # every account's answers
        rows = by_manager = _score_counts(filters, "month", "manager")
        by_industry = _score_counts(filters, "industry")
    else:
        rows = by_manager = by_industry = _score_counts(filters, "month", "manager", "industry")
    of = {"nps": metrics.nps_of, "csat": metrics.csat_of, "ces": metrics.ces_of}
    return Figures(
        headline={metric: of[metric]([row for row in rows if row["metric"] == metric]) for metric in SURVEY_METRICS},
        by={
            "month": _series(rows, "month"),
            "manager": _series(by_manager, "manager"),
            "industry": _series(by_industry, "industry"),
        },
    )


def response_funnel(*, user, start: datetime, end: datetime, survey: Survey | None = None) -> dict:
    invitations = Invitation.objects.filter(created_at__gte=start, created_at__lt=end, dropped_reason="").filter(
        account_access_q(user, prefix="account__")
    )
    if survey is not None:
        invitations = invitations.filter(survey=survey)
    return invitations.aggregate(
        invited=Count("id"),
        sent=Count("id", filter=Q(sent_at__isnull=False)),
        opened=Count("id", filter=Q(opened_at__isnull=False)),
        reminded=Count("id", filter=Q(reminders_sent__gt=0)),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
    )


def feedback_done_within_quarter(*, user, start: datetime, end: datetime) -> dict:
    """Of the wishes raised in the period (fix_three and reasons, not compliments) at least a quarter ago,
    how many were done within 91 days. The source's practice is about 60 %."""
    now = timezone.now()
    items = (
        FeedbackItem.objects.filter(created_at__gte=start, created_at__lt=min(end, now - timedelta(days=91)))
        .exclude(question_code="like_three")
        .filter(account_access_q(user, prefix="account__"))
    )
    n = items.count()
    done = sum(
        1
        for created, done_at in items.filter(done_at__isnull=False).values_list("created_at", "done_at")
        if done_at - created <= timedelta(days=91)
    )
    return {"value": round(100 * done / n, 1) if n else None, "n": n, "done": done}


def relationship_zones(*, user, start: datetime, end: datetime) -> dict[int, dict]:
    """account id -> {"mean", "n", "zone"} from relationship-survey scores in [start, end)."""
    rows = (
        Answer.objects.filter(
            survey__kind=Survey.Kind.RELATIONSHIP,
            score__isnull=False,
            submitted_at__gte=start,
            submitted_at__lt=end,
        )
        .filter(account_access_q(user, prefix="account__"))
        .values("account_id")
        .annotate(mean=Avg("score"), n=Count("id"))
    )
    return {row["account_id"]: {"mean": row["mean"], "n": row["n"], "zone": zone_of(row["mean"])} for row in rows}


def monthly_review(*, user, month_start: datetime) -> dict:
    """What came in this month per zone and per manager, what was done, and what is overdue."""
    month_end = (month_start + timedelta(days=32)).replace(day=1)
    now = timezone.now()
    zones = relationship_zones(user=user, start=month_start, end=month_end)
    items = FeedbackItem.objects.filter(account_access_q(user, prefix="account__")).select_related(
        "account__manager", "contact"
    )
    came_in = list(items.filter(created_at__gte=month_start, created_at__lt=month_end).order_by("-urgency", "id"))
    done = list(items.filter(done_at__gte=month_start, done_at__lt=month_end).order_by("id"))
    overdue_cases = list(
        Case.objects.open()
        .filter(due_at__lt=now)
        .filter(account_access_q(user, prefix="account__"))
        .select_related("account", "owner")
        .order_by("due_at")
    )
    stale_items = list(
        items.filter(
            status__in=[FeedbackItem.Status.NEW, FeedbackItem.Status.PLANNED, FeedbackItem.Status.IN_PROGRESS],
            created_at__lt=now - timedelta(days=91),
        ).order_by("created_at")[:200]
    )
    by_zone = {zone: {"accounts": 0, "came_in": [], "done": 0} for zone in ("red", "yellow", "green", "grey")}
    for item in came_in:
        by_zone[zones.get(item.account_id, {}).get("zone", "grey")]["came_in"].append(item)
    for item in done:
        by_zone[zones.get(item.account_id, {}).get("zone", "grey")]["done"] += 1
    for info in zones.values():
        by_zone[info["zone"]]["accounts"] += 1
    by_manager: dict = {}
    for item in came_in:
        row = by_manager.setdefault(item.account.manager, {"came_in": 0, "done": 0, "open_cases": 0})
        row["came_in"] += 1
    for item in done:
        by_manager.setdefault(item.account.manager, {"came_in": 0, "done": 0, "open_cases": 0})["done"] += 1
    for case in overdue_cases:
        by_manager.setdefault(case.owner, {"came_in": 0, "done": 0, "open_cases": 0})["open_cases"] += 1
    return {
        "month_start": month_start,
        "by_zone": by_zone,
        "by_manager": sorted(by_manager.items(), key=lambda pair: str(pair[0] or "")),
        "overdue_cases": overdue_cases,
        "stale_items": stale_items,
    }


# --- On the client card and the caller card ----------------------------------------------------------


def account_last_nps(*, account_id: int) -> dict | None:
    """The account's latest recommendation score (any survey's NPS question), from the answers' index."""
    return (
        Answer.objects.filter(account_id=account_id, metric="nps", score__isnull=False)
        .order_by("-submitted_at")
        .values("score", "scale_max", "submitted_at")
        .first()
    )


@dataclass
class FeedbackPanel:
    last_nps: dict | None
    open_cases: list[Case]
    feedback_items: list[FeedbackItem]


def account_feedback_panel(*, account) -> FeedbackPanel:
    """The client card's feedback panel: the last score, the open cases and the wishes not done or rejected."""
    return FeedbackPanel(
        last_nps=account_last_nps(account_id=account.id),
        open_cases=list(account.cases.open().select_related("owner").order_by("due_at")),
        feedback_items=list(
            account.feedback_items.exclude(status__in=["done", "rejected"]).order_by("-urgency", "-created_at")[:10]
        ),
    )


def last_nps_caller_card_part():
    """The caller card's "last_nps": {"score", "of", "at"} or None (crm/telephony/card.py)."""

    def orm(account) -> tuple | None:
        nps = account_last_nps(account_id=account.id)
        return (nps["score"], nps["scale_max"], nps["submitted_at"]) if nps else None

    return CallerCardPart(
        key="last_nps",
        sql="SELECT json_build_array(score, scale_max, submitted_at) FROM surveys_answer"
        " WHERE account_id = {account} AND metric = 'nps' AND score IS NOT NULL ORDER BY submitted_at DESC LIMIT 1",
        orm=orm,
        parse=lambda value: (value[0], value[1], moment(value[2])) if value else None,
        present=lambda nps: {"score": nps[0], "of": nps[1], "at": nps[2].isoformat()} if nps else None,
    )
