from crm.models.accounts import (
    Account,
    AccountEvent,
    Axis,
    BehaviourType,
    Contact,
    ContactConsent,
    Industry,
    LeadSource,
    LeadSourceCost,
    Level,
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
from crm.models.base import BatchCheckpoint, Language, TimeStampedModel
from crm.models.imports import ImportJob
from crm.models.internal import InternalService
from crm.models.orders import DeliveryDateChange, Order, OrderLine, Product, ProductCategory
from crm.models.tokens import ApiToken
from crm.models.users import Department, User
from crm.monitoring.models import EquipmentSignal
from crm.moving_in.models import MoveIn, SourceKey
from crm.outreach.models import (
    Campaign,
    EmailEvent,
    MessageChannel,
    MessageKind,
    MessageTemplate,
    OutboundMessage,
    ProfessionalHoliday,
    Reference,
    TrackedLink,
)
from crm.portal.models import ClientPageLink
from crm.telephony.models import Call, TelephonyConnection
from crm.webleads.models import LeadRoute, WebLead

__all__ = [
    "Account",
    "AccountEvent",
    "ApiToken",
    "Axis",
    "BatchCheckpoint",
    "BehaviourType",
    "Call",
    "Campaign",
    "ClientPageLink",
    "Commitment",
    "Contact",
    "ContactConsent",
    "DeliveryDateChange",
    "Department",
    "EmailEvent",
    "Equipment",
    "EquipmentSignal",
    "ImportJob",
    "Industry",
    "Interaction",
    "InternalService",
    "Language",
    "LeadRoute",
    "LeadSource",
    "LeadSourceCost",
    "Level",
    "MessageChannel",
    "MessageKind",
    "MessageTemplate",
    "MoveIn",
    "Order",
    "OrderLine",
    "OutboundMessage",
    "Phone",
    "Product",
    "ProductCategory",
    "ProfessionalHoliday",
    "Reference",
    "ResponseTarget",
    "ServiceRequest",
    "SourceKey",
    "Task",
    "TelephonyConnection",
    "TimeStampedModel",
    "TrackedLink",
    "User",
    "WebLead",
    "Zone",
    "validate_inn",
]
