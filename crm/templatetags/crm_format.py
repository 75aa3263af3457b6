"""One way to show money, figures and dates on every page, in the reader's language (Russian: `87 662 094 ₽`,
`4,3`, `30.06.2026`, `5 декабря`). Templates use these filters instead of printing a Decimal as it is."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import formats, timezone

register = template.Library()

CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€", "CNY": "¥", "KZT": "₸", "BYN": "Br"}


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def crm_number(value, places=1):
    """A figure with the language's decimal mark and digit grouping; `places` decimals (whole numbers as they
    are). None and what is not a number stay as given."""
    number = _decimal(value)
    if number is None:
        return value
    places = 0 if number == number.to_integral_value() else int(places)
    # Rounded here: Django's number_format cuts the digits it does not show (6.75 would read 6.7).
    number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return formats.number_format(number, places, use_l10n=True, force_grouping=True)


@register.filter
def crm_money(value, currency="RUB"):
    """An amount with its currency sign, kopecks only when there are any: `1 250 000 ₽`, `1 250 000,50 ₽`."""
    number = _decimal(value)
    if number is None:
        return value
    shown = crm_number(number, 2)
    return f"{shown}\N{NO-BREAK SPACE}{CURRENCY_SIGNS.get(currency or 'RUB', currency)}"


@register.filter
def crm_when(value):
    """A moment in the reader's short form and time zone (`30.06.2026 14:05` in Russian); "—" for none."""
    if not value:
        return "—"
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


@register.filter
def crm_money_round(value, currency="RUB"):
    """An amount in whole units, for totals and analytics (`87 662 094 ₽`), where kopecks are noise."""
    number = _decimal(value)
    if number is None:
        return value
    return crm_money(number.quantize(Decimal(1)), currency)
