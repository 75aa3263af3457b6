"""A change of level rewrites the account row in place (a HOT update): no index on the level, and room left in each
page of crm_account for a new version of every row on it.

PostgreSQL only: fillfactor 50 leaves half of each page free on insert, so a bulk run that changes every account's
level (a first classification) finds room beside each row. It is the size the table reaches after such a run anyway:
without the room, each new row version went to a new page, with an entry in every one of the table's indexes.
"""

from django.db import migrations


def room_leave(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE crm_account SET (fillfactor = 50)")


def room_reset(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE crm_account RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0021_redundant_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="account", name="account_level_idx"),
        migrations.RunPython(room_leave, room_reset),
    ]
