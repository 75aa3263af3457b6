from csp.constants import UNSAFE_EVAL
from csp.middleware import CSPMiddleware
from django.http import HttpResponseBadRequest
from django.utils import translation
from django.utils.translation import gettext as _


def user_language_activate(request, user) -> None:
    """A signed-in user's preferred language wins over the browser's Accept-Language."""
    if user is not None and user.is_authenticated and user.language:
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user_language_activate(request, getattr(request, "user", None))
        try:
            response = self.get_response(request)
            # LocaleMiddleware sets the header only where none is set, after this one has deactivated the language.
            response.headers.setdefault("Content-Language", translation.get_language())
            return response
        finally:
            # The thread serves other requests (and tests) next: do not leave this user's language behind.
            translation.deactivate()


NUL, ESCAPED_NUL = "\x00", "\\u0000"


class RejectNulCharactersMiddleware:
    """PostgreSQL text cannot hold a NUL character, nor compare with one: a webhook or public page that got one in
    a parameter (or in JSON inside one), and any page with one in its query string (an admin search, an API
    filter), answers 400 before a query fails with a 500. Forms and the REST API refuse them in fields."""

    PATHS = ("/telephony/", "/s/", "/u/", "/l/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        in_query = any(NUL in key or NUL in value for key, values in request.GET.lists() for value in values)
        if in_query or (request.path.startswith(self.PATHS) and _has_nul(request)):
            return HttpResponseBadRequest(
                _("The request contains a NUL character (\\x00), which no field can hold."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def _has_nul(request) -> bool:
    params = [*request.GET.lists(), *(request.POST.lists() if request.method == "POST" else [])]
    if any(NUL in key or any(NUL in value or ESCAPED_NUL in value for value in values) for key, values in params):
        return True
    return request.content_type == "application/json" and ESCAPED_NUL.encode() in request.body


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy (settings.CONTENT_SECURITY_POLICY) on every response, with one allowance for the
    admin: its theme (Unfold) runs the standard build of Alpine.js, which evaluates its attribute expressions.
    The public pages (surveys, unsubscribing, tracked links) and the API keep the strict policy."""

    ADMIN_PREFIX = "/admin/"

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(self.ADMIN_PREFIX):
            parts.update = {**(parts.update or {}), "script-src": [UNSAFE_EVAL]}
        return parts
