"""The web-to-lead endpoint at 1M accounts (issue 20): gunicorn on production settings, wrk on localhost, the floor
measured the same way in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/web_leads.py [--seconds 30]

Needs the 1M-account database (bench/generate.py) and wrk. Every request is a new form (its own signed token,
made here with the server's key): half from new visitors (a new prospect: account, person, phone, consent,
interaction, journey, task), half from people already in the database, found by phone or by e-mail (a new touch
on their account). UTM tags from five campaigns. The target is latency, so a few connections: a site's visitors,
not a flood (the per-address limit is lifted for the run, as every request comes from 127.0.0.1). A real Celery
worker makes the leads meanwhile; the run ends with how long the longest wait from a form to its lead was.
"""

import argparse
import json
import os
import random
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
SECRET_KEY = secrets.token_urlsafe(50)
os.environ["SECRET_KEY"] = SECRET_KEY  # the tokens made here must be the server's

import django  # noqa: E402

django.setup()

from django.db.models import DurationField, ExpressionWrapper, F, Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.telephony_load import celery_worker, lua_script, production_environment, serve, wrk  # noqa: E402
from crm.models import Contact, Phone, WebLead  # noqa: E402
from crm.webleads.services import web_form_token  # noqa: E402

FORMS = 40_000
SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {
%(bodies)s
}
local count = 0
function setup(thread)
  thread:set("tid", count)
  count = count + 1
end
function init(args)
  n = 0
end
request = function()
  n = n + 1
  return wrk.format(nil, "/forms/lead/", nil, bodies[((n * 2 + tid) %% #bodies) + 1])
end
"""


def forms(rng: random.Random) -> list[str]:
    top = Phone.objects.order_by("-id").values_list("id", flat=True).first()
    known_phones = list(
        Phone.objects.filter(id__in=[rng.randrange(1, top) for _ in range(FORMS // 4)]).values_list("number", flat=True)
    )
    top = Contact.objects.order_by("-id").values_list("id", flat=True).first()
    known_emails = list(
        Contact.objects.filter(id__in=[rng.randrange(1, top) for _ in range(FORMS // 2)])
        .exclude(email="")
        .values_list("email", flat=True)[: FORMS // 4]
    )
    bodies = []
    for n in range(FORMS):
        kind = n % 4
        phone = (
            f"+7999{rng.randrange(10**7):07d}"
            if kind < 2
            else (known_phones[n % len(known_phones)] if kind == 2 else "")
        )
        email = (
            f"visitor{n}.{rng.randrange(10**6)}@bench.example"
            if kind < 2
            else (known_emails[n % len(known_emails)] if kind == 3 else "")
        )
        campaign = rng.randrange(5)
        bodies.append(
            json.dumps(
                {
                    "token": web_form_token(),
                    "name": "Сидоров Пётр Алексеевич",
                    "company": f"ООО «Лид {n}»",
                    "phone": phone,
                    "email": email,
                    "comment": "Нужен расчёт",
                    "consent": True,
                    "utm_source": "yandex",
                    "utm_medium": "cpc",
                    "utm_campaign": f"bench-{campaign}",
                    "landing_page": "https://factory.example/presses",
                },
                ensure_ascii=False,
            )
        )
    return bodies


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    # Forms an earlier run left unmade would keep the worker busy before this run's.
    WebLead.objects.filter(processed_at__isnull=True, company__startswith="ООО «Лид ").delete()
    bodies = forms(random.Random(time.time_ns()))  # new visitors' numbers and addresses new in every run
    warm, bodies = bodies[:2000], bodies[2000:]
    half = len(bodies) // 2  # one half per run: a token makes one lead, a second use would be a cheap duplicate

    def script(part):
        return SCRIPT % {"bodies": ",\n".join("  " + json.dumps(body, ensure_ascii=False) for body in part)}

    time.sleep(2)  # the tokens' minimum age: a person takes longer than that to fill in a form
    numbers = list(Phone.objects.order_by("id").values_list("number", flat=True)[:3000])
    floor = lua_script([f"/phone/?phone={n.replace('+', '%2B')}" for n in numbers], {})
    environment = production_environment(SECRET_KEY=SECRET_KEY, CRM_WEB_LEADS_PER_MINUTE="1000000")
    worker = ["--workers", str(args.workers)]
    print("| what | gunicorn | connections | requests/s | p50 | p99 | errors |\n|---|---|---|---|---|---|---|")
    rows = []
    started = timezone.now()
    celery = celery_worker(environment)
    with serve("config.wsgi", environment, worker):
        # One visitor at a time (a site's form: what a visitor waits for), then the given number at once.
        wrk(script(warm), 5, args.connections)  # warm-up: each worker's first requests load what it needs
        for connections, part in ((1, bodies[:half]), (args.connections, bodies[half:])):
            rows.append(
                (
                    "web lead (POST /forms/lead/, half new, half known)",
                    connections,
                    wrk(script(part), args.seconds, connections),
                )
            )
    load_ended = time.monotonic()
    made = WebLead.objects.filter(submitted_at__gte=started)
    left_at_end = made.filter(processed_at__isnull=True).count()
    time.sleep(60)
    left = made.filter(processed_at__isnull=True).count()
    celery.kill()  # the task works through the backlog; no warm shutdown
    celery.wait(30)
    drain_seconds = time.monotonic() - load_ended
    wait = ExpressionWrapper(F("processed_at") - F("submitted_at"), output_field=DurationField())
    waits = made.exclude(processed_at=None).aggregate(longest=Max(wait))
    with serve("bench.floor:application", {**environment, "DJANGO_SETTINGS_MODULE": "bench.floor"}, worker):
        for connections in (1, args.connections):
            wrk(floor, 5, connections)
            rows.append(
                ("floor: minimal Django view, one indexed lookup", connections, wrk(floor, args.seconds, connections))
            )
    print(
        f"forms stored: {made.count():,}; not yet made when the load ended: {left_at_end:,}; "
        f"{drain_seconds:.0f} s later: {left:,} (the worker made {(left_at_end - left) / 60:.1f} leads/s alone); "
        f"new accounts: {made.filter(new_account=True).count():,}; longest wait from a form to its lead: "
        f"{waits['longest']}\n"
    )
    for label, connections, row in rows:
        print(
            f"| {label} | {args.workers} sync workers | {connections} | {row['rps']:,.0f} | {row['p50']} "
            f"| {row['p99']} | {row['errors']} |"
        )


if __name__ == "__main__":
    main()
