"""One way to show money, figures and dates, in the reader's language (crm/templatetags/crm_format.py)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from crm.templatetags.crm_format import crm_money, crm_money_round, crm_number, crm_when

NBSP, NARROW = "\N{NO-BREAK SPACE}", "\N{NARROW NO-BREAK SPACE}"


def plain(text: str) -> str:
    """Spaces of any width as plain spaces, to compare with what a reader sees."""
    return text.replace(NBSP, " ").replace(NARROW, " ")


@pytest.mark.parametrize(
    "language, money, kopecks, whole, figure, integral, short_date, month_day",
    [
        ("ru", "87 662 094 ₽", "1 250 000,50 ₽", "26 298 628 ₽", "4,3", "551", "30.06.2026", "5 декабря"),
        ("en", "87 662 094 ₽", "1 250 000.50 ₽", "26 298 628 ₽", "4.3", "551", "2026-06-30", "December 5"),
    ],
)
def test_money_figures_and_dates_read_the_same_way_on_every_page(
    language, money, kopecks, whole, figure, integral, short_date, month_day
):
    with translation.override(language):
        assert plain(crm_money(Decimal("87662094.00"))) == money
        assert plain(crm_money(Decimal("1250000.50"))) == kopecks
        assert plain(crm_money_round(Decimal("26298628.20"))) == whole
        assert crm_number(Decimal("4.25")) == figure  # rounded half up, not cut: 4.25 reads 4.3
        assert crm_number(Decimal("551.0")) == integral
        rendered = Template('{{ day|date:"SHORT_DATE_FORMAT" }}|{{ day|date:"MONTH_DAY_FORMAT" }}').render(
            Context({"day": date(2026, 6, 30)})
        )
        assert rendered.split("|")[0] == short_date
        december = Template('{{ day|date:"MONTH_DAY_FORMAT" }}').render(Context({"day": date(2026, 12, 5)}))
        assert december == month_day


def test_nothing_to_show_stays_as_it_is_and_a_moment_is_in_the_readers_time_zone():
    assert crm_money(None) is None and crm_number("—") == "—"
    assert crm_when(None) == "—"
    with translation.override("ru"), timezone.override("Europe/Moscow"):
        assert crm_when(datetime(2026, 6, 30, 11, 5, tzinfo=UTC)) == "30.06.2026 14:05"
