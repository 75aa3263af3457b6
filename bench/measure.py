"""Server-side timings at scale, in-process through Django's full stack (middleware, auth, view, rendering).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/measure.py

Network and the HTTP server are left out on purpose: this measures what our code costs.
"""

import os
import random
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "false"
os.environ["ALLOWED_HOSTS"] = "testserver"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import include, path  # noqa: E402

import config.wsgi  # noqa: E402, F401  (as the web process: what is loaded, frozen out of the collector's sight)
from bench.calibrate import floor  # noqa: E402
from crm.models import Account, ApiToken, Phone, User  # noqa: E402
from crm.phones import phone_normalize  # noqa: E402
from crm.services.tokens import api_token_issue  # noqa: E402
from crm.telephony.models import TelephonyConnection  # noqa: E402
from crm.telephony.services import telephony_connection_create  # noqa: E402

ONLY = sys.argv[1] if len(sys.argv) > 1 else ""  # e.g. `bench/measure.py telephony`: only rows containing it


def timed(label, client, urls, **headers):
    """p50/p99 of plain requests; queries are counted on a separate sample (the debug cursor costs time)."""
    if ONLY and ONLY not in label:
        return
    for url in urls[:20]:  # warm-up: connections, caches, template loading
        client.get(url, **headers)
    queries = set()
    for url in urls[:20]:
        with ExitStack() as stack:  # every connection: the caller lookup has one of its own
            captured = [stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in connections]
            client.get(url, **headers)
        queries.add(sum(map(len, captured)))
    durations = []
    for url in urls:
        start = time.perf_counter()
        response = client.get(url, **headers)
        durations.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
    durations.sort()
    p50 = statistics.median(durations)
    p99 = durations[min(len(durations) - 1, int(len(durations) * 0.99))]
    print(
        f"| {label} | {len(urls)} | {p50:.1f} | {p99:.1f} | {', '.join(map(str, sorted(queries)))} "
        f"| {floor().times(p50)} |",
        flush=True,
    )


def bare_phone_view(request):
    """The floor: one indexed lookup through the same middleware, no DRF, no auth."""
    number = phone_normalize(request.GET["phone"]).e164
    row = Phone.objects.filter(number=number).values("contact_id", "number").first()
    return JsonResponse({"results": [row] if row else []})


urlpatterns = [path("bare/", bare_phone_view), path("", include("config.urls"))]
settings.ROOT_URLCONF = __name__


def main():
    rng = random.Random(1)
    accounts = Account.objects.count()
    manager = User.objects.get(username="bench07")
    superuser, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_staff": True, "is_superuser": True})
    ApiToken.objects.filter(name="bench").delete()
    _token, raw = api_token_issue(user=superuser, name="bench", scopes=["contacts:read"])
    max_phone = Phone.objects.order_by("-id").values_list("id", flat=True).first()
    print(f"Accounts: {accounts:,}; phones: {max_phone:,}; database: {connection.vendor}\n")
    floor()
    print("| what | requests | p50, ms | p99, ms | queries per request | p50 / floor |")
    print("|---|---|---|---|---|---|")

    api = Client()
    formats = ["8 9{n:09d}", "+7 9{n:09d}", "9{n:09d}", "79{n:09d}"]
    lookups = [
        f"/api/v1/contacts/?phone={rng.choice(formats).format(n=rng.randrange(1, max_phone) + 100_000_000)}"
        for _ in range(2000)
    ]
    timed("phone lookup, API (token)", api, lookups, HTTP_AUTHORIZATION=f"Bearer {raw}")
    fast = [url.replace("/api/v1/contacts/", "/api/v1/contacts/lookup/") for url in lookups]
    timed("phone lookup, API fast path `contacts/lookup/` (token)", api, fast, HTTP_AUTHORIZATION=f"Bearer {raw}")

    # Telephony: the caller lookup with routing and the whole card, and Asterisk's flat answer.
    User.objects.filter(username__startswith="bench", phone_extension="").update(phone_extension="100")
    TelephonyConnection.objects.filter(name__startswith="bench-").delete()
    generic = telephony_connection_create(
        provider="generic", name="bench-generic", secret="x" * 24, fallback_target="0"
    )
    asterisk = telephony_connection_create(
        provider="asterisk", name="bench-asterisk", secret="y" * 24, fallback_target="0"
    )
    _token, telephony_raw = api_token_issue(user=superuser, name="bench", scopes=["telephony:read"])
    by_phone = [url.split("?", 1)[1] for url in lookups]
    timed(
        "telephony lookup with route and card (token)",
        api,
        [f"/api/v1/telephony/lookup/?{query}&connection={generic.name}" for query in by_phone],
        HTTP_AUTHORIZATION=f"Bearer {telephony_raw}",
    )
    timed(
        "Asterisk CURL() lookup (route and display name)",
        api,
        [f"/telephony/asterisk/{asterisk.webhook_key}/lookup/?{query}" for query in by_phone],
        HTTP_X_CRM_TOKEN="y" * 24,
    )
    timed("floor: bare view, one indexed lookup", api, [url.replace("/api/v1/contacts/", "/bare/") for url in lookups])

    admin = Client()
    admin.force_login(manager)
    own = list(Account.objects.filter(manager=manager).values_list("id", flat=True)[:5000])
    timed("account list, manager (own ~20k)", admin, ["/admin/crm/account/"] * 200)
    timed("client card, manager", admin, [f"/admin/crm/account/{rng.choice(own)}/change/" for _ in range(300)])
    admin.force_login(superuser)
    timed("account list, superuser (all 1M)", admin, ["/admin/crm/account/?whose=all"] * 100)
    timed("account list, superuser, page 500", admin, ["/admin/crm/account/?whose=all&p=500"] * 50)
    timed(
        "client card, superuser",
        admin,
        [f"/admin/crm/account/{rng.randrange(1, accounts)}/change/" for _ in range(300)],
    )
    # Admin search by what a manager has at hand: a phone in any writing, an INN, a name.
    phones = Phone.objects.filter(id__in=[rng.randrange(1, max_phone) for _ in range(100)]).values_list(
        "raw", flat=True
    )
    inns = Account.objects.exclude(inn="").filter(id__in=[rng.randrange(1, accounts) for _ in range(300)])
    timed("admin search by phone, superuser", admin, [f"/admin/crm/account/?whose=all&q={quote(p)}" for p in phones])
    timed(
        "admin search by INN, superuser",
        admin,
        [f"/admin/crm/account/?whose=all&q={i}" for i in inns.values_list("inn", flat=True)[:100]],
    )
    timed(
        "admin search by name, superuser",
        admin,
        [f"/admin/crm/account/?whose=all&q={quote(f'Компания {rng.randrange(1, accounts)}')}" for _ in range(100)],
    )
    admin.force_login(manager)
    timed(
        "admin search by name, manager",
        admin,
        [f"/admin/crm/account/?q={quote(f'Компания {rng.choice(own)}')}" for _ in range(100)],
    )
    timed("My day, manager", admin, ["/admin/my-day/"] * 100)
    timed("My day's department figure (after the page), manager", admin, ["/admin/my-day/department/"] * 20)
    timed("surveys dashboard, manager", admin, ["/admin/feedback/dashboard/"] * 20)
    admin.force_login(superuser)
    timed(
        "surveys dashboard, superuser (every account: the monthly counts)", admin, ["/admin/feedback/dashboard/"] * 20
    )
    admin.force_login(manager)
    timed("journeys funnel page, manager", admin, ["/admin/journeys/analytics/"] * 20)
    timed("journeys cycle times (after the page), manager", admin, ["/admin/journeys/analytics/cycle-times/"] * 10)
    admin.force_login(superuser)
    timed("journeys funnel page, superuser", admin, ["/admin/journeys/analytics/"] * 10)
    timed("journeys cycle times (after the page), superuser", admin, ["/admin/journeys/analytics/cycle-times/"] * 10)


if __name__ == "__main__":
    main()
