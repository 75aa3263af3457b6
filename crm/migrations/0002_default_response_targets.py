from django.db import migrations

# DOMAIN.md §3: email or web form ≤ 24 h, social media ≤ 60 min, phone ≤ 3 min, chat ≤ 1 min.
DEFAULT_TARGETS = {"email": 24 * 60, "web_form": 24 * 60, "social": 60, "phone": 3, "chat": 1}


def add_targets(apps, schema_editor):
    ResponseTarget = apps.get_model("crm", "ResponseTarget")
    for channel, minutes in DEFAULT_TARGETS.items():
        ResponseTarget.objects.get_or_create(channel=channel, defaults={"first_response_minutes": minutes})


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]
    operations = [migrations.RunPython(add_targets, migrations.RunPython.noop)]
