"""The metrics against DOMAIN §3, computed by hand on small data."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Commitment, Industry, LeadSource, LeadSourceCost, Order, ServiceRequest
from surveys import metrics
from surveys.services.responses import survey_response_record
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


def test_clv_is_apv_times_apf_times_acl(superuser):
    now = timezone.now()
    start, end = now - timedelta(days=730), now
    a, b = AccountFactory(), AccountFactory()
    # a: 3 orders over 1.5 years; b: 1 order. Revenue 400 over 4 purchases, 2 customers, over 2 years.
    for days_ago, amount in ((600, 100), (400, 100), (600 - 548, 100)):
        OrderFactory(account=a, ordered_at=now - timedelta(days=days_ago), amount=Decimal(amount))
    OrderFactory(account=b, ordered_at=now - timedelta(days=10), amount=Decimal(100))

    result = metrics.clv(everyone(superuser, start=start, end=end))

    apv, apf, acl = 100.0, 4 / 2 / (730 / 365.25), (548 / 365.25 + 0) / 2
    assert result["apv"] == apv
    assert result["apf_per_year"] == round(apf, 3)
    assert result["acl_years"] == round(acl, 3)
    assert result["value"] == round(apv * apf * acl, 2)


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
        {"lead_source": "Exhibition", "revenue": "1000.00", "cost": "100.00", "customers": 1, "value": 200.0}
    ]
