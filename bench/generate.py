"""Load a PostgreSQL database at the 1M-account scale with COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/generate.py --accounts 1000000

Per account: 2 contacts, 3 phones, 10 interactions (a third with notes), 2 orders, half an open promise. The schema
comes from the migrations; secondary indexes and constraints are dropped for the load and
rebuilt afterwards, and foreign-key triggers are off while rows stream in (the ids are
generated consistently). The database is emptied first: never point this at real data.
If a run stops halfway, drop and recreate the database before the next: the dropped indexes
are rebuilt only at the end of a successful load.
"""

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from tqdm import tqdm  # noqa: E402

from crm.demo.data import BEHAVIOUR_NOTES_RU  # noqa: E402
from crm.demo.seed import DEMO_MANAGER_PASSWORD  # noqa: E402
from crm.models import Department, User  # noqa: E402

TABLES = ["crm_account", "crm_contact", "crm_phone", "crm_interaction", "crm_order", "crm_commitment"]
MANAGERS = 50
NOW = datetime(2026, 11, 1, tzinfo=UTC)
CHUNK = 20_000  # accounts per COPY batch
# A third of the interactions have notes, as a manager writes them: what the behaviour lexicons read.
NOTES = [note for notes in BEHAVIOUR_NOTES_RU.values() for note in notes] + [
    "Обсудили график поставок на следующий квартал.",
    "Клиент просит перезвонить после обеда.",
    "Уточнили реквизиты для счета.",
]


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S+00")


def drop_secondary_indexes(cursor, tables=TABLES, kinds=("u", "c")) -> list[str]:
    """Drop constraints of `kinds` and indexes other than primary keys; return the SQL that rebuilds them."""
    rebuild = []
    cursor.execute(
        """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
           WHERE conrelid::regclass::text = ANY(%s) AND contype = ANY(%s)""",
        [list(tables), list(kinds)],
    )
    for table, name, definition in cursor.fetchall():
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
           WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary""",
        [list(tables)],
    )
    for name, definition in cursor.fetchall():
        cursor.execute(f"DROP INDEX {name}")
        rebuild.append(definition)
    return rebuild


def copy(cursor, table: str, columns: str, lines: list[str]) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as out:
        out.write("".join(lines))


def generate(accounts: int, seed: int) -> None:
    rng = random.Random(seed)
    started = time.monotonic()
    print(f"Migrating and emptying {connection.settings_dict['NAME']} ...", flush=True)
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {', '.join(TABLES)}, crm_accountevent, crm_task, crm_servicerequest, "
            # CASCADE: and whatever else hangs off these tables (the outbox, tracked links, ...).
            "crm_orderline, crm_deliverydatechange, crm_equipment, crm_contactconsent RESTART IDENTITY CASCADE"
        )
    department, _ = Department.objects.get_or_create(name="Bench sales")
    managers = []
    for n in range(MANAGERS):
        user, created = User.objects.get_or_create(
            username=f"bench{n:02d}",
            defaults={"first_name": "Bench", "last_name": f"Manager {n}", "is_staff": True, "department": department},
        )
        if created:
            user.set_password(DEMO_MANAGER_PASSWORD)
            user.save()
        managers.append(user.pk)
    call_command("migrate", verbosity=0)  # permissions and groups for the managers
    from django.contrib.auth.models import Group

    from crm.services.roles import ACCOUNT_MANAGERS

    Group.objects.get(name=ACCOUNT_MANAGERS).user_set.add(*managers)

    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET session_replication_role = replica")  # no FK trigger per row while loading
        rebuild = drop_secondary_indexes(cursor)
        raw.commit()

        statuses, sizes = ["active"] * 7 + ["prospect"] * 2 + ["churned"], ["micro", "small", "medium", "large"]
        channels = ["phone", "email", "meeting", "video", "messenger", "portal"]
        phone_id = interaction_id = 0
        with tqdm(total=accounts, unit="account", desc="COPY") as bar:
            for start in range(1, accounts + 1, CHUNK):
                stop = min(start + CHUNK, accounts + 1)
                acc, con, pho, inter, ords, com = [], [], [], [], [], []
                for a in range(start, stop):
                    manager = "\\N" if a % 20 == 0 else managers[a % MANAGERS]
                    created = _ts(NOW - timedelta(days=a % 900))
                    acc.append(
                        f"{a}\tКомпания {a}\tООО «Компания {a}»\t77{a:08d}\t{sizes[a % 4]}\t{manager}\t"
                        f"{statuses[a % 10]}\t{created}\t{created}\n"
                    )
                    for c in (2 * a - 1, 2 * a):
                        con.append(
                            f"{c}\t{a}\tИван\tПетрович\tСидоров {c}\t\t{'t' if c % 2 else 'f'}\t"
                            f"person{c}@example.ru\tru\t\\N\t\t{created}\t{created}\t\n"
                        )
                        for _ in range(2 if c % 2 else 1):
                            phone_id += 1
                            pho.append(
                                f"{phone_id}\t{c}\t8 9{phone_id + 100_000_000:09d}\t"
                                f"+79{phone_id + 100_000_000:09d}\t\tmobile\t{'t' if c % 2 else 'f'}\n"
                            )
                    for _ in range(10):
                        interaction_id += 1
                        when = _ts(NOW - timedelta(minutes=rng.randrange(730 * 24 * 60)))
                        inter.append(
                            f"{interaction_id}\t{a}\t{2 * a - rng.randrange(2)}\t{manager}\t"
                            f"{channels[interaction_id % 6]}\t{'inbound' if interaction_id % 2 else 'outbound'}"
                            f"\t{when}\t{rng.randrange(30, 1800)}\tЗвонок {interaction_id}\t"
                            f"{NOTES[rng.randrange(len(NOTES))] if rng.random() < 0.35 else ''}\t\t\t\t\t"
                            f"{when}\t{when}\n"
                        )
                    for o in (2 * a - 1, 2 * a):
                        ordered = NOW - timedelta(days=rng.randrange(700))
                        ords.append(
                            f"{o}\t{a}\tB{o}\tdelivered\t{rng.randrange(1000, 900000)}.00\tRUB\t"
                            f"{_ts(ordered)}\t{(ordered + timedelta(days=14)).date()}\t"
                            f"{_ts(ordered + timedelta(days=15))}\t{_ts(ordered)}\t{_ts(ordered)}\n"
                        )
                    if a % 2 and manager != "\\N":
                        due = _ts(NOW + timedelta(hours=rng.randrange(-500, 500)))
                        com.append(
                            f"{(a + 1) // 2}\t{a}\t{manager}\tОтправить договор\tdocument\t{due}\topen\t"
                            f"{created}\t{created}\n"
                        )
                copy(
                    cursor,
                    "crm_account",
                    "id, name, legal_name, inn, size, manager_id, status, created_at, updated_at",
                    acc,
                )
                copy(
                    cursor,
                    "crm_contact",
                    "id, account_id, first_name, patronymic, last_name, position, "
                    "is_decision_maker, email, language, birthday, preferred_channel, created_at, updated_at, "
                    "email_bounce_reason",
                    con,
                )
                copy(cursor, "crm_phone", "id, contact_id, raw, number, extension, kind, is_primary", pho)
                copy(
                    cursor,
                    "crm_interaction",
                    "id, account_id, contact_id, user_id, channel, direction, "
                    "occurred_at, duration_seconds, subject, notes, outcome, recording_url, source, external_id, "
                    "created_at, updated_at",
                    inter,
                )
                copy(
                    cursor,
                    "crm_order",
                    "id, account_id, number, status, amount, currency, ordered_at, "
                    "promised_delivery_date, delivered_at, created_at, updated_at",
                    ords,
                )
                copy(
                    cursor,
                    "crm_commitment",
                    "id, account_id, owner_id, description, kind, due_at, status, created_at, updated_at",
                    com,
                )
                raw.commit()
                bar.update(stop - start)
        loaded = time.monotonic() - started
        print(f"Rows loaded in {loaded:.0f} s; rebuilding {len(rebuild)} indexes and constraints ...", flush=True)
        cursor.execute("SET session_replication_role = origin")
        cursor.execute("SET max_parallel_maintenance_workers = 2")
        for statement in tqdm(rebuild, unit="index", desc="Indexes"):
            cursor.execute(statement)
            raw.commit()
        for table in TABLES:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        raw.commit()
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"ANALYZE {table}")
    print(f"Done in {time.monotonic() - started:.0f} s.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at a PostgreSQL database made for benchmarks: it will be emptied.")
    generate(args.accounts, args.seed)
