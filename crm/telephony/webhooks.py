"""What every provider webhook shares: finding the connection from the URL, and parsing its times."""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from crm.api.fields import SUPPORTED_YEARS
from crm.recent import recent_match
from crm.telephony.models import TelephonyConnection


def connection_for(webhook_key: str, provider: str) -> TelephonyConnection:
    connection = recent_match(TelephonyConnection, webhook_key=webhook_key, provider=provider, is_active=True)
    if connection is None:
        raise Http404("Unknown telephony connection")
    return connection


def provider_time(value: str, *, field: str = "call_start") -> datetime | None:
    """ "2026-11-23 10:00:00" in the PBX's (our) time zone; None when missing. A value that is not such a time,
    or is one outside 1900-2199, is refused (a 400 naming the field)."""
    if not value or not value.strip():
        return None
    try:
        parsed = parse_datetime(value.strip())
        if parsed is not None and timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None or parsed.year not in SUPPORTED_YEARS:
        raise ValidationError({field: _("“%(value)s” is not a date and time.") % {"value": value[:40]}})
    return parsed


def provider_seconds(value: str) -> int | None:
    """A duration in whole seconds as a provider writes it ("125"); None when missing. Anything else (a
    superscript digit, "3e9", a fraction) is no duration: a 400 for the event, as for any malformed field."""
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 9:  # call_event checks the range itself
        raise ValidationError({"duration": _("A call lasts from 0 seconds to a week, in whole seconds.")})
    return int(value)


def public_url(request, connection: TelephonyConnection) -> str:
    """The URL the provider called, as it saw it: behind a proxy, the connection's public base URL."""
    if connection.public_base_url:
        return connection.public_base_url.rstrip("/") + request.get_full_path()
    return request.build_absolute_uri()


def twilio_callback_url(connection, name: str) -> str:
    base = (connection.public_base_url or settings.CRM_PUBLIC_BASE_URL).rstrip("/")
    return base + reverse(f"telephony_twilio_{name}", args=[connection.webhook_key])
