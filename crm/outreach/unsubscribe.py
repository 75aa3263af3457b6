"""Encrypted, login-free unsubscribe links: one contact, the purpose and channel of the message it came with."""

import base64
import hashlib
import time
from dataclasses import dataclass
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import signing
from django.urls import reverse

# Links sent before tokens were encrypted: still read until they expire.
_legacy_signer = signing.TimestampSigner(salt="crm.outreach.unsubscribe")


@dataclass(frozen=True)
class UnsubscribeLink:
    contact_id: int
    purpose: str
    channel: str


def _fernet_key(secret: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(f"crm.outreach.unsubscribe:{secret}".encode()).digest())


@cache
def _fernet(secret: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    """Encrypting, not only signing: a link's token says nothing of who it is for (a signed one carried the
    contact's id in clear). Keys come from SECRET_KEY, and from SECRET_KEY_FALLBACKS while a key is rotated."""
    return MultiFernet([Fernet(_fernet_key(key)) for key in (secret, *fallbacks)])


def _cipher() -> MultiFernet:
    return _fernet(settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


def unsubscribe_token_make(*, contact_id: int, purpose: str, channel: str) -> str:
    # A plain string rather than JSON: planning makes one per message, 100,000 at a time.
    return _cipher().encrypt(f"{contact_id}.{purpose}.{channel}".encode()).decode().rstrip("=")


def unsubscribe_token_read(token: str) -> UnsubscribeLink:
    """Raises signing.SignatureExpired or signing.BadSignature for an old or tampered link."""
    max_age = settings.CRM_UNSUBSCRIBE_LINK_MAX_AGE_DAYS * 86400
    if ":" in token:
        value = _legacy_signer.unsign(token, max_age=max_age)
    else:
        padded = (token + "=" * (-len(token) % 4)).encode()
        try:
            value = _cipher().decrypt(padded).decode()
        except (InvalidToken, UnicodeError, ValueError):
            raise signing.BadSignature("Unreadable unsubscribe token") from None
        if time.time() - _cipher().extract_timestamp(padded) > max_age:
            raise signing.SignatureExpired("The unsubscribe link is too old")
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
