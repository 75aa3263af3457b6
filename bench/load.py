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
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
# One key for this process, which signs the survey links, and for the production server, which checks them.
os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)

import django  # noqa: E402

django.setup()

import psutil  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from bench.calibrate import floor_measure  # noqa: E402
from bench.telephony_load import wait_for_port  # noqa: E402
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
    superuser.set_password(DEMO_MANAGER_PASSWORD)  # the head of sales of the load
    superuser.save(update_fields=["password"])
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
            (m.username, list(Account.objects.filter(manager=m).values_list("id", "inn", "name")[:200]))
            for m in managers
        ],
        "head": superuser.username,
        "raw_phones": list(Phone.objects.filter(number__in=phones[:500]).values_list("raw", flat=True)),
        "api_token": api,
        "api_accounts": list(Account.objects.filter(manager=managers[0]).values_list("id", flat=True)[:500]),
        "telephony_token": telephony,
        "phones": [number.replace("+", "%2B") for number in phones],
        "invitations": [  # those the survey's rules let through (an email, consent, not asked lately)
            links.invitation_token(survey_id=survey.id, contact_id=contact_id, round=round_)
            for contact_id in Invitation.objects.filter(survey=survey, round=round_).values_list("contact", flat=True)
        ],
    }


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


def ramp_report(history: Path, floor) -> None:
    """Per step of the ramp (a number of users): the rate over its second half, its worst p99, its errors."""
    steps: dict[int, list[dict]] = {}
    with history.open() as file:
        for row in csv.DictReader(file):
            if row["Name"] == "Aggregated" and row["99%"] not in ("N/A", ""):
                steps.setdefault(int(row["User Count"]), []).append(row)
    print("\n| users | requests/s | p99, ms (worst) | errors | rate / floor |\n|---|---|---|---|---|")
    held, errors_before = None, 0
    for users, rows in sorted(steps.items()):
        late = rows[len(rows) // 2 :]
        rate = sum(float(row["Requests/s"]) for row in late) / len(late)
        p99 = max(float(row["99%"]) for row in late)
        errors = int(rows[-1]["Total Failure Count"]) - errors_before
        errors_before += errors
        print(f"| {users} | {rate:.1f} | {p99:.0f} | {errors} | {floor.share(rate)} |")
        if p99 <= 1000 and errors == 0:
            held = (users, rate)
    if held:
        print(f"\nHighest rate held with p99 ≤ 1 s and no errors: {held[1]:.1f} requests/s at {held[0]} users")
        print(f"({floor.share(held[1])} of the floor's {floor.rps:,.0f} requests/s)")


def heap_report(directory: Path, memory: list[dict]) -> None:
    """Each process's heap at its end against its heap once warm: the lines that grew most (tracemalloc)."""
    roles = {int(key.split(":")[1]): key.split(":")[0] for sample in memory for key in sample}
    for first in sorted(directory.glob("*-first.snap")):
        pid = int(first.name.split("-")[0])
        last = directory / f"{pid}-last.snap"
        if not last.exists():
            continue
        before, after = tracemalloc.Snapshot.load(str(first)), tracemalloc.Snapshot.load(str(last))
        differences = after.compare_to(before, "lineno")
        growth = sum(difference.size_diff for difference in differences)
        print(
            f"\n{roles.get(pid, 'process')} {pid}: traced heap {growth / 2**20:+.2f} MB from warm to the end;"
            " grew most:"
        )
        for difference in differences[:5]:
            frame = difference.traceback[0]
            print(
                f"  {difference.size_diff / 1024:+8.1f} KiB {difference.count_diff:+6d} blocks  "
                f"{frame.filename.replace(str(ROOT) + '/', '')}:{frame.lineno}"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument(
        "--ramp",
        metavar="USERS,SECONDS",
        help="saturation: USERS more every SECONDS until p99 passes 1 s or a request fails (--minutes caps it)",
    )
    parser.add_argument("--heap", action="store_true", help="tracemalloc in every server process (a soak)")
    parser.add_argument("--pgbouncer", action="store_true", help="through PgBouncer in transaction mode")
    args = parser.parse_args()

    floor = floor_measure()

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
    if args.heap:
        (workdir / "heap").mkdir()
        environment |= {"PYTHONPATH": str(ROOT / "bench/heap"), "CRM_TRACEMALLOC_DIR": str(workdir / "heap")}
    if args.pgbouncer:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            bouncer_port = probe.getsockname()[1]
        # A folder of its own: PgBouncer runs as postgres, which may not enter the run's private folder.
        bouncer_dir = tempfile.mkdtemp(prefix="crm-pgbouncer-")
        bouncer = [str(ROOT / ".ci/pgbouncer"), "start", bouncer_dir, str(bouncer_port)]
        subprocess.run(bouncer, check=True)  # noqa: S603
        database = urlsplit(os.environ["DATABASE_URL"])
        environment |= {
            "DATABASE_URL": urlunsplit(database._replace(netloc=f"{database.username}@127.0.0.1:{bouncer_port}")),
            "DB_TRANSACTION_POOLING": "true",
        }
        print(f"Through PgBouncer in transaction mode on port {bouncer_port}", flush=True)
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
        if args.ramp:
            print(
                f"Ramp: {args.ramp.replace(',', ' users more every ')} s, for at most {args.minutes:g} minutes, "
                "without the head of sales ..."
            )
        else:
            print(f"Load: {args.users} users for {args.minutes:g} minutes ...", flush=True)
        subprocess.run(  # noqa: S603
            [
                str(ROOT / ".venv/bin/locust"),
                *("-f", str(ROOT / "bench/locustfile.py"), "--headless"),
                *("-u", str(args.users), "-r", "4", "-t", f"{int(args.minutes * 60)}s"),
                *("--host", f"http://127.0.0.1:{PORT}", "--csv", str(workdir / "load"), "--csv-full-history"),
                *("--only-summary", "--loglevel", "WARNING"),
                # The head's analytics take seconds by themselves: a ramp judged by p99 leaves them out.
                *(("Manager", "ApiClient", "Telephony", "Respondent") if args.ramp else ()),
            ],
            env={
                **os.environ,
                "LOAD_DATA": str(workdir / "data.json"),
                **({"LOAD_RAMP": f"{args.ramp},1000,{int(args.minutes * 60)}"} if args.ramp else {}),
            },
            check=False,
        )
        stop.set()
        memory.append(rss_mb(watched))
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:  # a request still running past gunicorn's graceful timeout
                server.kill()
                server.wait()
        smtp.stop()
        if args.pgbouncer:
            subprocess.run([str(ROOT / ".ci/pgbouncer"), "stop", bouncer_dir], check=False)  # noqa: S603

    print(f"\n{floor}")

    print(
        "\n| request | requests | per second | p50, ms | p99, ms | errors | p50 / floor |"
        "\n|---|---|---|---|---|---|---|"
    )
    with (workdir / "load_stats.csv").open() as file:
        for row in csv.DictReader(file):
            print(
                f"| {row['Name']} | {int(row['Request Count']):,} | {float(row['Requests/s']):.1f} | {row['50%']} "
                f"| {row['99%']} | {row['Failure Count']} | {floor.times(float(row['50%']))} |"
            )
    if args.ramp:
        ramp_report(workdir / "load_stats_history.csv", floor)
    print(f"\nEmails received by the SMTP server: {Sink.received:,}")
    # Samples every 30 s: the one after the first minute is the warm process (imports, caches, connections); then
    # one every 10 minutes, so a soak shows whether memory levels off or keeps growing.
    first, last = memory[0], memory[-1]
    marks = [index for index in (2, *range(20, len(memory) - 1, 20)) if index < len(memory) - 1]
    print(
        "\n| process | RSS at start, MB | "
        + "".join(f"after {index // 2} min | " for index in marks)
        + "at the end | max |\n"
        + "|---" * (len(marks) + 4)
        + "|"
    )
    for key in sorted(first):
        peak = max(sample.get(key, 0) for sample in memory)
        at_marks = "".join(f"{memory[index].get(key, 0):.0f} | " for index in marks)
        print(f"| {key} | {first[key]:.0f} | {at_marks}{last.get(key, 0):.0f} | {peak:.0f} |")
    if args.heap:
        heap_report(workdir / "heap", memory)
    if (workdir / "load_failures.csv").exists():
        print("\nFailures:\n" + (workdir / "load_failures.csv").read_text()[:3000])


if __name__ == "__main__":
    main()
