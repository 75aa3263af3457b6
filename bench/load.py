"""A mixed load for 10 minutes, and the memory of every server process over it (issue 8).

    .venv/bin/pip install -r bench/requirements.txt      # locust
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench REDIS_URL=redis://127.0.0.1:6379/1 \
        .venv/bin/python bench/load.py --minutes 10

On the 1M-account database (bench/generate.py, bench/surveys.py load, and bench/measure.py for the
telephony connections), everything on this machine: gunicorn on the production settings, two Celery
workers taking the urgent and bulk queues and sending email into a local SMTP server, and locust
(bench/locustfile.py) with managers in the admin, API clients, the PBX's lookups and survey
respondents. Prints, per kind of request, the throughput, p50, p99 and errors, then the resident
memory of the web and worker processes at the start and the end of the run.
"""

import argparse
import csv
import json
import logging
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
# One key for this process, which signs the survey links, and for the production server, which checks them.
os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)

import django  # noqa: E402

django.setup()

import psutil  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from crm.demo.seed import DEMO_MANAGER_PASSWORD  # noqa: E402
from crm.models import Account, ApiToken, Contact, Phone, TelephonyConnection, User  # noqa: E402
from crm.services.tokens import api_token_issue  # noqa: E402
from surveys import links  # noqa: E402
from surveys.models import Invitation, Survey  # noqa: E402
from surveys.services.invitations import survey_invite  # noqa: E402

PORT = 8056


class Sink:
    received = 0

    async def handle_DATA(self, server, session, envelope):
        Sink.received += 1
        return "250 OK"


def prepare(invitations: int) -> dict:
    rng = random.Random(11)
    TelephonyConnection.objects.get(name="bench-generic")  # made by bench/measure.py
    superuser = User.objects.get(username="bench-admin")
    managers = list(User.objects.filter(username__startswith="bench", is_superuser=False).order_by("username")[:10])
    ApiToken.objects.filter(name__startswith="bench-mixed").delete()
    _token, telephony = api_token_issue(user=superuser, name="bench-mixed-pbx", scopes=["telephony:read"])
    _token, api = api_token_issue(user=managers[0], name="bench-mixed-api", scopes=["accounts:read", "contacts:read"])
    max_phone = Phone.objects.order_by("-id").values_list("id", flat=True).first()
    phones = list(
        Phone.objects.filter(id__in=[rng.randrange(1, max_phone) for _ in range(3000)]).values_list("number", flat=True)
    )
    survey = Survey.objects.get(slug="relationship")
    round_ = f"load-{time.time_ns()}"
    people = list(Contact.objects.filter(is_decision_maker=True, account__status="active").order_by("?")[:invitations])
    Invitation.objects.filter(contact__in=people).delete()  # an earlier run's invitations would throttle them
    for start in range(0, len(people), 500):
        survey_invite(survey=survey, people=[(p, round_) for p in people[start : start + 500]])
    return {
        "host": f"127.0.0.1:{PORT}",
        "password": DEMO_MANAGER_PASSWORD,
        "managers": [
            (m.username, list(Account.objects.filter(manager=m).values_list("id", flat=True)[:200])) for m in managers
        ],
        "api_token": api,
        "api_accounts": list(Account.objects.filter(manager=managers[0]).values_list("id", flat=True)[:500]),
        "telephony_token": telephony,
        "phones": [number.replace("+", "%2B") for number in phones],
        "invitations": [  # those the survey's rules let through (an email, consent, not asked lately)
            links.invitation_token(survey_id=survey.id, contact_id=contact_id, round=round_)
            for contact_id in Invitation.objects.filter(survey=survey, round=round_).values_list("contact", flat=True)
        ],
    }


def wait_for_port(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"nothing listens on {port}")


def rss_mb(processes: list[psutil.Process]) -> dict[str, float]:
    """Resident memory of each gunicorn and Celery process (children included), by role and pid."""
    found = {}
    for parent in processes:
        for process in [parent, *parent.children(recursive=True)]:
            try:
                name = "gunicorn" if "gunicorn" in " ".join(process.cmdline()) else "celery"
                found[f"{name}:{process.pid}"] = process.memory_info().rss / 2**20
            except psutil.NoSuchProcess:
                pass
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    args = parser.parse_args()

    print("Preparing invitations, tokens and samples ...", flush=True)
    data = prepare(invitations=int(args.minutes * 60 * 3))
    workdir = Path(tempfile.mkdtemp(prefix="crm-load-"))
    (workdir / "data.json").write_text(json.dumps(data))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        smtp_port = probe.getsockname()[1]
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    smtp = Controller(Sink(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        # Every respondent here comes from 127.0.0.1; in production they come from their own addresses.
        "CRM_PUBLIC_REQUESTS_PER_MINUTE": "1000000",
        "CRM_OUTREACH_SENDING_HOURS": "0,24",
        "CRM_OUTREACH_QUIET_WEEKENDS": "false",
    }
    servers = [
        subprocess.Popen(  # noqa: S603
            [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{PORT}", "-w", str(args.workers)],
            cwd=ROOT,
            env=environment,
        )
    ]
    for n in range(2):
        servers.append(
            subprocess.Popen(  # noqa: S603
                [
                    str(ROOT / ".venv/bin/celery"),
                    "-A",
                    "config",
                    "worker",
                    "-Q",
                    "urgent,bulk",
                    "--concurrency",
                    "1",
                    "-n",
                    f"load{n}@%h",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env=environment,
            )
        )
    memory, stop = [], threading.Event()
    try:
        wait_for_port(PORT)
        time.sleep(3)  # the workers import the project
        watched = [psutil.Process(server.pid) for server in servers]

        def sample():
            while not stop.wait(30):
                memory.append(rss_mb(watched))

        memory.append(rss_mb(watched))
        threading.Thread(target=sample, daemon=True).start()
        print(f"Load: {args.users} users for {args.minutes:g} minutes ...", flush=True)
        subprocess.run(  # noqa: S603
            [
                str(ROOT / ".venv/bin/locust"),
                "-f",
                str(ROOT / "bench/locustfile.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                "4",
                "-t",
                f"{int(args.minutes * 60)}s",
                "--host",
                f"http://127.0.0.1:{PORT}",
                "--csv",
                str(workdir / "load"),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env={**os.environ, "LOAD_DATA": str(workdir / "data.json")},
            check=False,
        )
        stop.set()
        memory.append(rss_mb(watched))
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(30)
        smtp.stop()

    print("\n| request | requests | per second | p50, ms | p99, ms | errors |\n|---|---|---|---|---|---|")
    with (workdir / "load_stats.csv").open() as file:
        for row in csv.DictReader(file):
            print(
                f"| {row['Name']} | {int(row['Request Count']):,} | {float(row['Requests/s']):.1f} | {row['50%']} "
                f"| {row['99%']} | {row['Failure Count']} |"
            )
    print(f"\nEmails received by the SMTP server: {Sink.received:,}")
    # Samples every 30 s: the one after the first minute is the warm process (imports, caches, connections).
    first, warm, last = memory[0], memory[min(2, len(memory) - 1)], memory[-1]
    print("\n| process | RSS at start, MB | after 1 minute | at the end | max |\n|---|---|---|---|---|")
    for key in sorted(first):
        peak = max(sample.get(key, 0) for sample in memory)
        print(f"| {key} | {first[key]:.0f} | {warm.get(key, 0):.0f} | {last.get(key, 0):.0f} | {peak:.0f} |")
    if (workdir / "load_failures.csv").exists():
        print("\nFailures:\n" + (workdir / "load_failures.csv").read_text()[:3000])


if __name__ == "__main__":
    main()
