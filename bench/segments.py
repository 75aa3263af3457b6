"""Segments at scale (issue 5), on the 1M-account database with the 10M answers of bench/surveys.py load.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/segments.py [STEP ...]

Steps (all by default): classify, behaviour, behaviour-one, segments.

behaviour: suggestions over the 10M interactions (a third with notes), a run stopped and resumed.
behaviour-one: one person's suggestion after a note. segments: the live count of the demo's saved segments.
classify: bench/generate.py makes orders without lines; the first run adds 300 products in 30 categories
and one to three lines to each of the 2M orders (COPY), so assortment breadth has data. Then it
resets every zone and level, classifies all accounts twice (the second run finds nothing to
change), and times the incremental refresh that follows an answer, and an order.
"""

import argparse
import contextlib
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "false"

import django

django.setup()

from bench.calibrate import floor  # noqa: E402
from config.celery import app  # noqa: E402

app.conf.broker_url = "memory://"  # alerts are planned, not sent: we measure classification
from datetime import datetime, timedelta  # noqa: E402

from django.db import connection  # noqa: E402
from tqdm import tqdm  # noqa: E402

from crm.models import Account, BatchCheckpoint, Contact, Interaction  # noqa: E402
from segments.models import BehaviourSuggestion, Segment  # noqa: E402
from segments.selectors import segment_members  # noqa: E402
from segments.services.behaviour import (  # noqa: E402
    SUGGEST_ALL_JOB,
    behaviour_suggest_all,
    contact_behaviour_suggest,
)
from segments.services.levels import account_level_refresh, levels_classify  # noqa: E402
from segments.services.zones import account_zone_refresh, zones_classify  # noqa: E402

CATEGORIES, PRODUCTS_PER_CATEGORY = 30, 10


def order_lines_load() -> None:
    """Products and order lines for the generated orders, once: an account buys mostly from a few categories."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM crm_orderline)")
        if cursor.fetchone()[0]:
            return
        print("Adding products and order lines ...", flush=True)
        cursor.execute(
            "INSERT INTO crm_productcategory (name) SELECT 'Bench category ' || n FROM generate_series(1, %s) n",
            [CATEGORIES],
        )
        cursor.execute(
            "INSERT INTO crm_product (name, sku, category_id) "
            "SELECT 'Bench product ' || c.id || '-' || n, 'BENCH-' || c.id || '-' || n, c.id "
            "FROM crm_productcategory c, generate_series(1, %s) n WHERE c.name LIKE 'Bench category %%'",
            [PRODUCTS_PER_CATEGORY],
        )
        cursor.execute("SELECT array_agg(id ORDER BY id) FROM crm_product WHERE sku LIKE 'BENCH-%%'")
        products = cursor.fetchone()[0]
        cursor.execute("SELECT id, account_id FROM crm_order ORDER BY id")
        orders = cursor.fetchall()
    rng = random.Random(5)
    raw = connection.connection
    with (
        raw.cursor() as cursor,
        cursor.copy("COPY crm_orderline (order_id, product_id, quantity, unit_price) FROM STDIN") as out,
    ):
        for order_id, account_id in tqdm(orders, desc="COPY lines", unit="order", unit_scale=True):
            favourites = account_id % CATEGORIES  # each account leans on three categories
            for _ in range(rng.randint(1, 3)):
                category = (favourites + rng.choice((0, 0, 1, 2, rng.randrange(CATEGORIES)))) % CATEGORIES
                product = products[category * PRODUCTS_PER_CATEGORY + rng.randrange(PRODUCTS_PER_CATEGORY)]
                out.write_row((order_id, product, 1, 1000))
    raw.commit()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_orderline")
        cursor.execute("ANALYZE crm_product")


def classify():
    now = datetime.fromisoformat("2026-11-01T00:00:00+00:00")  # where bench/surveys.py load ends its answers
    order_lines_load()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE segments_zonechange, segments_levelchange, segments_levelbaseline")
        cursor.execute(
            "UPDATE crm_account SET zone = 'grey', zone_changed_at = NULL, level = 'lead', level_changed_at = NULL "
            "WHERE zone <> 'grey' OR level <> 'lead'"
        )
        cursor.execute("VACUUM ANALYZE crm_account")
    last = Account.objects.order_by("-id").values_list("id", flat=True).first()
    floor()
    print("| run | accounts | changes | seconds | / CPU loop |\n|---|---|---|---|---|")
    for what, classify in (("zones", zones_classify), ("levels", levels_classify)):
        for run in ("first (from scratch)", "second (nothing to change)"):
            with tqdm(total=last, unit="account", unit_scale=True, desc=what, leave=False) as bar:
                started = time.perf_counter()
                report = classify(now=now, progress=bar.update)
                elapsed = time.perf_counter() - started
            changes = f"{sum(report.changed.values()):,} {dict(report.changed)}"
            print(
                f"| {what}, {run} | {report.accounts:,} | {changes} | {elapsed:.1f} | {floor().cpu_times(elapsed)} |",
                flush=True,
            )
        if what == "levels":
            print(f"\n{report}\n")
    rng = random.Random(1)
    for label, refresh in (
        ("zone, after an answer", account_zone_refresh),
        ("level, after an order", account_level_refresh),
    ):
        times = []
        for _ in range(500):
            account_id = rng.randrange(1, last + 1)
            started = time.perf_counter()
            refresh(account_id=account_id, now=now + timedelta(days=rng.randrange(0, 30)))
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        print(
            f"Incremental {label} (500 random accounts): p50 {statistics.median(times):.1f} ms, "
            f"p99 {times[int(len(times) * 0.99) - 1]:.1f} ms"
        )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Stop(Exception):
    pass


def behaviour():
    """Suggestions over every interaction note: a run stopped after 50 batches and resumed to the end."""
    notes = Interaction.objects.exclude(notes="").count()
    print(f"{Interaction.objects.count():,} interactions, {notes:,} with notes", flush=True)
    BatchCheckpoint.objects.filter(name=SUGGEST_ALL_JOB).delete()
    BehaviourSuggestion.objects.all().delete()
    accounts = Account.objects.count()
    batches = 0

    def stop_after_50(done):
        nonlocal batches
        batches += 1
        if batches == 50:
            raise _Stop

    started = time.perf_counter()
    with contextlib.suppress(_Stop):
        behaviour_suggest_all(progress=stop_after_50)
    stopped_at = BatchCheckpoint.objects.get(name=SUGGEST_ALL_JOB).position
    print(f"stopped after 50 batches, at account {stopped_at:,}, {time.perf_counter() - started:.1f} s", flush=True)
    with tqdm(total=accounts, initial=stopped_at, unit="account", unit_scale=True, leave=False) as bar:
        started = time.perf_counter()
        summary = behaviour_suggest_all(progress=bar.update)
        resumed = time.perf_counter() - started
    print(f"resumed: {summary}, {resumed:.1f} s, max RSS {_rss_mb():.0f} MB", flush=True)


def behaviour_one():
    """One person's suggestion again, as after a new note: 500 random people."""
    rng, times = random.Random(1), []
    contacts = Contact.objects.order_by("-id").values_list("id", flat=True).first()
    for _ in range(500):
        contact_id = rng.randrange(1, contacts + 1)
        started = time.perf_counter()
        contact_behaviour_suggest(contact_id=contact_id)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(
        f"One person's suggestion after a note (500 random people): p50 {statistics.median(times):.1f} ms, "
        f"p99 {times[int(len(times) * 0.99) - 1]:.1f} ms"
    )


def saved_segments():
    """The live count of each demo segment over the whole base, as an administrator sees it."""
    from segments.demo import DEMO_SEGMENTS

    floor()
    print("| segment | members | count, ms (best of 3) | / floor |\n|---|---|---|---|")
    for name, target, filters in DEMO_SEGMENTS:
        segment = Segment(name=name, target=target, filters=filters)
        times = []
        for _ in range(3):
            started = time.perf_counter()
            count = segment_members(segment=segment).count()
            times.append((time.perf_counter() - started) * 1000)
        print(f"| {name} | {count:,} | {min(times):.0f} | {floor().times(min(times))} |", flush=True)


if __name__ == "__main__":
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at the PostgreSQL benchmark database.")
    steps = {"classify": classify, "behaviour": behaviour, "behaviour-one": behaviour_one, "segments": saved_segments}
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("steps", nargs="*", metavar="STEP", help=", ".join(steps))
    chosen = parser.parse_args().steps or list(steps)
    if unknown := set(chosen) - set(steps):
        parser.error(f"unknown step {', '.join(sorted(unknown))}: choose from {', '.join(steps)}")
    for step in chosen:
        steps[step]()
