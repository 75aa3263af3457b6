"""Prepared statements on PostgreSQL, for the few paths where planning a query costs more than running it.

Django binds parameters on the client with psycopg 3, so PostgreSQL plans every ORM query again
on every call. On the telephony lookup, which answers every ringing call, planning and compiling
three ORM queries cost three times what executing them did. A statement run through
`prepared_cursor()` binds on the server instead and is prepared on its first use on a database
connection; after that PostgreSQL runs the stored plan. (The settings give psycopg a threshold
no query reaches, so only these cursors, which ask explicitly, prepare; with
DB_PREPARED_STATEMENTS=false nothing is prepared and they still work, planning every time.)

The cursor is Django's own wrapper around psycopg's, so these statements count in query logs
and tests, run in the surrounding transaction, and raise Django's database errors. Statements
read whole rows (`model_columns`) and `model_from_row` makes ordinary model instances of them:
no deferred fields, so no query hides behind an attribute.

Behind PgBouncer in transaction pooling mode, prepared statements need PgBouncer 1.21 or newer
with max_prepared_statements set.
"""

import time
from contextlib import contextmanager
from functools import cache

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.utils import CursorWrapper
from django.db.models import JSONField, Model


class _PreparingCursor(psycopg.Cursor):
    binary_results = False

    def execute(self, query, params=None, *, prepare=True, binary=None):
        return super().execute(query, params, prepare=prepare, binary=self.binary_results if binary is None else binary)


class _Cursor(CursorWrapper):
    """Django's cursor wrapper (its error translation), logging as Django's debug cursor does. Django's own
    debug cursor cannot: it reads the SQL back from psycopg, which keeps none for a prepared statement."""

    def execute(self, sql, params=None):
        if not self.db.queries_logged:
            return super().execute(sql, params)
        started = time.monotonic()
        try:
            return super().execute(sql, params)
        finally:
            self.db.queries_log.append(
                {"sql": self.db.ops.compose_sql(sql, params), "time": f"{time.monotonic() - started:.3f}"}
            )


@contextmanager
def prepared_cursor(*, binary: bool = False, using: str = DEFAULT_DB_ALIAS):
    """`binary`: results in PostgreSQL's binary format, cheaper to read (timestamps above all). Not for
    rows with jsonb columns: Django reads jsonb as text, which binary results are not. `using`: another
    alias of the same database (the rows still become instances of the default one)."""
    db = connections[using]
    db.ensure_connection()
    with db.wrap_database_errors:
        raw = _PreparingCursor(db.connection)
        raw.binary_results = binary
    with _Cursor(raw, db) as cursor:
        yield cursor


def model_columns(model: type[Model], alias: str) -> str:
    """Every concrete column of the model, in field order: what model_from_row reads back."""
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


@cache
def _row_shape(model: type[Model]) -> tuple[list[str], list[tuple[int, object]]]:
    """The model's attribute names in column order, and (position, field) of the fields that convert values."""
    fields = model._meta.concrete_fields
    return [field.attname for field in fields], [(i, f) for i, f in enumerate(fields) if hasattr(f, "from_db_value")]


def model_from_row(model: type[Model], row: tuple, start: int = 0) -> tuple[Model | None, int]:
    """(the instance whose columns start at row[start], or None when they are all NULL, the next index)."""
    attnames, converting = _row_shape(model)
    end = start + len(attnames)
    if row[start] is None:  # the primary key: an outer join that found nothing
        return None, end
    values = row[start:end]
    if converting:
        values = list(values)
        for position, field in converting:
            value = values[position]
            if value is None or (isinstance(field, JSONField) and not isinstance(value, str | bytes)):
                continue  # a JSON column psycopg has decoded already (these cursors bypass Django's text loader)
            values[position] = field.from_db_value(value, None, connection)
    return model.from_db(connection.alias, attnames, values), end


@cache
def _first_match_sql(model: type[Model], related: str | None, names: tuple[str, ...], order_by: str) -> str:
    meta = model._meta
    columns, join = model_columns(model, "t"), ""
    if related:
        foreign_key = meta.get_field(related)
        other = foreign_key.related_model._meta
        columns += ", " + model_columns(foreign_key.related_model, "r")
        join = f' LEFT JOIN "{other.db_table}" r ON r."{other.pk.column}" = t."{foreign_key.column}"'
    where = " AND ".join(f't."{meta.get_field(name).column}" = %s' for name in names)
    return (
        f'SELECT {columns} FROM "{meta.db_table}" t{join} WHERE {where} '  # noqa: S608 (names from the model)
        f'ORDER BY t."{meta.get_field(order_by).column}" LIMIT 1'
    )


def first_match(model: type[Model], *, related: str | None = None, order_by: str = "id", **filters) -> Model | None:
    """model.objects.filter(**filters).select_related(related).order_by(order_by).first(), for exact matches on
    the model's own fields. On PostgreSQL it runs as a prepared statement: one per set of filter names."""
    if connection.vendor != "postgresql":
        found = model._default_manager.filter(**filters).order_by(order_by)
        return (found.select_related(related) if related else found).first()
    with prepared_cursor() as cursor:
        cursor.execute(_first_match_sql(model, related, tuple(filters), order_by), list(filters.values()))
        row = cursor.fetchone()
    if row is None:
        return None
    instance, end = model_from_row(model, row)
    if related:
        setattr(instance, related, model_from_row(model._meta.get_field(related).related_model, row, end)[0])
    return instance
