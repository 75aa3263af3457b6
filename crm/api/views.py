from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm import selectors
from crm.api import serializers as s
from crm.filters import (
    AccountFilter,
    CommitmentFilter,
    ContactFilter,
    InteractionFilter,
    OrderFilter,
    PhoneFilter,
    ServiceRequestFilter,
    TaskFilter,
    phone_e164_or_400,
)
from crm.middleware import user_language_activate
from crm.models import Account, Commitment, Contact, Interaction, Order, Phone, ServiceRequest, Task, User
from crm.services import accounts as account_services
from crm.services import activity as activity_services
from crm.services import orders as order_services

ERROR_EXAMPLE = OpenApiExample(
    "Invalid input",
    value={
        "error": {
            "code": "invalid",
            "message": "Some fields are not valid: inn.",
            "fields": {
                "inn": [
                    "“1234567890” is not a valid INN: it must be 10 digits (a company) or "
                    "12 digits (a person) with correct check digits."
                ]
            },
        }
    },
    response_only=True,
    status_codes=["400"],
)
ERROR_RESPONSES = {400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input", examples=[ERROR_EXAMPLE])}


class CRMViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reads through a selector (row-level access included); writes through input serializer → service."""

    scope_resource: str
    permission_model: type
    selector = None
    output_serializer_class = None
    input_serializer_class = None

    def perform_authentication(self, request):
        super().perform_authentication(request)
        # Token users are only known here, after the middleware: answer in their language too.
        user_language_activate(request, request.user)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular only wants the model
            return self.permission_model.objects.none()
        return type(self).selector(user=self.request.user)

    def get_serializer_class(self):
        return self.output_serializer_class

    def validated_input(self, serializer_class=None, **kwargs) -> dict:
        serializer = (serializer_class or self.input_serializer_class)(
            data=self.request.data, context=self.get_serializer_context(), **kwargs
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def respond(self, instance, status_code=status.HTTP_200_OK) -> Response:
        return Response(
            self.output_serializer_class(instance, context=self.get_serializer_context()).data, status=status_code
        )


@extend_schema_view(
    create=extend_schema(
        request=s.AccountInputSerializer, responses={201: s.AccountOutputSerializer, **ERROR_RESPONSES}
    ),
    partial_update=extend_schema(
        request=s.AccountInputSerializer, responses={200: s.AccountOutputSerializer, **ERROR_RESPONSES}
    ),
)
class AccountViewSet(CRMViewSet, mixins.CreateModelMixin, mixins.UpdateModelMixin):
    scope_resource, permission_model = "accounts", Account
    selector = staticmethod(selectors.account_list)
    output_serializer_class, input_serializer_class = s.AccountOutputSerializer, s.AccountInputSerializer
    filterset_class = AccountFilter
    search_fields = ["name", "legal_name", "=inn"]
    ordering_fields = ["name", "created_at", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request, *args, **kwargs):
        account = account_services.account_create(acting_user=request.user, **self.validated_input())
        return self.respond(account, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        account = self.get_object()
        data = self.validated_input(partial=True)
        return self.respond(account_services.account_update(account=account, acting_user=request.user, **data))


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "phone",
                description="Any format: +7 916 123-45-67, 8 (916) 123-45-67, "
                "89161234567 or 9161234567 all find +79161234567.",
                examples=[OpenApiExample("Russian mobile", value="8 (916) 123-45-67")],
            )
        ],
    ),
    create=extend_schema(
        request=s.ContactInputSerializer,
        responses={201: s.ContactOutputSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "A decision maker",
                request_only=True,
                value={
                    "account": 1,
                    "first_name": "Иван",
                    "patronymic": "Петрович",
                    "last_name": "Сидоров",
                    "position": "Директор по закупкам",
                    "is_decision_maker": True,
                    "email": "sidorov@romashka.ru",
                    "language": "ru",
                    "phones": ["8 (916) 123-45-67", "+7 495 123-45-67 доб. 12"],
                },
            )
        ],
    ),
    partial_update=extend_schema(
        request=s.ContactUpdateSerializer,
        responses={200: s.ContactOutputSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "The manager reads the person as type 3",
                request_only=True,
                value={"emotional": "no", "confident": "no"},
            )
        ],
    ),
)
class ContactViewSet(CRMViewSet, mixins.CreateModelMixin, mixins.UpdateModelMixin):
    scope_resource, permission_model = "contacts", Contact
    selector = staticmethod(selectors.contact_list)
    output_serializer_class, input_serializer_class = s.ContactOutputSerializer, s.ContactInputSerializer
    filterset_class = ContactFilter
    search_fields = ["last_name", "first_name", "email"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["last_name", "created_at", "id"]

    def create(self, request, *args, **kwargs):
        contact = account_services.contact_create(**self.validated_input())
        return self.respond(selectors.contact_list(user=request.user).get(pk=contact.pk), status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        contact = self.get_object()
        data = self.validated_input(s.ContactUpdateSerializer, partial=True)
        account_services.contact_update(contact=contact, acting_user=request.user, **data)
        return self.respond(selectors.contact_list(user=request.user).get(pk=contact.pk))

    @extend_schema(
        summary="Who is calling: find people by a phone number in any format",
        description=(
            "The fast path for telephony and other integrations: one indexed query, no paging. "
            "`8 (916) 123-45-67`, `+7 916 1234567` and `9161234567` find the same person; a number "
            "stored with an extension matches too. At most 20 matches, only those the caller may see."
        ),
        parameters=[OpenApiParameter("phone", str, required=True, description="A phone number in any format")],
        responses={200: s.PhoneMatchSerializer(many=True), **ERROR_RESPONSES},
    )
    @action(detail=False, methods=["get"], url_path="lookup", filter_backends=[], pagination_class=None)
    def lookup(self, request):
        number = phone_e164_or_400(request.query_params.get("phone", ""), param="phone")
        matches = selectors.phone_lookup(user=request.user, e164=number)
        return Response(s.PhoneMatchSerializer(matches, many=True).data)


@extend_schema_view(
    create=extend_schema(request=s.PhoneInputSerializer, responses={201: s.PhoneOutputSerializer, **ERROR_RESPONSES}),
)
class PhoneViewSet(CRMViewSet, mixins.CreateModelMixin):
    scope_resource, permission_model = "phones", Phone
    selector = staticmethod(lambda *, user: Phone.objects.for_user(user))
    output_serializer_class, input_serializer_class = s.PhoneOutputSerializer, s.PhoneInputSerializer
    filterset_class = PhoneFilter
    ordering_fields = ["id"]

    def create(self, request, *args, **kwargs):
        return self.respond(account_services.phone_add(**self.validated_input()), status.HTTP_201_CREATED)


@extend_schema_view(
    create=extend_schema(
        description="Idempotent on (source, external_id): a repeated POST returns the first record with 200.",
        request=s.InteractionInputSerializer,
        responses={201: s.InteractionOutputSerializer, 200: s.InteractionOutputSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "A logged call",
                request_only=True,
                value={
                    "account": 1,
                    "contact": 2,
                    "channel": "phone",
                    "direction": "inbound",
                    "occurred_at": "2026-11-20T10:15:00+03:00",
                    "duration_seconds": 185,
                    "subject": "Сроки поставки",
                    "source": "pbx",
                    "external_id": "call-7f3a9",
                },
            )
        ],
    ),
)
class InteractionViewSet(CRMViewSet, mixins.CreateModelMixin):
    scope_resource, permission_model = "interactions", Interaction
    selector = staticmethod(selectors.interaction_list)
    output_serializer_class, input_serializer_class = s.InteractionOutputSerializer, s.InteractionInputSerializer
    filterset_class = InteractionFilter
    search_fields = ["subject", "notes"]
    ordering_fields = ["occurred_at", "id"]

    def create(self, request, *args, **kwargs):
        data = self.validated_input()
        data.setdefault("user", request.user)
        interaction, created = activity_services.interaction_log(**data)
        return self.respond(interaction, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema_view(
    create=extend_schema(request=s.OrderInputSerializer, responses={201: s.OrderOutputSerializer, **ERROR_RESPONSES}),
)
class OrderViewSet(CRMViewSet, mixins.CreateModelMixin):
    scope_resource, permission_model = "orders", Order
    selector = staticmethod(selectors.order_list)
    output_serializer_class, input_serializer_class = s.OrderOutputSerializer, s.OrderInputSerializer
    filterset_class = OrderFilter
    search_fields = ["=number"]
    ordering_fields = ["ordered_at", "promised_delivery_date", "id"]

    def create(self, request, *args, **kwargs):
        order = order_services.order_create(**self.validated_input())
        return self.respond(selectors.order_list(user=request.user).get(pk=order.pk), status.HTTP_201_CREATED)

    @extend_schema(
        request=s.OrderDeliveryDateChangeInputSerializer, responses={200: s.OrderOutputSerializer, **ERROR_RESPONSES}
    )
    @action(detail=True, methods=["post"], url_path="move-delivery")
    def move_delivery(self, request, pk=None):
        data = self.validated_input(s.OrderDeliveryDateChangeInputSerializer)
        order = order_services.order_delivery_date_change(order=self.get_object(), acting_user=request.user, **data)
        return self.respond(order)


@extend_schema_view(
    create=extend_schema(
        request=s.CommitmentInputSerializer, responses={201: s.CommitmentOutputSerializer, **ERROR_RESPONSES}
    ),
)
class CommitmentViewSet(CRMViewSet, mixins.CreateModelMixin):
    scope_resource, permission_model = "commitments", Commitment
    selector = staticmethod(selectors.commitment_list)
    output_serializer_class, input_serializer_class = s.CommitmentOutputSerializer, s.CommitmentInputSerializer
    filterset_class = CommitmentFilter
    ordering_fields = ["due_at", "id"]

    def create(self, request, *args, **kwargs):
        commitment = activity_services.commitment_create(created_by=request.user, **self.validated_input())
        return self.respond(commitment, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.CommitmentCloseInputSerializer, responses={200: s.CommitmentOutputSerializer, **ERROR_RESPONSES}
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        data = self.validated_input(s.CommitmentCloseInputSerializer)
        return self.respond(activity_services.commitment_close(commitment=self.get_object(), **data))


@extend_schema_view(
    create=extend_schema(request=s.TaskInputSerializer, responses={201: s.TaskOutputSerializer, **ERROR_RESPONSES}),
)
class TaskViewSet(CRMViewSet, mixins.CreateModelMixin):
    scope_resource, permission_model = "tasks", Task
    selector = staticmethod(selectors.task_list)
    output_serializer_class, input_serializer_class = s.TaskOutputSerializer, s.TaskInputSerializer
    filterset_class = TaskFilter
    ordering_fields = ["due_at", "priority", "id"]

    def create(self, request, *args, **kwargs):
        task = activity_services.task_create(created_by=request.user, **self.validated_input())
        return self.respond(task, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.TaskOutputSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self.respond(activity_services.task_complete(task=self.get_object()))


@extend_schema_view(
    create=extend_schema(
        request=s.ServiceRequestInputSerializer, responses={201: s.ServiceRequestOutputSerializer, **ERROR_RESPONSES}
    ),
)
class ServiceRequestViewSet(CRMViewSet, mixins.CreateModelMixin):
    scope_resource, permission_model = "service_requests", ServiceRequest
    selector = staticmethod(selectors.service_request_list)
    output_serializer_class = s.ServiceRequestOutputSerializer
    input_serializer_class = s.ServiceRequestInputSerializer
    filterset_class = ServiceRequestFilter
    search_fields = ["subject"]
    ordering_fields = ["created_at", "first_response_due_at", "id"]

    def create(self, request, *args, **kwargs):
        service_request = activity_services.service_request_create(**self.validated_input())
        return self.respond(service_request, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.ServiceRequestOutputSerializer})
    @action(detail=True, methods=["post"])
    def respond_first(self, request, pk=None):
        return self.respond(activity_services.service_request_respond(service_request=self.get_object()))

    @extend_schema(request=s.ServiceRequestResolveInputSerializer, responses={200: s.ServiceRequestOutputSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        data = self.validated_input(s.ServiceRequestResolveInputSerializer)
        return self.respond(
            activity_services.service_request_resolve(
                service_request=self.get_object(), at_first_contact=data["resolved_at_first_contact"]
            )
        )


class UserViewSet(CRMViewSet):
    scope_resource, permission_model = "users", User
    selector = staticmethod(lambda *, user: User.objects.filter(is_active=True))
    output_serializer_class = s.UserOutputSerializer
    filterset_fields = ["department", "head"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering_fields = ["username", "id"]
