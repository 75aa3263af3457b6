"""Client page tokens: signed (a forged one is refused before the database is asked), derived from the secret key
and the link's random nonce, and stored only as a hash. A message carries a placeholder that is filled in at the
moment it is sent (crm/portal/services.py): neither the outbox nor the links table gives anybody a way in."""

import base64
import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse

from crm.outreach.hooks import CLIENT_PAGE_PLACEHOLDER as PAGE_PLACEHOLDER

__all__ = ["PAGE_PLACEHOLDER", "nonce_new", "page_url", "token_check", "token_for", "token_hash"]

_signer = signing.Signer(salt="crm.client_page")


def nonce_new() -> str:
    return secrets.token_urlsafe(18)


def token_for(nonce: str) -> str:
    key = hashlib.sha256(f"crm.client_page:{settings.SECRET_KEY}".encode()).digest()
    derived = hashlib.blake2b(nonce.encode(), key=key, digest_size=18).digest()
    return _signer.sign(base64.urlsafe_b64encode(derived).decode())


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_check(token: str) -> str:
    """The hash to look the link up by; raises signing.BadSignature for a forged token (constant-time check)."""
    _signer.unsign(token)
    return token_hash(token)


def page_url(token: str) -> str:
    return settings.CRM_PUBLIC_BASE_URL.rstrip("/") + reverse("client_page", args=[token])
