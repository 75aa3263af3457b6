"""The shipped message with a person's client page link, in Russian and English (editable under Message templates)."""

from django.db import migrations

SIGN = "\n\n{{ manager.signature }}"
TEMPLATES = {
    "ru": (
        "Ваш отчёт: заказы, сроки и качество",
        "Здравствуйте, {{ contact.name }}!\n\nПо этой ссылке — ваш отчёт, всегда актуальный: все заказы «{{ account.name }}» "
        "с датами поставки, доля поставок в срок по месяцам, ваши обращения и как быстро мы на них ответили, наши "
        "обещания и что стало с вашими пожеланиями. Его можно скачать в PDF и Excel.\n\n{{ client_page.url }}\n\n"
        "Ссылка личная, не пересылайте её; она действует до {{ client_page.expires_at|date:'j E Y' }}." + SIGN,
    ),
    "en": (
        "Your report: orders, delivery dates and quality",
        "Hello {{ contact.name }},\n\nThis link opens your report, always up to date: every order of {{ account.name }} "
        "with its delivery dates, the share delivered on time by month, your service requests and how fast we "
        "answered, our promises and what became of your suggestions. You can download it as PDF and Excel.\n\n"
        "{{ client_page.url }}\n\nThe link is personal, please do not forward it; it works until "
        "{{ client_page.expires_at|date:'F j, Y' }}." + SIGN,
    ),
}


def install(apps, schema_editor):
    MessageTemplate = apps.get_model("crm", "MessageTemplate")
    for language, (subject, body) in TEMPLATES.items():
        MessageTemplate.objects.get_or_create(
            kind="client_page", language=language, behaviour_type=None, defaults={"subject": subject, "body": body}
        )


class Migration(migrations.Migration):
    dependencies = [("crm", "0031_client_page")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
