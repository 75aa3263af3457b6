"""The behaviour lexicons shipped with the product (DOMAIN §5): a starting point that managers edit."""

from django.db import migrations

from segments.lexicon import phrase_stems

# (language, axis, leans, weight, phrases)
LEXICON = [
    ("ru", "emotional", "yes", 2, ["в восторге", "обожаем", "возмущены", "переживаем", "очень приятно", "впечатлили"]),
    ("ru", "emotional", "yes", 1, ["рады", "спасибо огромное", "волнуюсь", "обидно", "лично", "душевно", "отлично"]),
    ("ru", "emotional", "no", 2, ["таблица сравнения", "расчет экономии", "окупаемость", "по существу", "без эмоций"]),
    ("ru", "emotional", "no", 1, ["цифры", "конкретно", "экономия", "смета", "выгода", "оптимизация", "расчет", "спокойно"]),
    ("ru", "confident", "yes", 2, ["решение принимаю я", "я решаю", "настаиваю", "требую", "престиж"]),
    ("ru", "confident", "yes", 1, ["статус", "уверен", "немедленно", "лучшие условия", "сразу", "без согласований"]),
    ("ru", "confident", "no", 2, ["гарантия", "боимся", "сомневаемся", "не уверен", "посоветуюсь", "надежность"]),
    (
        "ru",
        "confident",
        "no",
        1,
        ["риск", "подтверждение", "ГОСТ", "технические условия", "отзывы", "примеры работ", "стабильность"],
    ),
    ("en", "emotional", "yes", 2, ["delighted", "thrilled", "love working", "upset", "frustrated", "impressed"]),
    ("en", "emotional", "yes", 1, ["happy", "worried", "personally", "amazing", "thank you so much", "great"]),
    ("en", "emotional", "no", 2, ["comparison table", "cost breakdown", "return on investment", "to the point"]),
    ("en", "emotional", "no", 1, ["figures", "numbers", "spreadsheet", "savings", "specifics", "optimise", "ROI", "calm"]),
    ("en", "confident", "yes", 2, ["I decide", "I insist", "we demand", "prestige", "my call"]),
    ("en", "confident", "yes", 1, ["status", "immediately", "I expect", "top priority", "best terms"]),
    ("en", "confident", "no", 2, ["guarantee", "not sure", "afraid", "check with my boss", "reliable"]),
    ("en", "confident", "no", 1, ["risk", "confirm", "references", "testimonials", "track record", "warranty"]),
]


def lexicon_load(apps, schema_editor):
    LexiconEntry = apps.get_model("segments", "LexiconEntry")
    LexiconEntry.objects.bulk_create(
        [
            LexiconEntry(
                language=language, axis=axis, leans=leans, weight=weight, phrase=phrase, stems=phrase_stems(phrase)
            )
            for language, axis, leans, weight, phrases in LEXICON
            for phrase in phrases
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("segments", "0005_behaviour")]

    operations = [migrations.RunPython(lexicon_load, migrations.RunPython.noop)]
