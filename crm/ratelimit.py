"""Rate limits for what anyone on the internet can reach: the public pages and the telephony webhooks.

A fixed window per client address, counted in the cache (Redis in production, where `incr` is atomic and shared
by every process). Small on purpose: django-ratelimit refuses to start on the embedded file cache and warns on
Django's own Redis cache, which fails `check --deploy`; these few lines do what we need of it.
"""

import logging
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)
WINDOW_SECONDS = 60


def _client(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _key(scope: str, request) -> str:
    return f"ratelimit:{scope}:{_client(request)}:{int(time.time()) // WINDOW_SECONDS}"


def _count(key: str, *, add: int) -> int:
    """The window's count after adding `add`. With the cache down (Redis is also the broker) it counts 0: the
    pages and webhooks keep working unlimited rather than fail."""
    try:
        if not add:
            return cache.get(key, 0)
        cache.add(key, 0, WINDOW_SECONDS * 2)
        try:
            return cache.incr(key, add)
        except ValueError:  # expired between add and incr
            cache.set(key, add, WINDOW_SECONDS * 2)
            return add
    except Exception as error:
        logger.warning("Rate limits are off while the cache does not answer: %s", error)
        return 0


def too_many_requests() -> HttpResponse:
    response = HttpResponse(
        _("Too many requests from your address. Wait a minute and try again."),
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(WINDOW_SECONDS)
    return response


def public_rate_limit(scope: str):
    """At most CRM_PUBLIC_REQUESTS_PER_MINUTE requests a minute from one address to this view."""

    def decorator(view):
        @wraps(view)
        def limited(request, *args, **kwargs):
            if _count(_key(scope, request), add=1) > settings.CRM_PUBLIC_REQUESTS_PER_MINUTE:
                return too_many_requests()
            return view(request, *args, **kwargs)

        return limited

    return decorator


class WebhookFailureLimitMiddleware:
    """A telephony webhook answers a provider that signs its requests: an address that keeps being refused (a
    wrong signature, token or webhook key, a malformed request) is refused for the rest of the minute, while the
    provider's own traffic, however heavy, is never slowed."""

    PREFIX = "/telephony/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(self.PREFIX):
            return self.get_response(request)
        key = _key("webhook-failures", request)
        if _count(key, add=0) >= settings.CRM_WEBHOOK_FAILURES_PER_MINUTE:
            return too_many_requests()
        response = self.get_response(request)
        if response.status_code >= 400:  # every refusal counts, not only a failed check: a 400 or a 500 too
            _count(key, add=1)
        return response
