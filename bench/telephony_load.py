"""Telephony lookups through the production server (issue 7): gunicorn on production settings, wrk on localhost.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/telephony_load.py

Needs the 1M-account database (bench/generate.py) and the connections bench/measure.py creates
(bench-generic, bench-asterisk), and wrk (`apt-get install wrk`). Every request asks for one of
3,000 stored numbers, picked at random, written in a different format each time. The last row is
the floor (bench/floor.py), measured the same way right after: how fast the VM is at that moment. Everything
(gunicorn, PostgreSQL, wrk) shares this machine's cores, as it would on a small server.
"""

import argparse
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from crm.models import ApiToken, Phone, TelephonyConnection, User  # noqa: E402
from crm.services.tokens import api_token_issue  # noqa: E402

PORT = 8055
FORMATS = ["8 {d} {n}", "+7 {d} {n}", "{d}{n}", "7{d}{n}"]


def lua_script(paths: list[str], headers: dict) -> str:
    quoted = ",\n".join(f'  "{path}"' for path in paths)
    header_lines = "\n".join(f'wrk.headers["{name}"] = "{value}"' for name, value in headers.items())
    return f"""
{header_lines}
local paths = {{
{quoted}
}}
math.randomseed(os.time())
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def wrk(script: str, seconds: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    output = subprocess.run(  # noqa: S603
        [
            shutil.which("wrk") or sys.exit("Install wrk: apt-get install wrk"),
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            file.name,
            f"http://127.0.0.1:{PORT}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(file.name)
    found = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1),
        "p99": re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1),
        "errors": 0,
    }
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        found["errors"] += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        found["errors"] += sum(int(n) for n in match.groups())
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="more than 1: gunicorn's gthread worker")
    args = parser.parse_args()

    rng = random.Random(7)
    max_phone = Phone.objects.order_by("-id").values_list("id", flat=True).first()
    numbers = list(
        Phone.objects.filter(id__in=[rng.randrange(1, max_phone) for _ in range(3000)]).values_list("number", flat=True)
    )
    spelled = [rng.choice(FORMATS).format(d=n[2:5], n=n[5:]).replace(" ", "%20").replace("+", "%2B") for n in numbers]
    TelephonyConnection.objects.get(name="bench-generic")  # made by bench/measure.py
    asterisk = TelephonyConnection.objects.get(name="bench-asterisk")
    superuser = User.objects.get(username="bench-admin")
    ApiToken.objects.filter(name="bench-load").delete()
    _token, raw = api_token_issue(user=superuser, name="bench-load", scopes=["telephony:read"])

    environment = production_environment()
    worker = ["--workers", str(args.workers)]
    if args.threads > 1:
        worker += ["--worker-class", "gthread", "--threads", str(args.threads)]
    server_kind = f"{args.workers} sync workers" if args.threads == 1 else f"{args.workers}×{args.threads} gthread"
    lookups = {
        "caller lookup with route and card (generic API, token)": lua_script(
            [f"/api/v1/telephony/lookup/?phone={n}&connection=bench-generic" for n in spelled],
            {"Authorization": f"Bearer {raw}"},
        ),
        "Asterisk CURL() lookup (route and display name)": lua_script(
            [f"/telephony/asterisk/{asterisk.webhook_key}/lookup/?phone={n}" for n in spelled],
            {"X-CRM-Token": asterisk.secret},
        ),
    }
    floor = {
        "floor: minimal Django view, one indexed lookup (bench/floor.py)": lua_script(
            [f"/phone/?phone={n.replace('+', '%2B')}" for n in numbers], {}
        )
    }
    print("| what | gunicorn | connections | requests/s | p50 | p99 | errors |\n|---|---|---|---|---|---|---|")
    for application, settings, scripts in (
        ("config.wsgi", "config.settings.production", lookups),
        ("bench.floor:application", "bench.floor", floor),
    ):
        with serve(application, {**environment, "DJANGO_SETTINGS_MODULE": settings}, worker):
            for label, script in scripts.items():
                wrk(script, 5, args.connections)  # warm-up: connections, prepared statements, caches
                result = wrk(script, args.seconds, args.connections)
                print(
                    f"| {label} | {server_kind} | {args.connections} | {result['rps']:,.0f} | {result['p50']} "
                    f"| {result['p99']} | {result['errors']} |",
                    flush=True,
                )


def production_environment(**extra: str) -> dict:
    """What gunicorn and a Celery worker run with: production settings on this database, a throwaway secret."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def celery_worker(environment: dict) -> subprocess.Popen:
    """A real worker on the "urgent" queue, one process, as the benchmark's counterpart of production's."""
    return subprocess.Popen(  # noqa: S603
        [
            str(ROOT / ".venv/bin/celery"),
            *("-A", "config", "worker", "--queues=urgent", "--concurrency=1"),
            *("--loglevel=WARNING", "--without-gossip", "--without-mingle"),
        ],
        cwd=ROOT,
        env=environment,
    )


def port_taken(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def wait_for_port(port: int) -> None:
    """Until a server listens on `port` of this machine (20 s at most)."""
    for _ in range(100):
        if port_taken(port):
            return
        time.sleep(0.2)
    sys.exit(f"nothing listens on {port}")


@contextmanager
def serve(application: str, environment: dict, worker: list[str]):
    """gunicorn serving `application` on PORT until the block ends."""
    if port_taken(PORT):  # else the load would go to whatever listens there (another benchmark still running)
        sys.exit(f"port {PORT} is taken: is another benchmark still running?")
    server = subprocess.Popen(  # noqa: S603
        [str(ROOT / ".venv/bin/gunicorn"), application, "-b", f"127.0.0.1:{PORT}", *worker, "--log-level", "warning"],
        cwd=ROOT,
        env=environment,
    )
    try:
        wait_for_port(PORT)
        yield
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)


if __name__ == "__main__":
    main()
