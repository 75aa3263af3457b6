"""Word lists for realistic demo data, in Russian and English."""

INDUSTRIES = [
    "Металлургия",
    "Пищевая промышленность",
    "Логистика",
    "Машиностроение",
    "Дистрибуция",
    "Строительство",
    "Маркетинговые агентства",
    "Информационные технологии",
]
LEAD_SOURCES = ["Сайт", "Рекомендация", "Выставка", "Холодный звонок", "Тендер", "LinkedIn", "Партнёр"]
# (lead source, the number its campaign publishes, where): call tracking (`telephony_simulate --dialled`).
TRACKING_NUMBERS = [
    ("Выставка", "+74951112233", "стенд и каталог выставки «Металлообработка»"),
    ("Сайт", "+74951112244", "шапка сайта"),
]
CATEGORIES = {
    "Станки": ["Токарный станок ТВ-320", "Фрезерный станок ФС-85", "Сверлильный станок 2Н125"],
    "Запчасти": ["Подшипник 6205", "Ремень приводной A-1250", "Фильтр гидравлический"],
    "Упаковка": ["Стрейч-плёнка 500 мм", "Гофрокороб 600×400", "Паллета EUR"],
    "Сервис": ["Пусконаладка", "Плановое ТО", "Выездная диагностика"],
    "Обучение": ["Обучение операторов", "Курс по технике безопасности"],
    "Программное обеспечение": ["Лицензия мониторинга парка", "Модуль предиктивного обслуживания"],
    "Расходные материалы": ["Смазка Литол-24", "Масло И-40А", "Ветошь техническая"],
    "Металлопрокат": ["Лист стальной 2 мм", "Арматура А500С 12 мм", "Труба 57×3,5"],
}
# Gross margin per category, %: service and training earn more than machines; the rest use the company's.
CATEGORY_MARGINS = {"Станки": 22, "Сервис": 55, "Обучение": 60, "Программное обеспечение": 70}
RU_COMPANY_WORDS = [
    "Ромашка",
    "Вектор",
    "Северсталь-Сервис",
    "Техностандарт",
    "Уралмаш-Комплект",
    "Волга-Логистик",
    "Агроимпульс",
    "Промресурс",
    "Спектр",
    "Гранит",
    "Меридиан",
    "Альфа-Пак",
    "Сибирский хлеб",
    "ТрансЛайн",
    "Энергомаш",
    "Стройинвест",
    "Балтика-Снаб",
    "Кристалл",
    "Омега",
    "Прогресс",
    "Медведь",
    "Фортуна",
    "Нева-Металл",
    "Дельта",
]
RU_FORMS = ["ООО «{}»", "АО «{}»", "ПАО «{}»", "ООО ТД «{}»", "ИП {}"]
EN_COMPANY_WORDS = ["Northwind", "Atlas", "Bluewater", "Ironbridge", "Greenfield", "Summit", "Crescent", "Harbor"]
EN_FORMS = ["{} Ltd", "{} Logistics LLC", "{} Industries", "{} Trading GmbH"]
RU_MALE = ["Иван", "Сергей", "Алексей", "Дмитрий", "Андрей", "Михаил", "Николай", "Павел", "Олег", "Игорь"]
RU_FEMALE = ["Анна", "Елена", "Ольга", "Мария", "Наталья", "Татьяна", "Ирина", "Светлана", "Екатерина"]
RU_PATRONYMIC_ROOTS = ["Иван", "Петр", "Сергее", "Алексее", "Николае", "Михайл", "Андрее", "Владимир"]
RU_LAST = ["Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Морозов", "Волков", "Лебедев"]
EN_FIRST = ["John", "Emily", "Michael", "Sarah", "David", "Laura", "James", "Anna"]
EN_LAST = ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Clark", "Walker", "Young"]
RU_POSITIONS = [
    "Генеральный директор",
    "Директор по закупкам",
    "Главный инженер",
    "Менеджер по снабжению",
    "Финансовый директор",
    "Начальник производства",
    "Логист",
]
EN_POSITIONS = ["CEO", "Head of Procurement", "Chief Engineer", "Operations Manager", "CFO"]
SUBJECTS_RU = [
    "Сроки поставки",
    "Коммерческое предложение",
    "Счёт на оплату",
    "Рекламация по партии",
    "Плановое ТО",
    "Согласование договора",
    "Обучение персонала",
    "Уточнение спецификации",
]
SUBJECTS_EN = ["Delivery schedule", "Commercial proposal", "Invoice", "Quality claim", "Contract review"]
OUTCOMES_RU = ["Договорились о встрече", "Отправили КП", "Клиент думает", "Подтвердили сроки", "Нужна повторная связь"]
PROMISES_RU = [
    "Отправить договор",
    "Перезвонить с ответом по ценам",
    "Прислать акт сверки",
    "Подтвердить дату отгрузки",
    "Ответить на рекламацию в течение 24 часов",
    "Согласовать график ТО",
]
DELAY_REASONS_RU = [
    "Задержка у поставщика комплектующих",
    "Таможенное оформление",
    "Перегруз склада",
    "Нехватка транспорта",
    "Брак партии, замена",
]
MANAGERS = [
    ("ivanova", "Мария", "Иванова", "Sales Moscow"),
    ("petrov", "Павел", "Петров", "Sales Moscow"),
    ("smirnova", "Елена", "Смирнова", "Sales Moscow"),
    ("kuznetsov", "Олег", "Кузнецов", "Sales Ural"),
    ("volkova", "Ирина", "Волкова", "Sales Ural"),
    ("morozov", "Дмитрий", "Морозов", "Key accounts"),
    ("smith", "John", "Smith", "Key accounts"),
    ("lebedeva", "Анна", "Лебедева", "Service"),
]
DEPARTMENT_HEADS = {
    "Sales Moscow": "ivanova",
    "Sales Ural": "kuznetsov",
    "Key accounts": "morozov",
    "Service": "lebedeva",
}

# Which shipped professional holiday (crm/migrations/0004) each demo industry celebrates.
INDUSTRY_HOLIDAYS = {
    "Металлургия": "Metallurgists' Day",
    "Машиностроение": "Machine Builders' Day",
    "Строительство": "Builders' Day",
    "Пищевая промышленность": "Food Industry Workers' Day",
    "Дистрибуция": "Trade Workers' Day",
}
DEMO_CAMPAIGN = {
    "name": "Бесплатный вебинар по новым функциям станков",
    "status": "active",
    "subject_ru": "Бесплатный вебинар: новые функции ваших станков",
    "body_ru": "Здравствуйте, {{ contact.name }}!\n\nВ четверг в 11:00 покажем, как новые режимы ЧПУ сокращают "
    "время наладки. Участие бесплатное — просто ответьте на это письмо.\n\n{{ manager.signature }}",
    "subject_en": "Free webinar: new features of your machine tools",
    "body_en": "Hello {{ contact.name }},\n\nOn Thursday at 11:00 we will show how the new CNC modes cut set-up "
    "time. It is free: just reply to this message.\n\n{{ manager.signature }}",
}
DEMO_CAMPAIGN_CATEGORY = "Станки"
DEMO_PROPOSAL_TITLE = "Коммерческое предложение на модернизацию линии"
DEMO_PROPOSAL_URL = "https://example.com/files/proposal.pdf"
# What managers write after talking to a person of each behaviour type (DOMAIN §5): the lexicons find these.
BEHAVIOUR_NOTES_RU = {
    1: [
        "Клиент в восторге от прошлой поставки, лично поблагодарил команду. Решение принимаю я, сказал он.",
        "Настаивает на лучших условиях: для них важен престиж, хотят статус ключевого клиента.",
        "Очень приятно поговорили, рады сотрудничеству. Требует, чтобы его консультировали до изменений.",
    ],
    2: [
        "Попросил таблицу сравнения вариантов и расчет экономии за год, по существу и без лишних слов.",
        "Интересует окупаемость и конкретные цифры. Я решаю сам, но нужна смета с выгодой.",
        "Обсуждали оптимизацию закупок: хочет видеть цифры и расчет по каждому варианту.",
    ],
    3: [
        "Спокойно, без эмоций спрашивал про гарантии и надежность сроков: сомневаемся после прошлого опыта.",
        "Нужны отзывы и примеры работ, ссылки на ГОСТ, конкретно по срокам. Посоветуюсь с руководством.",
        "Без эмоций просит подтверждение каждой отгрузки: боимся срыва сроков, риск для производства.",
    ],
    4: [
        "Долго говорили о жизни, очень душевно. Не уверен, подойдет ли вариант, переживаем за запуск.",
        "Рады, что звоним лично. Волнуюсь, сказала она, как пройдет монтаж: нужна поддержка.",
        "Обидно за задержку, но спасибо огромное за заботу. Не уверен в сроках, посоветуюсь с коллегами.",
    ],
}
BEHAVIOUR_NOTES_EN = {
    1: ["Thrilled with the last delivery. I decide here, he said, and expects top priority."],
    2: ["Asked for a comparison table and the savings in figures, straight to the point."],
    3: ["Calm, wants the figures, a guarantee on dates and references; not sure yet, will check with my boss."],
    4: ["Delighted we called personally, but worried about the launch and not sure about the timing."],
}

# Type 3 clients' documents cite these (DOMAIN §5); the numbers are real standards of such products.
CATEGORY_STANDARDS = {
    "Металлопрокат": "ГОСТ 19903-2015; ГОСТ 34028-2016; ГОСТ 8732-78",
    "Станки": "ГОСТ 12.2.009-99; ТУ 3811-001-12345678-2020",
    "Расходные материалы": "ГОСТ 21150-2017; ГОСТ 20799-2022",
}
# (kind, title, url, language or "")
REFERENCES = [
    ("completed_work", "Модернизация токарного участка «Уралмаш-Комплект»", "https://example.com/cases/uralmash/", ""),
    ("testimonial", "Отзыв главного механика «Северсталь-Сервис»", "https://example.com/reviews/severstal.pdf", "ru"),
    (
        "testimonial",
        "What the chief engineer of Volga Logistics says",
        "https://example.com/reviews/volga-en.pdf",
        "en",
    ),
]
# (serving department, receiving department, deliverable, deadline in days, completeness, format)
INTERNAL_SERVICES = [
    (
        "Service",
        "Sales Moscow",
        "Техническое заключение по линии клиента",
        3,
        "Состояние оборудования, риски, рекомендации с ценами",
        "PDF по почте",
    ),
    ("Service", "Key accounts", "План ТО на квартал", 5, "Все единицы клиента с датами и исполнителями", "XLSX"),
    ("Sales Moscow", "Service", "Подтверждённый график поставок", 2, "Каждый заказ с датой и номером", "XLSX"),
]

# Wow moments (DOMAIN §2.6): small surprises beyond what was owed.
WOW_SUBJECTS_RU = [
    "Отгрузили на неделю раньше обещанного",
    "Прислали статью о продлении ресурса шпинделя",
    "Бесплатно обучили нового оператора",
    "Помогли с наладкой сверх договора",
]
WOW_SUBJECTS_EN = [
    "Shipped a week earlier than promised",
    "Sent an article on extending spindle life",
    "Trained a new operator free of charge",
    "Helped with the set-up beyond the contract",
]
