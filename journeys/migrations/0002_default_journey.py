"""The default journey of DOMAIN §7: six stages, their touchpoints, and the rules that move accounts."""

from django.db import migrations

STAGES = [
    ("awareness", "Осведомлённость", "Awareness", "Learns of the need and of us: lead source, first touch."),
    ("consideration", "Рассмотрение", "Consideration", "Compares, studies us: materials, a demo or a consultation."),
    ("decision", "Решение", "Decision", "Chooses a supplier: proposal, meeting, deal; response speed, cycle length."),
    (
        "purchase",
        "Покупка и внедрение",
        "Purchase / implementation",
        "Order, delivery, installation, training: on time, CSAT of the process, support requests.",
    ),
    ("usage", "Использование и лояльность", "Usage / loyalty", "Uses and gets value: CSAT, NPS, repeat orders, CLV."),
    ("advocacy", "Рекомендации", "Advocacy", "Recommends us: referrals, testimonials, case studies."),
]
TOUCHPOINTS = {
    "awareness": [("Заявка с сайта", "Website form", "website_form")],
    "consideration": [("Демо или консультация", "Demo or consultation", "demo")],
    "decision": [("Отправлено КП", "Proposal sent", "proposal"), ("Встреча", "Meeting", "meeting")],
    "purchase": [
        ("Поставка", "Delivery", "delivery"),
        ("Монтаж", "Installation", "installation"),
        ("Обучение", "Training", "training"),
    ],
    "usage": [("Звонок в поддержку", "Support call", "support_call"), ("Опрос", "Survey", "survey")],
    "advocacy": [("Рекомендация или отзыв", "Referral or testimonial", "referral")],
}
RULES = [
    ("interaction", "awareness"),
    ("touchpoint", None),
    ("proposal_sent", "decision"),
    ("order", "purchase"),
    ("order_delivered", "usage"),
    ("referral", "advocacy"),
    ("promoter_answer", "advocacy"),
]


def default_journey(apps, schema_editor):
    Journey, Stage = apps.get_model("journeys", "Journey"), apps.get_model("journeys", "Stage")
    Touchpoint, TransitionRule = apps.get_model("journeys", "Touchpoint"), apps.get_model("journeys", "TransitionRule")
    if Journey.objects.filter(is_default=True).exists():
        return
    journey = Journey.objects.create(name_ru="Путь клиента", name_en="Customer journey", is_default=True)
    stages = {}
    for position, (code, name_ru, name_en, purpose) in enumerate(STAGES, start=1):
        stages[code] = Stage.objects.create(
            journey=journey, code=code, position=position, name_ru=name_ru, name_en=name_en, purpose=purpose
        )
        for number, (tp_ru, tp_en, channel) in enumerate(TOUCHPOINTS[code], start=1):
            Touchpoint.objects.create(
                stage=stages[code], name_ru=tp_ru, name_en=tp_en, channel=channel, position=number
            )
    for event, code in RULES:
        TransitionRule.objects.create(journey=journey, event=event, to_stage=stages.get(code))


class Migration(migrations.Migration):
    dependencies = [("journeys", "0001_initial")]

    operations = [migrations.RunPython(default_journey, migrations.RunPython.noop)]
