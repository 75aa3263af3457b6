"""The monthly counts of answers (PostgreSQL) that the dashboard of a user who sees every account reads instead of
the answers: always what counting the answers themselves gives, whatever wrote them and whatever the period."""

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from crm.models import Industry
from surveys import answer_months, metrics, selectors
from surveys.models import Answer, AnswerMonth, Response
from tests.conftest import NOT_APPLICABLE
from tests.crm.factories import AccountFactory, ContactFactory
from tests.surveys.test_metrics import record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: the counts are kept by PostgreSQL's triggers")


@pytest.fixture
def people(manager, other_manager):
    metals = Industry.objects.create(name="Metals")
    old = timezone.now() - timedelta(days=500)
    return [
        ContactFactory(account=AccountFactory(manager=manager, industry=metals, created_at=old)),
        ContactFactory(account=AccountFactory(manager=other_manager, industry=None, created_at=old)),
        ContactFactory(account=AccountFactory(manager=None, industry=metals, created_at=old)),
    ]


@pytest.fixture
def answered(surveys, people):
    """Answers over some fourteen months, three metrics, two CSAT scales."""
    for i in range(42):
        if i == 21:  # the later half of CSAT on a scale of ten: never pooled with the fives
            surveys["csat"].questions.update(scale_max=10)
        person = people[i % 3]
        days_ago = 1 + 10 * i
        record(surveys["nps"], person, {"recommend": (7 * i) % 11}, days_ago=days_ago)
        record(surveys["csat"], person, {"satisfaction": 1 + i % 5}, days_ago=days_ago + 3)
        record(surveys["ces"], person, {"effort": 1 + (3 * i) % 5}, days_ago=days_ago + 5)


def counted_from_answers() -> dict:
    rows = (
        Answer.objects.filter(score__isnull=False)
        .values(
            "metric", "survey_id", "manager_id", "industry_id", "scale_max", "score", month=TruncMonth("submitted_at")
        )
        .annotate(n=Count("id"))
    )
    return {
        (
            r["month"].date(),
            r["metric"],
            r["survey_id"],
            r["manager_id"] or 0,
            r["industry_id"] or 0,
            r["scale_max"] or 0,
            r["score"],
        ): r["n"]
        for r in rows
    }


def counted() -> dict:
    return {
        (c.month, c.metric, c.survey_id, c.manager_id, c.industry_id, c.scale_max, c.score): c.n
        for c in AnswerMonth.objects.exclude(n=0)
    }


def figures_both_ways(monkeypatch, filters):
    assert answer_months.usable(filters)
    from_counts = selectors.dashboard_figures(filters)
    with monkeypatch.context() as patched:
        patched.setattr(answer_months, "usable", lambda filters: False)
        from_answers = selectors.dashboard_figures(filters)
    return from_counts, from_answers


def month_start(months_ago: int) -> datetime:
    today = timezone.localdate()
    year, month = divmod(today.year * 12 + today.month - 1 - months_ago, 12)
    return timezone.make_aware(datetime(year, month + 1, 1))


def test_the_counts_follow_every_write_to_the_answers(answered, surveys, people):
    assert counted() == counted_from_answers() and counted()
    assert set(AnswerMonth.objects.filter(metric="csat").values_list("scale_max", flat=True)) == {5, 10}

    Answer.objects.filter(metric="nps", score__lte=3).update(score=10)  # an UPDATE of many
    Response.objects.filter(pk__in=Response.objects.order_by("id").values("id")[:5]).delete()  # cascades
    people[1].account.delete()  # an account's answers go with it
    record(surveys["nps"], people[0], {"recommend": 4}, days_ago=0)

    assert counted() == counted_from_answers()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction has deferred checks pending
        cursor.execute("TRUNCATE surveys_answer")
    assert not AnswerMonth.objects.exists()


@pytest.mark.parametrize(
    "period",
    [
        "the dashboard's default",
        "whole months",
        "cut at both ends with answers outside",
        "inside one month",
        "before any answer",
    ],
)
def test_the_dashboard_from_the_counts_equals_the_dashboard_from_the_answers(answered, superuser, monkeypatch, period):
    now = timezone.now()
    start, end = {
        "the dashboard's default": (
            timezone.make_aware(
                datetime.combine(timezone.localdate().replace(day=1) - timedelta(days=335), datetime.min.time())
            ),
            timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), datetime.min.time())),
        ),
        "whole months": (month_start(12), month_start(1)),
        "cut at both ends with answers outside": (
            month_start(9) + timedelta(days=6, hours=5),
            month_start(2) + timedelta(days=11),
        ),
        "inside one month": (month_start(4) + timedelta(days=3), month_start(4) + timedelta(days=20)),
        "before any answer": (now - timedelta(days=2000), now - timedelta(days=1900)),
    }[period]

    from_counts, from_answers = figures_both_ways(
        monkeypatch, metrics.MetricFilters(user=superuser, start=start, end=end)
    )

    assert from_counts == from_answers
    if period != "before any answer":
        assert from_counts.headline["nps"]["n"] > 0


def test_the_filters_narrow_the_counts_as_they_narrow_the_answers(answered, superuser, manager, surveys, monkeypatch):
    metals = Industry.objects.get(name="Metals")
    for narrowed in ({"manager": manager.id}, {"industry": metals.id}, {"survey": surveys["csat"]}):
        filters = metrics.MetricFilters(user=superuser, start=month_start(13), end=timezone.now(), **narrowed)
        from_counts, from_answers = figures_both_ways(monkeypatch, filters)
        assert from_counts == from_answers, narrowed


def test_a_manager_who_sees_some_accounts_is_counted_from_the_answers(answered, manager):
    assert not answer_months.usable(metrics.MetricFilters(user=manager, start=month_start(3), end=timezone.now()))


def test_after_the_time_zone_changes_the_answers_are_read_until_the_counts_are_made_anew(
    answered, superuser, settings, monkeypatch
):
    settings.TIME_ZONE = "Asia/Vladivostok"  # months begin seven hours earlier than in Moscow
    filters = metrics.MetricFilters(user=superuser, start=month_start(12), end=timezone.now())
    assert not answer_months.usable(filters)

    call_command("surveys_answer_months")

    assert counted() == counted_from_answers()
    from_counts, from_answers = figures_both_ways(monkeypatch, filters)
    assert from_counts == from_answers
