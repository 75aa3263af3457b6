"""Public pages, no login: the unsubscribe page, tracked proposal links and the health check."""

import hashlib
import hmac
import json
import logging
import time

from django.conf import settings
from django.core import signing
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from crm.models import Contact, ContactConsent
from crm.outreach.delivery import (
    EventsRefused,
    delivery_events_record,
    dsn_events,
    sendpulse_events,
    unisender_auth_ok,
    unisender_events,
)
from crm.outreach.proposals import document_url_allowed, tracked_link_open
from crm.outreach.services import contact_unsubscribe
from crm.outreach.telegram_bot import SECRET_HEADER, telegram_secret_ok, telegram_update_handle
from crm.outreach.unsubscribe import unsubscribe_token_read
from crm.ratelimit import public_rate_limit

logger = logging.getLogger(__name__)
Purpose = ContactConsent.Purpose


def _broken_link(request, message):
    return render(
        request, "crm/public/message.html", {"title": _("This link does not work"), "message": message}, status=400
    )


# The signed token is the credential, and RFC 8058 one-click POSTs from mail providers carry no CSRF
# token, so CSRF protection would only break them.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@public_rate_limit("unsubscribe")
def unsubscribe_view(request, token: str):
    try:
        link = unsubscribe_token_read(token)
    except signing.SignatureExpired:
        return _broken_link(
            request,
            _(
                "This unsubscribe link has expired. Use the link in a newer message, "
                "or reply to the message and we will stop it for you."
            ),
        )
    except signing.BadSignature:
        return _broken_link(
            request,
            _(
                "This unsubscribe link is damaged: nothing was changed. Copy the whole "
                "link from the message, or reply to the message and we will stop it for you."
            ),
        )
    contact = Contact.objects.filter(pk=link.contact_id).first()
    if contact is None:
        return _broken_link(request, _("We no longer keep your details, so there is nothing to stop."))
    translation.activate(contact.language)
    request.LANGUAGE_CODE = contact.language

    if request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click":
        contact_unsubscribe(contact=contact, purposes=[link.purpose], channel=link.channel, source="one-click")
        return HttpResponse(_("Unsubscribed."), content_type="text/plain; charset=utf-8")

    if request.method == "POST":
        chosen = request.POST.getlist("purpose")
        if not chosen or any(purpose not in Purpose.values for purpose in chosen):
            return _page(request, contact, link, error=_("Tick at least one kind of message to stop."), status=400)
        channel = ContactConsent.Channel.ANY if request.POST.get("scope") == "all" else link.channel
        stopped = contact_unsubscribe(contact=contact, purposes=chosen, channel=channel, source="unsubscribe page")
        return render(
            request,
            "crm/public/message.html",
            {
                "title": _("Done"),
                "message": _("You will no longer get: %(kinds)s. This was recorded on %(date)s.")
                % {
                    "kinds": ", ".join(str(Purpose(p).label).lower() for p in stopped),
                    "date": date_format(timezone.localtime(), "SHORT_DATETIME_FORMAT"),
                },
            },
        )
    return _page(request, contact, link)


def _page(request, contact, link, *, error="", status=200):
    stopped = set(contact.consents.filter(granted=False).values_list("purpose", flat=True))
    choices = [
        {"value": value, "label": label, "checked": value == link.purpose, "stopped": value in stopped}
        for value, label in Purpose.choices
    ]
    return render(
        request,
        "crm/public/unsubscribe.html",
        {"contact": contact, "choices": choices, "channel": ContactConsent.Channel(link.channel).label, "error": error},
        status=status,
    )


@require_GET
@public_rate_limit("tracked-link")
def tracked_link_view(request, token: str):
    link = tracked_link_open(token=token[:64])
    if link is None or not document_url_allowed(link.target_url):  # a link made before the hosts were limited
        return render(
            request,
            "crm/public/message.html",
            {
                "title": _("Link not found"),
                "message": _("This document link is not known. Ask your manager to send it again."),
            },
            status=404,
        )
    return HttpResponseRedirect(link.target_url)


@require_GET
def healthz_view(request):
    """For load balancers and orchestrators: 200 when the database and the broker answer, else 503 naming which.
    Cheap (one SELECT 1 and one broker connection with a 2 s timeout) and without any data."""
    from django.db import connection

    from config.celery import app

    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:
        logger.warning("Health check: the database does not answer: %s", error)
        checks["database"] = "unavailable"
    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        checks["broker"] = "ok"
    except Exception as error:
        logger.warning("Health check: the broker does not answer: %s", error)
        checks["broker"] = "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


@csrf_exempt  # Telegram's request carries the webhook secret, not a CSRF token
@require_http_methods(["POST"])
def telegram_webhook_view(request):
    """Updates from our Telegram bot (crm/outreach/telegram_bot.py), answered in the response."""
    if not settings.CRM_TELEGRAM_WEBHOOK_SECRET:
        return JsonResponse({"error": "The Telegram bot is not set up here."}, status=404)
    if not telegram_secret_ok(request.headers.get(SECRET_HEADER)):
        return JsonResponse({"error": f"Missing or wrong {SECRET_HEADER}."}, status=403)
    try:
        update = json.loads(request.body)
        reply = telegram_update_handle(update)
    except (ValueError, UnicodeDecodeError) as error:
        return JsonResponse({"error": f"Not a Telegram update: {error}"}, status=400)
    return JsonResponse(reply.as_webhook_answer() if reply else {})


DSN_SIGNATURE_HEADER, DSN_TIMESTAMP_HEADER = "X-CRM-Signature", "X-CRM-Timestamp"
DSN_MAX_SKEW = 300  # seconds: an older signed report is a replay


def _events_answer(provider: str, parse, request) -> JsonResponse:
    try:
        events = parse(json.loads(request.body))
    except (ValueError, UnicodeDecodeError) as error:
        return JsonResponse({"error": f"The body is not JSON: {error}"}, status=400)
    except EventsRefused as error:
        return JsonResponse({"error": str(error)}, status=400)
    recorded = delivery_events_record(provider=provider, events=events)
    return JsonResponse({"status": "ok", "events": len(events), "recorded": recorded})


@csrf_exempt  # the platforms sign (or carry a secret), they hold no CSRF token
@require_http_methods(["POST"])
def email_events_unisender_view(request):
    """Unisender Go's webhook: the body's "auth" is checked against our API key."""
    if not settings.CRM_UNISENDER_API_KEY:
        return JsonResponse({"error": "Unisender Go is not set up here (CRM_UNISENDER_API_KEY)."}, status=404)
    if not unisender_auth_ok(request.body, settings.CRM_UNISENDER_API_KEY):
        return JsonResponse(
            {"error": "The auth field does not match: is the webhook set with our API key?"}, status=403
        )
    return _events_answer("unisender", unisender_events, request)


@csrf_exempt
@require_http_methods(["POST"])
def email_events_sendpulse_view(request, secret: str):
    """SendPulse's SMTP webhook: it signs nothing, so the URL we give it carries our secret."""
    if not settings.CRM_EMAIL_EVENTS_SECRET:
        return JsonResponse({"error": "E-mail events are not set up here (CRM_EMAIL_EVENTS_SECRET)."}, status=404)
    if not constant_time_compare(secret, settings.CRM_EMAIL_EVENTS_SECRET):
        return JsonResponse({"error": "Wrong secret in the address."}, status=403)
    return _events_answer("sendpulse", sendpulse_events, request)


@csrf_exempt
@require_http_methods(["POST"])
def email_events_dsn_view(request):
    """A relay's delivery status notifications as JSON, signed: X-CRM-Signature = sha256=HMAC(secret, ts.body)."""
    if not settings.CRM_EMAIL_EVENTS_SECRET:
        return JsonResponse({"error": "E-mail events are not set up here (CRM_EMAIL_EVENTS_SECRET)."}, status=404)
    stamp = request.headers.get(DSN_TIMESTAMP_HEADER, "")
    expected = hmac.new(
        settings.CRM_EMAIL_EVENTS_SECRET.encode(), stamp.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    if not constant_time_compare(request.headers.get(DSN_SIGNATURE_HEADER, ""), f"sha256={expected}"):
        return JsonResponse({"error": f"Missing or wrong {DSN_SIGNATURE_HEADER}."}, status=403)
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > DSN_MAX_SKEW:
        return JsonResponse({"error": f"{DSN_TIMESTAMP_HEADER} is more than 5 minutes off: a replay?"}, status=403)
    return _events_answer("dsn", dsn_events, request)
