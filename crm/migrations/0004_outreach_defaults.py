"""Ready-to-use message templates (Russian and English) and a calendar of professional holidays."""

from django.db import migrations

SIGN = "\n\n{{ manager.signature }}"
TEMPLATES = {
    "maintenance_due": (
        ("Плановое обслуживание {{ equipment.model }} — {{ equipment.due_date|date:'j E' }}",
         "Здравствуйте, {{ contact.name }}!\n\nНапоминаем: плановое обслуживание {{ equipment.model }}"
         "{% if equipment.serial_number %} (серийный № {{ equipment.serial_number }}){% endif %} — "
         "{{ equipment.due_date|date:'j E Y' }}. Мы свяжемся с вами, чтобы согласовать удобное время визита."
         + SIGN),
        ("Scheduled maintenance of {{ equipment.model }} on {{ equipment.due_date|date:'F j' }}",
         "Hello {{ contact.name }},\n\nA reminder: the scheduled maintenance of {{ equipment.model }}"
         "{% if equipment.serial_number %} (serial {{ equipment.serial_number }}){% endif %} is due on "
         "{{ equipment.due_date|date:'F j, Y' }}. We will call you to agree a convenient time for the visit." + SIGN),
    ),
    "delivery_moved": (
        ("Новая дата поставки по заказу {{ order.number }}: {{ order.new_date|date:'j E' }}",
         "Здравствуйте, {{ contact.name }}!\n\nДата поставки по заказу {{ order.number }} изменилась: "
         "{{ order.new_date|date:'j E Y' }} вместо {{ order.old_date|date:'j E' }}.\nПричина: {{ order.reason }}.\n\n"
         "Приносим извинения. Если новая дата вам не подходит, ответьте на это письмо — найдём решение." + SIGN),
        ("New delivery date for order {{ order.number }}: {{ order.new_date|date:'F j' }}",
         "Hello {{ contact.name }},\n\nThe delivery of order {{ order.number }} moves to "
         "{{ order.new_date|date:'F j, Y' }} instead of {{ order.old_date|date:'F j' }}.\nWhy: {{ order.reason }}.\n\n"
         "We are sorry. If the new date does not work for you, reply to this message and we will find a way." + SIGN),
    ),
    "delivery_at_risk": (
        ("Заказ {{ order.number }}: уточняем дату поставки",
         "Здравствуйте, {{ contact.name }}!\n\nЗаказ {{ order.number }} должен прибыть "
         "{{ order.promised_date|date:'j E' }}, но ещё не отгружен. Мы проверяем сроки и сообщим вам точную дату "
         "в ближайшее время." + SIGN),
        ("Order {{ order.number }}: we are confirming the delivery date",
         "Hello {{ contact.name }},\n\nOrder {{ order.number }} is due on {{ order.promised_date|date:'F j' }} but "
         "has not shipped yet. We are checking the schedule and will confirm the exact date shortly." + SIGN),
    ),
    "order_on_track": (
        ("Заказ {{ order.number }} идёт по плану",
         "Здравствуйте, {{ contact.name }}!\n\nЕженедельное подтверждение: заказ {{ order.number }} идёт по плану, "
         "поставка — {{ order.promised_date|date:'j E Y' }}." + SIGN),
        ("Order {{ order.number }} is on track",
         "Hello {{ contact.name }},\n\nYour weekly confirmation: order {{ order.number }} is on track for delivery on "
         "{{ order.promised_date|date:'F j, Y' }}." + SIGN),
    ),
    "birthday": (
        ("С днём рождения, {{ contact.name }}!",
         "{{ contact.name }}, поздравляем вас с днём рождения! Желаем здоровья, удачи и новых успехов.\n\n"
         "С уважением, команда «{{ account.name }}» благодарит вас за работу с нами." + SIGN),
        ("Happy birthday, {{ contact.name }}!",
         "{{ contact.name }}, happy birthday! We wish you health, luck and new successes." + SIGN),
    ),
    "holiday": (
        ("С праздником: {{ holiday.name }}!",
         "Здравствуйте, {{ contact.name }}!\n\nПоздравляем вас и коллег из «{{ account.name }}» "
         "с профессиональным праздником — {{ holiday.name }}! Спасибо за совместную работу." + SIGN),
        ("Happy {{ holiday.name }}!",
         "Hello {{ contact.name }},\n\nCongratulations to you and your colleagues at {{ account.name }} on "
         "{{ holiday.name }}! Thank you for working with us." + SIGN),
    ),
    "campaign": (
        ("{{ account.name }}", "Здравствуйте, {{ contact.name }}!" + SIGN),
        ("{{ account.name }}", "Hello {{ contact.name }}," + SIGN),
    ),
    "proposal": (
        ("{{ link.title }}",
         "Здравствуйте, {{ contact.name }}!\n\nНаправляю обещанный документ: «{{ link.title }}».\n"
         "Открыть: {{ link.url }}\n\nБуду рад ответить на вопросы." + SIGN),
        ("{{ link.title }}",
         "Hello {{ contact.name }},\n\nHere is the document I promised: “{{ link.title }}”.\nOpen it: {{ link.url }}\n\n"
         "Happy to answer any questions." + SIGN),
    ),
    "promise_due": (
        ("Срок обещания: {{ promise.due_at|date:'d.m H:i' }} — {{ promise.description|truncatechars:80 }}",
         "{{ user.name }}, срок обещания {{ promise.due_at|date:'d.m.Y H:i' }}"
         "{% if account.name %} (клиент «{{ account.name }}»){% endif %}:\n{{ promise.description }}\n\n{{ admin_url }}"),
        ("Promise due {{ promise.due_at|date:'M j H:i' }}: {{ promise.description|truncatechars:80 }}",
         "{{ user.name }}, a promise is due {{ promise.due_at|date:'M j, Y H:i' }}"
         "{% if account.name %} (client {{ account.name }}){% endif %}:\n{{ promise.description }}\n\n{{ admin_url }}"),
    ),
    "promise_overdue": (
        ("Просрочено обещание: {{ promise.description|truncatechars:80 }}",
         "{{ user.name }}, обещание просрочено (срок был {{ promise.due_at|date:'d.m.Y H:i' }})"
         "{% if account.name %}, клиент «{{ account.name }}»{% endif %}:\n{{ promise.description }}\n\n{{ admin_url }}"),
        ("Overdue promise: {{ promise.description|truncatechars:80 }}",
         "{{ user.name }}, a promise is overdue (it was due {{ promise.due_at|date:'M j, Y H:i' }})"
         "{% if account.name %}, client {{ account.name }}{% endif %}:\n{{ promise.description }}\n\n{{ admin_url }}"),
    ),
    "proposal_opened": (
        ("Позвоните сейчас: {{ contact.name }} открыл(а) «{{ link.title }}»",
         "{{ user.name }}, {{ contact.name }} («{{ account.name }}») только что открыл(а) «{{ link.title }}». "
         "Этот клиент ценит личный контакт — позвоните сейчас.\n\n{{ admin_url }}"),
        ("Call now: {{ contact.name }} opened “{{ link.title }}”",
         "{{ user.name }}, {{ contact.name }} ({{ account.name }}) just opened “{{ link.title }}”. "
         "This client values personal contact: call them now.\n\n{{ admin_url }}"),
    ),
}

# (Russian name, English name, month, day, week, weekday): weekday 6 is Sunday, week -1 the last.
HOLIDAYS = [
    ("День химика", "Chemists' Day", 5, None, -1, 6),
    ("День работников торговли", "Trade Workers' Day", 7, None, 4, 5),
    ("День металлурга", "Metallurgists' Day", 7, None, 3, 6),
    ("День строителя", "Builders' Day", 8, None, 2, 6),
    ("День шахтёра", "Miners' Day", 8, None, -1, 6),
    ("День работников нефтяной и газовой промышленности", "Oil and Gas Workers' Day", 9, None, 1, 6),
    ("День машиностроителя", "Machine Builders' Day", 9, None, -1, 6),
    ("День работника сельского хозяйства", "Agriculture Workers' Day", 10, None, 2, 6),
    ("День работников пищевой промышленности", "Food Industry Workers' Day", 10, None, 3, 6),
    ("День энергетика", "Power Engineers' Day", 12, 22, None, None),
]


def install(apps, schema_editor):
    MessageTemplate = apps.get_model("crm", "MessageTemplate")
    ProfessionalHoliday = apps.get_model("crm", "ProfessionalHoliday")
    for kind, ((subject_ru, body_ru), (subject_en, body_en)) in TEMPLATES.items():
        for language, subject, body in (("ru", subject_ru, body_ru), ("en", subject_en, body_en)):
            MessageTemplate.objects.get_or_create(
                kind=kind, language=language, behaviour_type=None, defaults={"subject": subject, "body": body}
            )
    for name_ru, name_en, month, day, week, weekday in HOLIDAYS:
        ProfessionalHoliday.objects.get_or_create(
            name_en=name_en, defaults={"name_ru": name_ru, "month": month, "day": day, "week": week, "weekday": weekday}
        )


class Migration(migrations.Migration):
    dependencies = [("crm", "0003_outreach")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
