"""Monitoring's response target (we call within an hour) and the shipped message telling a client we saw a problem
with their unit, in Russian and English (editable under Response targets and Message templates)."""

from django.db import migrations

SIGN = "\n\n{{ manager.signature }}"
TEMPLATES = {
    "ru": (
        "Мы заметили неполадку: {{ equipment.model }} {{ equipment.serial_number }}",
        "Здравствуйте, {{ contact.name }}!\n\nСистема мониторинга сообщила о событии на оборудовании "
        "{{ equipment.model }} (серийный номер {{ equipment.serial_number }}): {{ signal.kind|lower }}"
        "{% if signal.code %}, код {{ signal.code }}{% endif %}, {{ signal.occurred_at|date:'j E H:i' }}.\n\n"
        "Мы уже занимаемся этим: {{ manager.name|default:'наш специалист' }} свяжется с вами в ближайшее время и расскажет, что мы "
        "предлагаем. Ничего делать не нужно." + SIGN,
    ),
    "en": (
        "We noticed a problem: {{ equipment.model }} {{ equipment.serial_number }}",
        "Hello {{ contact.name }},\n\nOur monitoring reported an event on your {{ equipment.model }} (serial number "
        "{{ equipment.serial_number }}): {{ signal.kind|lower }}{% if signal.code %}, code {{ signal.code }}"
        "{% endif %}, {{ signal.occurred_at|date:'F j, H:i' }}.\n\nWe are already on it: {{ manager.name|default:'our engineer' }} will "
        "call you shortly with what we suggest. You need not do anything." + SIGN,
    ),
}


def install(apps, schema_editor):
    apps.get_model("crm", "ResponseTarget").objects.get_or_create(
        channel="monitoring", defaults={"first_response_minutes": 60}
    )
    MessageTemplate = apps.get_model("crm", "MessageTemplate")
    for language, (subject, body) in TEMPLATES.items():
        MessageTemplate.objects.get_or_create(
            kind="equipment_alert",
            language=language,
            behaviour_type=None,
            defaults={"subject": subject, "body": body},
        )


class Migration(migrations.Migration):
    dependencies = [("crm", "0035_equipment_monitoring")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
