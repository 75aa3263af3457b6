"""Equipment signals through the production server (issue 20): gunicorn on production settings, wrk on localhost,
a real Celery worker acting on them, and the floor measured the same way in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/equipment_signals.py [--seconds 30] [--connections 16] [--workers 4]

Needs the 1M-account database (bench/generate.py) and wrk. It puts 10,000 units on the first 10,000 accounts
(once). The stream is what a fleet sends: every request a new signal (its own signal_id), 1 in 20 a retry of one
sent before; 60 % telemetry (thresholds crossed, back to normal) from any of the 10,000 units, 40 % faults and
predicted failures from the 200 units in trouble (two problem codes each, so 400 problems open requests and
the rest count on them). After the load it reports how long the worker took to act on every signal, and the
longest wait between a problem's first signal and its service request.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import F, Max, Min  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.telephony_load import celery_worker, lua_script, production_environment, serve, wrk  # noqa: E402
from crm.models import Account, ApiToken, Equipment, EquipmentSignal, Phone, ServiceRequest, Task, User  # noqa: E402
from crm.services.tokens import api_token_issue  # noqa: E402

UNITS = 10_000
PATH = "/api/v1/equipment/signals/"

SIGNAL_SCRIPT = """
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["Content-Type"] = "application/json"
local sent = {}
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
local function one()
  local body
  if #sent > 0 and math.random(20) == 1 then
    body = sent[math.random(#sent)]
  else
    local roll, unit, kind = math.random(10), math.random(%(units)d), "threshold"
    if roll <= 4 then
      unit, kind = math.random(200), (roll == 1 and "predicted_failure" or "fault")
    elseif roll <= 5 then
      kind = "normal"
    end
    body = string.format(
      '{"serial_number": "BENCH-%%05d", "kind": "%%s", "severity": "warning", "code": "E%%d", ' ..
      '"occurred_at": "%(now)s", "signal_id": "%%d-%%d", "data": {"t": %%d}}',
      unit, kind, math.random(2), math.random(1000000000), math.random(1000000000), math.random(120))
    if #sent < 1000 then sent[#sent + 1] = body end
  end
  return body
end
request = function()
  if %(batch)d == 1 then
    return wrk.format(nil, "%(path)s", nil, one())
  end
  local signals = {}
  for i = 1, %(batch)d do signals[i] = one() end
  return wrk.format(nil, "%(path)s", nil, "[" .. table.concat(signals, ", ") .. "]")
end
"""


def units_ensure() -> None:
    if Equipment.objects.filter(serial_number__startswith="BENCH-").count() == UNITS:
        return
    accounts = list(Account.objects.order_by("id").values_list("id", flat=True)[:UNITS])
    Equipment.objects.bulk_create(
        [
            Equipment(account_id=account, model_name="Bench unit", serial_number=f"BENCH-{n:05d}")
            for n, account in enumerate(accounts, start=1)
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )


def state_reset() -> None:
    units = Equipment.objects.filter(serial_number__startswith="BENCH-")
    units.update(last_signal=None)
    ServiceRequest.objects.filter(equipment__in=units).delete()
    EquipmentSignal.objects.filter(equipment__in=units).delete()
    Task.objects.filter(created_by_rule="equipment_signal").delete()
    # What autovacuum does in production (this machine's PostgreSQL runs without it): else every run leaves some
    # 300,000 dead rows in these tables and the next one is slower (781 signals/s on a fresh table, 460 after
    # ten runs).
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE crm_equipment, crm_equipmentsignal, crm_servicerequest, crm_task, crm_outboundmessage"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1, help="signals per request (the endpoint takes up to 100)")
    parser.add_argument(
        "--application",
        default="config.wsgi",
        help="what gunicorn serves: config.wsgi:site is the full middleware stack, for comparison",
    )
    args = parser.parse_args()

    units_ensure()
    state_reset()
    superuser, _created = User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    ApiToken.objects.filter(name="bench-signals").delete()
    _token, raw = api_token_issue(user=superuser, name="bench-signals", scopes=["equipment:write"])
    script = SIGNAL_SCRIPT % {
        "token": raw,
        "units": UNITS,
        "now": timezone.now().isoformat(),
        "path": PATH,
        "batch": args.batch,
    }
    numbers = list(Phone.objects.order_by("id").values_list("number", flat=True)[:3000])
    floor = lua_script([f"/phone/?phone={n.replace('+', '%2B')}" for n in numbers], {})

    environment = production_environment()
    worker = celery_worker(environment)
    print("| what | gunicorn | connections | requests/s | p50 | p99 | errors |\n|---|---|---|---|---|---|---|")
    try:
        with serve(args.application, environment, ["--workers", str(args.workers)]):
            wrk(script, 5, args.connections)  # warm-up
            load_started = timezone.now()
            result = wrk(script, args.seconds, args.connections)
            load_ended = time.monotonic()
            print(
                f"| equipment signals, {args.batch} a request (POST, token, one insert) | {args.workers} sync "
                f"workers | {args.connections} | {result['rps']:,.0f} requests = {result['rps'] * args.batch:,.0f} "
                f"signals | {result['p50']} | {result['p99']} | {result['errors']} |",
                flush=True,
            )
            left = at_load_end = EquipmentSignal.objects.filter(processed_at__isnull=True).count()
            while time.monotonic() - load_ended < 300:
                left = EquipmentSignal.objects.filter(processed_at__isnull=True).count()
                if left == 0:
                    break
                time.sleep(1)
            drained = time.monotonic() - load_ended
    finally:
        worker.terminate()
        worker.wait(30)
    with serve(
        "bench.floor:application",
        {**environment, "DJANGO_SETTINGS_MODULE": "bench.floor"},
        ["--workers", str(args.workers)],
    ):
        wrk(floor, 5, args.connections)
        base = wrk(floor, args.seconds, args.connections)
    print(
        f"| floor: minimal Django view, one indexed lookup (bench/floor.py) | {args.workers} sync workers "
        f"| {args.connections} | {base['rps']:,.0f} | {base['p50']} | {base['p99']} | {base['errors']} |"
    )
    per_second = result["rps"] * args.batch
    print(
        f"\nratio to the floor: {result['rps'] / base['rps']:.2f} (requests), {per_second / base['rps']:.2f} (signals)"
    )
    signals = EquipmentSignal.objects.filter(received_at__gte=load_started)
    opened = ServiceRequest.objects.filter(channel="monitoring", created_at__gte=load_started)
    waits = [
        (request.created_at - first).total_seconds()
        for request, first in (
            (request, request.signals.aggregate(first=Min("received_at"))["first"]) for request in opened[:2000]
        )
        if first
    ]
    print(
        f"signals stored in the load: {signals.count():,}; service requests opened: {opened.count():,} "
        f"(repeats counted: {opened.aggregate(n=Max(F('signal_count')))['n']} at most on one); "
        f"waiting when the load ended: {at_load_end:,}, all acted on {drained:.0f} s later "
        f"(the worker alone: {at_load_end / max(drained, 1):,.0f} signals/s); left: {left}; "
        f"longest wait from a problem's first signal to its request (2,000 sampled): {max(waits, default=0):.1f} s"
    )


if __name__ == "__main__":
    main()
