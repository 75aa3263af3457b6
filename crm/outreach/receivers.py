"""What the outreach does as things happen in the core (crm/events.py)."""

from crm.events import OUTREACH, DeliveryDateMoved, OrderPlaced, subscribe
from crm.models import Order
from crm.outreach.documents import order_confirmation_send, order_confirmation_wanted
from crm.outreach.services import enqueue_after_commit


@subscribe(DeliveryDateMoved, order=OUTREACH)
def warn_of_the_moved_delivery(event: DeliveryDateMoved) -> None:
    """Warn the client now rather than at the next scheduled run (the job finds every moved date)."""
    enqueue_after_commit("crm.outreach_deliveries")


@subscribe(OrderPlaced, order=OUTREACH)
def confirm_the_order(event: OrderPlaced) -> None:
    """A type 3 client gets the order confirmed in writing, citing the standards its products meet."""
    order = Order.objects.select_related("account").get(pk=event.order_id)
    if order_confirmation_wanted(order) and order.account.contacts.exists():
        order_confirmation_send(order=order)
