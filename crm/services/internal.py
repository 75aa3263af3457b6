"""Internal customers (DOMAIN §9): requests between departments, kept like any promise, rated by who received them."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Commitment, InternalService, Task, User
from crm.models.internal import INTERNAL_RATING_SCALE
from crm.services.activity import INTERNAL_RATING_RULE, commitment_create


@transaction.atomic
def internal_request_create(
    *, service: InternalService, requested_by: User, details: str = "", now: datetime | None = None
) -> Commitment:
    """Ask the serving department for the service: a promise due after the register's deadline, owned by its head."""
    if not service.is_active:
        raise ValidationError(_("This internal service is no longer offered."))
    now = now or timezone.now()
    description = service.deliverable + (f": {details.strip()}" if details.strip() else "")
    return commitment_create(
        description=description[:500],
        due_at=now + timedelta(days=service.deadline_days),
        created_by=requested_by,
        kind=Commitment.Kind.DOCUMENT,
        department=service.serving_department,
        owner=service.serving_department.head,
        receiving_department=service.receiving_department,
        internal_service=service,
    )


def internal_rating_allowed(user: User, commitment: Commitment) -> bool:
    """The receiving department rates: its members and its head (and whoever sees everything)."""
    department_id = commitment.receiving_department_id
    return bool(department_id) and (
        user.sees_all_accounts or user.department_id == department_id or department_id in user.headed_department_ids
    )


@transaction.atomic
def internal_request_rate(
    *, commitment: Commitment, rating: int, user: User, now: datetime | None = None
) -> Commitment:
    """The one internal CSAT question after delivery. Rating again replaces the answer; the same answer is a no-op."""
    low, high = INTERNAL_RATING_SCALE
    if commitment.receiving_department_id is None:
        raise ValidationError(_("Only a request between departments is rated by its internal customer."))
    if not internal_rating_allowed(user, commitment):
        raise PermissionDenied(_("Only the receiving department rates what it received."))
    if commitment.status != Commitment.Status.KEPT:
        raise ValidationError(_("A request is rated after it is delivered (marked kept)."))
    if not isinstance(rating, int) or not low <= rating <= high:
        raise ValidationError(_("A rating is a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if commitment.internal_rating != rating:
        commitment.internal_rating = rating
        commitment.rated_by = user
        commitment.rated_at = now or timezone.now()
        commitment.save(update_fields=["internal_rating", "rated_by", "rated_at", "updated_at"])
    Task.objects.open().filter(commitment=commitment, created_by_rule=INTERNAL_RATING_RULE).update(
        status=Task.Status.DONE, completed_at=now or timezone.now()
    )
    return commitment
