"""Moving in from Bitrix24 at size (issue 19): 100,000 companies, 200,000 contacts and 300,000 deals in Bitrix24's
CSV export format, checked and imported as the worker does it, beside a floor measured in the same run: the same
files through PostgreSQL's COPY into bare tables of text. Also the check of a 10,000-row file (the preview).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_movein .venv/bin/python bench/moving_in.py

The database is created fresh (dropped first if it exists, so its name must contain "movein") and migrated: a
company moving in starts empty. Memory
is sampled every half second (the process's resident set) to show the files are streamed, not read whole.
Options: --companies N (contacts and deals follow at 2x and 3x), --keep (leave the database).
"""

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

COMPANY_HEADERS = [
    "ID",
    "Название компании",
    "Тип компании",
    "Сфера деятельности",
    "Рабочий телефон",
    "Мобильный телефон",
    "Рабочий e-mail",
    "Ответственный",
    "Дата создания",
    "Комментарий",
    "Источник",
    "ИНН",
    "UF_CRM_1701934523",
]
CONTACT_HEADERS = [
    "ID",
    "Обращение",
    "Имя",
    "Отчество",
    "Фамилия",
    "Должность",
    "Рабочий телефон",
    "Мобильный телефон",
    "Рабочий e-mail",
    "Компания",
    "Ответственный",
    "Дата создания",
]
DEAL_HEADERS = [
    "ID",
    "Название сделки",
    "Стадия сделки",
    "Воронка",
    "Сумма",
    "Валюта",
    "Компания",
    "Контакт",
    "Ответственный",
    "Дата создания",
    "Предполагаемая дата закрытия",
    "Комментарий",
]
STAGES = ["Новая", "Подготовка документов", "Счёт на предоплату", "Сделка успешна", "Сделка провалена"]
FIRST = ["Анна", "Олег", "Мария", "Дмитрий", "Светлана", "Игорь", "Елена", "Павел"]
LAST = ["Петров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков"]
PATRONYMIC = ["Сергеевич", "Олегович", "Игоревич", "Павлович"]


def generate(folder: Path, companies: int) -> list[Path]:
    """The three files as Bitrix24 writes them: UTF-8 with a BOM, comma-separated, Russian headers."""
    rng = random.Random(19)
    paths = [folder / "companies.csv", folder / "contacts.csv", folder / "deals.csv"]
    with paths[0].open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COMPANY_HEADERS)
        for n in range(1, companies + 1):
            writer.writerow(
                [
                    n,
                    f"ООО «Компания {n}»",
                    "Клиент",
                    rng.choice(["Производство", "Торговля", "Транспорт"]),
                    f"+7 (495) {n // 10000:03d}-{n // 100 % 100:02d}-{n % 100:02d}",
                    f"8 916 {n:07d}",
                    f"info{n}@example.ru",
                    "Мария Иванова",
                    f"{rng.randint(1, 28):02d}.0{rng.randint(1, 9)}.2022 10:15:00",
                    "Клиент с 2022 года" if n % 4 == 0 else "",
                    rng.choice(["Звонок", "Веб-сайт", "Выставка"]),
                    "",
                    f"Категория {n % 3}",
                ]
            )
    with paths[1].open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CONTACT_HEADERS)
        for n in range(1, 2 * companies + 1):
            company = (n + 1) // 2
            writer.writerow(
                [
                    n,
                    "",
                    rng.choice(FIRST),
                    rng.choice(PATRONYMIC),
                    rng.choice(LAST),
                    "Менеджер по закупкам",
                    f"+7 (495) {company // 10000:03d}-{company // 100 % 100:02d}-{company % 100:02d}"
                    f" доб. {n % 900 + 100}",
                    f"+7 903 {n:07d}",
                    f"person{n}@example.ru",
                    f"ООО «Компания {company}»",
                    "Мария Иванова",
                    "15.03.2023 11:00:00",
                ]
            )
    with paths[2].open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(DEAL_HEADERS)
        for n in range(1, 3 * companies + 1):
            company = (n + 2) // 3
            writer.writerow(
                [
                    n,
                    f"Поставка {n}",
                    rng.choice(STAGES),
                    "Общая",
                    f"{rng.randint(10, 5000) * 1000:,}".replace(",", " ") + ",50",
                    "RUB",
                    f"ООО «Компания {company}»",
                    "",
                    "Мария Иванова",
                    f"{rng.randint(1, 28):02d}.05.2024 09:00:00",
                    "30.06.2024",
                    "Оплата по счёту" if n % 5 == 0 else "",
                ]
            )
    return paths


class Memory(threading.Thread):
    """The resident set, sampled every half second (ru_maxrss only ever grows; this shows the shape)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples, self.stop = [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            with open("/proc/self/statm") as statm:
                self.samples.append(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20)
            self.stop.wait(0.5)


def database_fresh(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)  # noqa: S603, S607
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)  # noqa: S603, S607


def copy_floor(paths: list[Path]) -> float:
    """The same files through COPY into tables of text columns: the least a database load of them costs here."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for number, (path, headers) in enumerate(
            zip(paths, (COMPANY_HEADERS, CONTACT_HEADERS, DEAL_HEADERS), strict=True)
        ):
            table = f"floor_{number}"
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE TABLE {table} ({', '.join(f'c{i} text' for i in range(len(headers)))})")
            with path.open("rb") as source, cursor.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER)") as copy:
                while block := source.read(1 << 20):
                    copy.write(block)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        for number in range(3):
            cursor.execute(f"DROP TABLE floor_{number}")
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    if "movein" not in url.rsplit("/", 1)[1]:
        sys.exit("This benchmark drops and recreates its database: give it one named like crm_movein.")
    database_fresh(url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)

    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # local settings keep every query in memory for the debug toolbar: not a worker's way

    from crm.models import Account, Contact, Interaction, MoveIn, Order, User
    from crm.moving_in.services import move_in_check, move_in_confirm, move_in_create, move_in_run
    from journeys.models import AccountJourney

    user = User.objects.create(username="bench-mover", is_superuser=True, is_staff=True)
    User.objects.create(username="ivanova", first_name="Мария", last_name="Иванова")
    folder = Path(tempfile.mkdtemp(prefix="movein-"))
    started = time.perf_counter()
    paths = generate(folder, args.companies)
    rows = args.companies * 6
    print(
        f"files: {sum(p.stat().st_size for p in paths) / 2**20:.0f} MB, {rows:,} rows, "
        f"made in {time.perf_counter() - started:.0f} s"
    )

    floor = copy_floor(paths)
    print(f"floor, COPY of the same files: {floor:.1f} s ({rows / floor:,.0f} rows/s)")
    cpu_started = time.perf_counter()
    sum(i * i for i in range(5_000_000))
    cpu = time.perf_counter() - cpu_started
    print(f"floor, a fixed CPU loop (5M squares): {cpu:.2f} s")

    memory = Memory()
    memory.start()
    timings = {}
    started = time.perf_counter()
    move_in = move_in_create(system="bitrix24", uploads=paths, acting_user=user)
    timings["upload (files kept, kinds found)"] = time.perf_counter() - started
    started = time.perf_counter()
    move_in = move_in_check(move_in_id=move_in.pk)
    timings["check (every row read, the preview)"] = time.perf_counter() - started
    move_in = move_in_confirm(move_in=move_in, stage_map={}, acting_user=user)
    started = time.perf_counter()
    move_in = move_in_run(move_in_id=move_in.pk)
    timings["import (the worker's run)"] = time.perf_counter() - started
    memory.stop.set()
    if move_in.status != MoveIn.Status.DONE:
        sys.exit(f"The import stopped: {move_in.failure}")
    total = sum(timings.values())
    for step, seconds in timings.items():
        print(f"{step}: {seconds:.1f} s")
    print(
        f"all: {total:.1f} s = {total / 60:.2f} min ({rows / total:,.0f} rows/s); "
        f"ratio to the COPY floor {total / floor:.1f}x"
    )
    third = len(memory.samples) // 3 or 1
    thirds = [
        max(part or [0])
        for part in (memory.samples[:third], memory.samples[third : 2 * third], memory.samples[2 * third :])
    ]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"resident memory, MB: max by thirds of the run {thirds[0]:.0f}, {thirds[1]:.0f}, {thirds[2]:.0f}; "
        f"peak {peak:.0f}"
    )
    print(
        f"made: {Account.objects.count():,} accounts, {Contact.objects.count():,} contacts, "
        f"{Order.objects.count():,} orders, "
        f"{Interaction.objects.count():,} timeline notes, {AccountJourney.objects.count():,} accounts on a journey"
    )

    small = folder / "companies-10k.csv"
    with paths[0].open(encoding="utf-8-sig") as source, small.open("w", encoding="utf-8-sig") as out:
        for number, line in enumerate(source):
            if number > 10_000:
                break
            out.write(line.replace("ООО «Компания", "АО «Другая"))
    started = time.perf_counter()
    preview = move_in_create(system="bitrix24", uploads=[small], acting_user=user, check_now=True)
    print(
        f"preview of a 10,000-row file (upload and check): {time.perf_counter() - started:.2f} s — "
        f"{preview.preview['files']}"
    )
    if not args.keep:
        admin, name = url.rsplit("/", 1)[0] + "/postgres", url.rsplit("/", 1)[1]
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE {name} WITH (FORCE)"], check=False)  # noqa: S603, S607


if __name__ == "__main__":
    main()
