"""Integration tokens: `crm_<prefix>_<secret>`. The prefix finds the row, the hash is compared in constant time."""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from crm.models import ApiToken
from crm.recent import recent_forget_changed, recent_match

# Each resource can be granted read or write; "*" grants everything.
SCOPE_RESOURCES = (
    "telephony",
    "equipment",
    "accounts",
    "contacts",
    "phones",
    "interactions",
    "orders",
    "commitments",
    "tasks",
    "service_requests",
    "users",
    "surveys",
    "metrics",
    "segments",
    "journeys",
)
VALID_SCOPES = {"*"} | {f"{resource}:{mode}" for resource in SCOPE_RESOURCES for mode in ("read", "write")}
_LAST_USED_PRECISION = timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, user, name: str, scopes: list[str], expires_at=None) -> tuple[ApiToken, str]:
    """Return the token row and the token itself, which is never stored and never shown again."""
    unknown = sorted(set(scopes) - VALID_SCOPES)
    if not scopes or unknown:
        raise ValidationError(
            {
                "scopes": _(
                    "Unknown scopes: %(unknown)s. Valid scopes are * and <resource>:read|write for %(resources)s."
                )
                % {"unknown": ", ".join(unknown) or "-", "resources": ", ".join(SCOPE_RESOURCES)}
            }
        )
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name, prefix=prefix, token_hash=_hash(secret), scopes=sorted(set(scopes)), expires_at=expires_at
    )
    token.full_clean()
    token.save()
    return token, f"crm_{prefix}_{secret}"


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The active token for `raw`, or None. Never tells which part was wrong."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != "crm":
        return None
    _crm, prefix, secret = parts
    token = recent_match(ApiToken, related="user", prefix=prefix)  # every API request: remembered for seconds
    if token is None:
        return None
    if not constant_time_compare(token.token_hash, _hash(secret)):
        return None
    now = timezone.now()
    if token.revoked_at or (token.expires_at and token.expires_at <= now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_PRECISION:
        # Written at most once a minute, so a busy integration does not write on every request.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_token_has_scope(token: ApiToken, *, resource: str, write: bool) -> bool:
    return "*" in token.scopes or f"{resource}:{'write' if write else 'read'}" in token.scopes


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    recent_forget_changed()
    token.refresh_from_db()
    return token
