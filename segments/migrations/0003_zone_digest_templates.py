from django.db import migrations

ROWS = (
    "{% for change in changes %}• {{ change.account }}: {{ change.from }} → {{ change.to }}"
    "{% if change.mean %} ({{ change.mean }}, {{ change.answers }}){% endif %}\n  {{ change.url }}\n{% endfor %}"
)
TEMPLATES = (
    (
        "ru",
        "Смены зон за {{ day|date:'j E' }}: {{ changes|length }}",
        "{{ user.name }}, вот как изменились зоны ваших клиентов {{ day|date:'j E' }}:\n\n" + ROWS
        + "\nКрасная зона — позвонить и найти первопричину; жёлтая — найти, что мешает; зелёная — попросить "
        "рекомендацию.",
    ),
    (
        "en",
        "Zone changes on {{ day|date:'F j' }}: {{ changes|length }}",
        "{{ user.name }}, this is how your clients' zones changed on {{ day|date:'F j' }}:\n\n" + ROWS
        + "\nRed: call and find the root cause; yellow: find what gets in the way; green: ask for a referral.",
    ),
)


def install(apps, schema_editor):
    MessageTemplate = apps.get_model("crm", "MessageTemplate")
    for language, subject, body in TEMPLATES:
        MessageTemplate.objects.get_or_create(
            kind="zone_digest", language=language, behaviour_type=None, defaults={"subject": subject, "body": body}
        )


class Migration(migrations.Migration):
    dependencies = [("segments", "0002_zone_red_templates"), ("crm", "0015_zone_digest_kind")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
