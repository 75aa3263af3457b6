"""The manager's pages on the embedded default: 300 demo accounts on SQLite, timed in-process (issue 22).

    DATABASE_URL=sqlite:////tmp/demo.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/demo.sqlite3 .venv/bin/python manage.py seed_demo
    DATABASE_URL=sqlite:////tmp/demo.sqlite3 .venv/bin/python bench/demo_pages.py

As the demo manager `ivanova`, in Russian, through Django's whole stack (like bench/measure.py): p50 and the worst
of each page after five warm-up requests. The browser's own part (static files, scripts) is not in it.
"""

import gc
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from crm.models import Account, User  # noqa: E402


def main():
    settings.ALLOWED_HOSTS = ["*"]
    gc.freeze()  # as config/wsgi.py does after loading
    manager = User.objects.get(username="ivanova")
    own = Account.objects.filter(manager=manager).values_list("pk", flat=True)[:40]
    cards = [f"/admin/crm/account/{pk}/change/" for pk in own]
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(manager)
    print("| page | requests | p50, ms | worst, ms |\n|---|---|---|---|")
    for name, urls in (
        ("account list", ["/admin/crm/account/"] * 40),
        ("client card", cards),
        ("My day", ["/admin/my-day/"] * 40),
        ("surveys dashboard", ["/admin/feedback/dashboard/"] * 20),
        ("journeys page", ["/admin/journeys/analytics/"] * 20),
    ):
        for url in urls[:5]:
            client.get(url)
        durations = []
        for url in urls:
            start = time.perf_counter()
            response = client.get(url)
            durations.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                sys.exit(f"{url} answered {response.status_code}")
        print(f"| {name} | {len(durations)} | {statistics.median(durations):.0f} | {max(durations):.0f} |", flush=True)


if __name__ == "__main__":
    main()
