from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from crm.api.permissions import HasResourceScope
from crm.api.views import ERROR_RESPONSES
from crm.middleware import user_language_activate
from crm.selectors import contact_list
from surveys import metrics
from surveys.api.serializers import MetricQuerySerializer, ResponseInputSerializer, ResponseSerializer
from surveys.models import Response, Survey
from surveys.services.responses import survey_response_record


class _View(APIView):
    permission_classes = [HasResourceScope]

    def perform_authentication(self, request):
        super().perform_authentication(request)
        user_language_activate(request, request.user)


class ResponseIngestView(_View):
    scope_resource, permission_model = "surveys", Response

    @extend_schema(
        summary="Record a response collected elsewhere",
        description=(
            "Idempotent on `external_id`: sending the same response again returns the recorded one with 200. "
            "Answers count in metrics at `submitted_at`."
        ),
        request=ResponseInputSerializer,
        responses={201: ResponseSerializer, 200: ResponseSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "An NPS answer",
                value={
                    "contact": 42,
                    "submitted_at": "2026-05-01T10:00:00+03:00",
                    "external_id": "gforms-7781",
                    "answers": {"recommend": 9, "reason": "Fast delivery"},
                },
                request_only=True,
            )
        ],
    )
    def post(self, request, slug: str):
        survey = Survey.objects.filter(slug=slug).first()
        if survey is None:
            raise NotFound(_("There is no survey “%(slug)s”.") % {"slug": slug[:50]})
        data = ResponseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact = contact_list(user=request.user).filter(id=data.validated_data["contact"]).first()
        if contact is None:
            raise NotFound(
                _("There is no person %(id)s among the accounts you can see.") % {"id": data.validated_data["contact"]}
            )
        response, created = survey_response_record(
            survey=survey,
            contact=contact,
            submitted_at=data.validated_data["submitted_at"],
            external_id=data.validated_data["external_id"],
            answers=data.validated_data["answers"],
        )
        response = Response.objects.prefetch_related("answers__question").select_related("survey").get(id=response.id)
        return ApiResponse(
            ResponseSerializer(response).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


_FILTER_PARAMETERS = [
    OpenApiParameter("survey", str, description="Survey slug (NPS, CSAT and CES only)"),
    OpenApiParameter("from", OpenApiTypes.DATETIME, description="From, inclusive: a date or a date-time"),
    OpenApiParameter("to", OpenApiTypes.DATETIME, description="Up to, exclusive: a date or a date-time"),
    OpenApiParameter("account", int),
    OpenApiParameter("manager", int),
    OpenApiParameter("industry", int),
]


class MetricView(_View):
    scope_resource, permission_model = "metrics", Response
    metric = ""

    def get(self, request):
        query = MetricQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        survey = params.get("survey")
        if survey is not None and self.metric not in metrics.SURVEY_METRICS:
            survey = None
        result = metrics.METRICS[self.metric](
            metrics.MetricFilters(
                user=request.user,
                start=params.get("from_"),
                end=params.get("to"),
                account=params.get("account"),
                manager=params["manager"].id if params.get("manager") else None,
                industry=params["industry"].id if params.get("industry") else None,
                survey=survey,
            )
        )
        return ApiResponse(result)


def metric_view(name: str, summary: str, example: dict):
    view = type(
        f"{name.title().replace('-', '')}MetricView",
        (MetricView,),
        {"metric": name, "__doc__": metrics.METRICS[name].__doc__},
    )
    view.get = extend_schema(
        summary=summary,
        parameters=_FILTER_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **ERROR_RESPONSES},
        examples=[OpenApiExample(name, value=example, response_only=True)],
    )(view.get)
    return view.as_view()
