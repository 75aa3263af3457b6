"""The deep link that lets a person bind their Telegram chat to their contact: `t.me/<bot>?start=<token>`.

Telegram allows a start parameter of at most 64 characters from A-Z, a-z, 0-9, `_` and `-`
(https://core.telegram.org/bots/features#deep-linking), so the token is 24 bytes in base64url (32 characters): the
contact id (6 bytes), the day it was made (2 bytes) and an HMAC-SHA256 of both under the secret key (16 bytes).
It works for CRM_TELEGRAM_LINK_DAYS, and only binds a contact that has no chat yet (crm/outreach/telegram_bot.py):
a link read from an old message cannot take over a chat that is already bound.
"""

import base64
import hashlib
import hmac
from datetime import date

from django.conf import settings
from django.utils import timezone

_EPOCH = date(2020, 1, 1)


def _key() -> bytes:
    return hashlib.sha256(f"crm.telegram_start:{settings.SECRET_KEY}".encode()).digest()


def _mac(body: bytes) -> bytes:
    return hmac.new(_key(), body, hashlib.sha256).digest()[:16]


def telegram_start_token(contact_id: int, *, today: date | None = None) -> str:
    day = ((today or timezone.localdate()) - _EPOCH).days
    body = contact_id.to_bytes(6, "big") + day.to_bytes(2, "big")
    return base64.urlsafe_b64encode(body + _mac(body)).decode()


def telegram_start_token_read(token: str, *, today: date | None = None) -> int | None:
    """The contact id of a genuine, unexpired token; None for anything else."""
    if len(token) != 32:
        return None
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None
    body, mac = raw[:8], raw[8:]
    if len(raw) != 24 or not hmac.compare_digest(mac, _mac(body)):
        return None
    age = ((today or timezone.localdate()) - _EPOCH).days - int.from_bytes(body[6:], "big")
    if not 0 <= age <= settings.CRM_TELEGRAM_LINK_DAYS:
        return None
    return int.from_bytes(body[:6], "big")


def telegram_deep_link(contact_id: int) -> str:
    """The person's link to our bot, or "" when no bot is set up (CRM_TELEGRAM_BOT_USERNAME)."""
    if not settings.CRM_TELEGRAM_BOT_USERNAME:
        return ""
    return f"https://t.me/{settings.CRM_TELEGRAM_BOT_USERNAME}?start={telegram_start_token(contact_id)}"
