"""The shipped thank-you note for type 1 clients, in Russian and English (editable under Message templates)."""

from django.db import migrations

SIGN = "\n\n{{ manager.signature }}"
TEMPLATES = {
    "ru": (
        "Спасибо, что работаете с нами",
        "{{ contact.name }}, здравствуйте!\n\nХочу лично поблагодарить вас и команду «{{ account.name }}» за "
        "совместную работу. Ваше доверие для нас — большая честь, и мы ценим каждый проект с вами. Если есть "
        "что-то, что мы можем сделать лучше, — просто ответьте на это письмо." + SIGN,
    ),
    "en": (
        "Thank you for working with us",
        "Dear {{ contact.name }},\n\nI want to thank you and the {{ account.name }} team personally for working "
        "with us. Your trust means a great deal, and we value every project with you. If there is anything we could "
        "do better, just reply to this message." + SIGN,
    ),
}


def install(apps, schema_editor):
    MessageTemplate = apps.get_model("crm", "MessageTemplate")
    for language, (subject, body) in TEMPLATES.items():
        MessageTemplate.objects.get_or_create(
            kind="thanks", language=language, behaviour_type=None, defaults={"subject": subject, "body": body}
        )


class Migration(migrations.Migration):
    dependencies = [("crm", "0026_thanks")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
