"""What the surveys app adds to the client's own page (crm/portal): their satisfaction answers over time, and
"you asked, we did" (DOMAIN §2.5: feedback is worth something only when the client hears what changed)."""

from django.db.models import Avg, Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Account
from crm.portal.exports import cell_text
from crm.portal.sections import DATE, NUMBER, PERCENT, Column, Figure, Section, month_label, percent
from surveys.models import Answer, FeedbackItem, Metric, Question

# Compliments and words about our staff are not requests to act on: the page lists what the client asked for.
NOT_REQUESTS = ("like_three",)


def satisfaction_section(account: Account, limit: int | None) -> Section | None:
    """Per month: CSAT (share of the top two scores of its scale) and CES (mean, with its scale), never pooled
    across scales."""
    rows = list(
        Answer.objects.filter(account=account, metric__in=[Metric.CSAT, Metric.CES], score__isnull=False)
        .annotate(month=TruncMonth("submitted_at"))
        .values("month", "metric", "scale_max")
        .annotate(n=Count("id"), top_two=Count("id", filter=Q(score__gte=F("scale_max") - 1)), mean=Avg("score"))
        .order_by("-month", "metric", "scale_max")
    )
    if not rows:
        return None
    csat, ces = _("CSAT: satisfied (top two scores)"), _("CES: ease, mean score")
    table = [
        (
            month_label(row["month"]),
            csat if row["metric"] == Metric.CSAT else ces,
            f"1..{row['scale_max']}",
            cell_text(percent(row["top_two"], row["n"]), PERCENT)
            if row["metric"] == Metric.CSAT
            else cell_text(round(row["mean"], 1), NUMBER),
            row["n"],
        )
        for row in rows[:limit]
    ]
    return Section(
        key="satisfaction",
        title=_("Your satisfaction answers"),
        columns=[
            Column(_("month")),
            Column(_("measure")),
            Column(_("scale")),
            Column(_("value")),
            Column(_("answers"), NUMBER),
        ],
        rows=table,
        total=len(rows),
        note=_(
            "CSAT is the share of answers with one of the two top scores of the scale (4 or 5 of 5); CES is the "
            "mean score, higher meaning easier."
        ),
    )


def you_asked_section(account: Account, limit: int | None) -> Section:
    """Their requests from the surveys' open answers, and what became of each."""
    asked_only_for_staff = Question.objects.filter(routes_to_head=True).values("code")
    items = (
        FeedbackItem.objects.filter(account=account)
        .exclude(question_code__in=NOT_REQUESTS)
        .exclude(question_code__in=asked_only_for_staff)
    )
    counts = items.exclude(status=FeedbackItem.Status.REJECTED).aggregate(
        n=Count("id"), done=Count("id", filter=Q(status=FeedbackItem.Status.DONE))
    )
    statuses = dict(FeedbackItem.Status.choices)
    rows = [
        (
            timezone.localdate(created),
            text,
            str(statuses.get(status, status)),
            done_note,
            timezone.localdate(done_at) if done_at else None,
        )
        for created, text, status, done_note, done_at in items.order_by("-created_at", "-id").values_list(
            "created_at", "text", "status", "done_note", "done_at"
        )[:limit]
    ]
    return Section(
        key="you_asked",
        title=_("You asked, we did"),
        columns=[
            Column(_("asked"), DATE),
            Column(_("what you asked")),
            Column(_("status")),
            Column(_("what we did")),
            Column(_("done"), DATE),
        ],
        rows=rows,
        total=items.count(),
        figures=[Figure(_("Done of what you asked"), percent(counts["done"], counts["n"]), counts["n"], PERCENT)],
        empty=_("Nothing asked yet: tell us in the next survey what we should do better."),
    )
