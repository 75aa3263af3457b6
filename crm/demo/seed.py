"""Deterministic demo data, written with bulk inserts.

Account i of seed S is always the same company (its own random generator), identified by a
valid INN derived from (S, i): running again creates only the accounts that are missing, so
nothing is duplicated and `--accounts 500` after `--accounts 300` adds 200.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from stdnum.ru import inn as stdnum_inn

from crm.demo import data
from crm.models import (
    Account,
    AccountEvent,
    Axis,
    BehaviourType,
    Commitment,
    Contact,
    DeliveryDateChange,
    Department,
    Equipment,
    Industry,
    Interaction,
    InternalService,
    LeadSource,
    LeadSourceCost,
    Order,
    OrderLine,
    Phone,
    Product,
    ProductCategory,
    ResponseTarget,
    ServiceRequest,
    Task,
    User,
)
from crm.outreach.models import Campaign, ProfessionalHoliday, Reference
from crm.outreach.proposals import proposal_send
from crm.phones import phone_normalize
from crm.services.activity import commitment_close
from crm.services.internal import internal_request_create, internal_request_rate
from crm.services.roles import ACCOUNT_MANAGERS, HEADS, roles_ensure_groups
from crm.telephony.models import TrackingNumber

DEMO_MANAGER_PASSWORD = "demo-manager"  # noqa: S105  (demo data only; printed by make run)


@dataclass
class SeedResult:
    created: int = 0
    existing: int = 0
    counts: dict = field(default_factory=dict)


def demo_inn(*, seed: int, index: int) -> str:
    body = f"{77 + seed % 20:02d}{(seed * 1_000_003 + index) % 10_000_000:07d}"
    return body + stdnum_inn.calc_company_check_digit(body)


def _lead_source_costs(sources) -> None:
    """What each source cost per quarter over the last two years, so the demo's ROI has a denominator."""
    this_quarter = date(timezone.localdate().year, 3 * ((timezone.localdate().month - 1) // 3) + 1, 1)
    for index, source in enumerate(sources):
        for back in range(8):
            months = this_quarter.year * 12 + this_quarter.month - 1 - 3 * back
            start = date(months // 12, months % 12 + 1, 1)
            end_months = months + 3
            end = date(end_months // 12, end_months % 12 + 1, 1) - timedelta(days=1)
            LeadSourceCost.objects.get_or_create(
                lead_source=source,
                period_start=start,
                defaults={"period_end": end, "amount": Decimal(1_500_000 + 400_000 * index)},
            )


def _reference_data():
    roles_ensure_groups()
    industries = [Industry.objects.get_or_create(name=name)[0] for name in data.INDUSTRIES]
    sources = [LeadSource.objects.get_or_create(name=name)[0] for name in data.LEAD_SOURCES]
    for source_name, number, note in data.TRACKING_NUMBERS:
        TrackingNumber.objects.get_or_create(
            number=number, defaults={"lead_source": LeadSource.objects.get(name=source_name), "note": note}
        )
    _lead_source_costs(sources)
    products = []
    for category_index, (category_name, names) in enumerate(data.CATEGORIES.items()):
        category = ProductCategory.objects.get_or_create(
            name=category_name,
            defaults={
                "margin_percent": data.CATEGORY_MARGINS.get(category_name),
                "standards": data.CATEGORY_STANDARDS.get(category_name, ""),
            },
        )[0]
        for product_index, name in enumerate(names):
            sku = f"DEMO-{category_index:02d}-{product_index:02d}"
            products.append(Product.objects.get_or_create(sku=sku, defaults={"name": name, "category": category})[0])
    departments = {name: Department.objects.get_or_create(name=name)[0] for name in data.DEPARTMENT_HEADS}
    managers = []
    groups = {name: Group.objects.get(name=name) for name in (ACCOUNT_MANAGERS, HEADS)}
    for username, first, last, department in data.MANAGERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "is_staff": True,
                "department": departments[department],
                "email": f"{username}@crm.example",
                "language": "en" if username == "smith" else "ru",
                "phone_extension": str(100 + len(managers)),
            },
        )
        if created:
            user.set_password(DEMO_MANAGER_PASSWORD)
            user.save(update_fields=["password"])
        is_head = data.DEPARTMENT_HEADS[department] == username
        user.groups.add(groups[HEADS if is_head else ACCOUNT_MANAGERS])
        if is_head and departments[department].head_id != user.pk:
            Department.objects.filter(pk=departments[department].pk).update(head=user)
        managers.append(user)
    targets = dict(ResponseTarget.objects.values_list("channel", "first_response_minutes"))
    _outreach_reference_data(industries)
    _internal_services(departments)
    return industries, sources, products, managers, targets


def _outreach_reference_data(industries):
    """The professional holidays of the demo industries, and one training campaign for machine-tool buyers."""
    by_name = {industry.name: industry for industry in industries}
    for industry_name, holiday_name in data.INDUSTRY_HOLIDAYS.items():
        holiday = ProfessionalHoliday.objects.filter(name_en=holiday_name).first()
        if holiday is not None and industry_name in by_name:
            holiday.industries.add(by_name[industry_name])
    campaign, created = Campaign.objects.get_or_create(name=data.DEMO_CAMPAIGN["name"], defaults=data.DEMO_CAMPAIGN)
    if created:
        campaign.product_categories.add(ProductCategory.objects.get(name=data.DEMO_CAMPAIGN_CATEGORY))
    for kind, title, url, language in data.REFERENCES:
        Reference.objects.get_or_create(title=title, defaults={"kind": kind, "url": url, "language": language})


def _internal_services(departments) -> None:
    """The register between the demo departments, and a few months of requests so the report has figures."""
    now = timezone.now()
    departments = Department.objects.select_related("head").in_bulk([d.id for d in departments.values()])
    departments = {department.name: department for department in departments.values()}
    for serving, receiving, deliverable, days, completeness, delivery_format in data.INTERNAL_SERVICES:
        service, created = InternalService.objects.get_or_create(
            serving_department=departments[serving],
            receiving_department=departments[receiving],
            deliverable=deliverable,
            defaults={"deadline_days": days, "completeness": completeness, "delivery_format": delivery_format},
        )
        if not created:
            continue
        rng = random.Random(service.id)  # noqa: S311
        requester = departments[receiving].head
        for weeks_ago in range(10, 0, -1):
            asked = now - timedelta(weeks=weeks_ago, hours=rng.randint(0, 48))
            request = internal_request_create(service=service, requested_by=requester, now=asked)
            late = rng.random() < 0.25
            delivered = request.due_at + (timedelta(days=1) if late else -timedelta(hours=rng.randint(1, 30)))
            if delivered < now:
                commitment_close(commitment=request, status=Commitment.Status.KEPT, at=delivered)
                if requester is not None and rng.random() < 0.8:
                    internal_request_rate(commitment=request, rating=rng.choice([3, 4, 4, 5, 5]), user=requester)
        internal_request_create(service=service, requested_by=requester, now=now - timedelta(days=days + 1))


def _phone_formats(rng: random.Random) -> str:
    code = rng.choice(["916", "903", "925", "985", "912", "495", "499", "343", "812"])
    a, b, c = rng.randint(100, 999), rng.randint(10, 99), rng.randint(10, 99)
    formats = [
        f"+7 {code} {a}-{b}-{c}",
        f"8 ({code}) {a}-{b}-{c}",
        f"8{code}{a}{b}{c}",
        f"7{code}{a}{b}{c}",
        f"{code}{a}{b}{c}",
        f"+7 ({code}) {a} {b} {c} доб. {rng.randint(10, 999)}",
        f"8-{code}-{a}-{b}-{c}",
    ]
    return rng.choice(formats)


def demo_seed(*, accounts: int, seed: int = 1, chunk_size: int = 500, progress: Callable[[int], None] | None = None):
    industries, sources, products, managers, targets = _reference_data()
    inns = [demo_inn(seed=seed, index=index) for index in range(accounts)]
    existing: set[str] = set()
    for start in range(0, len(inns), 5000):
        existing.update(Account.objects.filter(inn__in=inns[start : start + 5000]).values_list("inn", flat=True))
    todo = [index for index, inn in enumerate(inns) if inn not in existing]
    result = SeedResult(existing=len(existing))
    if progress and existing:
        progress(len(existing))
    now = timezone.now()
    for start in range(0, len(todo), chunk_size):
        batch = todo[start : start + chunk_size]
        with transaction.atomic():
            _seed_batch(batch, seed, inns, now, industries, sources, products, managers, targets, result)
        result.created += len(batch)
        if progress:
            progress(len(batch))
    return result


def _outreach_settings(rng: random.Random) -> dict:
    return {
        # The type the person really is: the manager has read it for most decision makers, set it on a few
        # accounts, and the notes below hint at it.
        "true_type": rng.choices([None, 1, 2, 3, 4], [30, 15, 20, 20, 15])[0],
        "time_zone": rng.choices(
            ["Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Novosibirsk"], [70, 10, 10, 10]
        )[0],
        "weekly_order_updates": rng.random() < 0.1,
        # Some clients prepay mid-month: their monthly relationship survey follows that day.
        "survey_day": rng.choice([5, 10, 15, 20]) if rng.random() < 0.15 else None,
    }


def _axes(behaviour_type: int | None) -> dict:
    """The manager's reading of a person of this type; both axes "not sure" when they have not read them."""
    if behaviour_type is None:
        return {}
    emotional = behaviour_type in (BehaviourType.EMOTIONAL_CONFIDENT, BehaviourType.EMOTIONAL_UNCONFIDENT)
    confident = behaviour_type in (BehaviourType.EMOTIONAL_CONFIDENT, BehaviourType.UNEMOTIONAL_CONFIDENT)
    return {"emotional": Axis.YES if emotional else Axis.NO, "confident": Axis.YES if confident else Axis.NO}


def _behaviour_note(rng: random.Random, true_type: int | None, *, english: bool) -> str:
    """A third of the notes say something about the person; one in ten of those hints at another type."""
    if true_type is None or rng.random() > 0.35:
        return ""
    if rng.random() < 0.1:
        true_type = rng.choice([t for t in (1, 2, 3, 4) if t != true_type])
    return rng.choice((data.BEHAVIOUR_NOTES_EN if english else data.BEHAVIOUR_NOTES_RU)[true_type])


def _seed_batch(batch, seed, inns, now, industries, sources, products, managers, targets, result):
    rngs = {index: random.Random(f"{seed}-{index}") for index in batch}  # noqa: S311
    english = {index: rngs[index].random() < 0.2 for index in batch}
    account_objs = []
    true_types = {}
    for index in batch:
        rng = rngs[index]
        outreach = _outreach_settings(random.Random(f"{seed}-{index}-outreach"))  # noqa: S311
        true_types[index] = outreach.pop("true_type")
        behaviour_type_set = true_types[index] if true_types[index] and rng.random() < 0.15 else None
        if english[index]:
            name = rng.choice(data.EN_FORMS).format(rng.choice(data.EN_COMPANY_WORDS))
        else:
            name = rng.choice(data.RU_FORMS).format(rng.choice(data.RU_COMPANY_WORDS))
        status = rng.choices(["active", "prospect", "churned"], [70, 20, 10])[0]
        account_objs.append(
            Account(
                name=f"{name} #{index + 1}",
                legal_name=name,
                inn=inns[index],
                industry=rng.choice(industries),
                size=rng.choice(Account.Size.values),
                lead_source=rng.choice(sources),
                manager=None if rng.random() < 0.08 else rng.choice(managers),
                status=status,
                behaviour_type_set=behaviour_type_set,
                behaviour_type=behaviour_type_set,
                **outreach,
                created_at=now - timedelta(days=rng.randint(60, 900)),
            )
        )
    Account.objects.bulk_create(account_objs)
    by_index = dict(zip(batch, account_objs, strict=True))
    referred = []
    for position, index in enumerate(batch[1:], start=1):
        if rngs[index].random() < 0.06:
            account = by_index[index]
            account.referred_by = account_objs[rngs[index].randrange(position)]
            referred.append(account)
    Account.objects.bulk_update(referred, ["referred_by"])
    AccountEvent.objects.bulk_create(
        AccountEvent(account=a, type=AccountEvent.Type.CREATED, data={"source": "seed_demo"}) for a in account_objs
    )

    contacts = []
    for index in batch:
        rng, account = rngs[index], by_index[index]
        for number in range(rng.choices([1, 2, 3, 4], [30, 40, 20, 10])[0]):
            if english[index]:
                first, patronymic, last = rng.choice(data.EN_FIRST), "", rng.choice(data.EN_LAST)
                position, language = rng.choice(data.EN_POSITIONS), "en"
            else:
                female = rng.random() < 0.45
                first = rng.choice(data.RU_FEMALE if female else data.RU_MALE)
                root = rng.choice(data.RU_PATRONYMIC_ROOTS)
                patronymic = (
                    root + ("овна" if female else "ович")
                    if not root.endswith("е")
                    else (root[:-1] + ("евна" if female else "евич"))
                )
                last = rng.choice(data.RU_LAST) + ("а" if female else "")
                position, language = rng.choice(data.RU_POSITIONS), "ru"
            contacts.append(
                Contact(
                    account=account,
                    first_name=first,
                    patronymic=patronymic,
                    last_name=last,
                    position=position,
                    is_decision_maker=number == 0,
                    language=language,
                    email=f"contact{number}.{account.inn}@example.{'com' if language == 'en' else 'ru'}",
                    birthday=(now - timedelta(days=rng.randint(25 * 365, 60 * 365))).date()
                    if rng.random() < 0.6
                    else None,
                    preferred_channel=rng.choice(Contact.Channel.values),
                    created_at=account.created_at,
                    **_axes(true_types[index] if number == 0 and rng.random() < 0.6 else None),
                )
            )
            if number == 0 and not account.behaviour_type:
                account.behaviour_type = contacts[-1].behaviour_type
    Contact.objects.bulk_create(contacts)
    Account.objects.bulk_update([a for a in account_objs if a.behaviour_type], ["behaviour_type"])
    contacts_by_account: dict[int, list[Contact]] = {}
    for contact in contacts:
        contacts_by_account.setdefault(contact.account_id, []).append(contact)

    phones = []
    for contact in contacts:
        rng = random.Random(f"{seed}-phone-{contact.email}")  # noqa: S311
        seen = set()
        for number in range(rng.choices([1, 2], [60, 40])[0]):
            raw = _phone_formats(rng)
            normalized = phone_normalize(raw)
            if (normalized.e164, normalized.extension) in seen:
                continue
            seen.add((normalized.e164, normalized.extension))
            phones.append(
                Phone(
                    contact=contact,
                    raw=raw,
                    number=normalized.e164,
                    extension=normalized.extension,
                    kind=Phone.Kind.MOBILE if number == 0 else Phone.Kind.WORK,
                    is_primary=number == 0,
                )
            )
    Phone.objects.bulk_create(phones)

    interactions, orders, commitments, tasks, requests, equipment = [], [], [], [], [], []
    order_plan = []
    for index in batch:
        rng, account = rngs[index], by_index[index]
        people = contacts_by_account[account.pk]
        subjects = data.SUBJECTS_EN if english[index] else data.SUBJECTS_RU
        for _ in range(rng.randint(3, 18)):
            interactions.append(
                Interaction(
                    account=account,
                    contact=rng.choice(people),
                    user=account.manager,
                    channel=rng.choice(Interaction.Channel.values),
                    direction=rng.choice(Interaction.Direction.values),
                    occurred_at=now - timedelta(minutes=rng.randint(30, 730 * 24 * 60)),
                    duration_seconds=rng.randint(30, 1800),
                    subject=rng.choice(subjects),
                    outcome=rng.choice(data.OUTCOMES_RU),
                    notes=_behaviour_note(rng, true_types[index], english=english[index]),
                    source="seed_demo",
                )
            )
        wow_rng = random.Random(f"{seed}-{index}-wow")  # noqa: S311  (its own stream: the rest stays as it was)
        if account.manager_id and wow_rng.random() < 0.2:
            interactions.append(
                Interaction(
                    account=account,
                    contact=wow_rng.choice(people),
                    user=account.manager,
                    channel=Interaction.Channel.EMAIL,
                    direction=Interaction.Direction.OUTBOUND,
                    occurred_at=now - timedelta(days=wow_rng.randint(1, 300)),
                    subject=wow_rng.choice(data.WOW_SUBJECTS_EN if english[index] else data.WOW_SUBJECTS_RU),
                    wow=True,
                    source="seed_demo",
                )
            )
        order_count = 0 if account.status == "prospect" else rng.choices([1, 2, 3, 4, 5], [30, 30, 20, 12, 8])[0]
        for number in range(order_count):
            ordered_at = now - timedelta(days=rng.randint(1, 700))
            promised = (ordered_at + timedelta(days=rng.randint(7, 45))).date()
            delivered = promised <= now.date() and rng.random() < 0.9
            delivered_at = (
                (
                    timezone.make_aware(timezone.datetime.combine(promised, timezone.datetime.min.time()))
                    + timedelta(days=rng.choice([-2, -1, 0, 0, 0, 1, 3]), hours=12)
                )
                if delivered
                else None
            )
            order = Order(
                account=account,
                number=f"D{seed}-{index + 1:07d}-{number + 1}",
                status=Order.Status.DELIVERED
                if delivered
                else rng.choice([Order.Status.CONFIRMED, Order.Status.IN_PRODUCTION, Order.Status.SHIPPED]),
                amount=Decimal(0),
                currency="RUB",
                ordered_at=ordered_at,
                promised_delivery_date=promised,
                delivered_at=delivered_at,
                created_at=ordered_at,
            )
            orders.append(order)
            lines = [
                (rng.choice(products), Decimal(rng.randint(1, 20)), Decimal(rng.randint(500, 250_000)))
                for _ in range(rng.randint(1, 3))
            ]
            order.amount = sum(quantity * price for _, quantity, price in lines)
            moves = rng.choices([0, 1, 2], [80, 15, 5])[0]
            order_plan.append((order, lines, moves, rng.random()))
        for _ in range(rng.choices([0, 1, 2, 3], [20, 40, 25, 15])[0]):
            due_at = now + timedelta(hours=rng.randint(-24 * 120, 24 * 14))
            roll = rng.random()
            if due_at > now:
                status, fulfilled = Commitment.Status.OPEN, None
            elif roll < 0.7:
                status = Commitment.Status.KEPT
                fulfilled = due_at - timedelta(hours=rng.randint(-30, 48))
            elif roll < 0.85:
                status, fulfilled = Commitment.Status.BROKEN, None
            else:
                status, fulfilled = Commitment.Status.OPEN, None
            commitments.append(
                Commitment(
                    account=account,
                    contact=rng.choice(people),
                    owner=account.manager or managers[0],
                    description=rng.choice(data.PROMISES_RU),
                    kind=rng.choice(Commitment.Kind.values),
                    due_at=due_at,
                    status=status,
                    fulfilled_at=fulfilled,
                    created_at=due_at - timedelta(days=rng.randint(1, 10)),
                )
            )
        if account.manager and rng.random() < 0.5:
            tasks.append(
                Task(
                    assignee=account.manager,
                    account=account,
                    title=rng.choice(["Позвонить", "Уточнить объём", "Отправить КП"]) + f" — {people[0].first_name}",
                    kind=Task.Kind.FOLLOW_UP,
                    priority=rng.choice(Task.Priority.values),
                    due_at=now + timedelta(hours=rng.randint(-48, 72)),
                )
            )
        for _ in range(rng.choices([0, 1, 2], [55, 35, 10])[0]):
            channel = rng.choice(ServiceRequest.Channel.values)
            created_at = now - timedelta(minutes=rng.randint(5, 200 * 24 * 60))
            responded = rng.random() < 0.85
            first_response_at = created_at + timedelta(minutes=rng.randint(1, 2 * targets.get(channel, 60)))
            resolved_at = (
                first_response_at + timedelta(hours=rng.randint(0, 96)) if responded and rng.random() < 0.8 else None
            )
            requests.append(
                ServiceRequest(
                    account=account,
                    contact=rng.choice(people),
                    channel=channel,
                    subject=rng.choice(subjects),
                    created_at=created_at,
                    first_response_due_at=created_at + timedelta(minutes=targets.get(channel, 60)),
                    first_response_at=first_response_at if responded else None,
                    resolved_at=resolved_at,
                    resolved_at_first_contact=bool(resolved_at) and rng.random() < 0.7,
                    status=ServiceRequest.Status.RESOLVED
                    if resolved_at
                    else ServiceRequest.Status.IN_PROGRESS
                    if responded
                    else ServiceRequest.Status.NEW,
                    assignee=account.manager,
                )
            )
        if rng.random() < 0.3:
            installed = (now - timedelta(days=rng.randint(100, 900))).date()
            last = installed + timedelta(days=rng.randint(0, 90))
            equipment.append(
                Equipment(
                    account=account,
                    model_name=rng.choice(["ТВ-320", "ФС-85", "Compressor K-12", "Линия упаковки УЛ-3"]),
                    serial_number=f"SN-{account.inn}-{rng.randint(1000, 9999)}",
                    installed_at=installed,
                    maintenance_interval_days=180,
                    last_maintenance_at=last,
                    next_maintenance_at=last + timedelta(days=180),
                )
            )

    Interaction.objects.bulk_create(interactions, batch_size=2000)
    Order.objects.bulk_create(orders, batch_size=2000)
    lines, changes = [], []
    for order, order_lines, moves, roll in order_plan:
        lines += [
            OrderLine(order=order, product=product, quantity=quantity, unit_price=price)
            for product, quantity, price in order_lines
        ]
        current = order.promised_delivery_date
        for move in range(moves):
            earlier = current - timedelta(days=3 + move * 2)
            changes.append(
                DeliveryDateChange(
                    order=order, old_date=earlier, new_date=current, reason=data.DELAY_REASONS_RU[int(roll * 5)]
                )
            )
            current = earlier
    OrderLine.objects.bulk_create(lines, batch_size=2000)
    DeliveryDateChange.objects.bulk_create(changes, batch_size=2000)
    Commitment.objects.bulk_create(commitments, batch_size=2000)
    Task.objects.bulk_create(tasks, batch_size=2000)
    ServiceRequest.objects.bulk_create(requests, batch_size=2000)
    Equipment.objects.bulk_create(equipment, batch_size=2000)
    # A few type 4 clients were sent a proposal: opening its link asks their manager to call at once.
    for account in account_objs:
        if account.behaviour_type == 4 and account.manager and result.counts.get("proposals", 0) < 5:
            proposal_send(
                contact=contacts_by_account[account.pk][0],
                title=data.DEMO_PROPOSAL_TITLE,
                target_url=data.DEMO_PROPOSAL_URL,
                acting_user=account.manager,
            )
            result.counts["proposals"] = result.counts.get("proposals", 0) + 1
    for name, rows in (
        ("contacts", contacts),
        ("phones", phones),
        ("interactions", interactions),
        ("orders", orders),
        ("promises", commitments),
        ("service requests", requests),
    ):
        result.counts[name] = result.counts.get(name, 0) + len(rows)
