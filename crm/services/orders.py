from collections.abc import Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.models import DeliveryDateChange, Order, OrderLine


@transaction.atomic
def order_create(*, account, number: str, lines: Sequence[dict] = (), **fields) -> Order:
    """Create an order; `lines` are dicts of product, quantity and unit_price."""
    order = Order(account=account, number=number, **fields)
    order.full_clean()
    order.save()
    built = [OrderLine(order=order, **line) for line in lines]
    for line in built:
        line.full_clean(exclude=["order"])
    OrderLine.objects.bulk_create(built)
    return order


@transaction.atomic
def order_delivery_date_change(*, order: Order, new_date: date, reason: str, acting_user=None) -> Order:
    """Move the promised delivery date, keeping the old date and the reason as history."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the delivery date moves: the client will ask.")})
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.promised_delivery_date == new_date:
        return order
    DeliveryDateChange.objects.create(
        order=order,
        old_date=order.promised_delivery_date,
        new_date=new_date,
        reason=reason.strip(),
        acting_user=acting_user,
    )
    order.promised_delivery_date = new_date
    order.save(update_fields=["promised_delivery_date", "updated_at"])
    return order
