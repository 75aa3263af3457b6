import pytest
from django.core.exceptions import ValidationError

from crm.phones import phone_normalize


@pytest.mark.parametrize(
    "raw",
    [
        "+7 916 123-45-67",
        "8 (916) 123-45-67",
        "89161234567",
        "79161234567",
        "9161234567",
        "+7(916)1234567",
        "8-916-123-45-67",
    ],
)
def test_every_russian_way_of_writing_a_mobile_is_the_same_number(raw):
    assert phone_normalize(raw).e164 == "+79161234567"


@pytest.mark.parametrize(
    ("raw", "extension"),
    [("+7 495 123-45-67 доб. 123", "123"), ("8 (495) 123-45-67 ext. 123", "123"), ("+7 495 1234567, доб 55", "55")],
)
def test_extensions_are_kept_apart_from_the_number(raw, extension):
    normalized = phone_normalize(raw)
    assert normalized.e164 == "+74951234567"
    assert normalized.extension == extension


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("00 44 20 7946 0958", "+442079460958"),
        ("810 44 20 7946 0958", "+442079460958"),
        ("+1 650 253 0000", "+16502530000"),
        ("+49 30 901820", "+4930901820"),
    ],
)
def test_international_prefixes_and_foreign_numbers(raw, e164):
    assert phone_normalize(raw).e164 == e164


@pytest.mark.parametrize("raw", ["12345", "abc", "", "+7 916 123", "8" * 70])
def test_an_invalid_number_is_a_validation_error_with_a_message(raw):
    with pytest.raises(ValidationError) as error:
        phone_normalize(raw)
    assert error.value.messages[0]
