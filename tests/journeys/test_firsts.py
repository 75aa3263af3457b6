"""Each account's firsts (PostgreSQL) that the cycle times read instead of a million accounts' rows: always what
taking the firsts from the rows themselves gives, whatever wrote the rows."""

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from crm.models import Account, Interaction, Order, TrackedLink
from journeys import firsts
from journeys.models import AccountFirsts, Journey, Touchpoint
from journeys.selectors import JourneyFilters, _cycle_times_from_firsts, _cycle_times_from_rows
from tests.conftest import NOT_APPLICABLE
from tests.crm.factories import AccountFactory, ContactFactory, InteractionFactory, OrderFactory
from tests.journeys.test_funnel import walk

pytestmark = pytest.mark.django_db
T0 = datetime.fromisoformat("2026-01-01T00:00:00+00:00")


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: the firsts are kept by PostgreSQL's triggers")


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def kept() -> dict:
    return {row.pop("account_id"): row for row in AccountFirsts.objects.values()}


def taken_from_the_rows() -> dict:
    """The firsts as the cycle times took them before there was a table of them (and as SQLite still does)."""
    result: dict = {}

    def lower(account_id, name, at):
        if at is None:
            return
        row = result.setdefault(account_id, dict.fromkeys(firsts.FIRSTS))
        row[name] = at if row[name] is None else min(row[name], at)

    for account_id, at, channel in Interaction.objects.values_list("account_id", "occurred_at", "touchpoint__channel"):
        lower(account_id, "contact_at", at)
        if channel == Touchpoint.Channel.PROPOSAL:
            lower(account_id, "proposal_at", at)
    for account_id, at in TrackedLink.objects.values_list("account_id", "created_at"):
        lower(account_id, "proposal_at", at)
    for account_id, ordered, delivered in Order.objects.exclude(status=Order.Status.CANCELLED).values_list(
        "account_id", "ordered_at", "delivered_at"
    ):
        lower(account_id, "deal_at", ordered)
        lower(account_id, "delivery_at", delivered)
    return result


def link(account, at):
    created = TrackedLink.objects.create(
        token=f"kp-{account.id}-{at:%j%H}",
        account=account,
        contact=ContactFactory(account=account),
        title="КП",
        target_url="https://kp.example/",
    )
    TrackedLink.objects.filter(id=created.id).update(created_at=at)
    return created


@pytest.fixture
def history(manager, other_manager):
    """Three accounts on the journey with contacts, proposals (links and touchpoints), orders (one cancelled)."""
    proposal = Touchpoint.objects.filter(channel=Touchpoint.Channel.PROPOSAL).first()
    meeting = Touchpoint.objects.exclude(channel=Touchpoint.Channel.PROPOSAL).first()
    a, b, c = (AccountFactory(manager=m) for m in (manager, manager, other_manager))
    for account in (a, b, c):
        walk(account, ("awareness", 0))
    InteractionFactory(account=a, occurred_at=day(1))
    InteractionFactory(account=a, occurred_at=day(3), touchpoint=proposal)
    InteractionFactory(account=a, occurred_at=day(9), touchpoint=meeting)
    link(a, day(5))
    OrderFactory(account=a, ordered_at=day(10), delivered_at=day(14))
    OrderFactory(account=a, ordered_at=day(8), delivered_at=None, status=Order.Status.CANCELLED)
    InteractionFactory(account=b, occurred_at=day(2))
    link(b, day(7))
    OrderFactory(account=b, ordered_at=day(30), delivered_at=day(50))
    InteractionFactory(account=c, occurred_at=day(4), touchpoint=meeting)
    return {"a": a, "b": b, "c": c, "proposal": proposal, "meeting": meeting}


def test_the_firsts_are_the_rows_firsts_after_every_kind_of_write(history):
    a, b, c = history["a"], history["b"], history["c"]
    assert kept()[a.id] == {"contact_at": day(1), "proposal_at": day(3), "deal_at": day(10), "delivery_at": day(14)}
    assert kept() == taken_from_the_rows()

    writes = [
        lambda: InteractionFactory(account=c, occurred_at=day(0.5)),  # earlier: lowers the contact
        lambda: Interaction.objects.filter(account=a, occurred_at=day(1)).update(occurred_at=day(6)),  # later
        lambda: Order.objects.filter(account=a, status=Order.Status.CANCELLED).update(status=Order.Status.NEW),
        lambda: Order.objects.filter(account=b).update(status=Order.Status.CANCELLED),  # b has no order left
        lambda: Order.objects.filter(account=a, delivered_at=None).update(delivered_at=day(9)),
        lambda: Interaction.objects.filter(account=c).update(account=b),  # moved to another account
        lambda: Touchpoint.objects.filter(id=history["meeting"].id).update(channel=Touchpoint.Channel.PROPOSAL),
        lambda: Touchpoint.objects.filter(id=history["proposal"].id).update(channel=Touchpoint.Channel.MEETING),
        lambda: TrackedLink.objects.filter(account=a).delete(),
        lambda: Interaction.objects.filter(account=a, touchpoint=history["meeting"]).update(touchpoint=None),
        lambda: Account.objects.filter(id=b.id).delete(),  # its rows cascade away, and its firsts with them
    ]
    for number, write in enumerate(writes):
        write()
        assert kept() == taken_from_the_rows(), f"write {number}"
    assert b.id not in kept()


def test_an_interaction_after_the_first_rewrites_nothing(history):
    a = history["a"]

    def version():
        with connection.cursor() as cursor:
            cursor.execute("SELECT ctid::text, xmax::text FROM journeys_accountfirsts WHERE account_id = %s", [a.id])
            return cursor.fetchone()[0]

    before = version()
    InteractionFactory(account=a, occurred_at=day(20))
    OrderFactory(account=a, ordered_at=day(21), delivered_at=day(22))

    assert version() == before  # the row was neither written nor locked by the later rows
    InteractionFactory(account=a, occurred_at=day(0))
    assert version() != before and kept()[a.id]["contact_at"] == day(0)


def test_a_truncate_and_the_command_count_everything_anew(history):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the fixture's foreign keys checked: TRUNCATE waits for none
        cursor.execute("TRUNCATE crm_trackedlink CASCADE")
    assert kept() == taken_from_the_rows()
    AccountFirsts.objects.all().delete()  # as if the triggers had been off (a restore with them disabled)

    call_command("journeys_firsts")

    assert kept() == taken_from_the_rows() != {}


def test_the_cycle_times_from_the_firsts_are_those_from_the_rows(history, superuser, manager):
    journey = Journey.objects.get(is_default=True)
    for user, scope in ((superuser, {}), (superuser, {"manager": manager.id}), (manager, {})):
        filters = JourneyFilters(user=user, journey=journey, **scope)
        assert _cycle_times_from_firsts(filters) == _cycle_times_from_rows(filters)
    everyone = _cycle_times_from_firsts(JourneyFilters(user=superuser, journey=journey))
    assert everyone["contact_to_proposal"] == {"median_days": 3.5, "n": 2}  # a: 1 → 3, b: 2 → 7
    later = JourneyFilters(user=superuser, journey=journey, start=day(1))  # no journey started after T0
    assert _cycle_times_from_firsts(later)["contact_to_proposal"] == {"median_days": None, "n": 0}
