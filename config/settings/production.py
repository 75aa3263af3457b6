"""Production: refuses to start on insecure defaults."""

import math

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import INSECURE_DEFAULT_SECRET_KEY, env

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production: unset DEBUG or set DEBUG=false.")


def _secret_key_strength_bits(key: str) -> float:
    """A rough upper bound on the key's entropy: enough to refuse "a" * 50 or a short pattern repeated."""
    return len(key) * math.log2(len(set(key))) if len(set(key)) > 1 else 0.0


if (
    not SECRET_KEY
    or SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY
    or len(SECRET_KEY) < 50
    or _secret_key_strength_bits(SECRET_KEY) < 200
):
    raise ImproperlyConfigured(
        "Set SECRET_KEY to a random value of at least 50 characters (not a repeated character or pattern), "
        "for example the output of `python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
