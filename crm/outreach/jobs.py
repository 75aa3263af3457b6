"""The scheduled jobs that act before the client asks. Each plans into the outbox by idempotency key,
in batches with a constant number of queries each, and is safe to run at any time, any number of times.
"""

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm.models import (
    Account,
    BehaviourType,
    Commitment,
    Contact,
    DeliveryDateChange,
    Equipment,
    Order,
    OrderLine,
    Task,
)
from crm.outreach.hooks import CLIENT_PAGE_PLACEHOLDER, segment_people
from crm.outreach.models import Campaign, MessageKind, ProfessionalHoliday
from crm.outreach.services import MessagePlan, TemplateIndex, enqueue_after_commit, messages_plan
from crm.services.activity import commitments_overdue_remind, rule_tasks_open, task_title

BATCH_SIZE = 1000


def _plan(plans, templates=None) -> int:
    return messages_plan(plans, templates=templates, send_now=False)


def _then_send(job):
    """A job plans many batches; start sending once, when it is done (beat's 30 s sweep would too)."""

    @wraps(job)
    def run(**kwargs) -> int:
        planned = job(**kwargs)
        if planned:
            enqueue_after_commit("crm.outbox_send")
        return planned

    return run


_NOT_SHIPPED = (Order.Status.NEW, Order.Status.CONFIRMED, Order.Status.IN_PRODUCTION)


def _batches(queryset: QuerySet, size: int = BATCH_SIZE) -> Iterator[list]:
    """The rows in batches of `size`: one query for the matching ids, then one per batch by primary key.

    Cheaper than paging the filter itself: conditions such as "birthday is today" have no index, so
    each page would scan the table again.
    """
    ids = list(queryset.order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), size):
        yield list(queryset.filter(id__in=ids[start : start + size]).order_by("id"))


def main_contacts(accounts: Iterable[Account]) -> dict[int, Contact]:
    """Each account's main person (its decision maker, else its first contact), in two queries.

    The contacts come with their account and its manager already attached, ready to render.
    """
    accounts = {account.id: account for account in accounts}
    main_ids = dict(
        Account.objects.filter(id__in=accounts)
        .annotate(
            main_contact_id=Subquery(
                Contact.objects.filter(account=OuterRef("pk")).order_by("-is_decision_maker", "id").values("id")[:1]
            )
        )
        .values_list("id", "main_contact_id")
    )
    contacts = Contact.objects.in_bulk([contact_id for contact_id in main_ids.values() if contact_id])
    for contact in contacts.values():
        contact.account = accounts[contact.account_id]
    return {account_id: contacts[contact_id] for account_id, contact_id in main_ids.items() if contact_id}


def _order_context(order: Order, **extra) -> dict:
    return {"order": {"number": order.number, "promised_date": order.promised_delivery_date, **extra}}


# 1. Maintenance due ------------------------------------------------------------------------------


@_then_send
def maintenance_due_plan(*, today: date | None = None) -> int:
    """Remind the responsible person N days before an equipment item's next maintenance; task the manager."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.CRM_MAINTENANCE_REMINDER_DAYS)
    due = Equipment.objects.filter(next_maintenance_at__range=(today, horizon)).select_related(
        "account__manager", "responsible_contact"
    )
    templates, planned = TemplateIndex(), 0
    for batch in _batches(due):
        plans, tasks = [], []
        main = main_contacts(item.account for item in batch if item.responsible_contact_id is None)
        for item in batch:
            contact = item.responsible_contact or main.get(item.account_id)
            due_on = item.next_maintenance_at.isoformat()
            if contact is not None:
                contact.account = item.account
                plans.append(
                    MessagePlan(
                        key=f"maintenance:{item.id}:{due_on}",
                        kind=MessageKind.MAINTENANCE_DUE,
                        contact=contact,
                        context={
                            "equipment": {
                                "model": item.model_name,
                                "serial_number": item.serial_number,
                                "due_date": item.next_maintenance_at,
                            }
                        },
                        data={"equipment_id": item.id, "due_date": due_on},
                    )
                )
            tasks.append(
                Task(
                    assignee_id=item.account.manager_id,
                    account_id=item.account_id,
                    title=task_title(
                        item.account.manager,
                        gettext_noop("Schedule the maintenance visit: %(item)s, due %(date)s"),
                        item=item,
                        date=date_format(item.next_maintenance_at, "SHORT_DATE_FORMAT"),
                    ),
                    kind=Task.Kind.MEETING,
                    due_at=timezone.now() + timedelta(days=3),
                    created_by_rule="maintenance_due",
                    idempotency_key=f"maintenance-visit:{item.id}:{due_on}",
                )
            )
        planned += _plan(plans, templates)
        rule_tasks_open(tasks)
    return planned


# 2. Delivery moved or at risk --------------------------------------------------------------------


@_then_send
def deliveries_plan(*, now: datetime | None = None) -> int:
    """Warn the client of a moved or at-risk delivery before they call; give the manager a task."""
    now = now or timezone.now()
    templates, planned = TemplateIndex(), 0
    moves = (
        DeliveryDateChange.objects.filter(created_at__gte=now - timedelta(days=3), old_date__isnull=False)
        .exclude(order__status__in=[Order.Status.DELIVERED, Order.Status.CANCELLED])
        .select_related("order__account__manager")
    )
    for batch in _batches(moves):
        plans, tasks = [], []
        main = main_contacts(move.order.account for move in batch)
        for move in batch:
            order, account = move.order, move.order.account
            contact = main.get(account.id)
            if contact is not None:
                plans.append(
                    MessagePlan(
                        key=f"delivery-moved:{move.id}",
                        kind=MessageKind.DELIVERY_MOVED,
                        contact=contact,
                        context=_order_context(
                            order,
                            old_date=move.old_date,
                            new_date=move.new_date,
                            reason=move.reason,
                            days_moved=move.days_moved,
                        ),
                        data={"order_id": order.id, "new_date": move.new_date.isoformat()},
                    )
                )
            tasks.append(
                Task(
                    assignee=account.manager,
                    account=account,
                    title=task_title(
                        account.manager,
                        gettext_noop("Delivery of order %(number)s moved to %(date)s: call the client"),
                        number=order.number,
                        date=date_format(move.new_date, "SHORT_DATE_FORMAT"),
                    ),
                    kind=Task.Kind.CALL_BACK,
                    priority=Task.Priority.HIGH,
                    due_at=now + timedelta(hours=4),
                    created_by_rule="delivery_moved",
                    idempotency_key=f"delivery-moved:{move.id}",
                )
            )
        planned += _plan(plans, templates)
        rule_tasks_open(tasks)

    today = timezone.localdate(now)
    at_risk = Order.objects.filter(
        status__in=_NOT_SHIPPED,
        promised_delivery_date__range=(today, today + timedelta(days=settings.CRM_DELIVERY_AT_RISK_DAYS)),
    ).select_related("account__manager")
    for batch in _batches(at_risk):
        plans, tasks = [], []
        main = main_contacts(order.account for order in batch)
        for order in batch:
            promised = order.promised_delivery_date.isoformat()
            contact = main.get(order.account_id)
            if contact is not None:
                plans.append(
                    MessagePlan(
                        key=f"delivery-at-risk:{order.id}:{promised}",
                        kind=MessageKind.DELIVERY_AT_RISK,
                        contact=contact,
                        context=_order_context(order),
                        data={"order_id": order.id, "promised_date": promised},
                    )
                )
            tasks.append(
                Task(
                    assignee=order.account.manager,
                    account=order.account,
                    title=task_title(
                        order.account.manager,
                        gettext_noop("Order %(number)s has not shipped and is due %(date)s: confirm the date"),
                        number=order.number,
                        date=date_format(order.promised_delivery_date, "SHORT_DATE_FORMAT"),
                    ),
                    kind=Task.Kind.FOLLOW_UP,
                    priority=Task.Priority.HIGH,
                    due_at=now + timedelta(hours=4),
                    created_by_rule="delivery_at_risk",
                    idempotency_key=f"delivery-at-risk:{order.id}:{promised}",
                )
            )
        planned += _plan(plans, templates)
        rule_tasks_open(tasks)
    return planned


# 3. Long orders: weekly "on track" -----------------------------------------------------------------


@_then_send
def orders_on_track_plan(*, now: datetime | None = None) -> int:
    """Every week, tell clients who want certainty that their long order is on track."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    orders = (
        Order.objects.open()
        .filter(
            promised_delivery_date__gt=today,
            ordered_at__lte=now - timedelta(days=7),
        )
        .filter(
            Q(account__behaviour_type=BehaviourType.UNEMOTIONAL_UNCONFIDENT) | Q(account__weekly_order_updates=True)
        )
        .select_related("account__manager")
    )
    templates, planned = TemplateIndex(), 0
    for batch in _batches(orders):
        plans = []
        main = main_contacts(order.account for order in batch)
        for order in batch:
            contact = main.get(order.account_id)
            if contact is None:
                continue
            # Counted in weeks since the order, not calendar weeks: a Sunday and the Monday after are one week.
            weeks_since_order = (now - order.ordered_at).days // 7
            context = _order_context(order)
            if order.account.behaviour_type == BehaviourType.UNEMOTIONAL_UNCONFIDENT:
                # Type 3 wants proof: the note carries the link to their live report, filled in as it goes.
                context["client_page"] = {"url": CLIENT_PAGE_PLACEHOLDER}
            plans.append(
                MessagePlan(
                    key=f"order-on-track:{order.id}:week-{weeks_since_order}",
                    kind=MessageKind.ORDER_ON_TRACK,
                    contact=contact,
                    context=context,
                    data={"order_id": order.id, "promised_date": order.promised_delivery_date.isoformat()},
                )
            )
        planned += _plan(plans, templates)
    return planned


# 4. Greetings -------------------------------------------------------------------------------------


@_then_send
def greetings_plan(*, today: date | None = None) -> int:
    """Birthdays of contacts and professional holidays of their account's industry, in their language."""
    today = today or timezone.localdate()
    birthday = Q(birthday__month=today.month, birthday__day=today.day)
    if today.month == 2 and today.day == 28 and not _is_leap(today.year):
        birthday |= Q(birthday__month=2, birthday__day=29)
    templates, planned = TemplateIndex(), 0
    people = Contact.objects.filter(birthday).select_related("account__manager")
    for batch in _batches(people):
        planned += _plan(
            (
                MessagePlan(key=f"birthday:{contact.id}:{today.year}", kind=MessageKind.BIRTHDAY, contact=contact)
                for contact in batch
            ),
            templates=templates,
        )
    for holiday in ProfessionalHoliday.objects.prefetch_related("industries"):
        if holiday.date_in(today.year) != today or not holiday.industries.all():
            continue
        people = Contact.objects.filter(account__industry__in=holiday.industries.all()).select_related(
            "account__manager"
        )
        for batch in _batches(people):
            planned += _plan(
                (
                    MessagePlan(
                        key=f"holiday:{holiday.id}:{contact.id}:{today.year}",
                        kind=MessageKind.HOLIDAY,
                        contact=contact,
                        context={"holiday": {"name": holiday.name(contact.language), "date": today}},
                    )
                    for contact in batch
                ),
                templates=templates,
            )
    return planned


@_then_send
def thanks_plan(*, today: date | None = None) -> int:
    """Type 1 clients (emotional, confident: status and recognition matter, DOMAIN §5) are thanked at their
    account's cadence: a task for the manager to thank them personally, and a thank-you note to their main person
    (the usual rules: consent, sending hours, language). Once per cadence window, counted in days since 2000-01-01,
    so any number of runs in a window plan one of each."""
    today = today or timezone.localdate()
    default = settings.CRM_THANKS_EVERY_DAYS
    accounts = Account.objects.filter(
        behaviour_type=BehaviourType.EMOTIONAL_CONFIDENT, manager__isnull=False, status=Account.Status.ACTIVE
    ).exclude(thanks_every_days=0)
    if not default:
        accounts = accounts.filter(thanks_every_days__isnull=False)
    templates, planned = TemplateIndex(), 0
    for batch in _batches(accounts.select_related("manager")):
        main = main_contacts(batch)
        plans, tasks = [], []
        for account in batch:
            every = account.thanks_every_days or default
            window = (today - date(2000, 1, 1)).days // every
            contact = main.get(account.id)
            if contact is not None:
                plans.append(
                    MessagePlan(key=f"thanks:{account.id}:{every}:{window}", kind=MessageKind.THANKS, contact=contact)
                )
            tasks.append(
                Task(
                    assignee=account.manager,
                    account=account,
                    title=task_title(
                        account.manager,
                        gettext_noop("Thank %(name)s personally for working with us"),
                        name=contact.addressed_name if contact else account.name,
                    ),
                    kind=Task.Kind.CALL_BACK,
                    due_at=timezone.now() + timedelta(days=3),
                    created_by_rule="thanks",
                    idempotency_key=f"thanks:{account.id}:{every}:{window}",
                )
            )
        planned += _plan(plans, templates)
        rule_tasks_open(tasks)
    return planned


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# 5. Promises --------------------------------------------------------------------------------------


def _promise_context(commitment: Commitment) -> dict:
    return {
        "promise": {"description": commitment.description, "due_at": timezone.localtime(commitment.due_at)},
        "account": {"name": commitment.account.name if commitment.account else ""},
        "contact": {"name": ""},
        "admin_url": settings.CRM_PUBLIC_BASE_URL.rstrip("/") + f"/admin/crm/commitment/{commitment.id}/change/",
    }


@_then_send
def promises_remind(*, now: datetime | None = None) -> int:
    """Remind owners of promises due soon; alert the owner and their head when one is overdue."""
    now = now or timezone.now()
    commitments_overdue_remind(now=now)
    templates, planned = TemplateIndex(), 0
    soon = (
        Commitment.objects.open()
        .filter(owner__isnull=False, due_at__range=(now, now + timedelta(hours=settings.CRM_PROMISE_REMIND_HOURS)))
        .select_related("owner", "account")
    )
    for batch in _batches(soon):
        planned += _plan(
            (
                MessagePlan(
                    key=f"promise-due:{c.id}:{c.due_at.isoformat()}",
                    kind=MessageKind.PROMISE_DUE,
                    recipient_user=c.owner,
                    account=c.account,
                    context=_promise_context(c),
                    data={"commitment_id": c.id},
                )
                for c in batch
            ),
            templates=templates,
        )
    overdue = (
        Commitment.objects.overdue(now=now)
        .filter(owner__isnull=False)
        .select_related("owner__head", "owner__department__head", "account")
    )
    for batch in _batches(overdue):
        plans = []
        for c in batch:
            head = c.owner.head or (c.owner.department.head if c.owner.department else None)
            for user in {c.owner, head} - {None}:
                plans.append(
                    MessagePlan(
                        key=f"promise-overdue:{c.id}:{user.id}",
                        kind=MessageKind.PROMISE_OVERDUE,
                        recipient_user=user,
                        account=c.account,
                        context=_promise_context(c),
                        data={"commitment_id": c.id},
                    )
                )
        planned += _plan(plans, templates)
    return planned


# 6. Training and tips campaigns --------------------------------------------------------------------


def campaign_audience(campaign: Campaign) -> QuerySet:
    """The campaign's people: those of its saved segment, in its industries, who bought from its categories;
    among them only the clients its author may see (a campaign made in the admin), whoever edits the segment."""
    industries = list(campaign.industries.values_list("id", flat=True))
    categories = list(campaign.product_categories.values_list("id", flat=True))
    if not industries and not categories and campaign.segment_id is None:
        return Contact.objects.none()  # never "everyone" by accident
    owner = campaign.created_by
    if campaign.segment_id:
        people = segment_people(segment=campaign.segment, user=owner)
    else:
        people = Contact.objects.for_user(owner) if owner is not None else Contact.objects.all()
    if industries:
        people = people.filter(account__industry_id__in=industries)
    if categories:
        people = people.filter(
            Exists(OrderLine.objects.filter(order__account=OuterRef("account_id"), product__category_id__in=categories))
        )
    return people


@transaction.atomic
def campaign_activate(*, campaign: Campaign) -> Campaign:
    if not campaign.industries.exists() and not campaign.product_categories.exists() and not campaign.segment_id:
        raise ValidationError(_("Choose the audience first: a saved segment, an industry or a product category."))
    campaign.full_clean()
    campaign.status = Campaign.Status.ACTIVE
    campaign.save(update_fields=["status", "updated_at"])
    return campaign


@_then_send
def campaigns_plan(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    planned = 0
    for campaign in Campaign.objects.filter(status=Campaign.Status.ACTIVE, starts_at__lte=now):
        people = campaign_audience(campaign).select_related("account__manager")
        for batch in _batches(people):
            planned += _plan(
                MessagePlan(
                    key=f"campaign:{campaign.id}:{contact.id}",
                    kind=MessageKind.CAMPAIGN,
                    contact=contact,
                    subject=getattr(campaign, f"subject_{contact.language}"),
                    body=getattr(campaign, f"body_{contact.language}"),
                    data={"campaign_id": campaign.id},
                )
                for contact in batch
            )
    return planned
