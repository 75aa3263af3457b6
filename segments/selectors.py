"""Reads for segments: the reading behind an account's zone and level, and the members of saved segments."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Avg, Count, Min, Q, QuerySet, Sum
from django.utils import timezone

from crm.models import Account, Contact, Order, OrderLine
from segments.filters import segment_filtersets
from segments.models import LevelBaseline, Segment, ZoneChange

DETRACTOR_FROM = 6  # an answer of 6 or less on the 1..10 scale: shown even when the mean is fine


@dataclass(frozen=True)
class ZoneReading:
    zone: str
    since: datetime | None
    mean: Decimal | None
    answers: int
    lowest: int | None
    lowest_by: Contact | None
    low_answers: int
    window_days: int
    last_change: ZoneChange | None


def account_zone_reading(*, account: Account, now: datetime | None = None) -> ZoneReading:
    """The answers in the window behind the account's zone: mean and n, the lowest score and who gave it,
    and how many answers were 6 or less. Three indexed queries whatever the history."""
    from surveys.models import Answer, Survey

    now = now or timezone.now()
    answers = Answer.objects.filter(
        account_id=account.id,
        survey__kind=Survey.Kind.RELATIONSHIP,
        score__isnull=False,
        submitted_at__gt=now - timedelta(days=settings.CRM_ZONE_WINDOW_DAYS),
        submitted_at__lte=now,
    )
    stats = answers.aggregate(
        mean=Avg("score"), n=Count("id"), lowest=Min("score"), low=Count("id", filter=Q(score__lte=DETRACTOR_FROM))
    )
    lowest = (
        answers.filter(score=stats["lowest"]).select_related("response__contact").order_by("-submitted_at").first()
        if stats["n"]
        else None
    )
    return ZoneReading(
        zone=account.zone,
        since=account.zone_changed_at,
        mean=Decimal(stats["mean"]).quantize(Decimal("0.1")) if stats["mean"] is not None else None,
        answers=stats["n"],
        lowest=stats["lowest"],
        lowest_by=lowest.response.contact if lowest else None,
        low_answers=stats["low"],
        window_days=settings.CRM_ZONE_WINDOW_DAYS,
        last_change=ZoneChange.objects.filter(account=account).order_by("-created_at", "-id").first(),
    )


@dataclass(frozen=True)
class LevelReading:
    level: str
    since: datetime | None
    purchases: int
    purchases_last_year: int
    categories_last_year: int
    referrals: int
    baseline: LevelBaseline | None
    revenue: Decimal = Decimal(0)
    first_order_at: datetime | None = None

    @property
    def clv(self) -> Decimal | None:
        """The account's CLV (DOMAIN §3, from its own history): its average order × its orders a year (counted
        over at least a year, so a new client's one order is not a dozen a year) × the company's average client
        lifetime. None without orders or without a recorded lifetime."""
        lifetime = self.baseline.lifetime_years_average if self.baseline else None
        if not self.purchases or lifetime is None or self.first_order_at is None:
            return None
        years = Decimal(max((timezone.now() - self.first_order_at).days / 365.25, 1))
        return (self.revenue / self.purchases * (self.purchases / years) * lifetime).quantize(Decimal(1))


def account_level_reading(*, account: Account, now: datetime | None = None) -> LevelReading:
    """The figures behind the account's level, next to the company averages it is compared with."""
    now = now or timezone.now()
    year_ago = now - timedelta(days=365)
    bought = Order.objects.filter(account=account).exclude(status=Order.Status.CANCELLED)
    counts = bought.aggregate(
        total=Count("id"),
        last_year=Count("id", filter=Q(ordered_at__gt=year_ago)),
        revenue=Sum("amount"),
        first=Min("ordered_at"),
    )
    categories = (
        OrderLine.objects.filter(order__in=bought.filter(ordered_at__gt=year_ago))
        .values("product__category")
        .distinct()
        .count()
    )
    return LevelReading(
        level=account.level,
        since=account.level_changed_at,
        purchases=counts["total"],
        purchases_last_year=counts["last_year"],
        categories_last_year=categories,
        referrals=Account.objects.filter(referred_by=account).count(),
        baseline=LevelBaseline.objects.order_by("-computed_at", "-id").first(),
        revenue=Decimal(str(counts["revenue"] or 0)),
        first_order_at=counts["first"],
    )


def segment_editable_by(*, segment: Segment, user) -> bool:
    """A saved segment is shared for reading; its author, the author's head and administrators change it (its
    filters are campaign audiences and survey rounds). One without an author (shipped, or its author deleted) is
    the administrators'."""
    if user.is_superuser:
        return True
    author = segment.created_by
    if author is None:
        return False
    return author.pk == user.pk or author.head_id == user.pk or author.department_id in user.headed_department_ids


def segment_members(*, segment: Segment, user=None) -> QuerySet:
    """The segment's accounts or people now; with a user, only those the user may see."""
    accounts = Account.objects.for_user(user) if user is not None else Account.objects.all()
    account_set, person_set = segment_filtersets(
        segment.filters, accounts, people=segment.target == Segment.Target.CONTACTS
    )
    return (person_set or account_set).qs


def segment_people(*, segment: Segment, user=None) -> QuerySet[Contact]:
    """The people a campaign reaches: the segment's people, or every person of the segment's accounts."""
    members = segment_members(segment=segment, user=user)
    if segment.target == Segment.Target.CONTACTS:
        return members
    return Contact.objects.filter(account__in=members.values("id"))


def segment_accounts(*, segment: Segment, user=None) -> QuerySet[Account]:
    """The accounts a survey goes to: the segment's accounts, or the accounts of its people."""
    members = segment_members(segment=segment, user=user)
    if segment.target == Segment.Target.ACCOUNTS:
        return members
    return Account.objects.filter(id__in=members.values("account_id"))
