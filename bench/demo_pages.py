"""The manager's pages on the embedded default: 300 demo accounts on SQLite, timed in-process (issue 22).

    DATABASE_URL=sqlite:////tmp/demo.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/demo.sqlite3 .venv/bin/python manage.py seed_demo
    DATABASE_URL=sqlite:////tmp/demo.sqlite3 .venv/bin/python bench/demo_pages.py [--browser]

As the demo manager `ivanova`, in Russian, through Django's whole stack (like bench/measure.py): p50 and the worst
of each page after five warm-up requests. With --browser, the same pages in headless Chromium against the server
`make run` starts (runserver on the local settings): the time to the page's load event, as the manager sees it,
static files and scripts included (Navigation Timing).
"""

import gc
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from bench.telephony_load import wait_for_port  # noqa: E402
from crm.demo.seed import DEMO_MANAGER_PASSWORD  # noqa: E402
from crm.models import Account, User  # noqa: E402

CHROMIUM = os.environ.get("CRM_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


def _pages(manager) -> list[tuple[str, list[str]]]:
    own = Account.objects.filter(manager=manager).values_list("pk", flat=True)[:40]
    return [
        ("account list", ["/admin/crm/account/"] * 40),
        ("client card", [f"/admin/crm/account/{pk}/change/" for pk in own]),
        ("My day", ["/admin/my-day/"] * 40),
        ("surveys dashboard", ["/admin/feedback/dashboard/"] * 20),
        ("journeys page", ["/admin/journeys/analytics/"] * 20),
    ]


def main():
    settings.ALLOWED_HOSTS = ["*"]
    gc.freeze()  # as config/wsgi.py does after loading
    manager = User.objects.get(username="ivanova")
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(manager)
    print("| page | requests | p50, ms | worst, ms |\n|---|---|---|---|")
    for name, urls in _pages(manager):
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def browser():
    """Each page loaded 13 times in Chromium, the first three to warm up: the time to the server's first byte and to
    the load event (Navigation Timing), p50 and worst."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        sys.exit(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium")
    pages = _pages(User.objects.get(username="ivanova"))
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603  (this interpreter, a fixed command)
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port)
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                ],
            )
            page = chromium.new_page(viewport={"width": 1440, "height": 900}, locale="ru-RU")
            page.goto(f"{base}/admin/login/")
            page.fill("input[name=username]", "ivanova")
            page.fill("input[name=password]", DEMO_MANAGER_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            print("| page (Chromium, 1440 px) | loads | server's answer p50, ms | load event p50, ms | worst, ms |")
            print("|---|---|---|---|---|")
            for name, urls in pages:
                answers, loads = [], []
                for index, url in enumerate(urls[:13]):
                    page.goto(base + url, wait_until="load")
                    timing = page.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])")
                    if index >= 3:
                        entry = json.loads(timing)
                        answers.append(entry["responseStart"] - entry["startTime"])
                        loads.append(entry["loadEventEnd"] - entry["startTime"])
                print(
                    f"| {name} | {len(loads)} | {statistics.median(answers):.0f} | {statistics.median(loads):.0f} "
                    f"| {max(loads):.0f} |",
                    flush=True,
                )
            chromium.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    browser() if "--browser" in sys.argv else main()
