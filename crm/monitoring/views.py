"""`POST /api/v1/equipment/signals/`: a plain Django view, not DRF, because it must take 1,000 signals a second."""

import json

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from crm.api.errors import error_body
from crm.monitoring.services import SignalError, signals_accept
from crm.services.tokens import api_token_authenticate, api_token_has_scope

MAX_BODY_BYTES = 1024 * 1024  # a hundred signals with their data


def _error(status: int, code: str, message: str, fields: dict | None = None) -> JsonResponse:
    return JsonResponse(error_body(code=code, message=message, fields=fields), status=status)


def _token_error(request) -> JsonResponse | None:
    header = request.headers.get("Authorization", "").split()
    if len(header) != 2 or header[0].lower() != "bearer":
        response = _error(401, "not_authenticated", _("Send the header as “Authorization: Bearer <token>”."))
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    token = api_token_authenticate(header[1])
    if token is None:
        return _error(401, "authentication_failed", _("This token is not valid: it is wrong, expired or revoked."))
    if not api_token_has_scope(token, resource="equipment", write=True):
        return _error(403, "permission_denied", _("This token lacks the scope “equipment:write”."))
    if not token.user.sees_all_accounts:
        return _error(
            403,
            "permission_denied",
            _("Signals may come for any client's unit: use a token of a user who may see all accounts."),
        )
    return None


@csrf_exempt  # an outside system with a token, not a browser
@require_http_methods(["POST"])
def equipment_signal_view(request):
    if refused := _token_error(request):
        return refused
    if len(request.body) > MAX_BODY_BYTES:
        return _error(413, "too_large", _("A request is at most 1 MB: send fewer signals in it."))
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as error:
        return _error(400, "parse_error", _("The body is not JSON: %(error)s") % {"error": error})
    batch = isinstance(payload, list)
    try:
        results = signals_accept(payloads=payload if batch else [payload])
    except SignalError as error:
        fields = error.fields
        message = " ".join(f"{field}: {text}" for field, text in fields.items())
        return _error(400, "invalid", message, fields)
    status = 202 if any(created for _id, created in results) else 200
    if not batch:
        signal_id, created = results[0]
        return JsonResponse({"id": signal_id, "status": "accepted" if created else "duplicate"}, status=status)
    return JsonResponse(
        {"signals": [{"id": signal_id, "status": "accepted" if new else "duplicate"} for signal_id, new in results]},
        status=status,
    )
