"""Thousands of rows in one statement, as a move-in writes them.

On PostgreSQL each column goes as one array parameter (bound by the server, not quoted into the SQL) and the rows
come out of `unnest()`: one short statement per chunk and table, with no per-value SQL for Django to build (its
bulk_create spent most of a big import preparing values and model instances). The new rows' ids come back in order
(RETURNING, as bulk_create relies on too). Elsewhere (the embedded SQLite) it is Django's bulk_create.
"""

import psycopg
from django.db import connection, models
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone
from psycopg.types.json import Jsonb


def rows_insert(
    model: type[models.Model], columns: list[str], rows: list[tuple], *, ignore_conflicts: bool = False
) -> list[int]:
    """Insert rows given as tuples of `columns` (field names); every other field takes its default. Returns the new
    rows' ids in order (with `ignore_conflicts`, only those inserted, so in no known order: look them up)."""
    if not rows:
        return []
    given = [model._meta.get_field(name) for name in columns]
    if connection.vendor != "postgresql":
        made = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model.objects.bulk_create(made, ignore_conflicts=ignore_conflicts, batch_size=1000)
        return [obj.pk for obj in made]
    now = timezone.now()
    defaults = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field in given or field.null or field.db_default is not models.NOT_PROVIDED:
            continue
        stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        defaults.append((field, now if stamped else field.get_default()))
    fields = given + [field for field, _value in defaults]
    arrays = [_column(field, values, now) for field, values in zip(given, zip(*rows, strict=True), strict=True)]
    arrays += [
        [Jsonb(value) if isinstance(field, models.JSONField) else value] * len(rows) for field, value in defaults
    ]
    quote = connection.ops.quote_name
    sql = (  # names and types from the model, never input; the values are parameters
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "  # noqa: S608
        f"SELECT * FROM unnest({', '.join(f'%b::{field.db_type(connection)}[]' for field in fields)})"
        + (" ON CONFLICT DO NOTHING" if ignore_conflicts else "")
        + f" RETURNING {quote(model._meta.pk.column)}"
    )
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:  # server-side binding: the arrays are not quoted into SQL
        cursor.execute(sql, arrays)
        return [row[0] for row in cursor.fetchall()]


def _column(field: models.Field, values: tuple, now) -> list:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return [now] * len(values)
    if isinstance(field, models.JSONField):
        return [Jsonb(value) for value in values]
    return list(values)


def objects_insert(objects: list[models.Model], *, ignore_conflicts: bool = False) -> None:
    """Insert model instances of one model, setting their primary keys (not when conflicts may skip some)."""
    if not objects:
        return
    model = type(objects[0])
    names = [  # a primary key only when it is given (an account's journey is keyed by its account)
        field.attname
        for field in model._meta.concrete_fields
        if getattr(objects[0], field.attname) is not None or not field.primary_key
        if not isinstance(getattr(objects[0], field.attname), DatabaseDefault)
    ]
    ids = rows_insert(
        model,
        names,
        [tuple(getattr(obj, name) for name in names) for obj in objects],
        ignore_conflicts=ignore_conflicts,
    )
    if not ignore_conflicts:
        for obj, pk in zip(objects, ids, strict=True):
            obj.pk = pk
            obj._state.adding = False
