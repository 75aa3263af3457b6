"""The endpoint machines call by the thousand a second (equipment signals) served by Django's own WSGI handler
with a short middleware stack.

Every request to the site pays for fourteen middleware (sessions, CSRF, messages, the content security policy,
the audit log's actor, django-axes, ...): 0.3-0.5 ms of an equipment signal's 1.2-1.6 ms in-process
(bench/RESULTS.md). A signal is a token-authenticated JSON POST that no browser sends: it needs HTTPS and the
security headers, and its error messages in the sender's language, nothing else. The handler keeps everything
else Django's handler does (the request signals that recycle database connections, URL resolving, errors turned
into responses and logged).
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.urls import reverse
from django.utils.module_loading import import_string

MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",  # HTTPS redirect, HSTS, nosniff: as on every other page
    "django.middleware.locale.LocaleMiddleware",  # the errors in the sender's Accept-Language
)
_HOOKS = ("process_view", "process_template_response", "process_exception")


class MachineHandler(WSGIHandler):
    def load_middleware(self, is_async=False):
        # Django's loader reads settings.MIDDLEWARE; this one builds the same chain from the short list. Only
        # request/response middleware: a view, template or exception hook would need Django's full loader.
        self._view_middleware, self._template_response_middleware, self._exception_middleware = [], [], []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(MIDDLEWARE):
            middleware = import_string(path)(handler)
            if any(hasattr(middleware, hook) for hook in _HOOKS):
                raise ImproperlyConfigured(f"{path} has a view, template or exception hook: MachineHandler skips them.")
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler


def machine_paths() -> frozenset[str]:
    """The paths MachineHandler serves (PATH_INFO, exactly)."""
    return frozenset({reverse("equipment_signals")})
