"""Documents sent to a client: order confirmations, invoices, and what proposals carry beyond the link.

Behaviour types change what these say (DOMAIN §5): a type 3 client (predictability, proof) gets the standards the
products meet (GOST, TU on the product category) and links to completed work and testimonials; a type 2 client
(specifics, benefit) gets a proposal with a comparison table of their current cost against our offer.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import DecimalField, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from crm.models import Account, BehaviourType, Contact, Order, OrderLine, ProductCategory
from crm.outreach.models import MessageKind, OutboundMessage, Reference
from crm.outreach.services import MessagePlan, message_plan

REFERENCES_SHOWN = 3
CENT = Decimal("0.01")


def main_contact(account: Account) -> Contact | None:
    """Whom documents go to: the decision maker, else the first person of the account."""
    return account.contacts.order_by("-is_decision_maker", "id").first()


def references_for(account: Account, language: str) -> list[dict]:
    """Up to three active references in the person's language (or any): the account's industry's first."""
    references = (
        Reference.objects.filter(is_active=True)
        .filter(Q(language=language) | Q(language=""))
        .filter(Q(industry__isnull=True) | Q(industry_id=account.industry_id))
        .order_by(F("industry_id").desc(nulls_last=True), "position", "id")
    )
    with override(language):  # the kind is read in the person's language
        return [
            {"title": reference.title, "url": reference.url, "kind": str(reference.get_kind_display())}
            for reference in references[:REFERENCES_SHOWN]
        ]


def _standards(categories) -> list[str]:
    found = ProductCategory.objects.filter(id__in=categories).exclude(standards="").order_by("name")
    return [f"{category.name}: {category.standards}" for category in found]


def account_standards(account: Account) -> list[str]:
    """The standards of every category the account has bought from."""
    return _standards(
        OrderLine.objects.filter(order__account=account).values("product__category_id").distinct().order_by()
    )


def order_context(order: Order) -> dict:
    """What a confirmation or an invoice says of the order: its lines, total, dates and the standards they meet."""
    lines = list(OrderLine.objects.filter(order=order).select_related("product").order_by("id"))
    return {
        "order": {
            "number": order.number,
            "amount": order.amount,
            "currency": order.currency,
            "ordered_at": order.ordered_at,
            "promised_date": order.promised_delivery_date,
            "lines": [
                {
                    "product": line.product.name,
                    "quantity": line.quantity.normalize(),
                    "unit_price": line.unit_price,
                    "total": (line.quantity * line.unit_price).quantize(CENT, ROUND_HALF_UP),
                }
                for line in lines
            ],
        },
        "standards": _standards({line.product.category_id for line in lines}),
    }


def _document_send(order: Order, kind: str, extra: dict) -> OutboundMessage:
    account = order.account
    contact = main_contact(account)
    if contact is None:
        raise ValidationError(_("%(account)s has no contact person to send it to.") % {"account": account.name})
    return message_plan(
        MessagePlan(
            key=f"{kind}:{order.id}",
            kind=kind,
            contact=contact,
            context={**order_context(order), "references": references_for(account, contact.language), **extra},
            data={"order_id": order.id},
        )
    )


def order_confirmation_send(*, order: Order) -> OutboundMessage:
    """Confirm the order to the client's main person: once per order (a repeat returns the first message)."""
    return _document_send(order, MessageKind.ORDER_CONFIRMATION, {})


def invoice_send(*, order: Order) -> OutboundMessage:
    """Send the invoice for the order, with the company's payment details (CRM_PAYMENT_DETAILS): once per order."""
    return _document_send(order, MessageKind.INVOICE, {"payment_details": settings.CRM_PAYMENT_DETAILS})


def order_confirmation_wanted(order: Order) -> bool:
    """Type 3 clients get every order confirmed in writing, unasked (DOMAIN §5: extra confirmations)."""
    return order.status != Order.Status.CANCELLED and (
        order.account.behaviour_type == BehaviourType.UNEMOTIONAL_UNCONFIDENT
    )


# The type 2 proposal ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonRow:
    product: str
    quantity: Decimal
    current_cost: Decimal
    offer_cost: Decimal

    @property
    def saving(self) -> Decimal:
        return self.current_cost - self.offer_cost


@dataclass(frozen=True)
class Comparison:
    """What the client paid for what they bought in the period, against the same volume at our offer."""

    months: int
    rows: list[ComparisonRow]

    @property
    def current_total(self) -> Decimal:
        return sum((row.current_cost for row in self.rows), Decimal(0))

    @property
    def offer_total(self) -> Decimal:
        return sum((row.offer_cost for row in self.rows), Decimal(0))

    @property
    def saving(self) -> Decimal:
        return sum((row.saving for row in self.rows), Decimal(0))

    def as_context(self) -> dict:
        percent = (100 * self.saving / self.current_total).quantize(Decimal("0.1")) if self.current_total else None
        return {
            "months": self.months,
            "rows": [
                {
                    "product": row.product,
                    "quantity": row.quantity.normalize(),
                    "current": row.current_cost,
                    "offer": row.offer_cost,
                    "saving": row.saving,
                }
                for row in self.rows
            ],
            "current_total": self.current_total,
            "offer_total": self.offer_total,
            "saving": self.saving,
            "saving_percent": percent,
        }


def proposal_comparison(
    *, account: Account, discount_percent: Decimal, months: int = 12, now: datetime | None = None
) -> Comparison:
    """The account's purchases per product over the last `months` (cancelled orders aside), priced as paid and
    at our offer (the paid price less `discount_percent`), each cost rounded to the kopeck."""
    if not Decimal(0) < discount_percent < Decimal(100):
        raise ValidationError({"discount_percent": _("The offer's discount is a percentage above 0 and below 100.")})
    since = (now or timezone.now()) - timedelta(days=round(months * 30.44))
    bought = (
        OrderLine.objects.filter(order__account=account, order__ordered_at__gte=since)
        .exclude(order__status=Order.Status.CANCELLED)
        .values("product_id", "product__name")
        .annotate(
            volume=Sum("quantity"),
            cost=Sum(F("quantity") * F("unit_price"), output_field=DecimalField(max_digits=20, decimal_places=5)),
        )
        .order_by("-cost", "product__name")
    )
    keep = (Decimal(100) - discount_percent) / Decimal(100)
    rows = [
        ComparisonRow(
            product=row["product__name"],
            quantity=row["volume"],
            current_cost=row["cost"].quantize(CENT, ROUND_HALF_UP),
            offer_cost=(row["cost"] * keep).quantize(CENT, ROUND_HALF_UP),
        )
        for row in bought
    ]
    if not rows:
        raise ValidationError(
            _("%(account)s bought nothing in the last %(months)s months: there is nothing to compare.")
            % {"account": account.name, "months": months}
        )
    return Comparison(months=months, rows=rows)
