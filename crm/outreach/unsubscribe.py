"""Signed, login-free unsubscribe links: one contact, the purpose and channel of the message it came with."""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

_SALT = "crm.outreach.unsubscribe"


@dataclass(frozen=True)
class UnsubscribeLink:
    contact_id: int
    purpose: str
    channel: str


def unsubscribe_token_make(*, contact_id: int, purpose: str, channel: str) -> str:
    return signing.dumps([contact_id, purpose, channel], salt=_SALT, compress=True)


def unsubscribe_token_read(token: str) -> UnsubscribeLink:
    """Raises signing.SignatureExpired or signing.BadSignature for an old or tampered link."""
    value = signing.loads(token, salt=_SALT, max_age=settings.CRM_UNSUBSCRIBE_LINK_MAX_AGE_DAYS * 86400)
    if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], int)):
        raise signing.BadSignature("Unexpected unsubscribe payload")
    return UnsubscribeLink(*value)


def unsubscribe_url(*, contact_id: int, purpose: str, channel: str) -> str:
    token = unsubscribe_token_make(contact_id=contact_id, purpose=purpose, channel=channel)
    return settings.CRM_PUBLIC_BASE_URL.rstrip("/") + reverse("crm_unsubscribe", args=[token])
