"""Survey templates print the one-click scores from `survey.score_links`, rendered once per round and language.

The loop it replaces gave the same text, but rendering it for every message cost a third of planning
a monthly round. Templates edited since they shipped are changed only where they still hold the loop
exactly as shipped; what they print stays the same.
"""

from django.db import migrations

LOOP = "{% for option in survey.scores %}{{ option.score }}: {{ option.url }}\n{% endfor %}"
LINKS = "{{ survey.score_links }}"
KINDS = ("survey_invitation", "survey_reminder")


def _swap(apps, old, new):
    MessageTemplate = apps.get_model("crm", "MessageTemplate")
    for template in MessageTemplate.objects.filter(kind__in=KINDS, body__contains=old):
        template.body = template.body.replace(old, new)
        template.save(update_fields=["body"])


def forwards(apps, schema_editor):
    _swap(apps, LOOP, LINKS)


def backwards(apps, schema_editor):
    _swap(apps, LINKS, LOOP)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0002_shipped_surveys")]

    operations = [migrations.RunPython(forwards, backwards)]
