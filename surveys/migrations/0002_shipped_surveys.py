"""The four surveys ready to use (nps, csat, ces, relationship), the closed-loop rules, and the words
of invitations, reminders, "you asked, we did" and case alerts in Russian and English."""

from django.db import migrations

TEN_LOW = ("1 — совсем нет", "1 — not at all")
TEN_HIGH = ("10 — полностью", "10 — completely")

# slug: (kind, title ru, title en, trigger, extra fields, questions)
# question: (code, type, metric, scale, required, text ru, text en, (low ru, low en), (high ru, high en))
SURVEYS = {
    "nps": (
        "nps",
        "Порекомендуете ли вы нас?",
        "Would you recommend us?",
        "manual",
        {"cadence_days": 90},
        [
            ("recommend", "scale", "nps", (0, 10), True,
             "Насколько вероятно, что вы порекомендуете нас коллеге?",
             "How likely are you to recommend us to a colleague?",
             ("0 — точно нет", "0 — not at all likely"), ("10 — обязательно", "10 — extremely likely")),
            ("reason", "text", "", None, False,
             "Что больше всего повлияло на вашу оценку?",
             "What is the main reason for your score?", ("", ""), ("", "")),
        ],
    ),
    "csat": (
        "csat",
        "Как мы решили ваш вопрос?",
        "How did we handle your request?",
        "service_request_resolved",
        {"cadence_days": 30, "delay_hours": 2},
        [
            ("satisfaction", "scale", "csat", (1, 5), True,
             "Насколько вы довольны тем, как мы решили ваш вопрос?",
             "How satisfied are you with how we handled your request?",
             ("1 — совсем не доволен", "1 — very dissatisfied"), ("5 — очень доволен", "5 — very satisfied")),
        ],
    ),
    "ces": (
        "ces",
        "Легко ли было работать с нами?",
        "Was it easy to work with us?",
        "order_delivered",
        {"cadence_days": 60, "delay_hours": 24},
        [
            ("effort", "scale", "ces", (1, 5), True,
             "Насколько легко было оформить и получить заказ?",
             "How easy was it to place and receive your order?",
             ("1 — очень трудно", "1 — very difficult"), ("5 — очень легко", "5 — very easy")),
        ],
    ),
    "relationship": (
        "relationship",
        "Ежемесячный опрос: как мы работаем?",
        "Monthly survey: how are we doing?",
        "cadence",
        {"cadence_days": 30, "reminders": 2},
        [
            ("result", "scale", "", (1, 10), False,
             "Получаете ли вы от нас тот результат, который ожидаете?",
             "Do you get the result you expect from us?", TEN_LOW, TEN_HIGH),
            ("understanding", "scale", "", (1, 10), False,
             "Понимаете ли вы, что делают наши специалисты на вашем проекте и что они внедряют?",
             "Do you understand what our specialists do on your project and what they introduce?", TEN_LOW, TEN_HIGH),
            ("service_quality", "scale", "", (1, 10), False,
             "Как вы оцениваете качество нашего сервиса?",
             "How do you rate the quality of our service?", TEN_LOW, TEN_HIGH),
            ("recommend", "scale", "nps", (1, 10), False,
             "Насколько вероятно, что вы порекомендуете нас друзьям или коллегам?",
             "How likely are you to recommend us to friends or colleagues?", TEN_LOW, TEN_HIGH),
            ("fix_three", "text", "", None, False,
             "Назовите 3 вещи, которые нам стоит исправить, и где вы видите точки роста",
             "Name 3 things we should fix, and where you see room for us to grow", ("", ""), ("", "")),
            ("like_three", "text", "", None, False,
             "Назовите 3 вещи, которые вам нравятся в работе с нами",
             "Name 3 things you like in working with us", ("", ""), ("", "")),
            ("talk_to_owner", "yes_no", "", None, False,
             "Я хочу поговорить с владельцем / руководителем компании напрямую",
             "I want to talk to the owner / head of the company directly", ("", ""), ("", "")),
        ],
    ),
}

RULES = [
    # reason, threshold, owner, urgent, due hours
    ("nps_detractor", 6, "manager", False, 48),
    ("low_csat", 2, "manager", False, 48),
    ("red_relationship", None, "manager", False, 48),
    ("talk_to_owner", None, "company_head", True, 24),
]

SIGN = "\n\n{{ manager.signature }}"
SCORES = (
    "{% if survey.scores %}{{ survey.question }}\n"
    "({{ survey.low_label }} … {{ survey.high_label }})\n"
    "{% for option in survey.scores %}{{ option.score }}: {{ option.url }}\n{% endfor %}\n{% endif %}"
)
TEMPLATES = {
    "survey_invitation": (
        ("{{ survey.title }}",
         "Здравствуйте, {{ contact.name }}!\n\nНам важно, как вам работается с нами. Ответ займёт пару минут: "
         "нажмите на оценку или откройте весь опрос.\n\n" + SCORES
         + "Весь опрос: {{ survey.url }}\nСсылка действует до {{ survey.expires_at|date:'j E' }}." + SIGN),
        ("{{ survey.title }}",
         "Hello {{ contact.name }},\n\nWe would like to know how working with us feels. It takes two minutes: "
         "click a score, or open the whole survey.\n\n" + SCORES
         + "The whole survey: {{ survey.url }}\nThe link works until {{ survey.expires_at|date:'F j' }}." + SIGN),
    ),
    "survey_reminder": (
        ("Напоминание: {{ survey.title }}",
         "Здравствуйте, {{ contact.name }}!\n\nНедавно мы спросили, как вам работается с нами. Если найдёте пару "
         "минут, нам очень поможет ваш ответ.\n\n" + SCORES
         + "Весь опрос: {{ survey.url }}\nСсылка действует до {{ survey.expires_at|date:'j E' }}." + SIGN),
        ("Reminder: {{ survey.title }}",
         "Hello {{ contact.name }},\n\nWe recently asked how working with us feels. If you have two minutes, "
         "your answer would help us a lot.\n\n" + SCORES
         + "The whole survey: {{ survey.url }}\nThe link works until {{ survey.expires_at|date:'F j' }}." + SIGN),
    ),
    "feedback_done": (
        ("Вы просили — мы сделали",
         "Здравствуйте, {{ contact.name }}!\n\n{{ feedback.date|date:'j E' }} вы написали нам: "
         "«{{ feedback.text }}»\n\nЧто мы сделали: {{ feedback.done_note }}\n\n"
         "Спасибо, что помогаете нам становиться лучше." + SIGN),
        ("You asked, we did",
         "Hello {{ contact.name }},\n\nOn {{ feedback.date|date:'F j' }} you wrote to us: "
         "“{{ feedback.text }}”\n\nWhat we did: {{ feedback.done_note }}\n\nThank you for helping us get better." + SIGN),
    ),
    "case_opened": (
        ("{% if case.urgent %}СРОЧНО: {% endif %}Клиент ждёт звонка: {{ account.name }}",
         "{{ user.name }}, ответ в опросе требует вашего внимания.\n\n{{ case.summary }}\nПричина: {{ case.reason }}\n"
         "Связаться с клиентом до: {{ case.due_at|date:'d.m.Y H:i' }}\n\n{{ case.url }}"),
        ("{% if case.urgent %}URGENT: {% endif %}A client is waiting for a call: {{ account.name }}",
         "{{ user.name }}, a survey answer needs you.\n\n{{ case.summary }}\nReason: {{ case.reason }}\n"
         "Contact the client by: {{ case.due_at|date:'Y-m-d H:i' }}\n\n{{ case.url }}"),
    ),
    "case_overdue": (
        ("Просрочен кейс обратной связи: {{ account.name }}",
         "{{ user.name }}, по кейсу «{{ case.summary }}» никто не связался с клиентом до "
         "{{ case.due_at|date:'d.m.Y H:i' }}. Ответственный: {{ owner.name }}.\n\n{{ case.url }}"),
        ("Feedback case overdue: {{ account.name }}",
         "{{ user.name }}, nobody contacted the client about “{{ case.summary }}” by "
         "{{ case.due_at|date:'Y-m-d H:i' }}. Owner: {{ owner.name }}.\n\n{{ case.url }}"),
    ),
}


def install(apps, schema_editor):
    Survey = apps.get_model("surveys", "Survey")
    Question = apps.get_model("surveys", "Question")
    FeedbackRule = apps.get_model("surveys", "FeedbackRule")
    MessageTemplate = apps.get_model("crm", "MessageTemplate")
    for slug, (kind, title_ru, title_en, trigger, extra, questions) in SURVEYS.items():
        survey, created = Survey.objects.get_or_create(
            slug=slug, defaults={"kind": kind, "title_ru": title_ru, "title_en": title_en, "trigger": trigger, **extra}
        )
        if not created:
            continue
        for position, (code, type_, metric, scale, required, text_ru, text_en, low, high) in enumerate(questions):
            Question.objects.create(
                survey=survey,
                code=code,
                position=position,
                type=type_,
                metric=metric,
                scale_min=scale[0] if scale else None,
                scale_max=scale[1] if scale else None,
                required=required,
                text_ru=text_ru,
                text_en=text_en,
                low_label_ru=low[0],
                low_label_en=low[1],
                high_label_ru=high[0],
                high_label_en=high[1],
            )
    for reason, threshold, owner, urgent, due_hours in RULES:
        FeedbackRule.objects.get_or_create(
            reason=reason,
            defaults={"threshold": threshold, "owner": owner, "urgent": urgent, "due_hours": due_hours},
        )
    for kind, ((subject_ru, body_ru), (subject_en, body_en)) in TEMPLATES.items():
        for language, subject, body in (("ru", subject_ru, body_ru), ("en", subject_en, body_en)):
            MessageTemplate.objects.get_or_create(
                kind=kind, language=language, behaviour_type=None, defaults={"subject": subject, "body": body}
            )


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial"), ("crm", "0009_survey_kinds_lead_source_costs")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
