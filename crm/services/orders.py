from collections.abc import Sequence
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm.events import DeliveryDateMoved, OrderChanged, OrderDelivered, OrderPlaced, publish
from crm.models import DeliveryDateChange, Order, OrderLine, Task
from crm.services.accounts import accounts_hold
from crm.services.activity import task_title


def order_create(*, account, number: str, lines: Sequence[dict] = (), **fields) -> Order:
    """Create an order; `lines` are dicts of product, quantity and unit_price."""
    return order_record(order=Order(account=account, number=number, **fields), lines=lines)


@transaction.atomic
def order_record(*, order: Order, lines: Sequence[dict] = ()) -> Order:
    """Save a new order built elsewhere (the admin's form) the way every new order is saved, and announce it.

    The account is held until the order commits, so what recomputes the account's figures from its orders (the
    nightly levels run, holding its accounts the same way) waits for the order and counts it, rather than writing
    a change from the orders before it that the order's own listeners then undo."""
    account = order.account
    accounts_hold(account.id, account.id)
    # The client's previous order was moved: this one's date gets confirmed with them again.
    previous = account.orders.order_by("-ordered_at", "-id").first()
    order.extra_confirmation = bool(previous and previous.delivery_date_changes.filter(old_date__isnull=False).exists())
    order.full_clean()
    order.save()
    if order.extra_confirmation:
        Task.objects.create(
            assignee=account.manager,
            account=account,
            title=task_title(
                account.manager,
                gettext_noop("Confirm the delivery date of order %(number)s: the last delivery was moved"),
                number=order.number,
            ),
            kind=Task.Kind.CALL_BACK,
            priority=Task.Priority.HIGH,
            due_at=timezone.now() + timedelta(days=1),
            created_by_rule="extra_confirmation",
            idempotency_key=f"extra-confirmation:{order.id}",
        )
    built = [OrderLine(order=order, **line) for line in lines]
    for line in built:
        line.full_clean(exclude=["order"])
    OrderLine.objects.bulk_create(built)
    cancelled = order.status == Order.Status.CANCELLED
    publish(OrderPlaced(account_id=account.id, order_id=order.id, ordered_at=order.ordered_at, cancelled=cancelled))
    if order.delivered_at and not cancelled:
        order_delivered(order=order)
    return order


def order_changed(*, order: Order) -> None:
    """Announce that a placed order's status or date changed (the admin's order page)."""
    publish(OrderChanged(account_id=order.account_id, order_id=order.id))


def order_delivered(*, order: Order) -> None:
    """Announce a delivery (the client moves on to using what they bought, DOMAIN §7)."""
    publish(OrderDelivered(account_id=order.account_id, order_id=order.id, delivered_at=order.delivered_at))


@transaction.atomic
def order_delivery_date_change(*, order: Order, new_date: date, reason: str, acting_user=None) -> Order:
    """Move the promised delivery date, keeping the old date and the reason as history."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the delivery date moves: the client will ask.")})
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.promised_delivery_date == new_date:
        return order
    old_date = order.promised_delivery_date
    DeliveryDateChange.objects.create(
        order=order,
        old_date=old_date,
        new_date=new_date,
        reason=reason.strip(),
        acting_user=acting_user,
    )
    order.promised_delivery_date = new_date
    order.save(update_fields=["promised_delivery_date", "updated_at"])
    if old_date is not None:
        publish(DeliveryDateMoved(account_id=order.account_id, order_id=order.id, old_date=old_date, new_date=new_date))
    return order
