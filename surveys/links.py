"""Survey links: signed, single-purpose, and never stored.

The token is derived from the secret key and the invitation's unique key (survey, person,
round), so the same invitation always has the same link and reminders can repeat it. The
database keeps only the token's SHA-256, and outbox messages keep a placeholder that is filled
in at the moment of sending: reading the database alone gives nobody a way to answer for a
client. The signature's salt makes the token useless anywhere else (an unsubscribe link, say).
"""

import base64
import hashlib
from functools import cache

from django.conf import settings
from django.core import signing
from django.urls import reverse

_signer = signing.Signer(salt="surveys.invitation")

# Stands for the invitation's address in a planned message until it is sent.
LINK_PLACEHOLDER = "[survey-link]"


def invitation_token(*, survey_id: int, contact_id: int, round: str) -> str:
    key = hashlib.blake2b(f"{survey_id}.{contact_id}.{round}".encode(), digest_size=12).digest()
    return _signer.sign(base64.urlsafe_b64encode(key).decode())


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_check(token: str) -> str:
    """The hash to look the invitation up by; raises signing.BadSignature for a forged token."""
    _signer.unsign(token)  # constant-time comparison of the signature
    return token_hash(token)


@cache
def _url_template(base_url: str) -> str:
    return base_url.rstrip("/") + reverse("survey_page", args=["TOKEN"])


def invitation_url(token: str) -> str:
    return _url_template(settings.CRM_PUBLIC_BASE_URL).replace("TOKEN", token)
