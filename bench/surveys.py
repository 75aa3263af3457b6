"""Surveys at scale (issue 4), on the 1M-account database that bench/generate.py loads.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/surveys.py load
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/surveys.py metrics
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/surveys.py submit
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/surveys.py plan

load: 10 million answers (about 3.9 million responses of the four shipped surveys over two
years, spread over the 2M contacts) with COPY, and 20 industries over the accounts. The survey
tables are emptied first: never point this at real data.
metrics: NPS, CSAT and CES as the API computes them, without and with each filter.
submit: the respondent page's POST, in-process through Django's whole stack.
plan: the monthly relationship round for 100,000 accounts' decision makers.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "false"
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# submit: every request comes from the test client's one address, which the public pages' rate limit would stop.
os.environ.setdefault("CRM_PUBLIC_REQUESTS_PER_MINUTE", "1000000")

import django

django.setup()

from bench.calibrate import floor  # noqa: E402
from config.celery import app  # noqa: E402

app.conf.broker_url = "memory://"  # "send now" stays in this process: we measure planning, not sending
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from tqdm import tqdm  # noqa: E402

from bench.generate import drop_secondary_indexes  # noqa: E402
from crm.models import Account, Contact, Industry, User  # noqa: E402
from surveys import links, metrics  # noqa: E402
from surveys.models import Response, Survey  # noqa: E402
from surveys.services.invitations import survey_invite, surveys_cadence_plan  # noqa: E402

NOW = datetime(2026, 11, 1, tzinfo=UTC)
TABLES = ["surveys_answer", "surveys_response"]
ANSWERS = 10_000_000
CHUNK = 200_000  # responses per COPY batch


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S+00")


def load(seed: int) -> None:
    rng = random.Random(seed)
    started = time.monotonic()
    accounts = Account.objects.count()
    if accounts < 1000:
        sys.exit("Load the accounts first: bench/generate.py")
    industries = [Industry.objects.get_or_create(name=f"Bench industry {n}")[0].id for n in range(20)]
    managers = dict(
        User.objects.filter(username__startswith="bench").values_list("username", "id")
    )  # generate.py: account a has manager bench{a % 50}, none when a % 20 == 0
    manager_of = [managers.get(f"bench{n:02d}") for n in range(50)]
    surveys = {survey.slug: survey for survey in Survey.objects.prefetch_related("questions")}
    questions = {slug: list(survey.questions.all()) for slug, survey in surveys.items()}
    print(f"Emptying the survey tables and giving {accounts:,} accounts an industry ...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE surveys_answer, surveys_response, surveys_invitation, surveys_case, surveys_feedbackitem "
            "RESTART IDENTITY CASCADE"
        )
        cursor.execute("UPDATE crm_account SET industry_id = %s + id %% 20", [industries[0]])
    connection.ensure_connection()
    raw = connection.connection
    raw.commit()
    mix = ["nps"] * 35 + ["csat"] * 25 + ["ces"] * 20 + ["relationship"] * 20
    span = 730 * 24 * 3600
    response_id = answer_id = 0
    with raw.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        rebuild = drop_secondary_indexes(cursor, TABLES, kinds=("u", "c", "f"))
        raw.commit()
        with tqdm(total=ANSWERS, unit="answer", unit_scale=True, desc="COPY") as bar:
            while answer_id < ANSWERS:
                responses, answers = [], []
                for _ in range(CHUNK):
                    if answer_id >= ANSWERS:
                        break
                    response_id += 1
                    slug = mix[rng.randrange(100)]
                    contact = rng.randrange(1, 2 * accounts + 1)
                    account = (contact + 1) // 2
                    manager = "\\N" if account % 20 == 0 else manager_of[account % 50] or "\\N"
                    industry = industries[account % 20]
                    at = _ts(NOW - timedelta(seconds=rng.randrange(span)))
                    mood = 1 + (account * 7919 % 1000) / 111  # a lasting mood per account, 1..10
                    responses.append(
                        f"{response_id}\t{surveys[slug].id}\t{contact}\t{account}\t\\N\tapi\t\\N\t{at}\tt\n"
                    )
                    for question in questions[slug]:
                        answer_id += 1
                        score, text, yes, skipped, metric = "\\N", "", "\\N", "f", ""
                        if question.type == "scale":
                            low, high = question.scale_min, question.scale_max
                            value = low + (mood - 1) / 9 * (high - low) + rng.gauss(0, (high - low) / 6)
                            score = str(max(low, min(high, round(value))))
                            metric = question.metric
                        elif question.type == "yes_no":
                            yes = "t" if rng.random() < 0.02 else "f"
                        else:
                            skipped = "t"
                        answers.append(
                            f"{answer_id}\t{response_id}\t{question.id}\t{score}\t{text}\t{yes}\t{skipped}\t"
                            f"{surveys[slug].id}\t{metric}\t{question.scale_max or chr(92) + 'N'}\t{at}\t"
                            f"{account}\t{manager}\t{industry}\n"
                        )
                with cursor.copy(
                    "COPY surveys_response (id, survey_id, contact_id, account_id, invitation_id, source, "
                    "external_id, submitted_at, completed) FROM STDIN"
                ) as out:
                    out.write("".join(responses))
                with cursor.copy(
                    "COPY surveys_answer (id, response_id, question_id, score, text, yes, skipped, survey_id, metric, "
                    "scale_max, submitted_at, account_id, manager_id, industry_id) FROM STDIN"
                ) as out:
                    out.write("".join(answers))
                raw.commit()
                bar.update(len(answers))
        print(f"Loaded in {time.monotonic() - started:.0f} s; rebuilding {len(rebuild)} indexes ...", flush=True)
        cursor.execute("SET max_parallel_maintenance_workers = 2")
        for statement in tqdm(rebuild, unit="index", desc="Indexes"):
            cursor.execute(statement)
            raw.commit()
        for table in TABLES:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        raw.commit()
    with connection.cursor() as cursor:
        for table in [*TABLES, "crm_account"]:
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"{answer_id:,} answers in {response_id:,} responses; done in {time.monotonic() - started:.0f} s.")


def _timed(function, repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def measure_metrics(repeat: int) -> None:
    root, _created = User.objects.get_or_create(username="bench-root", defaults={"is_superuser": True})
    manager = User.objects.get(username="bench07")
    industry = Industry.objects.get(name="Bench industry 3")
    survey = Survey.objects.get(slug="relationship")
    year_ago, quarter_ago = NOW - timedelta(days=365), NOW - timedelta(days=90)
    filter_sets = {
        "all time, all answers": {},
        "last 90 days": {"start": quarter_ago, "end": NOW},
        "one manager (~1/50)": {"manager": manager.id},
        "one industry (1/20)": {"industry": industry.id},
        "one account": {"account": 4242},
        "one survey, last year": {"survey": survey, "start": year_ago, "end": NOW},
        "manager + industry + last year": {
            "manager": manager.id,
            "industry": industry.id,
            "start": year_ago,
            "end": NOW,
        },
        "as a manager (own accounts only)": {"user": manager},
    }
    floor()
    print(f"| metric | filters | n | median, ms | max, ms (of {repeat}) | median / floor |")
    print("|---|---|---|---|---|---|")
    for name in ("nps", "csat", "ces"):
        for label, filters in filter_sets.items():
            filters = {"user": root, **filters}
            times, result = _timed(lambda f=filters, m=name: metrics.METRICS[m](metrics.MetricFilters(**f)), repeat)
            print(
                f"| {name} | {label} | {result['n']:,} | {statistics.median(times):.0f} | {max(times):.0f} "
                f"| {floor().times(statistics.median(times))} |",
                flush=True,
            )


def measure_submit(requests: int) -> None:
    survey = Survey.objects.get(slug="relationship")
    round = f"bench-{time.time_ns()}"
    # Decision makers (odd contact ids) of established active accounts.
    people = list(
        Contact.objects.filter(
            is_decision_maker=True, account__status="active", account__created_at__lt=NOW - timedelta(days=60)
        )
        .select_related("account__manager")
        .order_by("?")[:requests]
    )
    # An earlier run's invitations would throttle these people; those who answered one keep it, and sit this out.
    answered = set(
        Response.objects.filter(contact__in=people, invitation__isnull=False).values_list("contact_id", flat=True)
    )
    people = [p for p in people if p.id not in answered]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM surveys_invitation WHERE contact_id = ANY(%s)", [[p.id for p in people]])
    for start in range(0, len(people), 500):
        survey_invite(survey=survey, people=[(p, round) for p in people[start : start + 500]])
    client = Client()
    form = {
        "q_result": "8",
        "q_understanding": "9",
        "q_service_quality": "7",
        "q_recommend": "9",
        "q_fix_three": "Быстрее отвечать на письма; отчёт раз в неделю; личный кабинет",
        "q_like_three": "Менеджер; качество; сроки",
        "action": "send",
    }
    times = []
    for person in tqdm(people, desc="POST /s/<token>/", unit="request"):
        token = links.invitation_token(survey_id=survey.id, contact_id=person.id, round=round)
        start = time.perf_counter()
        response = client.post(f"/s/{token}/", form)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            sys.exit(f"The page answered {response.status_code}: {response.content[:300]!r}")
    times.sort()
    print(
        f"| submit a relationship response (page POST) | {len(times)} | {statistics.median(times):.1f} | "
        f"{times[int(len(times) * 0.99) - 1]:.1f} | {floor().times(statistics.median(times))} |"
    )


def measure_plan(accounts: int) -> None:
    with connection.cursor() as cursor:
        # Not TRUNCATE … CASCADE: responses refer to invitations, and it would empty them and the 10M answers too.
        # The invitations some response answered stay, and their people are not asked again.
        cursor.execute("TRUNCATE crm_outboundmessage")
        cursor.execute(
            "DELETE FROM surveys_invitation i WHERE NOT EXISTS "
            "(SELECT 1 FROM surveys_response r WHERE r.invitation_id = i.id)"
        )
    scope = Account.objects.filter(id__lte=accounts)
    start = time.perf_counter()
    report = surveys_cadence_plan(now=timezone.now(), accounts=scope)
    elapsed = time.perf_counter() - start
    considered = report.invited + sum(report.dropped.values())
    print(
        f"| monthly round over {scope.filter(status='active').count():,} active accounts | {considered:,} people "
        f"| {report.invited:,} invited, {sum(report.dropped.values()):,} not ({report.dropped}) | {elapsed:.1f} s "
        f"| {floor().cpu_times(elapsed)} of the CPU loop |"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["load", "metrics", "submit", "plan"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--accounts", type=int, default=142_858, help="plan: accounts 1..N (70 %% are active)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at the PostgreSQL benchmark database.")
    if args.what == "load":
        load(args.seed)
    elif args.what == "metrics":
        measure_metrics(args.repeat)
    elif args.what == "submit":
        measure_submit(args.requests)
    else:
        measure_plan(args.accounts)
