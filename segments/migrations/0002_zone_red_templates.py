from django.db import migrations

TEMPLATES = (
    (
        "ru",
        "Красная зона: {{ account.name }}",
        "{{ user.name }}, {{ account.name }}: переход из зоны «{{ zone.from }}» в красную. Средняя оценка "
        "отношений {{ zone.mean }} по {{ zone.answers }} ответам.\n\nПозвоните сегодня и найдите первопричину, "
        "а не только повод для скидки.\n\n{{ zone.url }}",
    ),
    (
        "en",
        "Red zone: {{ account.name }}",
        "{{ user.name }}, {{ account.name }} fell from {{ zone.from }} into the red zone: a relationship average "
        "of {{ zone.mean }} over {{ zone.answers }} answers.\n\nCall them today and find the root cause, not just "
        "a reason for a discount.\n\n{{ zone.url }}",
    ),
)


def install(apps, schema_editor):
    MessageTemplate = apps.get_model("crm", "MessageTemplate")
    for language, subject, body in TEMPLATES:
        MessageTemplate.objects.get_or_create(
            kind="zone_red", language=language, behaviour_type=None, defaults={"subject": subject, "body": body}
        )


class Migration(migrations.Migration):
    dependencies = [("segments", "0001_zones"), ("crm", "0014_zone_red_kind")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
