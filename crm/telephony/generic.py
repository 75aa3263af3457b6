"""Our own JSON API for telephony, modelled on how CRMs register calls. Bearer token, scope `telephony`."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.fields import DateTimeField
from crm.api.permissions import HasResourceScope, SeesAllAccounts
from crm.recent import recent_match
from crm.telephony.models import Call, TelephonyConnection
from crm.telephony.services import EVENT_TYPES, call_event, call_register, caller_lookup

CallRegisterSerializer = type(
    "CallRegisterSerializer",
    (serializers.Serializer,),
    {
        "call_id": serializers.CharField(max_length=128),
        "direction": serializers.ChoiceField(choices=Call.Direction.choices),
        # "from" is a Python keyword, hence the class built with type().
        "from": serializers.CharField(max_length=64),
        "to": serializers.CharField(max_length=64, required=False, allow_blank=True, default=""),
        "started_at": DateTimeField(required=False),
        "connection": serializers.CharField(max_length=100, required=False, help_text="Connection name"),
    },
)


class CallEventSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=EVENT_TYPES)
    at = DateTimeField(required=False)
    duration = serializers.IntegerField(required=False, min_value=0, max_value=7 * 24 * 3600)
    answered_by = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    recording_url = serializers.URLField(required=False, allow_blank=True, max_length=500, default="")
    connection = serializers.CharField(max_length=100, required=False)


def _connection(name: str | None) -> TelephonyConnection:
    named = {"name": name} if name else {}
    connection = recent_match(
        TelephonyConnection, provider=TelephonyConnection.Provider.GENERIC, is_active=True, **named
    )
    if connection is None:
        raise NotFound(
            _("No active generic telephony connection%(named)s: create one with telephony_connection_create.")
            % {"named": f" “{name}”" if name else ""}
        )
    return connection


def _service_errors(error: DjangoValidationError) -> ValidationError:
    return ValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages})


class JSONOnly(BaseContentNegotiation):
    """PBXs take JSON and nothing else: skip parsing Accept on a path that answers every ringing call."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class TelephonyView(APIView):
    permission_classes = [HasResourceScope, SeesAllAccounts]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly
    scope_resource, permission_model = "telephony", Call


class CallRegisterView(TelephonyView):
    @extend_schema(
        summary="A call starts: where should it ring, and who is it?",
        request=CallRegisterSerializer,
        responses={201: dict, 200: dict},
    )
    def post(self, request):
        data = CallRegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            call, lookup, created = call_register(
                connection=_connection(values.get("connection")),
                call_id=values["call_id"],
                direction=values["direction"],
                from_number=values["from"],
                to_number=values["to"],
                started_at=values.get("started_at"),
                with_card=True,
            )
        except DjangoValidationError as error:
            raise _service_errors(error) from None
        return Response(
            {"call": call.id, "route": lookup.route.as_dict(), "card": lookup.card},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class CallEventView(TelephonyView):
    @extend_schema(summary="Something happened to a call", request=CallEventSerializer, responses={200: dict})
    def post(self, request, call_id: str):
        data = CallEventSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            call = call_event(
                connection=_connection(values.get("connection")),
                call_id=call_id,
                type=values["type"],
                at=values.get("at"),
                duration=values.get("duration"),
                answered_by=values["answered_by"],
                recording_url=values["recording_url"],
            )
        except DjangoValidationError as error:
            raise _service_errors(error) from None
        return Response({"call": call.id, "status": call.status, "duration": call.duration_seconds})


class LookupView(TelephonyView):
    @extend_schema(
        summary="Who is calling, and where to route them: the caller card",
        parameters=[
            OpenApiParameter("phone", str, required=True, description="Any format"),
            OpenApiParameter("connection", str, required=False, description="Connection name"),
        ],
        responses={200: dict},
    )
    def get(self, request):
        phone = request.query_params.get("phone", "")
        if not phone.strip():
            raise ValidationError({"phone": [_("Give the caller's number: ?phone=<any format>.")]})
        lookup = caller_lookup(connection=_connection(request.query_params.get("connection")), number=phone)
        return Response({"route": lookup.route.as_dict(), "card": lookup.card})
