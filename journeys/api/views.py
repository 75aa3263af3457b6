from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.fields import DateField, DateTimeField, ModelSerializer, PrimaryKeyRelatedField
from crm.api.permissions import HasResourceScope
from crm.api.serializers import VisibleAccountField
from crm.api.views import ERROR_RESPONSES
from crm.models import Industry, LeadSource, User
from journeys import selectors
from journeys.models import Journey, Stage, Transition
from journeys.services import account_stage_move
from segments.models import Segment


class FunnelQuerySerializer(serializers.Serializer):
    journey = PrimaryKeyRelatedField(queryset=Journey.objects.all(), required=False)
    start = DateField(required=False, help_text="The cohort: journeys that started on or after this day")
    end = DateField(required=False, help_text="… and on or before this day")
    industry = PrimaryKeyRelatedField(queryset=Industry.objects.all(), required=False)
    manager = PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    lead_source = PrimaryKeyRelatedField(queryset=LeadSource.objects.all(), required=False)
    segment = PrimaryKeyRelatedField(queryset=Segment.objects.all(), required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"], fields["to"] = fields.pop("start"), fields.pop("end")  # reserved words in Python
        return fields

    def validate(self, data):
        if data.get("from") and data.get("to") and data["from"] > data["to"]:
            raise serializers.ValidationError({"to": "“to” is before “from”."})
        return data


class FunnelStageSerializer(serializers.Serializer):
    stage = serializers.CharField(source="stage.code")
    name = serializers.CharField(source="stage.label")
    entered = serializers.IntegerField()
    converted = serializers.IntegerField(help_text="Entered a later stage afterwards")
    conversion = serializers.FloatField(allow_null=True, help_text="converted / entered, percent")
    cumulative = serializers.FloatField(allow_null=True, help_text="entered / the cohort, percent")
    entered_in_order = serializers.IntegerField(help_text="Went through every earlier stage first, in order")
    converted_in_order = serializers.IntegerField()
    conversion_in_order = serializers.FloatField(allow_null=True)
    cumulative_in_order = serializers.FloatField(allow_null=True)
    median_days = serializers.FloatField(allow_null=True, help_text="Of the completed stays in the stage")
    p90_days = serializers.FloatField(allow_null=True)
    stays = serializers.IntegerField(help_text="Completed stays behind the percentiles")


class FunnelSerializer(serializers.Serializer):
    journey = serializers.IntegerField()
    cohort = serializers.IntegerField(help_text="Accounts whose journey started in the period")
    stages = FunnelStageSerializer(many=True)


@extend_schema(
    summary="The journey funnel: entries, conversions and time in each stage, for a cohort",
    parameters=[
        OpenApiParameter("journey", int, description="Default: the default journey"),
        OpenApiParameter("from", str, description="YYYY-MM-DD: journeys that started from this day"),
        OpenApiParameter("to", str, description="YYYY-MM-DD: … up to this day, inclusive"),
        OpenApiParameter("industry", int),
        OpenApiParameter("manager", int),
        OpenApiParameter("lead_source", int),
        OpenApiParameter("segment", int, description="A saved segment's id"),
    ],
    responses={200: FunnelSerializer, **ERROR_RESPONSES},
)
class FunnelView(APIView):
    permission_classes = [HasResourceScope]
    scope_resource, permission_model = "journeys", Transition

    def get(self, request):
        query = FunnelQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        journey = data.get("journey") or Journey.objects.filter(is_default=True).first()
        if journey is None:
            raise serializers.ValidationError({"journey": "There is no default journey: give one."})
        filters = selectors.JourneyFilters(
            user=request.user,
            journey=journey,
            start=selectors.day_start(data.get("from")),
            end=selectors.day_start(data.get("to"), next_day=True),
            industry=data["industry"].id if data.get("industry") else None,
            manager=data["manager"].id if data.get("manager") else None,
            lead_source=data["lead_source"].id if data.get("lead_source") else None,
            segment=data.get("segment"),
        )
        rows = selectors.journey_funnel(filters)
        cohort = rows[0].cohort if rows else 0
        return Response(FunnelSerializer({"journey": journey.id, "cohort": cohort, "stages": rows}).data)


@extend_schema_field(OpenApiTypes.INT)
class _AccountField(VisibleAccountField):
    pass


class TransitionInputSerializer(serializers.Serializer):
    account = _AccountField(help_text="An account the caller may see")
    to_stage = PrimaryKeyRelatedField(
        queryset=Stage.objects.select_related("journey"), allow_null=True, help_text="null: left the journey as lost"
    )
    at = DateTimeField(required=False, help_text="Default: now")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class TransitionOutputSerializer(ModelSerializer):
    class Meta:
        model = Transition
        fields = ["id", "account", "journey", "from_stage", "to_stage", "at", "rule", "reason", "acting_user"]


@extend_schema(
    summary="Move an account along its journey by hand (back, or out as lost, with a reason)",
    request=TransitionInputSerializer,
    responses={201: TransitionOutputSerializer, **ERROR_RESPONSES},
    examples=[
        OpenApiExample(
            "A lost deal goes back to consideration",
            request_only=True,
            value={"account": 1, "to_stage": 2, "reason": "Chose a competitor on price; revisit in spring"},
        )
    ],
)
class TransitionCreateView(APIView):
    permission_classes = [HasResourceScope]
    scope_resource, permission_model = "journeys", Transition

    def post(self, request):
        serializer = TransitionInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        move = account_stage_move(acting_user=request.user, **serializer.validated_data)
        return Response(TransitionOutputSerializer(move).data, status=status.HTTP_201_CREATED)
