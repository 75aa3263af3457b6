"""A 50,000-row account import (issue 23), and what the public pages feel while it runs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/imports.py
    .venv/bin/python bench/imports.py            # the embedded SQLite (var/db.sqlite3), as `make run` has it

gunicorn serves the product on production-like settings; a probe thread asks a tracked-link page (one indexed
read) and /healthz every 50 ms the whole time. Meanwhile the file is taken as the admin's form takes it (read,
encoding found, rows counted, kept), then checked and imported the way a worker does it, chunk by chunk, in this
process. Printed: each step's time, and the probe's p50 / p99 / max and its count of answers other than 200/404.
The accounts it made are deleted at the end.
"""

import argparse
import os
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402

from bench.calibrate import floor  # noqa: E402
from bench.telephony_load import PORT, serve  # noqa: E402
from crm.models import Account, ImportJob, User  # noqa: E402
from crm.services.imports import import_job_check, import_job_confirm, import_job_create, import_job_run  # noqa: E402


def csv_of(rows: int, tag: str) -> bytes:
    lines = ["name;legal_name;inn;status"]
    lines += [f"Импорт {tag} {n};ООО «Импорт {n}»;;active" for n in range(rows)]
    return "\n".join(lines).encode("cp1251")  # Russian Excel's default, found out by the import


class Probe(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.timings, self.bad, self.stop = [], [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            for path in ("/l/not-a-token/", "/healthz"):
                started = time.perf_counter()
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=30) as response:
                        status = response.status
                except urllib.error.HTTPError as error:
                    status = error.code
                except OSError as error:
                    status = str(error)
                self.timings.append((time.perf_counter() - started) * 1000)
                if status not in (200, 404):
                    self.bad.append(status)
            self.stop.wait(0.05)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    tag = f"{random.randrange(10**6):06d}"
    user, _created = User.objects.get_or_create(username="bench-importer", defaults={"is_superuser": True})
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "bench-" + "x9Ab#" * 12,
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CRM_PUBLIC_REQUESTS_PER_MINUTE": "1000000",
    }
    print(
        f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, {args.rows:,} rows, "
        f"{settings.CRM_IMPORT_CHUNK_ROWS} to a chunk"
    )
    with serve("config.wsgi", environment, ["-w", "2"]):
        probe = Probe()
        probe.start()
        time.sleep(2)
        started = time.perf_counter()
        job = import_job_create(
            kind=ImportJob.Kind.ACCOUNTS,
            upload=SimpleUploadedFile("bench.csv", csv_of(args.rows, tag)),
            acting_user=user,
        )
        created = time.perf_counter() - started
        started = time.perf_counter()
        import_job_check(job_id=job.pk)
        checked = time.perf_counter() - started
        import_job_confirm(job=ImportJob.objects.get(pk=job.pk), acting_user=user)
        started = time.perf_counter()
        job = import_job_run(job_id=job.pk)
        imported = time.perf_counter() - started
        probe.stop.set()
        probe.join()
    timings = sorted(probe.timings)
    print(f"upload (read, count, keep the file): {created:.1f} s")
    print(f"check {floor().cpu_times(checked)} and import {floor().cpu_times(imported)} of the CPU loop")
    print(
        f"check: {checked:.1f} s ({args.rows / checked:,.0f} rows/s); import: {imported:.1f} s "
        f"({args.rows / imported:,.0f} rows/s); {job.imported_rows:,} imported, status {job.status}"
    )
    print(
        f"public pages meanwhile: {len(timings):,} requests, p50 {statistics.median(timings):.1f} ms, "
        f"p99 {timings[int(len(timings) * 0.99)]:.1f} ms, max {timings[-1]:.0f} ms, "
        f"other than 200/404: {len(probe.bad)}" + (f" {sorted(set(map(str, probe.bad)))}" if probe.bad else "")
    )
    Account.objects.filter(name__startswith=f"Импорт {tag} ").delete()
    ImportJob.objects.filter(pk=job.pk).delete()


if __name__ == "__main__":
    main()
