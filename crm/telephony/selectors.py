"""Reads of the telephony."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from crm.telephony.models import Call


def screen_pop_call(*, user, now: datetime | None = None):
    """The newest call ringing for this user (routed to them, not yet answered or ended), if any."""
    now = now or timezone.now()
    return (
        Call.objects.filter(
            routed_to=user,
            status=Call.Status.RINGING,
            started_at__gte=now - timedelta(seconds=settings.CRM_SCREEN_POP_SECONDS),
        )
        .select_related("contact__account__manager")
        .order_by("-started_at", "-id")
        .first()
    )
