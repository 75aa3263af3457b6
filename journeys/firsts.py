"""Each account's first contact, first proposal, first order (the deal) and first delivery, kept on PostgreSQL:
what the journeys' cycle times read instead of a million accounts' interactions, links and orders (issue 22: 7 s
alone and 13 s under load for the head, with both cores taken meanwhile).

Triggers on the tables the firsts come from keep journeys_accountfirsts in the writers' own transaction, so it is
never behind them:
- an INSERT (or COPY) lowers the firsts it brings forward (LEAST: two writers for one account, in either order,
  leave the earliest); the common write, an interaction later than the account's first, changes and locks nothing;
- an UPDATE that moves a time, a status, a touchpoint or an account, and a DELETE, count the accounts they touched
  anew from their rows; an account left with none loses its row;
- a touchpoint that becomes (or stops being) a "proposal sent" counts the accounts of its interactions anew;
- a TRUNCATE counts everything anew.
One race is not closed: a deletion counted anew while another transaction writes an earlier first for the same
account, not yet committed, can put back the later one (the next write to that account's firsts fixes it, and
`manage.py journeys_firsts` counts every account anew).

The definitions are journeys.selectors.cycle_times' own: a contact is any interaction; a proposal a tracked link
sent or an interaction at a "proposal sent" touchpoint; an order or a delivery one that is not cancelled. SQLite
has no such triggers (the embedded default holds demo-sized data): there the cycle times read the rows themselves.
"""

# ruff: noqa: S608  (the SQL here is built of the models' own table names and constants: no input reaches it)
from django.db import connection

from crm.models import Interaction, Order
from crm.outreach.models import TrackedLink
from journeys.models import AccountFirsts, Touchpoint

FIRSTS = ("contact_at", "proposal_at", "deal_at", "delivery_at")
_TABLE = AccountFirsts._meta.db_table
_COLUMNS = ", ".join(FIRSTS)
_INTERACTIONS, _LINKS, _ORDERS = (model._meta.db_table for model in (Interaction, TrackedLink, Order))
_TOUCHPOINTS = Touchpoint._meta.db_table
_PROPOSAL, _CANCELLED = Touchpoint.Channel.PROPOSAL.value, Order.Status.CANCELLED.value
# The columns whose change can move an account's firsts, per source table.
_WATCHED = {
    _INTERACTIONS: ("account_id", "occurred_at", "touchpoint_id"),
    _LINKS: ("account_id", "created_at"),
    _ORDERS: ("account_id", "status", "ordered_at", "delivered_at"),
}


def _events(*, interactions: str | None = None, links: str | None = None, orders: str | None = None, within="") -> str:
    """Each account's firsts among the given rows (a table, or a trigger's transition table), one row an account;
    `within`, a condition on the rows (alias r), picks some."""

    def where(*conditions: str) -> str:
        conditions = [c for c in (*conditions, within) if c]
        return f"WHERE {' AND '.join(conditions)}" if conditions else ""

    def part(rows: str, contact="NULL", proposal="NULL", deal="NULL", delivery="NULL", condition="") -> str:
        ats = zip((contact, proposal, deal, delivery), FIRSTS, strict=True)
        columns = ", ".join(f"{at}::timestamptz AS {c}" for at, c in ats)
        return f"SELECT r.account_id, {columns} FROM {rows} {where(condition)}"

    parts = []
    if interactions:
        rows = f"{interactions} r LEFT JOIN {_TOUCHPOINTS} t ON t.id = r.touchpoint_id"
        proposal = f"CASE WHEN t.channel = '{_PROPOSAL}' THEN r.occurred_at END"
        parts.append(part(rows, contact="r.occurred_at", proposal=proposal))
    if links:
        parts.append(part(f"{links} r", proposal="r.created_at"))
    if orders:
        condition = f"r.status <> '{_CANCELLED}'"
        parts.append(part(f"{orders} r", deal="r.ordered_at", delivery="r.delivered_at", condition=condition))
    return (
        f"SELECT account_id, MIN(contact_at) AS contact_at, MIN(proposal_at) AS proposal_at, "
        f"MIN(deal_at) AS deal_at, MIN(delivery_at) AS delivery_at FROM ({' UNION ALL '.join(parts)}) e "
        f"GROUP BY account_id"
    )


def _columns(alias: str) -> str:
    return ", ".join(f"{alias}.{c}" for c in FIRSTS)


def _none(alias: str) -> str:
    return " AND ".join(f"{alias}.{c} IS NULL" for c in FIRSTS)


def _lower(events: str) -> str:
    """Lower the kept firsts to the events' where they are earlier (or missing); touch no row they do not move."""
    moved = " OR ".join(f"n.{c} < k.{c} OR (k.{c} IS NULL AND n.{c} IS NOT NULL)" for c in FIRSTS)
    least = ", ".join(f"{c} = LEAST(kept.{c}, EXCLUDED.{c})" for c in FIRSTS)
    return f"""
        INSERT INTO {_TABLE} AS kept (account_id, {_COLUMNS})
        SELECT n.account_id, {_columns("n")}
        FROM ({events}) n LEFT JOIN {_TABLE} k ON k.account_id = n.account_id
        WHERE {moved}
        ORDER BY n.account_id  -- one order for every writer: two statements never deadlock on these rows
        ON CONFLICT (account_id) DO UPDATE SET {least};"""


def _recount(accounts: str) -> str:
    """Count anew the firsts of the accounts `accounts` (SQL giving account_id) selects, from all their rows."""
    within = "r.account_id IN (SELECT account_id FROM touched)"
    events = _events(interactions=_INTERACTIONS, links=_LINKS, orders=_ORDERS, within=within)
    return f"""
        WITH touched AS ({accounts}),
        fresh AS (
            SELECT touched.account_id, {_columns("e")}
            FROM (SELECT DISTINCT account_id FROM touched) touched LEFT JOIN ({events}) e USING (account_id)
        ),
        changed AS (
            SELECT fresh.* FROM fresh LEFT JOIN {_TABLE} k USING (account_id)
            WHERE ({_columns("fresh")}) IS DISTINCT FROM ({_columns("k")})
        ),
        gone AS (DELETE FROM {_TABLE} d USING changed c WHERE d.account_id = c.account_id AND {_none("c")})
        INSERT INTO {_TABLE} AS kept (account_id, {_COLUMNS})
        SELECT c.account_id, {_columns("c")} FROM changed c WHERE NOT ({_none("c")}) ORDER BY c.account_id
        ON CONFLICT (account_id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in FIRSTS)};"""


def _count_all() -> list[str]:
    return [
        f"DELETE FROM {_TABLE}",
        f"INSERT INTO {_TABLE} (account_id, {_COLUMNS}) "
        f"{_events(interactions=_INTERACTIONS, links=_LINKS, orders=_ORDERS)}",
    ]


def _changed_accounts(table: str) -> str:
    """The accounts (before and after) of the rows an UPDATE changed in a watched column."""
    watched = _WATCHED[table]
    return (
        "SELECT unnest(ARRAY[o.account_id, n.account_id]) AS account_id "
        "FROM old_rows o JOIN new_rows n USING (id) "
        f"WHERE ({', '.join(f'o.{c}' for c in watched)}) IS DISTINCT FROM ({', '.join(f'n.{c}' for c in watched)})"
    )


def function_sql(name: str, body: str) -> str:
    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
            {body}
            RETURN NULL;
        END
        $body$"""


def statement_triggers(prefix: str, table: str, function: str) -> list[str]:
    """(Re)create the statement-level triggers `prefix`_insert, _update, _delete and _truncate on `table`, each
    calling `function` with the rows it wrote as new_rows and old_rows. A trigger with transition tables has one
    event (PostgreSQL's rule): three of them, and one for TRUNCATE."""
    statements = []
    for event, referencing in (
        ("INSERT", "REFERENCING NEW TABLE AS new_rows"),
        ("UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "REFERENCING OLD TABLE AS old_rows"),
        ("TRUNCATE", ""),
    ):
        trigger = f"{prefix}_{event.lower()}"
        statements += [
            f"DROP TRIGGER IF EXISTS {trigger} ON {table}",
            f"CREATE TRIGGER {trigger} AFTER {event} ON {table} {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
    return statements


def install_sql() -> list[str]:
    """The functions and triggers, and the firsts of the rows already there."""
    statements = []
    for table, source in ((_INTERACTIONS, "interactions"), (_LINKS, "links"), (_ORDERS, "orders")):
        function = f"journeys_firsts_{source}"
        statements.append(
            function_sql(
                function,
                f"""IF TG_OP = 'TRUNCATE' THEN {"; ".join(_count_all())};
            ELSIF TG_OP = 'INSERT' THEN {_lower(_events(**{source: "new_rows"}))}
            ELSIF TG_OP = 'UPDATE' THEN {_recount(_changed_accounts(table))}
            ELSE {_recount("SELECT account_id FROM old_rows")}
            END IF;""",
            )
        )
        statements += statement_triggers("journeys_firsts", table, function)
    proposal_moved = (
        f"SELECT i.account_id FROM {_INTERACTIONS} i JOIN new_rows n ON n.id = i.touchpoint_id "
        f"JOIN old_rows o ON o.id = n.id WHERE (o.channel = '{_PROPOSAL}') <> (n.channel = '{_PROPOSAL}')"
    )
    statements += [
        function_sql("journeys_firsts_touchpoints", _recount(proposal_moved)),
        f"DROP TRIGGER IF EXISTS journeys_firsts_update ON {_TOUCHPOINTS}",
        f"CREATE TRIGGER journeys_firsts_update AFTER UPDATE ON {_TOUCHPOINTS} "
        f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION journeys_firsts_touchpoints()",
        # The rows already there. The triggers above locked their tables against writers (SHARE ROW EXCLUSIVE)
        # until this transaction ends, so nothing comes in between.
        *_count_all(),
    ]
    return statements


def install(schema_editor=None) -> None:
    """Install (or install anew) and count every account; in the caller's transaction."""
    with (schema_editor.connection if schema_editor else connection).cursor() as cursor:
        for statement in install_sql():
            cursor.execute(statement)


REMOVE_SQL = [
    f"DROP FUNCTION IF EXISTS journeys_firsts_{source}() CASCADE"
    for source in ("interactions", "links", "orders", "touchpoints")
]
