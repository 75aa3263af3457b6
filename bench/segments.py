"""Zones at scale (issue 5), on the 1M-account database with the 10M answers of bench/surveys.py load.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/segments.py

Resets every zone to grey, classifies all accounts twice (the second run finds nothing to change),
then times the incremental refresh that follows a relationship-survey answer.
"""

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "false"

import django

django.setup()

from config.celery import app  # noqa: E402

app.conf.broker_url = "memory://"  # alerts are planned, not sent: we measure classification
from datetime import datetime, timedelta  # noqa: E402

from django.db import connection  # noqa: E402
from tqdm import tqdm  # noqa: E402

from crm.models import Account  # noqa: E402
from segments.services import account_zone_refresh, zones_classify  # noqa: E402


def main():
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at the PostgreSQL benchmark database.")
    now = datetime.fromisoformat("2026-11-01T00:00:00+00:00")  # where bench/surveys.py load ends its answers
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE segments_zonechange")
        cursor.execute("UPDATE crm_account SET zone = 'grey', zone_changed_at = NULL WHERE zone <> 'grey'")
        cursor.execute("VACUUM ANALYZE crm_account")
    last = Account.objects.order_by("-id").values_list("id", flat=True).first()
    print("| run | accounts | changes | seconds |\n|---|---|---|---|")
    for run in ("first (all grey)", "second (nothing to change)"):
        with tqdm(total=last, unit="account", unit_scale=True, desc="Zones", leave=False) as bar:
            started = time.perf_counter()
            report = zones_classify(now=now, progress=bar.update)
            elapsed = time.perf_counter() - started
        changes = f"{sum(report.changed.values()):,} {dict(report.changed)}"
        print(f"| {run} | {report.accounts:,} | {changes} | {elapsed:.1f} |", flush=True)
    rng = random.Random(1)
    times = []
    for _ in range(500):
        account_id = rng.randrange(1, last + 1)
        started = time.perf_counter()
        account_zone_refresh(account_id=account_id, now=now + timedelta(days=rng.randrange(0, 30)))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(
        f"\nIncremental refresh of one account (500 random accounts): p50 {statistics.median(times):.1f} ms, "
        f"p99 {times[int(len(times) * 0.99) - 1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
