"""One equipment signal through the served application in-process, with the signals' short middleware stack
(config.wsgi:application) and with the site's full one (config.wsgi:site), alternately: what the stack costs
without gunicorn, wrk and the worker sharing the two cores.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/signal_stack.py [--requests 3000]

Production settings. Needs a unit on the database (bench/equipment_signals.py puts 10,000 there).
"""

import argparse
import json
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings.production",
    SECRET_KEY=secrets.token_urlsafe(50),
    ALLOWED_HOSTS="localhost",
    SECURE_SSL_REDIRECT="false",
    CONN_MAX_AGE="600",
    LOG_LEVEL="WARNING",
)

from django.test import RequestFactory  # noqa: E402
from django.utils import timezone  # noqa: E402

from config import wsgi  # noqa: E402 (sets Django up)
from crm.models import ApiToken, Equipment, User  # noqa: E402
from crm.services.tokens import api_token_issue  # noqa: E402


def per_request_ms(application, environs: list[dict]) -> float:
    def start_response(status, headers, exc_info=None):
        if not status.startswith(("200", "202")):
            sys.exit(f"the signal was refused: {status}")

    started = time.perf_counter()
    for environ in environs:
        b"".join(application(environ, start_response))
    return (time.perf_counter() - started) / len(environs) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    unit = Equipment.objects.order_by("id").first()
    if unit is None:
        sys.exit("no equipment: run bench/equipment_signals.py once")
    user, _created = User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    ApiToken.objects.filter(name="bench-stack").delete()
    _token, raw = api_token_issue(user=user, name="bench-stack", scopes=["equipment:write"])
    factory, now, sent = RequestFactory(), timezone.now().isoformat(), 0

    def environs(n: int) -> list[dict]:
        nonlocal sent
        sent += n
        return [
            factory.post(
                "/api/v1/equipment/signals/",
                data=json.dumps(
                    {
                        "equipment_id": unit.pk,
                        "kind": "threshold",
                        "occurred_at": now,
                        "signal_id": f"stack-{time.time()}-{i}",
                    }
                ),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {raw}",
                HTTP_HOST="localhost",
            ).environ
            for i in range(sent - n, sent)
        ]

    for application in (wsgi.application, wsgi.site):
        per_request_ms(application, environs(200))  # warm-up
    print("| round | short stack (config.wsgi:application) | full stack (config.wsgi:site) |\n|---|---|---|")
    for round_ in range(1, args.rounds + 1):
        short = per_request_ms(wsgi.application, environs(args.requests))
        full = per_request_ms(wsgi.site, environs(args.requests))
        print(f"| {round_} | {short:.2f} ms | {full:.2f} ms |", flush=True)


if __name__ == "__main__":
    main()
