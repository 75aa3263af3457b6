from crm.models.accounts import (
    Account,
    AccountEvent,
    Contact,
    ContactConsent,
    Industry,
    LeadSource,
    Phone,
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
from crm.models.tokens import ApiToken
from crm.models.users import Department, User

__all__ = [
    "Account",
    "AccountEvent",
    "ApiToken",
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
    "Order",
    "OrderLine",
    "Phone",
    "Product",
    "ProductCategory",
    "ResponseTarget",
    "ServiceRequest",
    "Task",
    "TimeStampedModel",
    "User",
    "validate_inn",
]
