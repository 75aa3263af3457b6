"""Phone numbers: one normal form (E.164) for storing, searching and telephony lookups.

"+7 916 123-45-67", "8 (916) 123-45-67", "89161234567", "79161234567" and "9161234567"
are all +79161234567. Extensions ("доб. 123", "ext. 123") are kept apart.
"""

import re
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_LEADING_00 = re.compile(r"^\s*00(?=\s*[1-9])")


@dataclass(frozen=True)
class NormalizedPhone:
    e164: str
    extension: str


# A Russian number written the usual ways: +7, 8, 7 or nothing, then ten digits with spaces, dashes or brackets.
_RUSSIAN_PLAIN = re.compile(r"(?:\+7|8|7)?[\s\-()]*(\d{3})[\s\-()]*(\d{3})[\s\-]*(\d{2})[\s\-]*(\d{2})")


def _russian_plain(text: str) -> NormalizedPhone | None:
    """The usual Russian writings without phonenumbers' parser, four fifths of its cost (a move-in parses a
    million numbers). The same answer as the full path (tests/test_properties.py); None sends anything else there."""
    match = _RUSSIAN_PLAIN.fullmatch(text)
    if match is None:
        return None
    national = "".join(match.groups())
    if not phonenumbers.is_valid_number(phonenumbers.PhoneNumber(country_code=7, national_number=int(national))):
        return None  # the full path says what is wrong, in its words
    return NormalizedPhone(e164=f"+7{national}", extension="")


def phone_normalize(raw: str, *, region: str | None = None) -> NormalizedPhone:
    """Return the E.164 form and the extension of `raw`, or raise ValidationError."""
    region = region or settings.CRM_PHONE_DEFAULT_REGION
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a phone number."), code="phone_empty")
    if region == "RU" and (plain := _russian_plain(text)):
        return plain
    if len(text) > 64:
        raise ValidationError(_("A phone number cannot be longer than 64 characters."), code="phone_too_long")
    # "00" is the international prefix almost everywhere, but phonenumbers only knows
    # Russia's old "810" for region RU.
    text = _LEADING_00.sub("+", text)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("“%(value)s” is not a phone number. Use a format like +7 916 123-45-67."),
            code="phone_invalid",
            params={"value": raw},
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number: check the number of digits and the country code."),
            code="phone_invalid",
            params={"value": raw},
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return NormalizedPhone(e164=e164, extension=number.extension or "")


def phone_try_normalize(raw: str) -> str | None:
    """E.164 for searches: None when `raw` is not a phone number (it may be a name)."""
    if not raw or sum(ch.isdigit() for ch in raw) < 5:
        return None
    try:
        return phone_normalize(raw).e164
    except ValidationError:
        return None


def phone_format_display(e164: str) -> str:
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
