from crm.models.accounts import (
    Account,
    AccountEvent,
    BehaviourType,
    Contact,
    ContactConsent,
    Industry,
    LeadSource,
    LeadSourceCost,
    Phone,
    Zone,
    validate_inn,
)
from crm.models.activity import (
    Commitment,
    Equipment,
    Interaction,
    ResponseTarget,
    ServiceRequest,
    Task,
)
from crm.models.base import Language, TimeStampedModel
from crm.models.orders import DeliveryDateChange, Order, OrderLine, Product, ProductCategory
from crm.models.outreach import (
    Campaign,
    MessageChannel,
    MessageKind,
    MessageTemplate,
    OutboundMessage,
    ProfessionalHoliday,
    TrackedLink,
)
from crm.models.telephony import Call, TelephonyConnection
from crm.models.tokens import ApiToken
from crm.models.users import Department, User

__all__ = [
    "Account",
    "AccountEvent",
    "ApiToken",
    "BehaviourType",
    "Call",
    "Campaign",
    "Commitment",
    "Contact",
    "ContactConsent",
    "DeliveryDateChange",
    "Department",
    "Equipment",
    "Industry",
    "Interaction",
    "Language",
    "LeadSource",
    "LeadSourceCost",
    "MessageChannel",
    "MessageKind",
    "MessageTemplate",
    "Order",
    "OrderLine",
    "OutboundMessage",
    "Phone",
    "Product",
    "ProductCategory",
    "ProfessionalHoliday",
    "ResponseTarget",
    "ServiceRequest",
    "Task",
    "TelephonyConnection",
    "TimeStampedModel",
    "TrackedLink",
    "User",
    "Zone",
    "validate_inn",
]
