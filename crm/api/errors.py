"""One error shape everywhere: {"error": {"code": ..., "message": ..., "fields": {...}}}."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


def error_body(*, code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail):
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail) if isinstance(exc.detail, dict) else {"non_field_errors": _flatten(exc.detail)}
        general = fields.pop("non_field_errors", None) or fields.pop("__all__", None)
        if general:
            message = " ".join(general)
        elif len(fields) == 1:
            field, messages = next(iter(fields.items()))
            first = messages[0] if isinstance(messages, list) and messages else messages
            message = f"{field}: {first}" if isinstance(first, str) else _("%(field)s is not valid.") % {"field": field}
        else:
            message = _("Some fields are not valid: %(fields)s.") % {"fields": ", ".join(fields)}
        if general and fields:
            fields["non_field_errors"] = general
        response.data = error_body(code="invalid", message=message, fields=fields)
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = error_body(
            code=code if isinstance(code, str) else "error",
            message=str(exc.detail if isinstance(exc, exceptions.APIException) else exc),
        )
    return response


def json_not_found(request, exception=None):
    return JsonResponse(
        error_body(
            code="not_found",
            message=_("There is nothing at %(path)s. See /api/docs/ for the endpoints.") % {"path": request.path},
        ),
        status=404,
    )


def json_server_error(request):
    return JsonResponse(
        error_body(code="server_error", message=_("Something broke on our side. It has been logged; try again later.")),
        status=500,
    )
