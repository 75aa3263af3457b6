"""Rate limits for what anyone on the internet can reach: the public pages and the telephony webhooks.

A fixed window per client address, counted in the cache (Redis in production, where `incr` is atomic and shared
by every process). Small on purpose: django-ratelimit refuses to start on the embedded file cache and warns on
Django's own Redis cache, which fails `check --deploy`; these few lines do what we need of it.
"""

import functools
import ipaddress
import logging
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)
WINDOW_SECONDS = 60


@functools.cache
def _trusted_proxies(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in _trusted_proxies(tuple(settings.CRM_TRUSTED_PROXIES)))


def client_address(request) -> str:
    """Who is asking. REMOTE_ADDR, unless that is one of our reverse proxies (CRM_TRUSTED_PROXIES, addresses or
    networks): then the right-most address of X-Forwarded-For that is not one of ours, the last one a proxy of
    ours saw. Anything left of it the client wrote itself, so X-Forwarded-For is never read from anyone else.
    (django-ipware picks the left-most address by default, which a client sets; this is the few lines we need.)"""
    address = request.META.get("REMOTE_ADDR", "")
    if not _trusted(address):
        return address
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(forwarded):
        if not _trusted(hop):
            return hop
    return address


def _key(scope: str, request) -> str:
    return f"ratelimit:{scope}:{client_address(request)[:64]}:{int(time.time()) // WINDOW_SECONDS}"


def _count(key: str) -> int:
    """The window's count with this request. With the cache down (Redis is also the broker) it counts 0: the
    pages and webhooks keep working unlimited rather than fail."""
    try:
        cache.add(key, 0, WINDOW_SECONDS * 2)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, WINDOW_SECONDS * 2)
            return 1
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


def over_limit(scope: str, request, per_minute: int) -> bool:
    """Counts this request against its address's window for `scope`: is it past `per_minute`?"""
    return _count(_key(scope, request)) > per_minute


def public_rate_limit(scope: str):
    """At most CRM_PUBLIC_REQUESTS_PER_MINUTE requests a minute from one address to this view."""

    def decorator(view):
        @wraps(view)
        def limited(request, *args, **kwargs):
            if over_limit(scope, request, settings.CRM_PUBLIC_REQUESTS_PER_MINUTE):
                return too_many_requests()
            return view(request, *args, **kwargs)

        return limited

    return decorator


class WebhookFailureLimitMiddleware:
    """A telephony webhook answers a provider that signs its requests. Past CRM_WEBHOOK_FAILURES_PER_MINUTE refusals
    (a wrong signature, token or webhook key, a malformed request) for one connection from one address in a
    minute, the next refusals are 429s. The view checks the request first, every time: a correctly signed
    request is never refused, whoever else shares its address (behind a proxy, or a PBX's NAT) or its connection."""

    PREFIX = "/telephony/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(self.PREFIX) or response.status_code < 400:
            return response
        # Every refusal counts, not only a failed check: a 400 or a 500 too. Unknown webhook keys share one count.
        match = request.resolver_match
        connection = match.kwargs.get("webhook_key", "")[:64] if match and response.status_code != 404 else "unknown"
        if _count(_key(f"webhook-failures:{connection}", request)) > settings.CRM_WEBHOOK_FAILURES_PER_MINUTE:
            return too_many_requests()
        return response
