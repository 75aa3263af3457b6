"""The metrics against DOMAIN §3, computed by hand on small data."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import (
    Commitment,
    Industry,
    LeadSource,
    LeadSourceCost,
    Order,
    Product,
    ProductCategory,
    ServiceRequest,
)
from crm.services.orders import order_create
from surveys import metrics, selectors
from surveys.services.responses import survey_response_record
from tests.conftest import NOT_APPLICABLE
from tests.crm.factories import AccountFactory, ContactFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


def record(survey, contact, answers, *, days_ago=1, n=[0]):  # noqa: B006  (a counter for unique ids)
    n[0] += 1
    survey_response_record(
        survey=survey,
        contact=contact,
        submitted_at=timezone.now() - timedelta(days=days_ago),
        external_id=f"t-{n[0]}",
        answers=answers,
    )


def aware(year, month, day):
    return timezone.make_aware(datetime(year, month, day))


def everyone(superuser, **kwargs):
    return metrics.MetricFilters(user=superuser, **kwargs)


def test_nps_counts_promoters_passives_and_detractors_and_its_margin_of_error(surveys, person, superuser, settings):
    # Given 10 answers: 9,10,10,9 (4 promoters), 7,8 (2 passives), 0,3,6,6 (4 detractors)
    for score in (9, 10, 10, 9, 7, 8, 0, 3, 6, 6):
        record(surveys["nps"], person, {"recommend": score})
    settings.CRM_METRICS_MIN_SAMPLE = 10

    result = metrics.nps(everyone(superuser))

    # NPS = 40 % − 40 % = 0; margin = 1.96 × sqrt((0.4 + 0.4 − 0²) / 10) × 100 = 55.4
    assert result == {
        "value": 0.0,
        "n": 10,
        "promoters": 4,
        "passives": 2,
        "detractors": 4,
        "margin_of_error": 55.4,
        "enough_data": True,
    }


def test_nps_includes_the_relationship_surveys_recommend_question_and_filters_by_survey(surveys, person, superuser):
    record(surveys["nps"], person, {"recommend": 10})
    record(surveys["relationship"], person, {"result": 3, "understanding": 3, "service_quality": 3, "recommend": 2})

    both = metrics.nps(everyone(superuser))
    only_nps = metrics.nps(everyone(superuser, survey=surveys["nps"]))

    assert (both["value"], both["n"]) == (0.0, 2)  # 50 % − 50 %
    assert (only_nps["value"], only_nps["n"], only_nps["enough_data"]) == (100.0, 1, False)


def test_csat_strict_and_broad_on_a_five_point_scale(surveys, person, superuser):
    for score in (5, 5, 4, 3, 1):
        record(surveys["csat"], person, {"satisfaction": score})

    result = metrics.csat(everyone(superuser))

    assert result["strict"] == 40.0  # two 5s of five
    assert result["broad"] == 60.0  # 5, 5, 4
    assert result["distribution"] == {"1": 1, "3": 1, "4": 1, "5": 2}
    assert result["n"] == 5


def test_csat_on_a_seven_point_scale_uses_its_own_top_boxes(surveys, person, superuser):
    question = surveys["csat"].questions.get()
    question.scale_max = 7
    question.save()
    for score in (7, 6, 5, 5):
        record(surveys["csat"], person, {"satisfaction": score})

    result = metrics.csat(everyone(superuser))

    assert (result["strict"], result["broad"]) == (25.0, 50.0)


def test_ces_is_the_mean_with_its_scale(surveys, person, superuser):
    for score in (5, 4, 4, 2):
        record(surveys["ces"], person, {"effort": score})

    assert metrics.ces(everyone(superuser)) == {"scale": "1..5", "value": 3.75, "n": 4, "enough_data": False}


def test_ces_may_be_asked_on_one_to_ten_and_is_reported_with_that_scale(surveys, person, superuser):
    question = surveys["ces"].questions.get()
    question.scale_max = 10
    question.full_clean()  # refused before: DOMAIN §3 names 1..10 for CES too
    question.save()
    for score in (9, 7, 8):
        record(surveys["ces"], person, {"effort": score})

    assert metrics.ces(everyone(superuser)) == {"scale": "1..10", "value": 8.0, "n": 3, "enough_data": False}


def test_csat_on_two_scales_is_given_per_scale_and_never_pooled(surveys, person, superuser, client):
    for score in (5, 4, 2):
        record(surveys["csat"], person, {"satisfaction": score})
    question = surveys["csat"].questions.get()
    question.scale_max = 10
    question.save()
    for score in (10, 7):
        record(surveys["csat"], person, {"satisfaction": score})

    result = metrics.csat(everyone(superuser))

    assert (result["broad"], result["scale"], result["n"]) == (None, "mixed", 5)
    assert [(scale["scale"], scale["broad"], scale["strict"], scale["n"]) for scale in result["by_scale"]] == [
        ("1..5", 66.7, 33.3, 3),
        ("1..10", 50.0, 50.0, 2),
    ]
    client.force_login(superuser)
    html = client.get("/admin/feedback/dashboard/").content.decode()
    assert 'data-testid="csat-by-scale"' in html and "1..10" in html


def test_skipped_questions_do_not_count(surveys, person, superuser):
    record(surveys["nps"], person, {"recommend": 10, "reason": ""})
    record(surveys["relationship"], person, {"result": 9, "recommend": None})

    assert metrics.nps(everyone(superuser))["n"] == 1


def test_filters_by_period_manager_industry_and_account(surveys, superuser, manager, other_manager):
    metals = Industry.objects.create(name="Metals")
    old = timezone.now() - timedelta(days=400)
    mine = ContactFactory(account=AccountFactory(manager=manager, industry=metals, created_at=old))
    theirs = ContactFactory(account=AccountFactory(manager=other_manager, created_at=old))
    record(surveys["nps"], mine, {"recommend": 10}, days_ago=2)
    record(surveys["nps"], mine, {"recommend": 0}, days_ago=40)
    record(surveys["nps"], theirs, {"recommend": 0}, days_ago=2)
    week_ago = timezone.now() - timedelta(days=7)

    assert metrics.nps(everyone(superuser, start=week_ago))["n"] == 2
    assert metrics.nps(everyone(superuser, manager=manager.id))["value"] == 0.0
    assert metrics.nps(everyone(superuser, manager=manager.id, start=week_ago))["value"] == 100.0
    assert metrics.nps(everyone(superuser, industry=metals.id))["n"] == 2
    assert metrics.nps(everyone(superuser, account=theirs.account_id))["value"] == -100.0


def test_a_manager_sees_metrics_only_over_their_own_clients(surveys, manager, other_manager):
    old = timezone.now() - timedelta(days=400)
    record(surveys["nps"], ContactFactory(account=AccountFactory(manager=manager, created_at=old)), {"recommend": 10})
    record(
        surveys["nps"], ContactFactory(account=AccountFactory(manager=other_manager, created_at=old)), {"recommend": 0}
    )

    assert metrics.nps(metrics.MetricFilters(user=manager))["value"] == 100.0
    assert metrics.nps(metrics.MetricFilters(user=other_manager))["value"] == -100.0


def test_churn_counts_clients_active_at_the_start_and_lost_by_the_end(superuser, settings):
    settings.CRM_CHURN_CYCLE_DAYS = 90
    now = timezone.now()
    start, end = now - timedelta(days=120), now
    stays, leaves, newcomer = AccountFactory(), AccountFactory(), AccountFactory()
    OrderFactory(account=stays, ordered_at=start - timedelta(days=10))
    OrderFactory(account=stays, ordered_at=end - timedelta(days=10))
    OrderFactory(account=leaves, ordered_at=start - timedelta(days=10))  # no order in the last 90 days
    OrderFactory(account=newcomer, ordered_at=end - timedelta(days=5))  # does not offset the lost one

    result = metrics.churn(everyone(superuser, start=start, end=end))

    assert (result["active_at_start"], result["lost"], result["value"]) == (2, 1, 50.0)


def test_clv_is_apv_times_apf_times_acl_with_a_current_clients_lifetime_running_to_today(superuser, settings):
    settings.CRM_CHURN_CYCLE_DAYS = 180
    now = timezone.now()
    start, end = now - timedelta(days=730), now
    a, b = AccountFactory(status="active"), AccountFactory(status="active")
    gone = AccountFactory(status="churned")
    # a: 3 orders, the first 600 days ago, the last 52; b: one order 10 days ago; gone: 2 orders, 300 days apart.
    # Revenue 500 over 5 purchases, 3 customers, over 2 years.
    for days_ago, amount in ((600, 100), (400, 100), (52, 100)):
        OrderFactory(account=a, ordered_at=now - timedelta(days=days_ago), amount=Decimal(amount))
    OrderFactory(account=b, ordered_at=now - timedelta(days=10), amount=Decimal(100))
    OrderFactory(account=gone, ordered_at=now - timedelta(days=500), amount=Decimal(50))
    OrderFactory(account=gone, ordered_at=now - timedelta(days=200), amount=Decimal(50))

    result = metrics.clv(everyone(superuser, start=start, end=end))

    # a and b are still clients: their lifetimes run to today (600 and 10 days, not 548 and 0); gone's stops at
    # its last order (300 days).
    apv, apf, acl = 500 / 6, 6 / 3 / (730 / 365.25), (600 + 10 + 300) / 365.25 / 3
    assert result["apv"] == round(apv, 2)
    assert result["apf_per_year"] == round(apf, 3)
    assert result["acl_years"] == round(acl, 3)
    assert result["value"] == round(apv * apf * acl, 2)


def test_clv_in_margin_takes_each_lines_category_margin_and_the_companys_for_the_rest(superuser, settings):
    from crm.models import OrderLine, Product, ProductCategory

    settings.CRM_GROSS_MARGIN_PERCENT = 20
    now = timezone.now()
    account = AccountFactory(status="active")
    machines = ProductCategory.objects.create(name="Станки", margin_percent=Decimal(50))
    parts = ProductCategory.objects.create(name="Запчасти")  # no margin of its own: the company's 20 %
    lathe = Product.objects.create(name="Станок", sku="L", category=machines)
    bearing = Product.objects.create(name="Подшипник", sku="B", category=parts)
    first = OrderFactory(account=account, ordered_at=now - timedelta(days=400), amount=Decimal(1000))
    OrderLine.objects.create(order=first, product=lathe, quantity=2, unit_price=Decimal(400))  # 800 at 50 %
    OrderLine.objects.create(order=first, product=bearing, quantity=10, unit_price=Decimal(20))  # 200 at 20 %
    OrderFactory(account=account, ordered_at=now - timedelta(days=30), amount=Decimal(500))  # no lines: 20 %

    result = metrics.clv(everyone(superuser))

    # Margin 400 + 40 + 100 = 540 of revenue 1 500: the CLV in margin is the CLV × 540 / 1 500.
    assert result["gross_margin"] == "540.00"
    assert result["margin_value"] == pytest.approx(result["value"] * 540 / 1500, abs=0.01)
    assert 0 < result["margin_value"] < result["value"]


def test_service_metrics_first_response_fcr_and_resolution_time(superuser):
    now = timezone.now()
    account = AccountFactory()
    for minutes, first, hours in ((30, True, 2), (90, False, 10), (2000, True, 30)):
        created = now - timedelta(days=3)
        ServiceRequest.objects.create(
            account=account,
            channel="email",
            subject="x",
            first_response_due_at=created + timedelta(hours=24),
            first_response_at=created + timedelta(minutes=minutes),
            resolved_at=created + timedelta(hours=hours),
            resolved_at_first_contact=first,
            created_at=created,
        )

    response = metrics.first_response(everyone(superuser))
    assert response["median_minutes"] == 90.0
    assert response["channels"]["email"]["within_target"] == 66.7  # 2000 min is past 24 h
    fcr = metrics.fcr(everyone(superuser))
    assert (fcr["value"], fcr["n"]) == (66.7, 3)
    resolution = metrics.resolution_time(everyone(superuser))
    assert (resolution["mean_hours"], resolution["median_hours"]) == (14.0, 10.0)


def test_repeat_purchase_rate_and_average_repeat_order(superuser):
    now = timezone.now()
    a, b = AccountFactory(), AccountFactory()
    OrderFactory(account=a, ordered_at=now - timedelta(days=30), amount=Decimal(100))
    OrderFactory(account=a, ordered_at=now - timedelta(days=20), amount=Decimal(300))
    OrderFactory(account=a, ordered_at=now - timedelta(days=10), amount=Decimal(500))
    OrderFactory(account=b, ordered_at=now - timedelta(days=10), amount=Decimal(999))
    OrderFactory(account=b, ordered_at=now - timedelta(days=5), amount=Decimal(1), status=Order.Status.CANCELLED)

    result = metrics.repeat_purchase(everyone(superuser))

    assert (result["value"], result["repeat_customers"], result["average_repeat_order"]) == (50.0, 1, "400.00")


def test_kept_promises_by_manager(superuser, manager):
    now = timezone.now()
    for kept_on_time in (True, True, False):
        Commitment.objects.create(
            description="x",
            owner=manager,
            due_at=now - timedelta(days=2),
            status=Commitment.Status.KEPT,
            fulfilled_at=now - timedelta(days=3 if kept_on_time else 1),
        )
    Commitment.objects.create(description="x", owner=UserFactory(), due_at=now - timedelta(days=2))

    result = metrics.kept_promises(everyone(superuser, manager=manager.id))

    assert (result["value"], result["n"], result["kept_on_time"]) == (66.7, 3, 2)


def test_roi_by_lead_source(superuser, settings):
    settings.CRM_GROSS_MARGIN_PERCENT = 30
    today = timezone.localdate()
    fair = LeadSource.objects.create(name="Exhibition")
    LeadSourceCost.objects.create(
        lead_source=fair, period_start=today - timedelta(days=30), period_end=today, amount=100
    )
    OrderFactory(account=AccountFactory(lead_source=fair), ordered_at=timezone.now(), amount=Decimal(1000))

    result = metrics.roi(everyone(superuser))

    # (1000 × 0.3 − 100) / 100 × 100 = 200 %
    assert result["lead_sources"] == [
        {
            "lead_source": "Exhibition",
            "revenue": "1000.00",
            "margin": "300.00",  # no lines: the company's 30 %
            "cost": "100.00",
            "customers": 1,
            "acquired": 1,  # its first order is in the period
            "cost_per_client": "100.00",
            "value": 200.0,
        }
    ]


def test_a_cost_counts_in_proportion_to_the_days_it_shares_with_the_period(superuser, settings):
    settings.CRM_GROSS_MARGIN_PERCENT = 30
    fair = LeadSource.objects.create(name="Exhibition")
    # 100 over the 10 days 1-10 March; the period is 6-20 March: 5 of its 10 days, so 50 counts.
    LeadSourceCost.objects.create(
        lead_source=fair, period_start=date(2026, 3, 1), period_end=date(2026, 3, 10), amount=Decimal(100)
    )
    client = AccountFactory(lead_source=fair)
    OrderFactory(account=client, ordered_at=aware(2026, 2, 1), amount=Decimal(500))  # before: not acquired now
    OrderFactory(account=client, ordered_at=aware(2026, 3, 7), amount=Decimal(1000))

    result = metrics.roi(everyone(superuser, start=aware(2026, 3, 6), end=aware(2026, 3, 21)))

    (row,) = result["lead_sources"]
    assert (row["cost"], row["acquired"], row["cost_per_client"]) == ("50.00", 0, None)
    assert row["value"] == 500.0  # (1000 × 0.3 − 50) / 50 × 100


def test_the_margin_of_an_order_is_its_lines_at_their_categorys_margin_or_the_companys(superuser, settings):
    settings.CRM_GROSS_MARGIN_PERCENT = 30
    fair = LeadSource.objects.create(name="Exhibition")
    machines = ProductCategory.objects.create(name="Станки", margin_percent=Decimal("50"))
    service = ProductCategory.objects.create(name="Сервис")  # no margin of its own: the company's 30 %
    lathe = Product.objects.create(name="Токарный станок", sku="L-1", category=machines)
    visit = Product.objects.create(name="Пусконаладка", sku="S-1", category=service)
    client = AccountFactory(lead_source=fair)
    order_create(
        account=client,
        number="M-1",
        amount=Decimal(1200),
        ordered_at=timezone.now(),
        lines=[
            {"product": lathe, "quantity": Decimal(2), "unit_price": Decimal(500)},  # 1000 × 50 % = 500
            {"product": visit, "quantity": Decimal(1), "unit_price": Decimal(200)},  # 200 × 30 % = 60
        ],
    )
    OrderFactory(account=client, ordered_at=timezone.now(), amount=Decimal(100))  # no lines: 100 × 30 % = 30
    LeadSourceCost.objects.create(
        lead_source=fair, period_start=timezone.localdate(), period_end=timezone.localdate(), amount=Decimal(295)
    )

    (row,) = metrics.roi(everyone(superuser))["lead_sources"]

    assert row["margin"] == "590.00"
    assert row["value"] == 100.0  # (590 − 295) / 295 × 100


@pytest.mark.parametrize("who", ["superuser", "head"])  # every account's answers; some accounts' (one pass)
def test_the_dashboards_figures_from_one_pass_equal_each_metric_asked_alone(
    request, who, surveys, superuser, manager, other_manager
):
    metals, wood = Industry.objects.create(name="Metals"), Industry.objects.create(name="Wood")
    other_manager.last_name = "Петрова"  # the series are labelled by name: two managers, two names
    other_manager.save()
    old = timezone.now() - timedelta(days=400)
    people = [
        ContactFactory(account=AccountFactory(manager=manager, industry=metals, created_at=old)),
        ContactFactory(account=AccountFactory(manager=other_manager, industry=wood, created_at=old)),
        ContactFactory(account=AccountFactory(manager=None, industry=None, created_at=old)),
    ]
    for i, person in enumerate(people * 3):
        record(surveys["nps"], person, {"recommend": (3 * i) % 11}, days_ago=1 + 31 * (i % 3))
        record(surveys["csat"], person, {"satisfaction": 1 + i % 5}, days_ago=2 + 29 * (i % 2))
        record(surveys["ces"], person, {"effort": 1 + (2 * i) % 5}, days_ago=3 + 40 * (i % 2))
    question = surveys["csat"].questions.get()
    question.scale_max = 10
    question.save()
    record(surveys["csat"], people[0], {"satisfaction": 9})
    user = request.getfixturevalue(who)  # the head sees the department's (manager's) accounts and the queue
    filters = everyone(user)

    figures = selectors.dashboard_figures(filters)

    assert figures.headline == {"nps": metrics.nps(filters), "csat": metrics.csat(filters), "ces": metrics.ces(filters)}
    assert figures.headline["csat"]["scale"] == "mixed"
    assert figures.headline["nps"]["n"] == (9 if who == "superuser" else 6)  # the head: two people of three
    for metric, alone in (("nps", metrics.nps), ("ces", metrics.ces)):
        for group, keys in (("manager", [manager, other_manager]), ("industry", [metals, wood])):
            series = figures.by[group]  # answers without a manager or an industry have no row
            got = dict(zip(series.labels, zip(series.values[metric], series.counts[metric], strict=True), strict=True))
            want = {str(key): alone(everyone(user, **{group: key.id})) for key in keys}
            assert got == {label: (figure["value"], figure["n"]) for label, figure in want.items() if figure["n"]}
            assert len(got) == (2 if who == "superuser" else 1)
        months = figures.by["month"]
        assert len(months.labels) == 3
        for label, value, n in zip(months.labels, months.values[metric], months.counts[metric], strict=True):
            year, month = map(int, label.split("-"))
            start = timezone.make_aware(datetime(year, month, 1))
            figure = alone(everyone(user, start=start, end=(start + timedelta(days=32)).replace(day=1)))
            assert (value, n) == (figure["value"], figure["n"])


def test_for_a_manager_the_dashboard_reads_their_accounts_answers_in_one_pass(client, manager, surveys):
    """Reaching some accounts' answers is the cost: one pass by month, manager and industry, not one a grouping."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    person = ContactFactory(account=AccountFactory(manager=manager))
    for days_ago in range(1, 300, 30):
        record(surveys["nps"], person, {"recommend": days_ago % 11}, days_ago=days_ago)
    client.force_login(manager)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/feedback/dashboard/")

    assert response.status_code == 200
    passes = [query["sql"] for query in queries.captured_queries if '"surveys_answer"' in query["sql"]]
    assert sum("GROUP BY" in sql for sql in passes) == 1


def test_on_postgresql_a_managers_pass_reads_the_answers_index_alone(client, manager, surveys):
    """The pass needs nothing the account index does not hold (its INCLUDE, and COUNT(*) rather than the id): an
    index-only scan, 2.7 times faster at 20,000 accounts than reading each answer (bench/RESULTS.md)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: the plan is PostgreSQL's")
    record(surveys["nps"], ContactFactory(account=AccountFactory(manager=manager)), {"recommend": 9})
    client.force_login(manager)
    with CaptureQueriesContext(connection) as queries:
        client.get("/admin/feedback/dashboard/")
    (sql,) = [q["sql"] for q in queries.captured_queries if '"surveys_answer"' in q["sql"] and "GROUP BY" in q["sql"]]

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of test rows: the planner would read the table
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Only Scan using answer_account_idx on surveys_answer" in plan, plan


def test_the_dashboard_reads_the_answers_in_two_passes_however_many_there_are(client, superuser, surveys, person):
    """On PostgreSQL a user who sees every account is answered from the monthly counts: no pass over the answers
    at all, only whether any lie past the period's end (tests/surveys/test_answer_months.py)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(superuser)
    record(surveys["nps"], person, {"recommend": 10})
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/feedback/dashboard/")
    for days_ago in range(1, 300, 15):
        record(surveys["nps"], person, {"recommend": days_ago % 11}, days_ago=days_ago)
        record(surveys["ces"], person, {"effort": 1 + days_ago % 5}, days_ago=days_ago)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/admin/feedback/dashboard/")

    assert response.status_code == 200
    assert len(many) == len(few)
    passes = [query["sql"] for query in many.captured_queries if '"surveys_answer"' in query["sql"]]
    assert sum("GROUP BY" in sql for sql in passes) == (0 if connection.vendor == "postgresql" else 2)
