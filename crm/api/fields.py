"""The API's date, date-time and related-row fields, and the ModelSerializer base every serializer takes them from."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# The years a date may fall in, anywhere a client or a provider gives one: API fields, filters, webhooks.
SUPPORTED_YEARS = range(1900, 2200)
YEAR_OUT_OF_RANGE = _("Give a date between the years 1900 and 2199.")


class DateTimeField(serializers.DateTimeField):
    """A date-time between 1900 and 2199. Nothing a client means lies outside, and far outside it Python's time
    zones give offsets in seconds (Moscow in the year 745: +02:30:17), which no RFC 3339 reader accepts back."""

    default_error_messages = {"out_of_range": YEAR_OUT_OF_RANGE}

    def to_internal_value(self, value):
        try:
            parsed = super().to_internal_value(value)
        except OverflowError:  # the year 1 or 9999 moved into a time zone
            self.fail("out_of_range")
        if parsed.year not in SUPPORTED_YEARS:
            self.fail("out_of_range")
        return parsed


class DateField(serializers.DateField):
    """A day between 1900 and 2199: a period reaching further overflows the dates computed from it."""

    default_error_messages = {"out_of_range": YEAR_OUT_OF_RANGE}

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if parsed.year not in SUPPORTED_YEARS:
            self.fail("out_of_range")
        return parsed


MAX_ID = 2**63 - 1  # the widest id column (a bigint): past it a lookup overflows in the database


class PrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A row by its id. An id past any id column's range "does not exist", like any unknown id, instead of
    overflowing in the database (a 500 on both SQLite and PostgreSQL)."""

    def to_internal_value(self, data):
        try:
            in_range = 0 < int(data) <= MAX_ID
        except (TypeError, ValueError):
            in_range = True  # not a number at all: DRF says so itself
        except OverflowError:  # infinity
            in_range = False
        if not in_range:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class ModelSerializer(serializers.ModelSerializer):
    serializer_related_field = PrimaryKeyRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
        models.DateField: DateField,
    }
