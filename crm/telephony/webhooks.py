"""What every provider webhook shares: finding the connection from the URL, and parsing its times."""

from datetime import datetime

from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from crm.models.telephony import TelephonyConnection
from crm.recent import recent_match


def connection_for(webhook_key: str, provider: str) -> TelephonyConnection:
    connection = recent_match(TelephonyConnection, webhook_key=webhook_key, provider=provider, is_active=True)
    if connection is None:
        raise Http404("Unknown telephony connection")
    return connection


def provider_time(value: str) -> datetime | None:
    """ "2026-11-23 10:00:00" in the PBX's (our) time zone, or None when missing or garbled."""
    parsed = parse_datetime(value.strip()) if value else None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def public_url(request, connection: TelephonyConnection) -> str:
    """The URL the provider called, as it saw it: behind a proxy, the connection's public base URL."""
    if connection.public_base_url:
        return connection.public_base_url.rstrip("/") + request.get_full_path()
    return request.build_absolute_uri()
