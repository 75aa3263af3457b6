"""What the outreach does as things happen in the core (crm/events.py)."""

from crm.events import OUTREACH, DeliveryDateMoved, subscribe
from crm.outreach.services import enqueue_after_commit


@subscribe(DeliveryDateMoved, order=OUTREACH)
def warn_of_the_moved_delivery(event: DeliveryDateMoved) -> None:
    """Warn the client now rather than at the next scheduled run (the job finds every moved date)."""
    enqueue_after_commit("crm.outreach_deliveries")
