"""Webhook signature rules, exactly as each provider documents them.

All comparisons are constant-time and on bytes, so a signature of any characters is only a wrong one, never a 500.
"""

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from django.utils.crypto import constant_time_compare

DEFAULT_PORTS = {"https": 443, "http": 80}


def zadarma_signature(*, secret: str, signed: str) -> str:
    """base64(hex(HMAC-SHA1(secret, signed))): PHP's hash_hmac() returns hex, which Zadarma then base64-encodes."""
    digest = hmac.new(secret.encode(), signed.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(digest.encode()).decode()


def twilio_signature(*, auth_token: str, url: str, params: Mapping[str, list[str]]) -> str:
    """base64(HMAC-SHA1(token, url + each parameter name followed by its values, names and values sorted))."""
    data = url
    for name in sorted(params):
        for value in sorted(set(params[name])):
            data += name + value
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def _with_port(url: str, *, port: bool) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port or DEFAULT_PORTS.get(parts.scheme, 443)}" if port else host
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    return urlunsplit(parts._replace(netloc=netloc))


def twilio_signature_valid(*, auth_token: str, url: str, params: Mapping[str, list[str]], signature: str) -> bool:
    """Twilio signs the URL as it called it, which may or may not carry the default port: accept either."""
    candidates = {_with_port(url, port=False), _with_port(url, port=True)}
    return any(
        constant_time_compare(twilio_signature(auth_token=auth_token, url=candidate, params=params), signature)
        for candidate in candidates
    )
