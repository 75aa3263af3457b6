"""Journey analytics by hand on small data: funnel, in-order funnel, time in stage, drop-offs, filters, the API."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Industry, LeadSource, LeadSourceCost, TrackedLink
from journeys.models import AccountJourney, Journey, Stage, Touchpoint, Transition
from journeys.selectors import JourneyFilters, cycle_times, journey_drop_offs, journey_funnel, lead_sources
from journeys.services import funnel_facts, journey_facts_refresh, stage_ranks
from segments.models import Segment
from tests.conftest import NOT_APPLICABLE
from tests.crm.factories import AccountFactory, ContactFactory, InteractionFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db
T0 = datetime.fromisoformat("2026-01-01T00:00:00+00:00")


def walk(account, *steps):
    """The account's moves: (stage code or None for lost, days after T0). Stays get their end and length, and the
    account its funnel facts, as the services keep them."""
    journey = Journey.objects.get(is_default=True)
    moves, previous = [], None
    for code, day in steps:
        to_stage = Stage.objects.get(journey=journey, code=code) if code else None
        at = T0 + timedelta(days=day)
        if moves:
            moves[-1].left_at = at
            moves[-1].stay_seconds = int((at - moves[-1].at).total_seconds()) if moves[-1].to_stage else None
        moves.append(Transition(account=account, journey=journey, from_stage=previous, to_stage=to_stage, at=at))
        previous = to_stage
    Transition.objects.bulk_create(moves)
    firsts = {}
    for move in moves:
        if move.to_stage:
            firsts.setdefault(move.to_stage.id, move.at)
    entered, went_on, in_order = funnel_facts(firsts, ranks=stage_ranks(journey))
    AccountJourney.objects.create(
        account=account,
        journey=journey,
        stage=previous,
        since=moves[-1].at,
        started_at=moves[0].at,
        entered=entered,
        went_on=went_on,
        in_order=in_order,
    )


@pytest.fixture
def five_accounts(manager, other_manager):
    """a: awareness 0 → consideration 2 → decision 6 → purchase 16
    b: awareness 0 → consideration 4 → lost 10
    c: awareness 0 → decision 3 (skips consideration) → purchase 13
    d: awareness 0 (still there)
    e: consideration 0 → awareness 5 (moved back by hand), another manager's, journey started in March."""
    accounts = {name: AccountFactory(manager=manager, name=name) for name in "abcd"}
    accounts["e"] = AccountFactory(manager=other_manager, name="e")
    walk(accounts["a"], ("awareness", 0), ("consideration", 2), ("decision", 6), ("purchase", 16))
    walk(accounts["b"], ("awareness", 0), ("consideration", 4), (None, 10))
    walk(accounts["c"], ("awareness", 0), ("decision", 3), ("purchase", 13))
    walk(accounts["d"], ("awareness", 0))
    walk(accounts["e"], ("consideration", 60), ("awareness", 65))
    return accounts


def rows_by_code(filters):
    return {row.stage.code: row for row in journey_funnel(filters)}


def test_the_funnel_by_hand(superuser, five_accounts):
    rows = rows_by_code(JourneyFilters(user=superuser, journey=Journey.objects.get(is_default=True)))

    awareness, consideration, decision, purchase = (
        rows[c] for c in ("awareness", "consideration", "decision", "purchase")
    )
    # any order: entered, and went on to a later stage afterwards
    assert (awareness.entered, awareness.converted, awareness.conversion) == (5, 3, 60.0)  # e entered it last
    assert (consideration.entered, consideration.converted, consideration.conversion) == (3, 1, 33.3)
    assert (decision.entered, decision.converted, decision.conversion) == (2, 2, 100.0)
    assert (purchase.entered, purchase.converted, purchase.cumulative) == (2, 0, 40.0)  # 2 of the cohort of 5
    # in order: every earlier stage first; c skipped consideration, e went backwards
    assert [rows[c].entered_in_order for c in ("awareness", "consideration", "decision", "purchase")] == [5, 2, 1, 1]
    assert (awareness.conversion_in_order, consideration.conversion_in_order) == (40.0, 50.0)
    # time in stage, completed stays only: awareness 2, 4, 3, and e's 5 days in consideration before going back
    assert (awareness.median_days, awareness.stays) == (3.0, 3)
    assert consideration.median_days == 5.0  # stays of 4 (a), 6 (b), 5 (e)
    assert decision.median_days == 10.0 and decision.p90_days == 10.0  # 10 and 10
    assert consideration.p90_days == 5.8  # percentile_cont over 4, 5, 6: 4 + 0.9 × 2
    assert rows["usage"].entered == 0 and rows["usage"].median_days is None
    # where accounts are lost: those that entered and went no further
    assert [(row.stage.code, row.lost) for row in journey_drop_offs(list(rows.values()))][:2] == [
        ("awareness", 2),
        ("consideration", 2),
    ]


def test_the_cohort_is_filtered_by_period_manager_industry_and_segment(superuser, manager, five_accounts):
    journey = Journey.objects.get(is_default=True)
    march = JourneyFilters(user=superuser, journey=journey, start=T0 + timedelta(days=59), end=T0 + timedelta(days=61))
    assert rows_by_code(march)["consideration"].entered == 1 and rows_by_code(march)["awareness"].cohort == 1

    mine = rows_by_code(JourneyFilters(user=manager, journey=journey))  # e is another manager's
    assert mine["awareness"].entered == 4

    metal = Industry.objects.create(name="Metal")
    five_accounts["a"].industry = metal
    five_accounts["a"].save()
    assert rows_by_code(JourneyFilters(user=superuser, journey=journey, industry=metal.id))["purchase"].entered == 1

    five_accounts["c"].zone = "red"
    five_accounts["c"].save()
    red = Segment.objects.create(name="Red", filters={"zone": ["red"]})
    by_segment = rows_by_code(JourneyFilters(user=superuser, journey=journey, segment=red))
    assert (by_segment["awareness"].entered, by_segment["decision"].entered) == (1, 1)


def test_cycle_times_and_lead_sources_by_hand(superuser, manager):
    web, fair = LeadSource.objects.create(name="Web"), LeadSource.objects.create(name="Fair")
    fast = AccountFactory(manager=manager, lead_source=web, created_at=T0)
    slow = AccountFactory(manager=manager, lead_source=fair, created_at=T0)
    never = AccountFactory(manager=manager, lead_source=fair, created_at=T0)
    for account in (fast, slow, never):
        walk(account, ("awareness", 0))
        InteractionFactory(account=account, occurred_at=T0 + timedelta(days=1))
    OrderFactory(
        account=fast, ordered_at=T0 + timedelta(days=10), delivered_at=T0 + timedelta(days=14), amount=Decimal("1000")
    )
    OrderFactory(
        account=slow, ordered_at=T0 + timedelta(days=40), delivered_at=T0 + timedelta(days=60), amount=Decimal("500")
    )
    LeadSourceCost.objects.create(
        lead_source=web, amount=Decimal("100"), period_start=T0.date(), period_end=(T0 + timedelta(days=90)).date()
    )
    filters = JourneyFilters(user=superuser, journey=Journey.objects.get(is_default=True))
    assert cycle_times(filters)["proposal_to_deal"] == {"median_days": None, "n": 0}  # no proposal yet
    # A proposal is a tracked link sent or an interaction at a "proposal sent" touchpoint, whichever came first.
    proposal = Touchpoint.objects.filter(channel=Touchpoint.Channel.PROPOSAL).first()
    TrackedLink.objects.create(
        token="kp-fast", account=fast, contact=ContactFactory(account=fast), title="КП", target_url="https://kp.ru/"
    )
    TrackedLink.objects.filter(token="kp-fast").update(created_at=T0 + timedelta(days=4))
    InteractionFactory(account=fast, touchpoint=proposal, occurred_at=T0 + timedelta(days=2))
    InteractionFactory(account=slow, touchpoint=proposal, occurred_at=T0 + timedelta(days=6))

    times = cycle_times(filters)
    assert times["contact_to_proposal"] == {"median_days": 3.0, "n": 2}  # 1 day (the earlier proposal) and 5 days
    assert times["proposal_to_deal"] == {"median_days": 21.0, "n": 2}  # 8 and 34 days
    assert times["deal_to_delivery"] == {"median_days": 12.0, "n": 2}  # 4 and 20 days

    sources = lead_sources(filters)
    assert [row["lead_source"] for row in sources] == ["Web", "Fair"]  # the fastest first
    web_row, fair_row = sources
    assert (web_row["accounts"], web_row["customers"], web_row["conversion"]) == (1, 1, 100.0)
    assert web_row["median_days_to_first_order"] == 10.0 and web_row["revenue"] == "1000.00"
    assert (fair_row["accounts"], fair_row["customers"], fair_row["conversion"]) == (2, 1, 50.0)
    assert web_row["roi"] is not None and fair_row["roi"] is None  # no costs recorded for the fair
    # The web's one client ordered once, long ago, and not since: a lifetime of nothing, a CLV of 0, so the 100
    # it cost to win them is flagged as more than they are worth.
    assert (web_row["cost_per_client"], web_row["clv"], web_row["costs_more_than_clv"]) == ("100.00", 0.0, True)
    assert (fair_row["cost_per_client"], fair_row["costs_more_than_clv"]) == (None, False)


def test_the_api_returns_the_funnel_and_refuses_bad_parameters(manager_api, five_accounts):
    response = manager_api.get("/api/v1/journeys/funnel/")
    assert response.status_code == 200
    body = response.json()
    assert [stage["stage"] for stage in body["stages"]][:2] == ["awareness", "consideration"]
    awareness = body["stages"][0]
    assert (awareness["entered"], awareness["converted"], awareness["conversion"]) == (4, 3, 75.0)
    assert set(awareness) >= {"stage", "entered", "converted", "conversion", "median_days", "p90_days"}

    in_january = manager_api.get("/api/v1/journeys/funnel/?from=2026-01-01&to=2026-01-31").json()
    assert in_january["cohort"] == 4
    for query, field in (
        ("journey=999", "journey"),
        ("from=yesterday", "from"),
        ("from=2026-02-01&to=2026-01-01", "to"),
        ("segment=abc", "segment"),
    ):
        bad = manager_api.get(f"/api/v1/journeys/funnel/?{query}")
        assert bad.status_code == 400 and field in bad.json()["error"]["fields"], query


def test_the_api_moves_an_account_by_hand_and_says_why_it_will_not(manager_api, manager, five_accounts):
    d = five_accounts["d"]
    decision = Stage.objects.get(journey__is_default=True, code="decision")
    moved = manager_api.post("/api/v1/journeys/transitions/", {"account": d.pk, "to_stage": decision.pk}, format="json")
    assert moved.status_code == 201 and moved.json()["rule"] == ""
    back = manager_api.post("/api/v1/journeys/transitions/", {"account": d.pk, "to_stage": None}, format="json")
    assert back.status_code == 400 and "reason" in back.json()["error"]["fields"]
    future = manager_api.post(
        "/api/v1/journeys/transitions/",
        {"account": d.pk, "to_stage": None, "reason": "x", "at": "2099-01-01T00:00:00+03:00"},
        format="json",
    )
    assert future.status_code == 400 and "future" in str(future.json())
    theirs = manager_api.post(
        "/api/v1/journeys/transitions/", {"account": five_accounts["e"].pk, "to_stage": decision.pk}, format="json"
    )
    assert theirs.status_code == 400 and "account" in theirs.json()["error"]["fields"]


def test_the_analytics_page_shows_charts_and_tables_in_a_fixed_number_of_queries(client, superuser, five_accounts):
    client.force_login(superuser)
    url = reverse("admin:journeys_analytics")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url)
    walk(AccountFactory(), ("awareness", 1), ("decision", 3))
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    content = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="funnel-chart"' in content and "Awareness" in content and "60.0 %" in content
    assert len(more) == len(few)


def test_the_cycle_times_come_after_the_page_with_its_filters_and_for_those_who_may_see_them(
    client, superuser, manager, five_accounts
):
    for account in five_accounts.values():
        OrderFactory(account=account, ordered_at=T0 + timedelta(days=10), delivered_at=T0 + timedelta(days=13))
    client.force_login(superuser)
    page = client.get(reverse("admin:journeys_analytics"), {"manager": manager.pk}).content.decode()
    fragment_url = page.split('data-testid="cycle-times"')[1].split('data-fragment="')[1].split('"')[0]
    assert fragment_url.startswith(reverse("admin:journeys_cycle_times")) and f"manager={manager.pk}" in fragment_url

    fragment = client.get(reverse("admin:journeys_cycle_times")).content.decode()

    assert "Deal → delivery: <strong>3.0</strong>" in fragment and "n=5" in fragment
    client.force_login(UserFactory(is_staff=True))  # staff without the journeys' permissions
    assert client.get(reverse("admin:journeys_cycle_times")).status_code == 403


def test_cycle_times_past_their_budget_are_stopped_with_a_503_that_says_what_to_do(client, superuser, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: the budget is PostgreSQL's statement_timeout")
    from journeys import admin_views

    def slow(filters):  # as the cycle times over a million accounts on a slow hour
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")

    monkeypatch.setattr(admin_views, "CYCLE_TIMES_BUDGET_MS", 200)
    monkeypatch.setattr(admin_views.selectors, "cycle_times", slow)
    superuser.language = "ru"
    superuser.save()
    client.force_login(superuser)

    answer = client.get(reverse("admin:journeys_cycle_times"))

    assert answer.status_code == 503
    assert "больше 0.2 с и остановлен: выберите менеджера" in answer.content.decode()
    assert client.get(reverse("admin:journeys_analytics")).status_code == 200  # the connection is fine afterwards


def test_after_the_stages_are_reordered_the_funnel_is_counted_in_the_new_order(superuser, five_accounts):
    journey = Journey.objects.get(is_default=True)
    Stage.objects.filter(journey=journey, code="consideration").update(position=99)
    Stage.objects.filter(journey=journey, code="decision").update(position=2)
    Stage.objects.filter(journey=journey, code="consideration").update(position=3)

    journey_facts_refresh(journey=journey)

    rows = rows_by_code(JourneyFilters(user=superuser, journey=journey))
    # a: awareness 0, decision 6, consideration 2 (earlier than decision: out of order); c skipped nothing now
    assert [rows[c].entered_in_order for c in ("awareness", "decision", "consideration", "purchase")] == [5, 2, 0, 0]
    assert rows["decision"].converted == 2  # a and c both bought afterwards
