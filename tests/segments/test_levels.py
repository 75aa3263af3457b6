"""Base levels (DOMAIN §6): lead, first-time, repeat, core (above the company averages), advocate."""

import threading
from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.utils import timezone

from crm.models import Account, Level, Order, OrderLine, Product, ProductCategory, Zone
from crm.services.accounts import account_create
from crm.services.orders import order_create
from segments.models import LevelBaseline, LevelChange
from segments.selectors import account_level_reading
from segments.services.levels import level_baseline_compute, levels_classify
from tests.commit import committed
from tests.crm.factories import AccountFactory, OrderFactory
from tests.segments.meanwhile import meanwhile

pytestmark = pytest.mark.django_db
_skus = count()


@pytest.fixture
def products(db):
    """A product in each of three categories."""
    return [
        Product.objects.create(name=name, sku=f"SKU-{next(_skus)}", category=ProductCategory.objects.create(name=name))
        for name in ("Valves", "Pumps", "Filters")
    ]


def bought(account, products, *, days_ago=10, status=Order.Status.DELIVERED):
    order = OrderFactory(account=account, status=status, ordered_at=timezone.now() - timedelta(days=days_ago))
    for product in products:
        OrderLine.objects.create(order=order, product=product, quantity=1, unit_price=Decimal("100"))
    return order


def level_of(account):
    account.refresh_from_db()
    return account.level


def test_levels_by_hand_against_the_company_averages(manager, products):
    valves, pumps, filters = products
    lead = AccountFactory(manager=manager)
    first = AccountFactory(manager=manager)
    bought(first, [valves])
    old_repeat = AccountFactory(manager=manager)  # two purchases, both more than a year ago
    bought(old_repeat, [valves], days_ago=400)
    bought(old_repeat, [pumps], days_ago=500)
    middle = AccountFactory(manager=manager)
    bought(middle, [valves])
    bought(middle, [valves], days_ago=20)
    bought(middle, [valves], days_ago=30, status=Order.Status.CANCELLED)  # not a purchase
    core = AccountFactory(manager=manager)
    for days in (5, 50, 100, 200, 300):
        bought(core, [valves, pumps, filters] if days == 5 else [valves], days_ago=days)
    # Bought in the last 12 months: first (1 purchase, 1 category), middle (2, 1), core (5, 3).

    now = timezone.now()
    report = levels_classify(now=now)

    assert levels_classify(now=now).changed == {}  # the same moment again: nothing new, nothing counted twice
    assert (report.baseline.buying_accounts, report.baseline.purchases_average) == (3, Decimal("2.67"))
    assert report.baseline.categories_average == Decimal("1.67")
    assert [level_of(a) for a in (lead, first, old_repeat, middle, core)] == [
        Level.LEAD,
        Level.FIRST_TIME,
        Level.REPEAT,
        Level.REPEAT,
        Level.CORE,
    ]
    change = LevelChange.objects.get(account=core)
    assert (change.from_level, change.purchases_last_year, change.categories_last_year) == ("lead", 5, 3)
    assert levels_classify().changed == {}  # a later run finds nothing to change either
    assert LevelBaseline.objects.count() == 3  # each run records the averages it compared with


def test_a_referrer_becomes_an_advocate_when_core_or_green(manager, products):
    green_referrer = AccountFactory(manager=manager)
    Account.objects.filter(pk=green_referrer.pk).update(zone=Zone.GREEN)
    plain_referrer = AccountFactory(manager=manager)
    bought(plain_referrer, products[:1])

    with committed():
        account_create(name="Came by recommendation", manager=manager, referred_by=green_referrer)
        account_create(name="Also recommended", manager=manager, referred_by=plain_referrer)

    assert level_of(green_referrer) == Level.ADVOCATE  # at once, on the referral
    assert level_of(plain_referrer) == Level.FIRST_TIME  # referred, but neither core nor green


def test_a_new_order_moves_the_client_up_at_once(manager, products):
    account = AccountFactory(manager=manager)

    with committed():
        order_create(account=account, number="N-1", amount=Decimal("100"), ordered_at=timezone.now())

    assert level_of(account) == Level.FIRST_TIME
    assert LevelChange.objects.get(account=account).trigger == LevelChange.Trigger.ORDER


def test_the_api_and_the_card_show_the_level_with_its_figures(manager_api, client, manager, products):
    account = AccountFactory(manager=manager, name="Ромашка")
    for days in (5, 50):
        bought(account, products, days_ago=days)
    other = AccountFactory(manager=manager)
    bought(other, products[:1])
    levels_classify()
    client.force_login(manager)

    listed = manager_api.get("/api/v1/accounts/", {"level": "core"}).json()["results"]
    html = client.get(f"/admin/crm/account/{account.pk}/change/").content.decode()
    level = html.split('data-testid="level"')[1].split("</dd>")[0]

    assert [row["id"] for row in listed] == [account.pk] and listed[0]["level"] == "core"
    assert "2" in level and "3" in level  # its purchases and categories in 12 months
    assert "1.50" in level and "2.00" in level  # the company averages it beat


def test_the_card_shows_the_playbooks_of_the_type_and_the_level(client, manager):
    account = AccountFactory(manager=manager, behaviour_type=4)
    client.force_login(manager)

    html = client.get(f"/admin/crm/account/{account.pk}/change/").content.decode()
    playbooks = html.split('data-testid="playbooks"')[1].split("</section>")[0]

    assert "Type 4" in playbooks or "Тип 4" in playbooks
    assert "video" in playbooks.lower() or "видео" in playbooks.lower()  # type 4 prefers video calls
    assert "Lead" in playbooks or "Лид" in playbooks  # and the level's task: convert


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_bulk_run_shares_its_batches_among_connections_and_classifies_the_same(manager, products):
    from django.db import connection

    from tests.conftest import NOT_APPLICABLE

    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: SQLite runs the batches one after another")
    valves, pumps, filters = products
    firsts = [AccountFactory(manager=manager) for _ in range(5)]
    for account in firsts:
        bought(account, [valves])
    cores = [AccountFactory(manager=manager) for _ in range(3)]
    for account in cores:
        for days in (5, 50, 100, 200, 300):
            bought(account, [valves, pumps, filters] if days == 5 else [valves], days_ago=days)
    leads = [AccountFactory(manager=manager) for _ in range(4)]
    threads = set()

    # Batches of 2 accounts, outside a transaction: the ranges go to two connections at once.
    report = levels_classify(batch_size=2, progress=lambda done: threads.add(threading.get_ident()))

    assert len(threads) == 2
    assert report.changed == {Level.FIRST_TIME: 5, Level.CORE: 3}
    assert {level_of(a) for a in firsts} == {Level.FIRST_TIME}
    assert {level_of(a) for a in cores} == {Level.CORE}
    assert {level_of(a) for a in leads} == {Level.LEAD}
    assert LevelChange.objects.count() == 8
    assert levels_classify(batch_size=2).changed == {}


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_second_bulk_run_waits_for_the_first_so_no_change_is_written_twice(manager, products):
    from django.db import connection

    from segments.services import run_alone
    from tests.conftest import NOT_APPLICABLE

    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: SQLite's writers take turns batch by batch")
    firsts = [AccountFactory(manager=manager) for _ in range(3)]
    for account in firsts:
        bought(account, [products[0]])
    second = threading.Thread(target=lambda: (levels_classify(batch_size=2), connection.close()))

    with run_alone("levels_classify"):  # another process's run, holding the lock
        second.start()
        second.join(1)
        waited = second.is_alive()
    second.join(10)

    assert waited
    assert LevelChange.objects.count() == 3
    assert {level_of(a) for a in firsts} == {Level.FIRST_TIME}


def test_on_postgresql_a_change_of_level_rewrites_the_account_row_in_place(manager, products):
    """A first classification changes every account's level: without an index on it, and with room left in each
    page (migration crm 0022), PostgreSQL makes a HOT update and writes no index entry. An index that includes the
    level would make every one of these updates rewrite an entry in each of the table's indexes."""
    from django.db import connection

    from tests.conftest import NOT_APPLICABLE

    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: HOT updates are PostgreSQL's")
    for _ in range(5):
        bought(AccountFactory(manager=manager), products[:1])

    def account_updates():  # (rows updated, of which HOT) in this test's transaction
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'crm_account'"
            )
            return cursor.fetchone()

    updated_before, hot_before = account_updates()
    report = levels_classify()
    updated, hot = account_updates()

    assert report.changed == {Level.FIRST_TIME: 5}
    assert (updated - updated_before, hot - hot_before) == (5, 5)


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_an_order_during_the_bulk_run_is_read_and_its_change_written_once(manager, products):
    """A client orders while the nightly run reaches their account: the run waits for the order's transaction and
    reads the order. Otherwise it would classify from the orders before it, write its own change from the same old
    level, and leave that level in place of the one the new order gives."""
    from django.db import connection

    from tests.conftest import NOT_APPLICABLE

    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: SQLite's writers take turns")
    account = AccountFactory(manager=manager)
    bought(account, products[:1])  # a first purchase, not classified yet: the level is still lead
    meanwhile(
        lambda: order_create(account=account, number="N-2", amount=Decimal("100"), ordered_at=timezone.now()),
        lambda: levels_classify(batch_size=2),
    )

    assert level_of(account) == Level.REPEAT
    assert list(LevelChange.objects.values_list("from_level", "to_level")) == [(Level.LEAD, Level.REPEAT)]


def test_the_company_lifetime_and_an_accounts_clv_worked_out_by_hand(client, manager, settings):
    settings.CRM_CHURN_CYCLE_DAYS = 180
    now = timezone.now()
    current = AccountFactory(manager=manager, status=Account.Status.ACTIVE)
    gone = AccountFactory(manager=manager, status=Account.Status.CHURNED)
    lapsed = AccountFactory(manager=manager, status=Account.Status.ACTIVE)
    for account, days_ago, amount in ((current, 400, 100), (current, 10, 200), (gone, 300, 50), (gone, 200, 50)):
        OrderFactory(account=account, ordered_at=now - timedelta(days=days_ago), amount=Decimal(amount))
    OrderFactory(account=lapsed, ordered_at=now - timedelta(days=500), amount=Decimal(80))  # none for 500 days

    baseline = level_baseline_compute(now=now)

    # current: 400 days and counting; gone: 100 days (first to last order); lapsed: one order, so 0
    lifetime = Decimal((400 + 100 + 0) / 3 / 365.25).quantize(Decimal("0.001"))
    assert baseline.lifetime_years_average == lifetime
    reading = account_level_reading(account=current)
    # an average order of 150, 2 orders over 400 days (1.095 years), over the average lifetime
    years = Decimal(400 / 365.25)
    assert reading.clv == (Decimal(150) * (2 / years) * lifetime).quantize(Decimal(1))
    client.force_login(manager)
    card = client.get(f"/admin/crm/account/{current.pk}/change/").content.decode()
    assert 'data-testid="clv"' in card and f"{reading.clv:,}".replace(",", "\N{NARROW NO-BREAK SPACE}") in card
