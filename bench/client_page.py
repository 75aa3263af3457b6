"""The client page (issue 21) at scale: one account with 5,000 orders (a fifth of them moved, nine in ten
delivered), 500 service requests, 200 promises and five years of CSAT answers and feedback, in the 1M-account
benchmark database. Times the page, the XLSX and the PDF in-process through Django's whole stack.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/client_page.py

Targets: the page and the XLSX at most 300 ms p99, the PDF at most 2 s. The account is made once (its name marks
it) and reused by later runs.
"""

import gc
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "false"
os.environ["ALLOWED_HOSTS"] = "testserver"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.calibrate import floor  # noqa: E402
from crm.models import (  # noqa: E402
    Account,
    Commitment,
    Contact,
    DeliveryDateChange,
    Order,
    ServiceRequest,
    User,
)
from crm.portal.services import client_page_link_create  # noqa: E402
from surveys.models import Answer, FeedbackItem, Question, Response, Survey  # noqa: E402

NAME = "Bench: client page (5,000 orders)"
ORDERS, REQUESTS, PROMISES, MONTHS = 5000, 500, 200, 60


@transaction.atomic
def big_account() -> Account:
    account = Account.objects.filter(name=NAME).first()
    if account is not None:
        return account
    rng = random.Random(21)
    now = timezone.now()
    manager = User.objects.order_by("id").first()
    account = Account.objects.create(name=NAME, manager=manager, status=Account.Status.ACTIVE, behaviour_type=3)
    contact = Contact.objects.create(account=account, first_name="Анна", last_name="Отчётова", language="ru")
    orders = []
    for index in range(ORDERS):
        ordered = now - timedelta(days=rng.randint(10, 5 * 365), hours=rng.randint(0, 23))
        promised = (ordered + timedelta(days=rng.randint(7, 40))).date()
        delivered = index % 10 != 0
        late = rng.random() < 0.12
        orders.append(
            Order(
                account=account,
                number=f"CPB-{index:05d}",
                status=Order.Status.DELIVERED if delivered else Order.Status.NEW,
                amount=Decimal(rng.randint(10_000, 3_000_000)),
                ordered_at=ordered,
                promised_delivery_date=promised,
                delivered_at=(ordered + timedelta(days=(promised - ordered.date()).days + (3 if late else -1)))
                if delivered
                else None,
            )
        )
    Order.objects.bulk_create(orders, batch_size=1000)
    DeliveryDateChange.objects.bulk_create(
        [
            DeliveryDateChange(
                order=order,
                old_date=order.promised_delivery_date - timedelta(days=5),
                new_date=order.promised_delivery_date,
                reason="Задержка поставки сырья",
            )
            for order in orders
            if rng.random() < 0.2
        ],
        batch_size=1000,
    )
    requests = []
    for _index in range(REQUESTS):
        created = now - timedelta(days=rng.randint(1, 5 * 365))
        answered = created + timedelta(hours=rng.randint(1, 30))
        requests.append(
            ServiceRequest(
                account=account,
                contact=contact,
                channel="email",
                subject="Вопрос по поставке",
                first_response_due_at=created + timedelta(hours=24),
                first_response_at=answered,
                resolved_at=answered + timedelta(hours=rng.randint(1, 72)) if rng.random() < 0.95 else None,
                status="resolved",
                created_at=created,
            )
        )
    ServiceRequest.objects.bulk_create(requests, batch_size=500)
    Commitment.objects.bulk_create(
        [
            Commitment(
                account=account,
                owner=manager,
                description=f"Прислать документы по заказу CPB-{index:05d}",
                due_at=now - timedelta(days=rng.randint(-30, 5 * 365)),
                status=Commitment.Status.KEPT,
                fulfilled_at=now - timedelta(days=rng.randint(0, 5 * 365)),
            )
            for index in range(PROMISES)
        ]
    )
    survey = Survey.objects.get(slug="csat")
    question = Question.objects.filter(survey=survey, metric="csat").first()
    for month in range(MONTHS):
        submitted = now - timedelta(days=30 * month + 3)
        response = Response.objects.create(
            survey=survey, contact=contact, account=account, source="page", submitted_at=submitted, completed=True
        )
        Answer.objects.create(
            response=response,
            question=question,
            score=rng.randint(3, 5),
            survey=survey,
            metric="csat",
            scale_max=question.scale_max,
            submitted_at=submitted,
            account=account,
        )
        FeedbackItem.objects.create(
            account=account,
            contact=contact,
            response=response,
            question_code="fix_three",
            text="Присылать документы вместе с поставкой",
            status="done" if month % 3 else "planned",
            done_note="Теперь документы едут с машиной",
            done_at=submitted + timedelta(days=20) if month % 3 else None,
        )
    return account


def timed(label: str, client: Client, url: str, runs: int, target_ms: float) -> None:
    for _ in range(3):
        client.get(url)
    statements = []
    with connection.execute_wrapper(lambda execute, sql, *args: (statements.append(sql), execute(sql, *args))[1]):
        client.get(url)
    durations = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        durations.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
    durations.sort()
    p50 = statistics.median(durations)
    p99 = durations[min(len(durations) - 1, int(len(durations) * 0.99))]
    verdict = "met" if p99 <= target_ms else "MISSED"
    print(
        f"| {label} | {runs} | {p50:.0f} | {p99:.0f} | {len(statements)} | ≤ {target_ms:.0f} ms p99: {verdict} | "
        f"{len(response.content):,} bytes | {floor().times(p50)} |",
        flush=True,
    )


def main():
    settings.CRM_PUBLIC_REQUESTS_PER_MINUTE = 10**9  # one address asks thousands of times here
    gc.freeze()  # as config/wsgi.py does once the application is loaded
    started = time.perf_counter()
    account = big_account()
    print(f"Account ready in {time.perf_counter() - started:.1f} s; {Account.objects.count():,} accounts in all.")
    contact = account.contacts.first()
    _link, token = client_page_link_create(contact=contact)
    client = Client()
    floor()
    print("| what | runs | p50 ms | p99 ms | queries | target | size | p50 / floor |")
    print("|---|---|---|---|---|---|---|---|")
    timed("client page", client, reverse("client_page", args=[token]), 200, 300)
    timed("XLSX (every row)", client, reverse("client_page_download", args=[token, "xlsx"]), 100, 300)
    timed("PDF (newest 500 a section)", client, reverse("client_page_download", args=[token, "pdf"]), 30, 2000)


if __name__ == "__main__":
    main()
