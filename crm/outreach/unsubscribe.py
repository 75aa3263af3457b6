"""Signed, login-free unsubscribe links: one contact, the purpose and channel of the message it came with."""

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core import signing
from django.urls import reverse

_signer = signing.TimestampSigner(salt="crm.outreach.unsubscribe")


@dataclass(frozen=True)
class UnsubscribeLink:
    contact_id: int
    purpose: str
    channel: str


def unsubscribe_token_make(*, contact_id: int, purpose: str, channel: str) -> str:
    # A plain signed string rather than signing.dumps(): planning signs one per message, 100,000 at a time.
    return _signer.sign(f"{contact_id}.{purpose}.{channel}")


def unsubscribe_token_read(token: str) -> UnsubscribeLink:
    """Raises signing.SignatureExpired or signing.BadSignature for an old or tampered link."""
    value = _signer.unsign(token, max_age=settings.CRM_UNSUBSCRIBE_LINK_MAX_AGE_DAYS * 86400)
    contact_id, _dot, rest = value.partition(".")
    purpose, _dot, channel = rest.partition(".")
    if not (contact_id.isdigit() and purpose and channel):
        raise signing.BadSignature("Unexpected unsubscribe payload")
    return UnsubscribeLink(int(contact_id), purpose, channel)


@cache
def _url_template(base_url: str) -> str:
    return base_url.rstrip("/") + reverse("crm_unsubscribe", args=["TOKEN"])


def unsubscribe_url(*, contact_id: int, purpose: str, channel: str) -> str:
    token = unsubscribe_token_make(contact_id=contact_id, purpose=purpose, channel=channel)
    return _url_template(settings.CRM_PUBLIC_BASE_URL).replace("TOKEN", token)
