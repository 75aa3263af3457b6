from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView, get_object_or_404

from crm.api.fields import ModelSerializer
from crm.api.permissions import HasResourceScope
from crm.api.serializers import AccountOutputSerializer, ContactOutputSerializer
from crm.api.views import CRMViewSet
from crm.models import Account
from segments.models import Segment, ZoneChange
from segments.selectors import segment_members

HISTORY_LIMIT = 500


class ZoneChangeSerializer(ModelSerializer):
    class Meta:
        model = ZoneChange
        fields = ["from_zone", "to_zone", "mean", "answers", "trigger", "created_at"]


@extend_schema(summary="An account's zone changes, newest first, with the reading behind each")
class ZoneHistoryView(ListAPIView):
    permission_classes = [HasResourceScope]
    scope_resource, permission_model = "accounts", Account
    serializer_class = ZoneChangeSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator asks without an account
            return ZoneChange.objects.none()
        account = get_object_or_404(Account.objects.for_user(self.request.user), pk=self.kwargs["account_id"])
        return ZoneChange.objects.filter(account=account).order_by("-created_at", "-id")[:HISTORY_LIMIT]


class SegmentSerializer(ModelSerializer):
    class Meta:
        model = Segment
        fields = ["id", "name", "description", "target", "filters", "created_at", "updated_at"]


class SegmentDetailSerializer(SegmentSerializer):
    count = serializers.SerializerMethodField(help_text="Members now, among those the caller may see")

    class Meta(SegmentSerializer.Meta):
        fields = [*SegmentSerializer.Meta.fields, "count"]

    def get_count(self, segment) -> int:
        return segment_members(segment=segment, user=self.context["request"].user).count()


class SegmentViewSet(CRMViewSet):
    """Saved segments (built in the admin), their live count and their members."""

    scope_resource, permission_model = "segments", Segment
    selector = staticmethod(lambda *, user: Segment.objects.order_by("name"))
    output_serializer_class = SegmentSerializer

    def get_serializer_class(self):
        return SegmentDetailSerializer if self.action == "retrieve" else SegmentSerializer

    @extend_schema(
        summary="The segment's members now: accounts or people, as the accounts and contacts endpoints show them",
        responses={200: AccountOutputSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def members(self, request, pk=None):
        segment = self.get_object()
        members = segment_members(segment=segment, user=request.user).order_by("pk")
        if segment.target == Segment.Target.CONTACTS:
            members, serializer = (
                members.select_related("behaviour_suggestion").prefetch_related("phones"),
                ContactOutputSerializer,
            )
        else:
            members, serializer = members.select_related("manager", "industry", "lead_source"), AccountOutputSerializer
        page = self.paginate_queryset(members)
        return self.get_paginated_response(serializer(page, many=True, context=self.get_serializer_context()).data)
