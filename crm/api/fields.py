"""The API's date and date-time fields, and the ModelSerializer base every serializer takes them from."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class DateTimeField(serializers.DateTimeField):
    """A date-time between 1900 and 2199. Nothing a client means lies outside, and far outside it Python's time
    zones give offsets in seconds (Moscow in the year 745: +02:30:17), which no RFC 3339 reader accepts back."""

    default_error_messages = {"out_of_range": _("Give a date between the years 1900 and 2199.")}

    def to_internal_value(self, value):
        try:
            parsed = super().to_internal_value(value)
        except OverflowError:  # the year 1 or 9999 moved into a time zone
            self.fail("out_of_range")
        if not 1900 <= parsed.year <= 2199:
            self.fail("out_of_range")
        return parsed


class DateField(serializers.DateField):
    """A day between 1900 and 2199: a period reaching further overflows the dates computed from it."""

    default_error_messages = {"out_of_range": _("Give a date between the years 1900 and 2199.")}

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not 1900 <= parsed.year <= 2199:
            self.fail("out_of_range")
        return parsed


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
        models.DateField: DateField,
    }
