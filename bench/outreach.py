"""Outreach at scale: planning 100,000 messages, then sending through a real local SMTP server.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE crm_bench_outreach" postgres
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_outreach .venv/bin/python bench/outreach.py

Planning: 50,000 equipment items due for maintenance and 50,000 people whose birthday is today,
so the maintenance and greeting jobs plan 100,000 messages (and 50,000 manager tasks).
Sending: one process (what one worker runs) sends --send messages to aiosmtpd running in a
process of its own, the way a mail relay would be. The tables it fills are emptied first:
never point this at real data.
"""

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "false"
# A benchmark, not a test of quiet hours: send whatever the time of day.
os.environ["CRM_OUTREACH_SENDING_HOURS"] = "0,24"
os.environ["CRM_OUTREACH_QUIET_WEEKENDS"] = "false"

import django

django.setup()

from django.conf import settings  # noqa: E402

from bench.calibrate import floor  # noqa: E402
from config.celery import app  # noqa: E402

app.conf.broker_url = "memory://"  # the "send now" the jobs enqueue stays in this process; we send by hand
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from crm.models import Account, Contact, Equipment, OutboundMessage  # noqa: E402
from crm.outreach import jobs as outreach_jobs  # noqa: E402
from crm.outreach.services import outbox_send_due  # noqa: E402

PORT = 8825


class QueryCounter:
    """Counts statements without Django's debug cursor, which would cost more than the work measured."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def load(size: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE crm_outboundmessage, crm_task, crm_equipment, crm_contact, crm_account RESTART IDENTITY CASCADE"
        )
    today = timezone.localdate()
    accounts = Account.objects.bulk_create(Account(name=f"Bench {n}") for n in range(size // 10))
    people = Contact.objects.bulk_create(
        (
            Contact(
                account=accounts[n % len(accounts)],
                first_name="Иван",
                patronymic="Петрович",
                last_name=f"Тестов{n}",
                email=f"p{n}@bench.example",
                birthday=today.replace(year=1980) if n % 2 else None,
            )
            for n in range(size)
        ),
        batch_size=5000,
    )
    Equipment.objects.bulk_create(
        (
            Equipment(
                account=accounts[n % len(accounts)],
                model_name="Пресс П-200",
                serial_number=f"B-{n}",
                next_maintenance_at=today + timedelta(days=10),
                responsible_contact=people[2 * n],
            )
            for n in range(size // 2)
        ),
        batch_size=5000,
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=20_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run it against PostgreSQL: set DATABASE_URL.")
    call_command("migrate", verbosity=0)
    print(f"Loading {args.messages:,} people and {args.messages // 2:,} equipment items…")
    load(args.messages)

    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        planned = outreach_jobs.maintenance_due_plan() + outreach_jobs.greetings_plan()
    planning = time.perf_counter() - started
    batches = -(-args.messages // 2 // outreach_jobs.BATCH_SIZE) * 2
    print(
        f"Planning: {planned:,} messages in {planning:.1f} s ({planned / planning:,.0f}/s), "
        f"{counter.count} queries for {batches} batches of {outreach_jobs.BATCH_SIZE}"
    )

    # Send only --send of them: park the rest.
    keep = list(OutboundMessage.objects.order_by("id").values_list("id", flat=True)[: args.send])
    OutboundMessage.objects.exclude(id__in=keep).update(status=OutboundMessage.Status.SUPPRESSED)
    smtp = subprocess.Popen(  # noqa: S603  (our interpreter, fixed arguments)
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{PORT}", "-c", "aiosmtpd.handlers.Sink"],
    )
    time.sleep(1.5)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", PORT
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        started = time.perf_counter()
        report = outbox_send_due(time_budget_seconds=3600)
        sending = time.perf_counter() - started
    finally:
        smtp.terminate()
    sent = report.counts["sent"]
    print(f"Sending: {sent:,} emails in {sending:.1f} s ({sent / sending:,.0f}/s), outcomes {dict(report.counts)}")
    print(f"Planning {floor().cpu_times(planning)} and sending {floor().cpu_times(sending)} of the CPU loop")
    statuses = Counter(OutboundMessage.objects.filter(id__in=keep).values_list("status", flat=True))
    print(f"Outbox after sending: {dict(statuses)}")


if __name__ == "__main__":
    main()
