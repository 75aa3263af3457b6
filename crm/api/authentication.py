import contextlib

from auditlog.context import auditlog_value
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from crm.services.tokens import api_token_authenticate


def _audit_actor_set(user) -> None:
    """The audit trail's middleware ran before DRF knew the token's user: tell it now, so changes made through the
    API are signed with that user. (django-auditlog keeps the request's actor in this context variable.)"""
    with contextlib.suppress(LookupError):  # outside a request (a test calling the class directly)
        auditlog_value.get()["actor"] = user


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer crm_<prefix>_<secret>`, issued in the admin or by `issue_api_token`."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise AuthenticationFailed(_("Send the header as “Authorization: Bearer <token>”, with one token."))
        token = api_token_authenticate(header[1].decode("ascii", errors="replace"))
        if token is None:
            raise AuthenticationFailed(
                _("This token is not valid: it is wrong, expired or revoked. Ask for a new one.")
            )
        _audit_actor_set(token.user)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "crm.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An integration token: crm_<prefix>_<secret>."}
