"""The scored answers counted by month, on PostgreSQL: what the surveys dashboard of a user who sees every account
reads instead of millions of answers (issue 22: 3 s at 10M answers, and a web worker held meanwhile).

Triggers on surveys_answer keep surveys_answermonth in the transaction that writes the answers (one statement-level
upsert per INSERT, UPDATE, DELETE or COPY; TRUNCATE empties it), so the counts are never behind the answers. The
month is the local month of settings.TIME_ZONE, written into the trigger when it is installed; after a change of
TIME_ZONE the dashboard reads the answers again until `manage.py surveys_answer_months` installs it anew.

A user who sees only some accounts is not served from here: what they may see follows the accounts' current
managers, which counts by the manager who was there when the client answered cannot tell. Nor is SQLite (no
triggers there: the embedded default holds demo-sized data).
"""

import zoneinfo
from dataclasses import replace
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import F, Sum
from django.utils import timezone

from surveys.models import Answer, AnswerMonth

FUNCTION = "surveys_answer_months_count"
_KEY = "month, metric, survey_id, manager_id, industry_id, scale_max, score"


def _count(tz: str, *, rows: str, sign: str) -> str:
    # tz is checked against the zone database by install_sql, rows and sign are this module's own.
    return f"""
        INSERT INTO surveys_answermonth AS counted ({_KEY}, n)
        SELECT (date_trunc('month', submitted_at AT TIME ZONE '{tz}'))::date, metric, survey_id,
               COALESCE(manager_id, 0), COALESCE(industry_id, 0), COALESCE(scale_max, 0), score, {sign}COUNT(*)
        FROM {rows} WHERE score IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        ORDER BY 1, 2, 3, 4, 5, 6, 7  -- one order for every writer: two statements never deadlock on these rows
        ON CONFLICT ({_KEY}) DO UPDATE SET n = counted.n + EXCLUDED.n;"""  # noqa: S608


def install_sql(tz: str) -> list[str]:
    """The function and its triggers for the local months of `tz`, and the counts of the answers already there."""
    if tz not in zoneinfo.available_timezones():  # it goes into the SQL as a literal
        raise ValueError(f"Unknown time zone: {tz}")
    return [
        f"""CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN  -- not TRUNCATE: a flush truncates both tables in one statement
                DELETE FROM surveys_answermonth;
                RETURN NULL;
            END IF;
            IF TG_OP IN ('DELETE', 'UPDATE') THEN {_count(tz, rows="old_rows", sign="-")}
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN {_count(tz, rows="new_rows", sign="")}
            END IF;
            RETURN NULL;
        END
        $body$""",  # noqa: S608 (tz is checked above)
        f"COMMENT ON FUNCTION {FUNCTION}() IS '{tz}'",
        # A trigger with transition tables has one event (PostgreSQL's rule): three of them, and one for TRUNCATE.
        "DROP TRIGGER IF EXISTS answer_months_insert ON surveys_answer",
        "DROP TRIGGER IF EXISTS answer_months_update ON surveys_answer",
        "DROP TRIGGER IF EXISTS answer_months_delete ON surveys_answer",
        "DROP TRIGGER IF EXISTS answer_months_truncate ON surveys_answer",
        f"""CREATE TRIGGER answer_months_insert AFTER INSERT ON surveys_answer REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()""",
        f"""CREATE TRIGGER answer_months_update AFTER UPDATE ON surveys_answer
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()""",
        f"""CREATE TRIGGER answer_months_delete AFTER DELETE ON surveys_answer REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()""",
        f"""CREATE TRIGGER answer_months_truncate AFTER TRUNCATE ON surveys_answer
            FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()""",
        # The answers already there, counted anew. The triggers above locked the table against writers (SHARE ROW
        # EXCLUSIVE) until this transaction ends, so no answer comes in between.
        "DELETE FROM surveys_answermonth",
        _count(tz, rows="surveys_answer", sign=""),
    ]


def install(schema_editor=None) -> None:
    """Install (or install anew, for the current TIME_ZONE) and count; in the caller's transaction."""
    with (schema_editor.connection if schema_editor else connection).cursor() as cursor:
        for statement in install_sql(settings.TIME_ZONE):
            cursor.execute(statement)


def usable(filters) -> bool:
    """Whether the counts can answer the dashboard's question for these filters."""
    if connection.vendor != "postgresql" or not filters.user.sees_all_accounts:
        return False
    if None in (filters.start, filters.end) or filters.account is not None or filters.lead_source is not None:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT obj_description(to_regproc(%s), 'pg_proc')", [FUNCTION])
        return cursor.fetchone()[0] == settings.TIME_ZONE


def _first_of(year: int, month: int) -> datetime:
    """The local midnight of the month's first day, as TruncMonth gives it."""
    return datetime(year, month, 1, tzinfo=timezone.get_current_timezone())


def _month_start(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    return _first_of(local.year, local.month)


def _next_month(start: datetime) -> datetime:
    return _first_of(start.year + start.month // 12, start.month % 12 + 1)


def _whole_months(filters, metrics: tuple[str, ...]) -> tuple[datetime, datetime]:
    """[first, last): the months the counts answer for filters.start..end. A month the period cuts counts as whole
    when none of its answers lie outside the period (e.g. the current month up to today: nothing comes later)."""
    scored = Answer.objects.filter(metric__in=metrics, score__isnull=False)  # as counted; answer_metric_idx finds them
    first, last = _month_start(filters.start), _month_start(filters.end)
    if first != filters.start and scored.filter(submitted_at__gte=first, submitted_at__lt=filters.start).exists():
        first = _next_month(first)
    if last != filters.end:
        following = _next_month(last)
        if not scored.filter(submitted_at__gte=filters.end, submitted_at__lt=following).exists():
            last = following
    return first, max(first, last)


# group -> the column of score-count rows, as surveys.selectors names it, and the counts' field it comes from.
_GROUPS = {"manager": ("by_manager", "manager_id"), "industry": ("by_industry", "industry_id")}


def score_counts(filters, metrics: tuple[str, ...], groups: tuple[str, ...], answers_score_counts) -> list[dict]:
    """The rows surveys.metrics.score_counts would give, from the counts for the whole months and from the answers
    (answers_score_counts(filters)) for the parts of months the period cuts."""
    first, last = _whole_months(filters, metrics)
    counts = AnswerMonth.objects.filter(
        metric__in=metrics, month__gte=timezone.localtime(first).date(), month__lt=timezone.localtime(last).date()
    )
    for name, value in (
        ("survey_id", filters.survey.id if filters.survey else None),
        ("manager_id", filters.manager),
        ("industry_id", filters.industry),
    ):
        if value is not None:
            counts = counts.filter(**{name: value})
    fields = ["metric", "score", "scale_max", *(["month"] if "month" in groups else [])]
    by = {column: F(field) for group, (column, field) in _GROUPS.items() if group in groups}
    rows, starts = [], {}
    for row in counts.values(*fields, **by).annotate(n=Sum("n")).order_by():
        if not row["n"]:
            continue
        if "month" in row:
            if row["month"] not in starts:
                starts[row["month"]] = _first_of(row["month"].year, row["month"].month)
            row["month"] = starts[row["month"]]
        for column in ("by_manager", "by_industry", "scale_max"):
            if row.get(column) == 0:
                row[column] = None
        rows.append(row)
    for start, end in ((filters.start, min(first, filters.end)), (max(first, last), filters.end)):
        if start < end:
            rows += answers_score_counts(replace(filters, start=start, end=end))
    return rows
