"""The site's side of web-to-lead: the embeddable script, a token for the form, our own form page, and the endpoint
that takes both a plain HTML form and a site's own JSON."""

import json

from csp.decorators import csp_replace
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from crm.ratelimit import over_limit, too_many_requests
from crm.webleads.services import HONEYPOT, LeadRefused, web_form_token, web_lead_capture

UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
MAX_BODY_BYTES = 32 * 1024


def _cors(response: HttpResponse) -> HttpResponse:
    """Any site may post a lead and read the answer: no cookies are sent or read, the form token is the check."""
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = "86400"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def web_lead_script_view(request):
    """`<script src=".../forms/lead.js" async></script>` and `<div data-crm-lead-form></div>` where the form goes."""
    response = render(
        request, "crm/webleads/lead.js", {"base": settings.CRM_PUBLIC_BASE_URL}, content_type="text/javascript"
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def web_lead_token_view(request):
    return _cors(JsonResponse({"token": web_form_token()}))


def _form_page(request, *, status=200, errors=None, values=None):
    values = values or {
        **{name: request.GET.get(name, "")[:200] for name in UTM},
        "referrer": request.GET.get("ref", request.headers.get("Referer", ""))[:2000],
        "landing_page": request.GET.get("page", "")[:2000],
    }
    context = {
        "title": _("Leave a request"),
        "token": web_form_token(),
        "values": values,
        "errors": errors or {},
        "honeypot": HONEYPOT,
    }
    return render(request, "crm/webleads/form.html", context, status=status)


@csrf_exempt  # posted from other sites and from our page in their iframe: the signed form token is the check
@xframe_options_exempt  # the form page is made to sit in any site's iframe: neither X-Frame-Options
@csp_replace({"frame-ancestors": ["*"]})  # nor the CSP's frame-ancestors 'none' may forbid it
@require_http_methods(["GET", "POST", "OPTIONS"])
def web_lead_view(request):
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204))
    if request.method == "GET":
        return _form_page(request)
    wants_json = request.content_type == "application/json"
    if over_limit("web-lead", request, settings.CRM_WEB_LEADS_PER_MINUTE):
        return _cors(too_many_requests())
    if len(request.body) > MAX_BODY_BYTES:
        return _cors(JsonResponse({"error": _("The form is over 32 KB: shorten the comment.")}, status=413))
    if wants_json:
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as error:
            return _cors(JsonResponse({"error": _("The body is not JSON: %(error)s") % {"error": error}}, status=400))
        if not isinstance(data, dict):
            return _cors(JsonResponse({"error": _("Send a JSON object.")}, status=400))
        data = {key: value if isinstance(value, str | bool) else str(value) for key, value in data.items()}
    else:
        data = request.POST
    try:
        captured = web_lead_capture(data=data)
    except LeadRefused as refused:
        if wants_json:
            message = " ".join(refused.fields.values())
            return _cors(JsonResponse({"error": message, "fields": refused.fields}, status=400))
        return _form_page(request, status=400, errors=refused.fields, values=request.POST)
    if wants_json:
        body = {"status": "received" if captured.created else "duplicate", "id": captured.lead.id}
        return _cors(JsonResponse(body, status=201 if captured.created else 200))
    return render(
        request,
        "crm/public/message.html",
        {"title": _("Thank you!"), "message": _("We have your request and will answer within a working day.")},
    )
