"""Shipped words per behaviour type (DOMAIN §5), in Russian and English, for the kinds where the type changes them;
and the general order confirmation and invoice. All are editable under Message templates; existing rows are kept.

1 emotional, confident: consulted, not informed; thanked. 2 unemotional, confident: figures and the saving.
3 unemotional, unconfident: guarantees, standards, proof. 4 emotional, unconfident: personal contact, video.
"""

from django.db import migrations

SIGN = "\n\n{{ manager.signature }}"

LINES_RU = (
    "{% for line in order.lines %}— {{ line.product }}: {{ line.quantity }} × {{ line.unit_price|floatformat:'2g' }} = "
    "{{ line.total|floatformat:'2g' }} {{ order.currency }}\n{% endfor %}"
    "Итого: {{ order.amount|floatformat:'2g' }} {{ order.currency }}"
)
LINES_EN = (
    "{% for line in order.lines %}- {{ line.product }}: {{ line.quantity }} × {{ line.unit_price|floatformat:'2g' }} = "
    "{{ line.total|floatformat:'2g' }} {{ order.currency }}\n{% endfor %}"
    "Total: {{ order.amount|floatformat:'2g' }} {{ order.currency }}"
)
STANDARDS_RU = (
    "{% if standards %}\n\nПродукция соответствует стандартам:{% for item in standards %}\n— {{ item }}{% endfor %}"
    "{% endif %}"
)
STANDARDS_EN = (
    "{% if standards %}\n\nThe products meet these standards:{% for item in standards %}\n- {{ item }}{% endfor %}"
    "{% endif %}"
)
REFERENCES_RU = (
    "{% if references %}\n\nПримеры наших работ и отзывы клиентов:"
    "{% for item in references %}\n— {{ item.title }} ({{ item.kind|lower }}): {{ item.url }}{% endfor %}{% endif %}"
)
REFERENCES_EN = (
    "{% if references %}\n\nExamples of our work and what clients say:"
    "{% for item in references %}\n- {{ item.title }} ({{ item.kind|lower }}): {{ item.url }}{% endfor %}{% endif %}"
)
COMPARISON_RU = (
    "{% if comparison %}\n\nСравнение за последние {{ comparison.months }} мес.: сколько вы платите сейчас и сколько "
    "заплатите по нашему предложению за тот же объём:\n"
    "{% for row in comparison.rows %}— {{ row.product }} ({{ row.quantity }}): сейчас {{ row.current|floatformat:'2g' }}"
    " → по предложению {{ row.offer|floatformat:'2g' }}, экономия {{ row.saving|floatformat:'2g' }}\n{% endfor %}"
    "Итого: сейчас {{ comparison.current_total|floatformat:'2g' }} → {{ comparison.offer_total|floatformat:'2g' }}, "
    "экономия {{ comparison.saving|floatformat:'2g' }} ({{ comparison.saving_percent }} %).{% endif %}"
)
COMPARISON_EN = (
    "{% if comparison %}\n\nOver the last {{ comparison.months }} months: what you pay now and what you would pay "
    "with our offer for the same volume:\n"
    "{% for row in comparison.rows %}- {{ row.product }} ({{ row.quantity }}): now {{ row.current|floatformat:'2g' }}"
    " -> our offer {{ row.offer|floatformat:'2g' }}, saving {{ row.saving|floatformat:'2g' }}\n{% endfor %}"
    "Total: now {{ comparison.current_total|floatformat:'2g' }} -> {{ comparison.offer_total|floatformat:'2g' }}, "
    "saving {{ comparison.saving|floatformat:'2g' }} ({{ comparison.saving_percent }} %).{% endif %}"
)

# (kind, behaviour type or None): {language: (subject, body)}
TEMPLATES = {
    ("order_confirmation", None): {
        "ru": (
            "Заказ {{ order.number }} принят",
            "Здравствуйте, {{ contact.name }}!\n\nПодтверждаем заказ {{ order.number }}"
            "{% if order.promised_date %}, поставка — {{ order.promised_date|date:'j E Y' }}{% endif %}.\n\n"
            + LINES_RU
            + STANDARDS_RU
            + SIGN,
        ),
        "en": (
            "Order {{ order.number }} confirmed",
            "Hello {{ contact.name }},\n\nWe confirm order {{ order.number }}"
            "{% if order.promised_date %}, for delivery on {{ order.promised_date|date:'F j, Y' }}{% endif %}.\n\n"
            + LINES_EN
            + STANDARDS_EN
            + SIGN,
        ),
    },
    ("order_confirmation", 3): {
        "ru": (
            "Заказ {{ order.number }} принят: поставка {{ order.promised_date|date:'j E' }} гарантирована",
            "Здравствуйте, {{ contact.name }}!\n\nПодтверждаем заказ {{ order.number }}. "
            "{% if order.promised_date %}Поставка — {{ order.promised_date|date:'j E Y' }}; если что-то изменится, "
            "вы узнаете об этом от нас заранее, а не в день поставки. {% endif %}"
            "Пока заказ в работе, каждую неделю мы будем подтверждать, что он идёт по плану.\n\n"
            + LINES_RU
            + STANDARDS_RU
            + REFERENCES_RU
            + SIGN,
        ),
        "en": (
            "Order {{ order.number }} confirmed: delivery on {{ order.promised_date|date:'F j' }} guaranteed",
            "Hello {{ contact.name }},\n\nWe confirm order {{ order.number }}. "
            "{% if order.promised_date %}Delivery: {{ order.promised_date|date:'F j, Y' }}; should anything change, "
            "you will hear it from us early, not on the day. {% endif %}"
            "While the order is in progress, we will confirm every week that it is on track.\n\n"
            + LINES_EN
            + STANDARDS_EN
            + REFERENCES_EN
            + SIGN,
        ),
    },
    ("invoice", None): {
        "ru": (
            "Счёт по заказу {{ order.number }}",
            "Здравствуйте, {{ contact.name }}!\n\nСчёт по заказу {{ order.number }}:\n\n"
            + LINES_RU
            + "{% if payment_details %}\n\nРеквизиты для оплаты:\n{{ payment_details }}{% endif %}"
            + SIGN,
        ),
        "en": (
            "Invoice for order {{ order.number }}",
            "Hello {{ contact.name }},\n\nThe invoice for order {{ order.number }}:\n\n"
            + LINES_EN
            + "{% if payment_details %}\n\nPayment details:\n{{ payment_details }}{% endif %}"
            + SIGN,
        ),
    },
    ("invoice", 3): {
        "ru": (
            "Счёт по заказу {{ order.number }}",
            "Здравствуйте, {{ contact.name }}!\n\nСчёт по заказу {{ order.number }}. Цены зафиксированы и не "
            "изменятся до поставки.\n\n"
            + LINES_RU
            + STANDARDS_RU
            + "{% if payment_details %}\n\nРеквизиты для оплаты:\n{{ payment_details }}{% endif %}"
            + REFERENCES_RU
            + SIGN,
        ),
        "en": (
            "Invoice for order {{ order.number }}",
            "Hello {{ contact.name }},\n\nThe invoice for order {{ order.number }}. The prices are fixed and will not "
            "change before delivery.\n\n"
            + LINES_EN
            + STANDARDS_EN
            + "{% if payment_details %}\n\nPayment details:\n{{ payment_details }}{% endif %}"
            + REFERENCES_EN
            + SIGN,
        ),
    },
    ("proposal", 2): {
        "ru": (
            "{{ link.title }}{% if comparison %}: экономия {{ comparison.saving|floatformat:'0g' }} в год{% endif %}",
            "Здравствуйте, {{ contact.name }}!\n\nКоротко и по цифрам: «{{ link.title }}»."
            + COMPARISON_RU
            + "\n\nДокумент с расчётом и вариантами оптимизации: {{ link.url }}"
            + SIGN,
        ),
        "en": (
            "{{ link.title }}{% if comparison %}: save {{ comparison.saving|floatformat:'0g' }} a year{% endif %}",
            "Hello {{ contact.name }},\n\nIn short, and in figures: “{{ link.title }}”."
            + COMPARISON_EN
            + "\n\nThe document with the calculation and the options to optimise: {{ link.url }}"
            + SIGN,
        ),
    },
    ("proposal", 3): {
        "ru": (
            "{{ link.title }}",
            "Здравствуйте, {{ contact.name }}!\n\nНаправляю «{{ link.title }}»: {{ link.url }}\n"
            "Условия, сроки и гарантии в документе зафиксированы."
            + COMPARISON_RU
            + STANDARDS_RU
            + REFERENCES_RU
            + "\n\nОтвечу на любые вопросы — лучше спросить заранее, чем сомневаться."
            + SIGN,
        ),
        "en": (
            "{{ link.title }}",
            "Hello {{ contact.name }},\n\nHere is “{{ link.title }}”: {{ link.url }}\n"
            "The terms, dates and guarantees are fixed in the document."
            + COMPARISON_EN
            + STANDARDS_EN
            + REFERENCES_EN
            + "\n\nI will answer any question: better to ask now than to wonder later."
            + SIGN,
        ),
    },
    ("proposal", 4): {
        "ru": (
            "{{ contact.first_name|default:contact.name }}, подготовил для вас «{{ link.title }}»",
            "{{ contact.name }}, здравствуйте!\n\nПодготовил для вас «{{ link.title }}»: {{ link.url }}\n"
            "Мне будет приятно обсудить его с вами лично — созвонимся по видео, когда вам удобно? "
            "Просто ответьте на письмо." + COMPARISON_RU + SIGN,
        ),
        "en": (
            "{{ contact.first_name|default:contact.name }}, I prepared “{{ link.title }}” for you",
            "Dear {{ contact.name }},\n\nI prepared “{{ link.title }}” for you: {{ link.url }}\n"
            "I would love to go through it with you in person: shall we have a video call when it suits you? "
            "Just reply to this message." + COMPARISON_EN + SIGN,
        ),
    },
    ("delivery_moved", 1): {
        "ru": (
            "Заказ {{ order.number }}: хочу посоветоваться с вами о сроках",
            "{{ contact.name }}, здравствуйте!\n\nПо заказу {{ order.number }} срок поставки сдвигается на "
            "{{ order.new_date|date:'j E Y' }} (было {{ order.old_date|date:'j E' }}). Причина: {{ order.reason }}.\n\n"
            "Прежде чем что-то решать, хочу услышать ваше мнение: я позвоню вам сегодня, и мы вместе выберем "
            "лучший вариант." + SIGN,
        ),
        "en": (
            "Order {{ order.number }}: I would like your view on the dates",
            "Dear {{ contact.name }},\n\nThe delivery of order {{ order.number }} moves to "
            "{{ order.new_date|date:'F j, Y' }} (it was {{ order.old_date|date:'F j' }}). Why: {{ order.reason }}.\n\n"
            "Before anything is settled I want your view: I will call you today so that we choose the best option "
            "together." + SIGN,
        ),
    },
    ("delivery_moved", 2): {
        "ru": (
            "Заказ {{ order.number }}: новая дата {{ order.new_date|date:'d.m.Y' }} (+{{ order.days_moved }} дн.)",
            "Здравствуйте, {{ contact.name }}!\n\nЗаказ {{ order.number }}: поставка {{ order.new_date|date:'d.m.Y' }} "
            "вместо {{ order.old_date|date:'d.m.Y' }}, сдвиг {{ order.days_moved }} дн. Причина: {{ order.reason }}.\n"
            "Если сдвиг влияет на ваш график, ответьте — предложим варианты частичной отгрузки." + SIGN,
        ),
        "en": (
            "Order {{ order.number }}: new date {{ order.new_date|date:'Y-m-d' }} (+{{ order.days_moved }} days)",
            "Hello {{ contact.name }},\n\nOrder {{ order.number }}: delivery on {{ order.new_date|date:'Y-m-d' }} "
            "instead of {{ order.old_date|date:'Y-m-d' }}, {{ order.days_moved }} days later. Why: {{ order.reason }}.\n"
            "If this affects your schedule, reply and we will offer a partial shipment." + SIGN,
        ),
    },
    ("delivery_moved", 3): {
        "ru": (
            "Заказ {{ order.number }}: новая дата поставки {{ order.new_date|date:'j E' }} — мы её гарантируем",
            "Здравствуйте, {{ contact.name }}!\n\nСообщаем заранее: поставка по заказу {{ order.number }} переносится "
            "на {{ order.new_date|date:'j E Y' }} (было {{ order.old_date|date:'j E' }}). Причина: {{ order.reason }}.\n\n"
            "Новую дату мы подтвердили с производством и складом. До поставки будем подтверждать вам каждую неделю, "
            "что всё идёт по плану, а о любом риске сообщим сразу." + SIGN,
        ),
        "en": (
            "Order {{ order.number }}: new delivery date {{ order.new_date|date:'F j' }}, and we guarantee it",
            "Hello {{ contact.name }},\n\nWe are telling you early: the delivery of order {{ order.number }} moves to "
            "{{ order.new_date|date:'F j, Y' }} (it was {{ order.old_date|date:'F j' }}). Why: {{ order.reason }}.\n\n"
            "We have confirmed the new date with production and the warehouse. Until delivery we will confirm every "
            "week that all is on track, and tell you at once of any risk." + SIGN,
        ),
    },
    ("delivery_moved", 4): {
        "ru": (
            "{{ contact.first_name|default:contact.name }}, простите: заказ {{ order.number }} задерживается",
            "{{ contact.name }}, здравствуйте!\n\nМне очень жаль, но поставка по заказу {{ order.number }} переносится "
            "на {{ order.new_date|date:'j E' }} (было {{ order.old_date|date:'j E' }}). Причина: {{ order.reason }}.\n\n"
            "Я позвоню вам, чтобы всё объяснить и обсудить, как вам удобнее. Можно и по видео." + SIGN,
        ),
        "en": (
            "{{ contact.first_name|default:contact.name }}, I am sorry: order {{ order.number }} is delayed",
            "Dear {{ contact.name }},\n\nI am truly sorry: the delivery of order {{ order.number }} moves to "
            "{{ order.new_date|date:'F j' }} (it was {{ order.old_date|date:'F j' }}). Why: {{ order.reason }}.\n\n"
            "I will call you to explain and agree what suits you best; a video call works too." + SIGN,
        ),
    },
    ("delivery_at_risk", 3): {
        "ru": (
            "Заказ {{ order.number }}: предупреждаем заранее",
            "Здравствуйте, {{ contact.name }}!\n\nПредупреждаем заранее: заказ {{ order.number }} должен прибыть "
            "{{ order.promised_date|date:'j E' }}, но ещё не отгружен. Мы уже выясняем причину и в течение дня "
            "сообщим точную дату и что делаем, чтобы её выдержать." + SIGN,
        ),
        "en": (
            "Order {{ order.number }}: an early warning",
            "Hello {{ contact.name }},\n\nAn early warning: order {{ order.number }} is due on "
            "{{ order.promised_date|date:'F j' }} but has not shipped yet. We are finding out why and will tell you "
            "today the exact date and what we do to keep it." + SIGN,
        ),
    },
    ("delivery_at_risk", 4): {
        "ru": (
            "{{ contact.first_name|default:contact.name }}, держу вас в курсе по заказу {{ order.number }}",
            "{{ contact.name }}, здравствуйте!\n\nЗаказ {{ order.number }} ожидается {{ order.promised_date|date:'j E' }}, "
            "но пока не отгружен. Я лично слежу за ним и позвоню вам, как только узнаю точную дату." + SIGN,
        ),
        "en": (
            "{{ contact.first_name|default:contact.name }}, keeping you posted on order {{ order.number }}",
            "Dear {{ contact.name }},\n\nOrder {{ order.number }} is due on {{ order.promised_date|date:'F j' }} but has "
            "not shipped yet. I am following it myself and will call you as soon as I know the exact date." + SIGN,
        ),
    },
    ("order_on_track", 3): {
        "ru": (
            "Заказ {{ order.number }} идёт по плану: поставка {{ order.promised_date|date:'j E' }}",
            "Здравствуйте, {{ contact.name }}!\n\nЕженедельное подтверждение: заказ {{ order.number }} идёт по плану, "
            "поставка {{ order.promised_date|date:'j E Y' }} подтверждена. Рисков для срока сейчас нет; если появятся, "
            "мы сообщим вам заранее.{% if client_page %}\n\nВсе ваши заказы, сроки и качество нашей работы — в вашем "
            "отчёте: {{ client_page.url }}{% endif %}" + SIGN,
        ),
        "en": (
            "Order {{ order.number }} is on track: delivery on {{ order.promised_date|date:'F j' }}",
            "Hello {{ contact.name }},\n\nYour weekly confirmation: order {{ order.number }} is on track and delivery on "
            "{{ order.promised_date|date:'F j, Y' }} is confirmed. There is no risk to the date now; should one appear, "
            "you will hear it from us early.{% if client_page %}\n\nAll your orders, dates and the quality of our work "
            "are in your report: {{ client_page.url }}{% endif %}" + SIGN,
        ),
    },
    ("survey_invitation", 1): {
        "ru": (
            "{{ contact.first_name|default:contact.name }}, ваше мнение для нас решающее",
            "{{ contact.name }}, здравствуйте!\n\nВы знаете, как должно быть, и нам важно услышать это от вас. "
            "Пара минут: как мы работаем, что исправить — и кого из наших сотрудников наградить, наказать или "
            "обучить.\n\n{{ survey.url }}" + SIGN,
        ),
        "en": (
            "{{ contact.first_name|default:contact.name }}, your view decides",
            "Dear {{ contact.name }},\n\nYou know how things should be, and we want to hear it from you. Two minutes: "
            "how we work, what to fix, and whom of our staff to reward, penalise or train.\n\n{{ survey.url }}" + SIGN,
        ),
    },
}

OLD_PROPOSAL = {
    "ru": "Здравствуйте, {{ contact.name }}!\n\nНаправляю обещанный документ: «{{ link.title }}».\n"
    "Открыть: {{ link.url }}\n\nБуду рад ответить на вопросы." + SIGN,
    "en": "Hello {{ contact.name }},\n\nHere is the document I promised: “{{ link.title }}”.\nOpen it: {{ link.url }}\n\n"
    "Happy to answer any questions." + SIGN,
}
COMPARISON = {"ru": COMPARISON_RU, "en": COMPARISON_EN}


def install(apps, schema_editor):
    MessageTemplate = apps.get_model("crm", "MessageTemplate")
    for (kind, behaviour_type), languages in TEMPLATES.items():
        for language, (subject, body) in languages.items():
            MessageTemplate.objects.get_or_create(
                kind=kind,
                language=language,
                behaviour_type=behaviour_type,
                defaults={"subject": subject, "body": body},
            )
    # The general proposal shows a comparison table when one is sent with it; a template someone edited is theirs.
    for language, body in OLD_PROPOSAL.items():
        MessageTemplate.objects.filter(kind="proposal", language=language, behaviour_type=None, body=body).update(
            body=body.replace(SIGN, COMPARISON[language] + SIGN)
        )


class Migration(migrations.Migration):
    dependencies = [("crm", "0029_standards_and_references")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
