"""Every benchmark of the issues, one after another, and one table of what they measured: `make bench`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench REDIS_URL=redis://127.0.0.1:6379/1 make bench
    make bench BENCH_ARGS=--quick        # without the runs of ten minutes (suggestions, backfill, mixed load)

DATABASE_URL is the 1M-account database, made once by the loaders (`bench/generate.py`, then
`bench/surveys.py load`, `bench/journeys.py backfill pad`: see bench/RESULTS.md); it is measured,
never reloaded, except that classification resets zones and levels first. The outreach benchmark
empties the tables it fills, so it runs on a database of its own, `<name>_outreach`, created here.
Each benchmark's own output streams as it runs, with the floor it measured (bench/calibrate.py) and its results
as ratios to it; the table at the end gathers the rows of theirs, between the floor measured before the first
and after the last, so a run whose VM changed speed midway shows it.
"""

import argparse
import os
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv/bin/python")

# (issue, command after `python`, takes ten minutes or more)
BENCHMARKS = [
    ("foundation", ["bench/measure.py"], False),
    ("outreach", ["bench/outreach.py"], False),
    ("surveys", ["bench/surveys.py", "metrics", "--repeat", "3"], False),
    ("surveys", ["bench/surveys.py", "submit", "--requests", "1000"], False),
    ("surveys", ["bench/surveys.py", "plan"], False),
    ("segments", ["bench/segments.py", "classify", "behaviour-one", "segments"], False),
    ("segments", ["bench/segments.py", "behaviour"], True),
    ("journeys", ["bench/journeys.py", "funnel"], False),
    ("journeys", ["bench/journeys.py", "backfill"], True),
    ("telephony", ["bench/telephony_load.py", "--workers", "2", "--connections", "8"], False),
    ("client page", ["bench/client_page.py"], False),
    ("signals", ["bench/equipment_signals.py"], False),
    ("signals", ["bench/web_leads.py"], False),
    ("reliability", ["bench/load.py", "--minutes", "10"], True),
    ("manager pages", ["bench/load.py", "--ramp", "8,60", "--minutes", "15"], True),
]


def outreach_database(url: str) -> str:
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_outreach"
    admin = urlunsplit(parts._replace(path="/postgres"))
    exists = subprocess.run(  # noqa: S603
        ["psql", admin, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)  # noqa: S603, S607
    return urlunsplit(parts._replace(path=f"/{name}"))


def table_rows(output: str) -> list[list[str]]:
    """The data rows of the markdown tables a benchmark printed (not their headers or rules)."""
    lines = [line.strip() for line in output.splitlines()]

    def rule(line: str) -> bool:
        return line.startswith("|") and set(line) <= set("|-: ")

    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line, following in pairwise([*lines, ""])
        if line.startswith("|") and not rule(line) and not rule(following)  # a header is followed by its rule
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the benchmarks that take ten minutes or more")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Point DATABASE_URL at the PostgreSQL benchmark database (bench/RESULTS.md says how to make it).")

    gathered, started = [], time.monotonic()
    floors = [floor_line(url)]
    for issue, command, long in BENCHMARKS:
        if long and args.quick:
            continue
        env = {**os.environ, "DATABASE_URL": outreach_database(url) if issue == "outreach" else url}
        print(f"\n==> {issue}: {' '.join(command)}", flush=True)
        output = []
        with subprocess.Popen([PYTHON, *command], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as run:  # noqa: S603
            for line in run.stdout:
                print(line, end="", flush=True)
                output.append(line)
        if run.returncode:
            gathered.append([issue, " ".join(command), f"failed (exit {run.returncode})"])
        gathered += [[issue, row[0], " · ".join(row[1:])] for row in table_rows("".join(output))]

    floors.append(floor_line(url))
    print(f"\nAll benchmarks, {(time.monotonic() - started) / 60:.0f} minutes:\n")
    print(f"| issue | what | measured |\n|---|---|---|\n| — | before | {floors[0]} |")
    for issue, what, measured in gathered:
        print(f"| {issue} | {what} | {measured} |")
    print(f"| — | after | {floors[1]} |")


def floor_line(url: str) -> str:
    """The floor (bench/calibrate.py) measured in a process of its own, as its one line."""
    run = subprocess.run(  # noqa: S603
        [PYTHON, "bench/calibrate.py"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
    )
    return run.stdout.strip().splitlines()[-1] if run.returncode == 0 else f"floor failed: {run.stderr[-300:]}"


if __name__ == "__main__":
    main()
