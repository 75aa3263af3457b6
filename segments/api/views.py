from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView, get_object_or_404

from crm.api.permissions import HasResourceScope
from crm.models import Account
from segments.models import ZoneChange

HISTORY_LIMIT = 500


class ZoneChangeSerializer(serializers.ModelSerializer):
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
