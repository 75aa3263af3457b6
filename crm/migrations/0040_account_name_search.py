"""Admin search by a part of an account's name at 1M accounts (issue 22): the admin's `name__icontains` is
`UPPER(name) LIKE UPPER('%term%')`, which no B-tree serves; a trigram GIN index on the same expression does
(PostgreSQL's pg_trgm, a trusted extension since PostgreSQL 13). About 20 s per index at 1M accounts. SQLite,
which scans its embedded few thousand rows quickly, gets none."""

from django.db import migrations

INDEXES = {
    "account_name_trgm": "name",
    "account_legal_name_trgm": "legal_name",
}


def indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON crm_account USING gin (UPPER({column}) gin_trgm_ops)"
        )


def indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0039_moving_in")]

    operations = [migrations.RunPython(indexes_create, indexes_drop)]
