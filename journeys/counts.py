"""Counts kept on PostgreSQL so that the whole journey's analytics need not read every account:
- the funnel facts (`FUNNEL`): how many accounts of a journey have each combination of stages entered, stages left
  for a later one and stages entered in order (AccountJourney.entered, .went_on, .in_order): the funnel over every
  account is a sum over a few dozen rows (20 at 1M accounts), not a pass over a million (131 ms of the head's funnel
  page, issue 22);
- the stays (`STAYS`): how many completed stays in each stage fall in each bucket of lengths (an hour below a week, a
  day from then on: `bucket_sql`, `bucket_start`), so the time-in-stage percentiles are a short read along the stay
  index inside one bucket, not a count of a stage's stays and a skip through half of them (250 ms).

A trigger on the counted table appends what each INSERT, UPDATE or DELETE adds to or takes from each count, in the
writer's own transaction, so the counts are never behind the rows; a TRUNCATE empties them. Appended, not added to
one row a count: two moves of different accounts never wait for each other (or deadlock) on a shared count; a
count is the sum of its rows, and the daily journeys job folds each count's rows into one (`compact`). SQLite
keeps no counts (demo-sized data): there the analytics read the rows.
"""

# ruff: noqa: S608  (the SQL here is built of the models' own table and column names and constants: no input)
from dataclasses import dataclass

from django.db import connection

from journeys.firsts import function_sql, statement_triggers
from journeys.models import AccountJourney, FunnelCount, StayCount, Transition

HOUR, DAY, WEEK = 3600, 86400, 7 * 86400
_HOURS = WEEK // HOUR  # buckets 0..167 are the hours of the first week; 168 on are days 7, 8, ...


def bucket_sql(seconds: str) -> str:
    """The bucket of a stay of `seconds` (an integer SQL expression)."""
    return f"CASE WHEN {seconds} < {WEEK} THEN {seconds} / {HOUR} ELSE {_HOURS - WEEK // DAY} + {seconds} / {DAY} END"


def bucket_start(bucket: int) -> int:
    """The shortest stay, in seconds, that falls in `bucket`."""
    return bucket * HOUR if bucket < _HOURS else (bucket - _HOURS + WEEK // DAY) * DAY


@dataclass(frozen=True)
class Kept:
    name: str  # of the trigger function
    table: str  # the counts'
    source: str  # the counted rows'
    keys: dict[str, str]  # a count's column: its SQL over a counted row
    where: str  # the rows that count

    def _rows(self, rows: str, sign: int) -> str:
        columns = ", ".join(f"{sql} AS {column}" for column, sql in self.keys.items())
        return f"SELECT {columns}, {sign} AS n FROM {rows} WHERE {self.where}"

    def _add(self, *parts: str) -> str:
        """Append the sums of `parts` (rows with the keys and n) by key; none that sum to nothing."""
        keys = ", ".join(self.keys)
        return (
            f"INSERT INTO {self.table} ({keys}, n) SELECT {keys}, SUM(n) FROM ({' UNION ALL '.join(parts)}) d "
            f"GROUP BY {keys} HAVING SUM(n) <> 0"
        )

    def install_sql(self) -> list[str]:
        """The function and triggers, and the counts of the rows already there."""
        body = f"""IF TG_OP = 'TRUNCATE' THEN DELETE FROM {self.table};
            ELSIF TG_OP = 'INSERT' THEN {self._add(self._rows("new_rows", 1))};
            ELSIF TG_OP = 'UPDATE' THEN {self._add(self._rows("new_rows", 1), self._rows("old_rows", -1))};
            ELSE {self._add(self._rows("old_rows", -1))};
            END IF;"""
        statements = [function_sql(self.name, body), *statement_triggers(self.name, self.source, self.name)]
        # The rows already there. The triggers above locked the table against writers (SHARE ROW EXCLUSIVE) until
        # this transaction ends, so nothing comes in between.
        return [*statements, f"DELETE FROM {self.table}", self._add(self._rows(self.source, 1))]

    def compact_sql(self) -> str:
        """Fold each count's rows into one. Safe beside writers: what they append meanwhile is not in the
        statement's snapshot, so it is neither deleted nor counted twice; run twice at once, the second folds
        nothing."""
        keys = ", ".join(self.keys)
        return f"WITH gone AS (DELETE FROM {self.table} RETURNING {keys}, n) {self._add('SELECT * FROM gone')}"

    def remove_sql(self) -> str:
        return f"DROP FUNCTION IF EXISTS {self.name}() CASCADE"


FUNNEL = Kept(
    name="journeys_funnel_counts",
    table=FunnelCount._meta.db_table,
    source=AccountJourney._meta.db_table,
    keys={"journey_id": "journey_id", "entered": "entered", "went_on": "went_on", "in_order": "in_order"},
    where="TRUE",
)
STAYS = Kept(
    name="journeys_stay_counts",
    table=StayCount._meta.db_table,
    source=Transition._meta.db_table,
    keys={"journey_id": "journey_id", "stage_id": "to_stage_id", "bucket": bucket_sql("stay_seconds")},
    where="stay_seconds IS NOT NULL AND to_stage_id IS NOT NULL",
)
KEPT = (FUNNEL, STAYS)


def install(schema_editor=None) -> None:
    """Install (or install anew) and count every row; in the caller's transaction."""
    with (schema_editor.connection if schema_editor else connection).cursor() as cursor:
        for kept in KEPT:
            for statement in kept.install_sql():
                cursor.execute(statement)


def compact() -> None:
    with connection.cursor() as cursor:
        for kept in KEPT:
            cursor.execute(kept.compact_sql())


REMOVE_SQL = [kept.remove_sql() for kept in KEPT]
