"""The counts kept on PostgreSQL for the whole journey's funnel (accounts by funnel facts) and time in stage (stays
by length): always what counting the rows gives, whatever wrote them, and the funnel and percentiles read from them
equal to those read from the rows."""

import random
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Sum

from crm.models import Account
from journeys import counts
from journeys.models import AccountJourney, FunnelCount, Journey, Stage, StayCount, Transition
from journeys.selectors import (
    JourneyFilters,
    _entries,
    _stage_percentiles,
    _stage_percentiles_from_counts,
    _value_at,
    journey_funnel,
)
from journeys.services import account_stage_move, journey_facts_refresh, journeys_daily
from tests.conftest import NOT_APPLICABLE
from tests.crm.factories import AccountFactory
from tests.journeys.test_funnel import walk

pytestmark = pytest.mark.django_db
T0 = datetime.fromisoformat("2026-01-01T00:00:00+00:00")
HOUR, DAY, WEEK = 3600, 86400, 7 * 86400


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: the counts are kept by PostgreSQL's triggers")


def kept() -> dict:
    """Each bucket's count of stays: the sum of its rows."""
    sums = StayCount.objects.values_list("journey_id", "stage_id", "bucket").annotate(total=Sum("n"))
    return {(journey_id, stage_id, bucket): n for journey_id, stage_id, bucket, n in sums if n}


def kept_funnel() -> dict:
    sums = FunnelCount.objects.values_list("journey_id", "entered", "went_on", "in_order").annotate(total=Sum("n"))
    return {tuple(key): n for *key, n in sums if n}


def funnel_counted_from_the_accounts() -> dict:
    result: dict = {}
    for key in AccountJourney.objects.values_list("journey_id", "entered", "went_on", "in_order"):
        result[key] = result.get(key, 0) + 1
    return result


def counted_from_the_transitions() -> dict:
    """Each completed stay put in its bucket by hand: its hour below a week, its day from then on."""
    result: dict = {}
    for journey_id, stage_id, seconds in Transition.objects.filter(
        stay_seconds__isnull=False, to_stage__isnull=False
    ).values_list("journey_id", "to_stage_id", "stay_seconds"):
        key = (journey_id, stage_id, seconds // HOUR if seconds < WEEK else 161 + seconds // DAY)
        result[key] = result.get(key, 0) + 1
    return result


def stays_of(account, stage_codes, seconds):
    """Transitions of `account` into the stages in turn, each stay `seconds` long (the last one open)."""
    journey = Journey.objects.get(is_default=True)
    stages = {stage.code: stage for stage in journey.stages.all()}
    at, moves = T0, []
    for code, length in zip(stage_codes, [*seconds, None], strict=True):
        left = at + timedelta(seconds=length) if length is not None else None
        moves.append(
            Transition(
                account=account, journey=journey, to_stage=stages[code], at=at, left_at=left, stay_seconds=length
            )
        )
        at = left
    return Transition.objects.bulk_create(moves)


def test_a_stays_bucket_is_where_bucket_start_says_it_begins():
    lengths = [0, 1, HOUR - 1, HOUR, WEEK - 1, WEEK, WEEK + 1, 8 * DAY - 1, 8 * DAY, 400 * DAY + 17]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s, {counts.bucket_sql('s')} FROM unnest(%s::integer[]) s",  # noqa: S608
            [lengths],
        )
        buckets = dict(cursor.fetchall())
    for seconds, bucket in buckets.items():
        assert counts.bucket_start(bucket) <= seconds < counts.bucket_start(bucket + 1), seconds
    assert buckets[HOUR - 1] + 1 == buckets[HOUR] and buckets[WEEK - 1] + 1 == buckets[WEEK] == buckets[WEEK + 1]


def test_the_counts_are_the_rows_after_every_kind_of_write(manager):
    a, b, c = (AccountFactory(manager=manager) for _ in range(3))
    stays_of(a, ["awareness", "consideration", "decision"], [2 * HOUR, 9 * DAY])
    Account.objects.filter(id__in=[b.id, c.id]).update(created_at=T0)
    walk(Account.objects.get(id=b.id), ("awareness", 0), ("consideration", 5))  # b's journey, as the services keep it
    walk(Account.objects.get(id=c.id), ("awareness", 0), ("decision", 1))
    assert kept() == counted_from_the_transitions() != {}
    assert kept_funnel() == funnel_counted_from_the_accounts() != {}
    journey = Journey.objects.get(is_default=True)
    purchase = Stage.objects.get(journey=journey, code="purchase")

    writes = [
        # the service closes b's open stay (an UPDATE), opens the next one (an INSERT) and updates b's funnel facts
        lambda: account_stage_move(account=Account.objects.get(id=b.id), to_stage=purchase, at=T0 + timedelta(days=20)),
        lambda: Transition.objects.filter(account=a, stay_seconds=2 * HOUR).update(stay_seconds=3 * WEEK),
        lambda: Transition.objects.filter(account=a, stay_seconds=9 * DAY).update(stay_seconds=None, left_at=None),
        lambda: Transition.objects.filter(account=b, stay_seconds__isnull=False).update(to_stage=purchase),
        lambda: Transition.objects.filter(account=a).update(reason="nothing a count reads"),
        lambda: AccountJourney.objects.filter(account=c).update(in_order=0, went_on=0),
        lambda: journey_facts_refresh(journey=journey),  # every account's facts from its transitions again
        lambda: AccountJourney.objects.filter(account=b).update(since=T0 + timedelta(days=30)),  # nothing counted
        lambda: Account.objects.filter(id__in=[a.id, b.id]).delete(),  # their transitions and journeys cascade away
    ]
    for number, write in enumerate(writes):
        write()
        assert kept() == counted_from_the_transitions(), f"write {number}"
        assert kept_funnel() == funnel_counted_from_the_accounts(), f"write {number}"
    rows = StayCount.objects.count() + FunnelCount.objects.count()

    journeys_daily()  # folds each count's rows into one

    assert kept() == counted_from_the_transitions() and kept_funnel() == funnel_counted_from_the_accounts()
    assert StayCount.objects.count() + FunnelCount.objects.count() == len(kept()) + len(kept_funnel()) < rows


def test_a_truncate_empties_the_counts_and_the_command_counts_anew(manager):
    account = AccountFactory(manager=manager)
    Account.objects.filter(id=account.id).update(created_at=T0)
    walk(Account.objects.get(id=account.id), ("awareness", 0), ("consideration", 1), ("decision", 3))
    StayCount.objects.all().delete()  # as if the triggers had been off (a restore with them disabled)
    FunnelCount.objects.all().delete()

    call_command("journeys_firsts")

    assert kept() == counted_from_the_transitions() != {}
    assert kept_funnel() == funnel_counted_from_the_accounts() != {}
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the fixture's foreign keys checked: TRUNCATE waits for none
        cursor.execute("TRUNCATE journeys_transition, journeys_accountjourney")
    assert not StayCount.objects.exists() and not FunnelCount.objects.exists()


def test_the_whole_journeys_funnel_from_the_counts_is_the_one_from_the_accounts(superuser, manager):
    rng = random.Random(7)
    codes = ["awareness", "consideration", "decision", "purchase", "usage", "advocacy"]
    for _ in range(40):
        account = AccountFactory(manager=manager)
        Account.objects.filter(id=account.id).update(created_at=T0)
        path, day = [], 0
        for _step in range(rng.randrange(1, 6)):
            code = rng.choice([c for c in codes if not path or c != path[-1][0]])
            path.append((code, day))
            day += rng.randrange(1, 9)
        walk(Account.objects.get(id=account.id), *path)
    journey = Journey.objects.get(is_default=True)
    everyone = JourneyFilters(user=superuser, journey=journey)
    from_the_accounts = JourneyFilters(user=superuser, journey=journey, start=T0 - timedelta(days=1))  # all, a pass

    assert everyone.everyone and not from_the_accounts.everyone
    assert _entries(everyone, len(codes)) == _entries(from_the_accounts, len(codes))
    assert _entries(everyone, len(codes))[0] == 40
    FunnelCount.objects.all().delete()
    assert _entries(everyone, len(codes))[0] == 0  # the whole journey's funnel was read from the counts


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_percentiles_from_the_counts_are_postgresqls_own(superuser, manager, seed):
    """Stays from minutes to a year, many equal, many on a bucket's first second, in stages of 1 to 400 stays."""
    rng = random.Random(seed)
    lengths = [
        rng.choice([rng.randrange(60, 2 * WEEK), rng.randrange(WEEK, 365 * DAY), rng.randrange(1, 30) * HOUR, WEEK])
        for _ in range(600)
    ]
    codes = ["awareness", "consideration", "decision", "purchase"]
    for start in range(0, len(lengths), 20):
        chunk = lengths[start : start + 20]
        path = [rng.choice(codes) for _ in chunk]
        stays_of(AccountFactory(manager=manager), [*path, "usage"], chunk)
    stays_of(AccountFactory(manager=manager), ["usage", "advocacy"], [HOUR * 3 + 5])  # the one stay in usage

    journey = Journey.objects.get(is_default=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_stage_id, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY stay_seconds), COUNT(*) "
            "FROM journeys_transition WHERE stay_seconds IS NOT NULL GROUP BY to_stage_id"
        )
        expected = {stage_id: (p[0] / DAY, p[1] / DAY, n) for stage_id, p, n in cursor.fetchall()}
        from_counts = _stage_percentiles_from_counts(cursor, journey)
        from_the_index_alone = _stage_percentiles(cursor, journey)

    assert from_counts.keys() == expected.keys() == from_the_index_alone.keys()
    for stage_id, (p50, p90, n) in expected.items():
        assert from_counts[stage_id] == pytest.approx((p50, p90, n), abs=1e-9)
        assert from_the_index_alone[stage_id] == pytest.approx((p50, p90, n), abs=1e-9)
    rows = journey_funnel(JourneyFilters(user=superuser, journey=journey))
    usage = next(row for row in rows if row.stage.code == "usage")
    assert (usage.median_days, usage.p90_days, usage.stays) == (0.1, 0.1, 1)


def test_percentiles_in_a_bucket_that_holds_most_of_a_stages_stays_are_postgresqls_own(manager):
    """55 different stays of ten days and some minutes, all in one day's bucket, and five short ones: the median
    lies in that bucket nearer its start (read from there), the 90th percentile nearer its end (read from the end)."""
    lengths = [10 * DAY + 97 * i for i in range(55)] + [HOUR * i for i in range(1, 6)]
    random.Random(5).shuffle(lengths)
    stays_of(AccountFactory(manager=manager), [*["advocacy"] * len(lengths), "usage"], lengths)
    journey = Journey.objects.get(is_default=True)
    advocacy = Stage.objects.get(journey=journey, code="advocacy").id
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY stay_seconds) FROM journeys_transition "
            "WHERE to_stage_id = %s AND stay_seconds IS NOT NULL",
            [advocacy],
        )
        p50, p90 = cursor.fetchone()[0]
        from_counts = _stage_percentiles_from_counts(cursor, journey)

    assert from_counts[advocacy] == pytest.approx((p50 / DAY, p90 / DAY, 60), abs=1e-9)


def test_a_position_past_the_last_stay_reads_the_last(manager):
    """Counted, then a stay gone before the read (another transaction's move): the last stay, not an error."""
    stays_of(AccountFactory(manager=manager), ["awareness", "consideration", "decision"], [HOUR, 2 * HOUR])
    where = "t.to_stage_id IN (SELECT id FROM journeys_stage WHERE code IN ('awareness', 'consideration'))"
    with connection.cursor() as cursor:
        assert _value_at(cursor, where, [], 0.5) == 1.5 * HOUR
        assert _value_at(cursor, where, [], 2.5) == 2 * HOUR
        assert _value_at(cursor, "t.stay_seconds > 99 * 86400", [], 0.0) == 0


@pytest.mark.django_db(transaction=True)
def test_two_moves_counted_in_the_same_buckets_do_not_wait_for_each_other(manager):
    """Each count is appended, not added to one shared row: a move whose transaction is still open holds no lock
    that another account's move, closing a stay of the same length in the same stage, would wait for."""
    import threading
    from importlib import import_module

    from django.apps import apps
    from django.db import connections

    # An earlier test with real transactions empties every table, the migrated default journey's too.
    import_module("journeys.migrations.0002_default_journey").default_journey(apps, None)
    journey = Journey.objects.get(is_default=True)
    decision = Stage.objects.get(journey=journey, code="decision")
    accounts = []
    for _ in range(2):
        account = AccountFactory(manager=manager)
        Account.objects.filter(id=account.id).update(created_at=T0)
        walk(Account.objects.get(id=account.id), ("awareness", 0), ("consideration", 1))  # the same stays so far
        accounts.append(Account.objects.get(id=account.id))
    moved, release, errors = threading.Event(), threading.Event(), []

    def first_move():
        try:
            with transaction.atomic():
                account_stage_move(account=accounts[0], to_stage=decision, at=T0 + timedelta(days=3))
                moved.set()
                release.wait(10)
        except Exception as error:  # reported by the main thread
            errors.append(error)
            moved.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_move)
    thread.start()
    try:
        assert moved.wait(10)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")  # waiting for the first move would fail here
            account_stage_move(account=accounts[1], to_stage=decision, at=T0 + timedelta(days=3))
    finally:
        release.set()
        thread.join(10)

    assert not errors
    assert kept() == counted_from_the_transitions() and kept_funnel() == funnel_counted_from_the_accounts()
    assert kept()[(journey.id, Stage.objects.get(journey=journey, code="consideration").id, 48)] == 2
