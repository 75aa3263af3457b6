"""Journeys at scale (issue 6), on the 1M-account database of bench/generate.py (with bench/surveys.py load).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/journeys.py [STEP ...]

Steps (all by default, in this order): backfill, pad, funnel, firsts, counts.

backfill: ties one interaction in ten to the "demo" touchpoint and one in ten to "proposal sent" (once), empties
the journeys, then backfills every account from its interactions, orders, deliveries and promoter answers, and
measures a second run (nothing to add). pad: pads the history to 5M transitions (a loss and a return for 80 % of
the accounts, once), then recounts every account's funnel facts, timed. funnel: times the funnel with time in
stage, and the cycle times, unfiltered and with filters. firsts: what keeping each account's firsts (journeys.firsts)
costs a writer: single interactions inserted with the triggers and with them disabled, later than each account's
first (the common case) and earlier (the row is rewritten); each run rolled back. counts: what keeping the
journeys' counts (journeys.counts) costs a move: accounts moved by hand one by one, with the triggers that keep
the counts and with them disabled; each run rolled back.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "false"

import django

django.setup()

from datetime import datetime, timedelta  # noqa: E402

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from tqdm import tqdm  # noqa: E402

from bench.calibrate import floor  # noqa: E402
from crm.models import Account, Interaction, User  # noqa: E402
from journeys.counts import KEPT  # noqa: E402
from journeys.models import AccountJourney, Journey, Touchpoint, Transition  # noqa: E402
from journeys.selectors import JourneyFilters, cycle_times, journey_funnel  # noqa: E402
from journeys.services import (  # noqa: E402
    account_stage_move,
    journey_facts_refresh,
    journeys_backfill,
    stage_norms_refresh,
)
from segments.models import Segment  # noqa: E402


def touchpoints_tie() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM crm_interaction WHERE touchpoint_id IS NOT NULL)")
        if cursor.fetchone()[0]:
            return
        demo = Touchpoint.objects.get(stage__journey__is_default=True, channel="demo").id
        proposal = Touchpoint.objects.get(stage__journey__is_default=True, channel="proposal").id
        print("Tying interactions to touchpoints ...", flush=True)
        cursor.execute(
            "UPDATE crm_interaction SET touchpoint_id = CASE WHEN id %% 10 = 1 THEN %s ELSE %s END "
            "WHERE id %% 10 IN (1, 2)",
            [demo, proposal],
        )
        cursor.execute("VACUUM ANALYZE crm_interaction")


def backfill():
    touchpoints_tie()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE journeys_transition, journeys_accountjourney")
        cursor.execute("DELETE FROM crm_batchcheckpoint WHERE name = 'journeys-backfill'")
    accounts = Account.objects.count()
    for run in ("first", "second (nothing to add)"):
        with tqdm(total=accounts, unit="account", unit_scale=True, leave=False) as bar:
            started = time.perf_counter()
            summary = journeys_backfill(progress=bar.update)
            elapsed = time.perf_counter() - started
        print(f"backfill, {run}: {summary}, {elapsed:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE journeys_transition")
        cursor.execute("VACUUM ANALYZE journeys_accountjourney")
    started = time.perf_counter()
    stage_norms_refresh()
    print(f"stage norms: {time.perf_counter() - started:.1f} s", flush=True)


TARGET_TRANSITIONS = 5_000_000


def pad_to_target() -> None:
    """The history gives about 3.5 transitions an account; the target is measured at 5M. Four accounts in five
    are lost once (by hand, with a reason) and come back to consideration a month later: 1.6M more moves."""
    if Transition.objects.count() >= TARGET_TRANSITIONS:
        return
    print("Adding a loss and a return for 80 % of the accounts ...", flush=True)
    consideration = Journey.objects.get(is_default=True).stages.get(code="consideration").id
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE journeys_transition t SET left_at = j.since + interval '30 days', "
            "stay_seconds = EXTRACT(EPOCH FROM j.since + interval '30 days' - t.at)::integer "
            "FROM journeys_accountjourney j "
            "WHERE t.account_id = j.account_id AND t.left_at IS NULL AND j.account_id %% 10 < 8",
            [],
        )
        cursor.execute(
            "INSERT INTO journeys_transition (account_id, journey_id, from_stage_id, to_stage_id, at, left_at, rule, "
            "reason, created_at) SELECT account_id, journey_id, stage_id, NULL, since + interval '30 days', "
            "since + interval '60 days', '', 'Bench: chose a competitor', now() FROM journeys_accountjourney "
            "WHERE account_id %% 10 < 8",
            [],
        )
        cursor.execute(
            "INSERT INTO journeys_transition (account_id, journey_id, from_stage_id, to_stage_id, at, rule, reason, "
            "created_at) SELECT account_id, journey_id, NULL, %s, since + interval '60 days', '', "
            "'Bench: came back', now() FROM journeys_accountjourney WHERE account_id %% 10 < 8",
            [consideration],
        )
        cursor.execute(
            "UPDATE journeys_accountjourney SET stage_id = %s, since = since + interval '60 days' "
            "WHERE account_id %% 10 < 8",
            [consideration],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE journeys_transition")


def pad():
    """To 5M transitions, then every account's funnel facts again, timed: what a reordering of stages costs."""
    pad_to_target()
    with tqdm(total=Account.objects.count(), unit="account", unit_scale=True, leave=False) as bar:
        started = time.perf_counter()
        summary = journey_facts_refresh(journey=Journey.objects.get(is_default=True), progress=bar.update)
        elapsed = time.perf_counter() - started
    print(f"funnel facts of every account recounted: {summary}, {elapsed:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE journeys_accountjourney")


def funnel():
    print(f"{Transition.objects.count():,} transitions", flush=True)
    user = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "bench", "b@example.com", "b"
    )
    journey = Journey.objects.get(is_default=True)
    manager = User.objects.filter(managed_accounts__isnull=False).first()
    red = Segment.objects.get_or_create(name="Bench: red zone", defaults={"filters": {"zone": ["red"]}})[0]
    cases = {
        "all accounts, all time": JourneyFilters(user=user, journey=journey),
        "journeys started in 2025": JourneyFilters(
            user=user,
            journey=journey,
            start=datetime.fromisoformat("2025-01-01T00:00:00+00:00"),
            end=datetime.fromisoformat("2026-01-01T00:00:00+00:00"),
        ),
        "one manager (as a head would filter)": JourneyFilters(user=user, journey=journey, manager=manager.id),
        "the manager themself (row-level access)": JourneyFilters(user=manager, journey=journey),
        "a saved segment (red zone)": JourneyFilters(user=user, journey=journey, segment=red),
    }
    floor()
    tables = (
        ("funnel and time in stage", "cohort", journey_funnel, lambda rows: rows[0].cohort),
        ("cycle times", "accounts from contact to proposal", cycle_times, lambda t: t["contact_to_proposal"]["n"]),
    )
    for title, counted, run, count in tables:
        print(f"\n| {title} | {counted} | seconds (runs) | median / CPU loop |\n|---|---|---|---|")
        for label, filters in cases.items():
            times = []
            for _ in range(3):
                started = time.perf_counter()
                result = run(filters)
                times.append(time.perf_counter() - started)
            runs = ", ".join(f"{t:.2f}" for t in times)
            median = statistics.median(times)
            print(f"| {label} | {count(result):,} | {median:.2f} ({runs}) | {floor().cpu_times(median)} |", flush=True)


def firsts():
    ids = list(Account.objects.order_by("?").values_list("id", flat=True)[:2000])
    floor()
    print("\n| 2,000 interactions inserted one by one | triggers | ms each (runs) | median / CPU loop |")
    print("|---|---|---|---|")
    for label, days in (("later than the account's first", 0), ("earlier than the account's first", -20_000)):
        at = timezone.now() + timedelta(days=days)
        for triggers in ("on", "off"):
            times = []
            for _ in range(3):
                with transaction.atomic():
                    if triggers == "off":
                        with connection.cursor() as cursor:
                            cursor.execute("ALTER TABLE crm_interaction DISABLE TRIGGER journeys_firsts_insert")
                    started = time.perf_counter()
                    for account_id in ids:
                        Interaction.objects.create(
                            account_id=account_id,
                            channel=Interaction.Channel.PHONE,
                            direction=Interaction.Direction.OUTBOUND,
                            occurred_at=at,
                        )
                    times.append((time.perf_counter() - started) / len(ids))
                    transaction.set_rollback(True)
            median = statistics.median(times)
            runs = ", ".join(f"{t * 1000:.3f}" for t in times)
            print(f"| {label} | {triggers} | {median * 1000:.3f} ({runs}) | {floor().cpu_times(median)} |", flush=True)


def counts():
    states = list(AccountJourney.objects.filter(stage__isnull=False).select_related("account").order_by("?")[:1000])
    stages = list(Journey.objects.get(is_default=True).stages.order_by("position"))
    floor()
    print("\n| 1,000 accounts moved by hand one by one | triggers | ms each (runs) | median / CPU loop |")
    print("|---|---|---|---|")
    for triggers in ("on", "off", "on", "off"):
        times = []
        for _ in range(3):
            with transaction.atomic():
                if triggers == "off":
                    with connection.cursor() as cursor:
                        for kept in KEPT:
                            cursor.execute(f"ALTER TABLE {kept.source} DISABLE TRIGGER USER")
                started = time.perf_counter()
                for state in states:
                    to_stage = next(stage for stage in stages if stage.id != state.stage_id)
                    account_stage_move(account=state.account, to_stage=to_stage, reason="Bench: a move by hand")
                times.append((time.perf_counter() - started) / len(states))
                transaction.set_rollback(True)
        median = statistics.median(times)
        runs = ", ".join(f"{t * 1000:.3f}" for t in times)
        print(f"| a move | {triggers} | {median * 1000:.3f} ({runs}) | {floor().cpu_times(median)} |", flush=True)


if __name__ == "__main__":
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at the PostgreSQL benchmark database.")
    steps = {"backfill": backfill, "pad": pad, "funnel": funnel, "firsts": firsts, "counts": counts}
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("steps", nargs="*", metavar="STEP", help=", ".join(steps))
    chosen = parser.parse_args().steps or list(steps)
    if unknown := set(chosen) - set(steps):
        parser.error(f"unknown step {', '.join(sorted(unknown))}: choose from {', '.join(steps)}")
    for step in chosen:
        steps[step]()
