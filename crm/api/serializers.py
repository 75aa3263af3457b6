"""Output serializers describe what the API returns; input serializers validate what a service gets."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.access import assignable_managers_q
from crm.api.fields import DateField, DateTimeField, ModelSerializer, PrimaryKeyRelatedField
from crm.models import (
    Account,
    Axis,
    Commitment,
    Contact,
    Interaction,
    Order,
    OrderLine,
    Phone,
    Product,
    ServiceRequest,
    Task,
    User,
)
from crm.services.behaviour import account_behaviour_source


class VisibleAccountField(PrimaryKeyRelatedField):
    """An account id the requesting user may see; any other id is "does not exist"."""

    def get_queryset(self):
        return Account.objects.for_user(self.context["request"].user)


class VisibleContactField(PrimaryKeyRelatedField):
    def get_queryset(self):
        return Contact.objects.for_user(self.context["request"].user)


class ActiveUserField(PrimaryKeyRelatedField):
    def get_queryset(self):
        return User.objects.filter(is_active=True)


class AssignableManagerField(PrimaryKeyRelatedField):
    """Someone the requesting user may hand an account to (crm/access.py); anyone else is "does not exist"."""

    def get_queryset(self):
        return User.objects.filter(assignable_managers_q(self.context["request"].user))


# --- Output ----------------------------------------------------------------------------------


class UserOutputSerializer(ModelSerializer):
    full_name = serializers.CharField(source="get_full_name")

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "email",
            "department",
            "head",
            "phone_extension",
            "sip_uri",
            "language",
            "is_active",
        ]


class AccountOutputSerializer(ModelSerializer):
    industry = serializers.StringRelatedField(allow_null=True)
    lead_source = serializers.StringRelatedField(allow_null=True)
    behaviour_type_source = serializers.SerializerMethodField(
        help_text="Where `behaviour_type` comes from: set on the account, or its decision maker's; empty: not sure."
    )

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "legal_name",
            "inn",
            "industry",
            "size",
            "lead_source",
            "manager",
            "status",
            "referred_by",
            "zone",
            "zone_changed_at",
            "level",
            "level_changed_at",
            "behaviour_type",
            "behaviour_type_set",
            "behaviour_type_source",
            "survey_cadence_days",
            "survey_day",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=["account", "decision_maker", ""]))
    def get_behaviour_type_source(self, account) -> str:
        return account_behaviour_source(account)


class PhoneOutputSerializer(serializers.Serializer):
    # Declared, not introspected from the model: contacts and phones are on the telephony lookup's hot path,
    # and building ModelSerializer fields costs more than the database round trips there.
    id = serializers.IntegerField(read_only=True)
    contact = serializers.IntegerField(source="contact_id", read_only=True)
    raw = serializers.CharField(read_only=True)
    number = serializers.CharField(read_only=True, help_text="E.164")
    extension = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=Phone.Kind.choices, read_only=True)
    is_primary = serializers.BooleanField(read_only=True)


class BehaviourEvidenceSerializer(serializers.Serializer):
    phrase = serializers.CharField(help_text="The lexicon entry found")
    axis = serializers.ChoiceField(choices=["emotional", "confident"])
    leans = serializers.ChoiceField(choices=["yes", "no"])
    weight = serializers.IntegerField()
    source = serializers.ChoiceField(choices=["interaction", "answer"], help_text="An interaction or a survey answer")
    id = serializers.IntegerField(help_text="The interaction's or the answer's id")
    at = DateTimeField()
    excerpt = serializers.CharField(help_text="The words around the phrase, the phrase in «»")


class BehaviourSuggestionSerializer(serializers.Serializer):
    emotional = serializers.ChoiceField(choices=Axis.choices)
    confident = serializers.ChoiceField(choices=Axis.choices)
    behaviour_type = serializers.IntegerField(allow_null=True)
    emotional_confidence = serializers.IntegerField(help_text="0-100")
    confident_confidence = serializers.IntegerField(help_text="0-100")
    confidence = serializers.IntegerField(help_text="Of the type: the lower of the two axes")
    disagrees = serializers.BooleanField(help_text="On an axis both decided, the manager and the suggestion differ")
    evidence = BehaviourEvidenceSerializer(many=True)
    texts = serializers.IntegerField(help_text="Notes and answers read")
    computed_at = DateTimeField()


class ContactOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    account = serializers.IntegerField(source="account_id", read_only=True)
    first_name = serializers.CharField(read_only=True)
    patronymic = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)
    addressed_name = serializers.CharField(read_only=True)
    position = serializers.CharField(read_only=True)
    is_decision_maker = serializers.BooleanField(read_only=True)
    email = serializers.CharField(read_only=True, help_text="An email address, or empty when unknown")
    language = serializers.ChoiceField(choices=Contact._meta.get_field("language").choices, read_only=True)
    birthday = serializers.DateField(read_only=True, allow_null=True)
    preferred_channel = serializers.ChoiceField(choices=Contact.Channel.choices, read_only=True, allow_blank=True)
    emotional = serializers.ChoiceField(choices=Axis.choices, read_only=True)
    confident = serializers.ChoiceField(choices=Axis.choices, read_only=True)
    behaviour_type = serializers.IntegerField(read_only=True, allow_null=True, help_text="From the two axes")
    behaviour_suggestion = serializers.SerializerMethodField()
    phones = PhoneOutputSerializer(many=True, read_only=True)
    created_at = DateTimeField(read_only=True)

    @extend_schema_field(BehaviourSuggestionSerializer(allow_null=True))
    def get_behaviour_suggestion(self, contact):
        suggestion = getattr(contact, "behaviour_suggestion", None)
        return BehaviourSuggestionSerializer(suggestion).data if suggestion else None


class PhoneMatchSerializer(serializers.Serializer):
    """One answer of the phone lookup: the person, their company and its manager, from one query."""

    contact = serializers.IntegerField(source="contact_id", read_only=True)
    first_name = serializers.CharField(source="contact.first_name", read_only=True)
    patronymic = serializers.CharField(source="contact.patronymic", read_only=True)
    last_name = serializers.CharField(source="contact.last_name", read_only=True)
    addressed_name = serializers.CharField(source="contact.addressed_name", read_only=True)
    account = serializers.IntegerField(source="contact.account_id", read_only=True)
    account_name = serializers.CharField(source="contact.account.name", read_only=True)
    manager = serializers.IntegerField(source="contact.account.manager_id", read_only=True, allow_null=True)
    number = serializers.CharField(read_only=True, help_text="E.164")
    extension = serializers.CharField(read_only=True)


class InteractionOutputSerializer(ModelSerializer):
    class Meta:
        model = Interaction
        fields = [
            "id",
            "account",
            "contact",
            "user",
            "channel",
            "direction",
            "occurred_at",
            "duration_seconds",
            "subject",
            "notes",
            "outcome",
            "recording_url",
            "wow",
            "source",
            "external_id",
            "created_at",
        ]


class OrderLineOutputSerializer(ModelSerializer):
    product = serializers.CharField(source="product.name")
    category = serializers.CharField(source="product.category.name")

    class Meta:
        model = OrderLine
        fields = ["product", "category", "quantity", "unit_price"]


class OrderOutputSerializer(ModelSerializer):
    lines = OrderLineOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "account",
            "number",
            "status",
            "amount",
            "currency",
            "ordered_at",
            "promised_delivery_date",
            "delivered_at",
            "lines",
        ]


class CommitmentOutputSerializer(ModelSerializer):
    is_overdue = serializers.BooleanField(read_only=True)
    kept_on_time = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = Commitment
        fields = [
            "id",
            "account",
            "contact",
            "owner",
            "department",
            "description",
            "kind",
            "due_at",
            "status",
            "fulfilled_at",
            "is_overdue",
            "kept_on_time",
            "source_interaction",
            "source_order",
            "source_service_request",
            "created_at",
        ]


class TaskOutputSerializer(ModelSerializer):
    class Meta:
        model = Task
        fields = [
            "id",
            "assignee",
            "account",
            "title",
            "description",
            "kind",
            "priority",
            "due_at",
            "status",
            "completed_at",
            "created_by",
            "created_by_rule",
            "commitment",
            "created_at",
        ]


class ServiceRequestOutputSerializer(ModelSerializer):
    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "account",
            "contact",
            "channel",
            "subject",
            "description",
            "status",
            "assignee",
            "created_at",
            "first_response_due_at",
            "first_response_at",
            "resolved_at",
            "resolved_at_first_contact",
            "equipment",
            "problem_code",
            "signal_count",
        ]


# --- Input ------------------------------------------------------------------------------------


class AccountInputSerializer(ModelSerializer):
    manager = AssignableManagerField(required=False, allow_null=True)
    referred_by = VisibleAccountField(required=False, allow_null=True)

    class Meta:
        model = Account
        fields = [
            "name",
            "legal_name",
            "inn",
            "industry",
            "size",
            "lead_source",
            "manager",
            "status",
            "referred_by",
            "behaviour_type_set",
            "survey_cadence_days",
            "survey_day",
        ]


class ContactInputSerializer(ModelSerializer):
    account = VisibleAccountField()
    phones = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        max_length=20,
        help_text="Phone numbers in any format, e.g. “8 (916) 123-45-67” or “+7 495 123-45-67 доб. 12”.",
    )

    class Meta:
        model = Contact
        fields = [
            "account",
            "first_name",
            "patronymic",
            "last_name",
            "position",
            "is_decision_maker",
            "email",
            "language",
            "birthday",
            "preferred_channel",
            "emotional",
            "confident",
            "phones",
        ]


class ContactUpdateSerializer(ContactInputSerializer):
    """Phones change through /phones/; everything else about a person here."""

    phones = None

    class Meta(ContactInputSerializer.Meta):
        fields = [name for name in ContactInputSerializer.Meta.fields if name != "phones"]


class PhoneInputSerializer(ModelSerializer):
    contact = VisibleContactField()

    class Meta:
        model = Phone
        fields = ["contact", "raw", "kind", "is_primary"]
        validators = []


class InteractionInputSerializer(ModelSerializer):
    account = VisibleAccountField()
    contact = VisibleContactField(required=False, allow_null=True)

    class Meta:
        model = Interaction
        fields = [
            "account",
            "contact",
            "user",
            "channel",
            "direction",
            "occurred_at",
            "duration_seconds",
            "subject",
            "notes",
            "outcome",
            "recording_url",
            "wow",
            "source",
            "external_id",
        ]
        # A repeated external id is not an error: the service returns the first record.
        validators = []


class OrderLineInputSerializer(serializers.Serializer):
    product = serializers.SlugRelatedField(slug_field="sku", queryset=Product.objects.all())
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0))


class OrderInputSerializer(ModelSerializer):
    account = VisibleAccountField()
    lines = OrderLineInputSerializer(many=True, required=False, max_length=500)

    class Meta:
        model = Order
        fields = ["account", "number", "status", "amount", "currency", "ordered_at", "promised_delivery_date", "lines"]
        extra_kwargs = {"amount": {"min_value": Decimal(0)}}


class OrderDeliveryDateChangeInputSerializer(serializers.Serializer):
    new_date = DateField()
    reason = serializers.CharField(max_length=500)


class CommitmentInputSerializer(ModelSerializer):
    account = VisibleAccountField(required=False, allow_null=True)
    contact = VisibleContactField(required=False, allow_null=True)
    owner = ActiveUserField(required=False, allow_null=True)

    class Meta:
        model = Commitment
        fields = ["account", "contact", "owner", "department", "description", "kind", "due_at"]


class CommitmentCloseInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[Commitment.Status.KEPT, Commitment.Status.BROKEN, Commitment.Status.CANCELLED]
    )
    at = DateTimeField(required=False)


class TaskInputSerializer(ModelSerializer):
    account = VisibleAccountField(required=False, allow_null=True)
    assignee = ActiveUserField(required=False, allow_null=True)

    class Meta:
        model = Task
        fields = ["assignee", "account", "title", "description", "kind", "priority", "due_at"]


class ServiceRequestInputSerializer(ModelSerializer):
    account = VisibleAccountField()
    contact = VisibleContactField(required=False, allow_null=True)
    assignee = ActiveUserField(required=False, allow_null=True)
    created_at = DateTimeField(required=False)

    class Meta:
        model = ServiceRequest
        fields = ["account", "contact", "channel", "subject", "description", "assignee", "created_at"]


class ServiceRequestResolveInputSerializer(serializers.Serializer):
    resolved_at_first_contact = serializers.BooleanField(default=False)
