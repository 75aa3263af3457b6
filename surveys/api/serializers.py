from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm.api.fields import MAX_ID, DateTimeField, ModelSerializer, PrimaryKeyRelatedField
from crm.models import Industry, User
from surveys.models import Response, Survey


class ResponseInputSerializer(serializers.Serializer):
    contact = serializers.IntegerField(min_value=1, help_text="The person's id in the CRM")
    submitted_at = DateTimeField(help_text="When the person answered (ISO 8601 with its offset)")
    external_id = serializers.CharField(max_length=128, help_text="Your id for the response: retries are idempotent")
    answers = serializers.DictField(
        child=serializers.JSONField(), allow_empty=False, help_text="Question code → score, text, or true/false"
    )


class AnswerSerializer(serializers.Serializer):
    question = serializers.CharField(source="question.code")
    score = serializers.IntegerField(allow_null=True)
    text = serializers.CharField()
    yes = serializers.BooleanField(allow_null=True)
    skipped = serializers.BooleanField()


class ResponseSerializer(ModelSerializer):
    survey = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    answers = AnswerSerializer(many=True, read_only=True)

    class Meta:
        model = Response
        fields = ["id", "survey", "contact", "account", "external_id", "submitted_at", "source", "answers"]


class MetricQuerySerializer(serializers.Serializer):
    """The filters every metric takes; `to` is exclusive. Dates or date-times."""

    survey = serializers.SlugRelatedField(
        slug_field="slug", queryset=Survey.objects.all(), required=False, help_text="Only this survey (nps, csat, ces)"
    )
    from_ = DateTimeField(required=False, help_text="From (inclusive)")
    to = DateTimeField(required=False, help_text="Up to (exclusive)")
    account = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    manager = PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    industry = PrimaryKeyRelatedField(queryset=Industry.objects.all(), required=False)

    def to_internal_value(self, data):
        data = {("from_" if key == "from" else key): value for key, value in data.items()}
        for key in ("from_", "to"):
            if isinstance(data.get(key), str) and len(data[key]) == 10:  # a plain date: its midnight
                data[key] += "T00:00:00"
        return super().to_internal_value(data)

    def validate(self, attrs):
        if attrs.get("from_") and attrs.get("to") and attrs["from_"] >= attrs["to"]:
            raise serializers.ValidationError({"to": _("“to” must be after “from”.")})
        return attrs
