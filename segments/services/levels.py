"""Base levels (DOMAIN §6): lead, first-time, repeat, core, advocate, kept on the account with history.

A purchase is an order that was not cancelled. Core: over the last 12 months both the number of
purchases and the number of distinct product categories bought are above the company average of
the accounts that bought in those months (the LevelBaseline each run records, so the rule can be
checked). Advocate: referred at least one account, and is core or in the green zone.
"""

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Avg,
    Case,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Q,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Account, Level, Order, Zone
from crm.services.accounts import accounts_hold
from segments.models import LevelBaseline, LevelChange
from segments.services import account_labels_store, id_ranges_run, run_alone

BATCH_SIZE = 20_000
YEAR = timedelta(days=365)

# Each account's purchases and distinct categories of the last 12 months: for a whole run into a
# table that every connection's batches read, in one pass over the order lines (and the company
# averages come from it); for one account inline, restricted to it.
_BOUGHT_SELECT = """
    SELECT o.account_id, COUNT(DISTINCT o.id) AS last_year, COUNT(DISTINCT p.category_id) AS categories
    FROM crm_order o
    LEFT JOIN crm_orderline l ON l.order_id = o.id
    LEFT JOIN crm_product p ON p.id = l.product_id
    WHERE o.status <> %(cancelled)s AND o.ordered_at > %(year_ago)s AND o.ordered_at <= %(now)s {only}
    GROUP BY o.account_id
"""
_BOUGHT_TABLE = "segments_bought_last_year"

# The accounts in [low, high] whose level differs from the stored one, with the figures behind it.
_CHANGES_SQL = """
WITH purchases AS (
    SELECT account_id, COUNT(*) AS total FROM crm_order
    WHERE account_id BETWEEN %(low)s AND %(high)s AND status <> %(cancelled)s AND ordered_at <= %(now)s
    GROUP BY account_id
), referrals AS (
    SELECT referred_by_id AS account_id, COUNT(*) AS n FROM crm_account
    WHERE referred_by_id BETWEEN %(low)s AND %(high)s GROUP BY referred_by_id
), figures AS (
    SELECT a.id, a.level AS old_level, a.zone, COALESCE(p.total, 0) AS total,
           COALESCE(b.last_year, 0) AS last_year, COALESCE(b.categories, 0) AS categories,
           COALESCE(r.n, 0) AS referrals
    FROM crm_account a
    LEFT JOIN purchases p ON p.account_id = a.id
    LEFT JOIN {bought} b ON b.account_id = a.id
    LEFT JOIN referrals r ON r.account_id = a.id
    WHERE a.id BETWEEN %(low)s AND %(high)s
), classified AS (
    SELECT id, old_level, total, last_year, categories, referrals,
           CASE WHEN referrals > 0 AND (zone = %(green)s
                     OR (last_year > %(purchases_average)s AND categories > %(categories_average)s)) THEN 'advocate'
                WHEN last_year > %(purchases_average)s AND categories > %(categories_average)s THEN 'core'
                WHEN total >= 2 THEN 'repeat'
                WHEN total = 1 THEN 'first_time'
                ELSE 'lead' END AS new_level
    FROM figures
)
SELECT id, old_level, new_level, total, last_year, categories, referrals, %(trigger)s, %(now)s
FROM classified WHERE old_level <> new_level
"""
# The changes go in as history rows straight from the statement above; what it inserted comes back
# (account, new level) so the accounts take their new level, one UPDATE per level.
_HISTORY_INSERT = (
    "INSERT INTO segments_levelchange (account_id, from_level, to_level, purchases, purchases_last_year, "
    "categories_last_year, referrals, trigger, created_at) "
)


@dataclass
class LevelReport:
    accounts: int = 0
    changed: Counter = field(default_factory=Counter)  # new level -> accounts
    baseline: LevelBaseline | None = None

    def __str__(self):
        moved = ", ".join(f"{Level(level).label}: {n}" for level, n in sorted(self.changed.items())) or _("none")
        base = self.baseline
        return _(
            "%(accounts)s accounts; changes of level: %(moved)s; core means above %(purchases)s purchases and "
            "%(categories)s categories in 12 months (the average of %(buying)s buying accounts)."
        ) % {
            "accounts": self.accounts,
            "moved": moved,
            "purchases": base.purchases_average,
            "categories": base.categories_average,
            "buying": base.buying_accounts,
        }


def _period(now: datetime) -> dict:
    return {"now": now, "year_ago": now - YEAR, "cancelled": Order.Status.CANCELLED.value}


def level_baseline_compute(*, now: datetime | None = None, bought: str | None = None) -> LevelBaseline:
    """Record the company averages of the accounts that bought in the last 12 months (read from the run's
    `bought` table when there is one)."""
    now = now or timezone.now()
    source = bought or f"({_BOUGHT_SELECT.format(only='')}) bought"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), AVG(last_year), AVG(categories) FROM {source}", _period(now))  # noqa: S608
        buying, purchases, categories = cursor.fetchone()
    return LevelBaseline.objects.create(
        computed_at=now,
        buying_accounts=buying or 0,
        purchases_average=Decimal(purchases or 0).quantize(Decimal("0.01")),
        categories_average=Decimal(categories or 0).quantize(Decimal("0.01")),
        lifetime_years_average=_lifetime_years_average(now),
    )


def _lifetime_years_average(now: datetime) -> Decimal | None:
    """The mean client lifetime of CLV (surveys.metrics.clv): first order to now for a current client (not
    churned, ordered within CRM_CHURN_CYCLE_DAYS), to the last order for a lapsed one. One aggregate over the
    accounts' first and last orders (about a second at 1M accounts on PostgreSQL)."""
    current = Q(last__gte=now - timedelta(days=settings.CRM_CHURN_CYCLE_DAYS)) & ~Q(
        account__status=Account.Status.CHURNED
    )
    lifetimes = (
        Order.objects.exclude(status=Order.Status.CANCELLED)
        .filter(ordered_at__lte=now)
        .values("account_id")
        .annotate(first=Min("ordered_at"), last=Max("ordered_at"))
        .annotate(end=Case(When(current, then=Value(now)), default=F("last"), output_field=DateTimeField()))
        .annotate(lifetime=ExpressionWrapper(F("end") - F("first"), output_field=DurationField()))
        .order_by()
    )
    average = lifetimes.aggregate(average=Avg("lifetime"))["average"]
    if average is None:
        return None
    return Decimal(average.total_seconds() / (365.25 * 86400)).quantize(Decimal("0.001"))


def level_baseline_current(*, now: datetime | None = None) -> LevelBaseline:
    """The latest recorded averages (the nightly job keeps them fresh), computed if there are none."""
    return LevelBaseline.objects.order_by("-computed_at", "-id").first() or level_baseline_compute(now=now)


def _levels_apply(
    cursor, *, low: int, high: int, bought: str, baseline: LevelBaseline, trigger: str, now: datetime
) -> Counter:
    """Store the new levels of the accounts in [low, high] and their history rows; {new level: accounts}.
    In the caller's transaction, which holds these accounts from here (accounts_hold)."""
    accounts_hold(low, high)
    params = {
        **_period(now),
        "low": low,
        "high": high,
        "trigger": trigger,
        "green": Zone.GREEN.value,
        # Floats, not Decimals: SQLite is given a Decimal as text, and any number sorts below text there.
        "purchases_average": float(baseline.purchases_average),
        "categories_average": float(baseline.categories_average),
    }
    cursor.execute(_HISTORY_INSERT + _CHANGES_SQL.format(bought=bought) + " RETURNING account_id, to_level", params)
    return account_labels_store(cursor.fetchall(), label="level", now=now)


@contextmanager
def _bought_last_year_table(now: datetime) -> Iterator[str]:
    """_BOUGHT_SELECT for every account, built once per run into a table the batches on every connection read.
    Unlogged: nothing in it needs to survive a crash, and the next run drops what a dead one left."""
    unlogged = "UNLOGGED " if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_BOUGHT_TABLE}")
        cursor.execute(f"CREATE {unlogged}TABLE {_BOUGHT_TABLE} AS {_BOUGHT_SELECT.format(only='')}", _period(now))
        cursor.execute(f"CREATE INDEX {_BOUGHT_TABLE}_account ON {_BOUGHT_TABLE} (account_id)")
    try:
        yield _BOUGHT_TABLE
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_BOUGHT_TABLE}")


def levels_classify(
    *, now: datetime | None = None, batch_size: int = BATCH_SIZE, progress: Callable[[int], None] | None = None
) -> LevelReport:
    """Every account's level against fresh company averages, set-based in batches of account ids; safe to run
    twice, and a second run at the same time waits for the first. Run after the zones, since an advocate may be
    green rather than core."""
    now = now or timezone.now()
    with run_alone("levels_classify"), _bought_last_year_table(now) as bought:
        baseline = level_baseline_compute(now=now, bought=bought)

        def batch(low: int, high: int) -> Counter:
            with connection.cursor() as cursor:
                return _levels_apply(
                    cursor,
                    low=low,
                    high=high,
                    bought=bought,
                    baseline=baseline,
                    trigger=LevelChange.Trigger.RECLASSIFICATION,
                    now=now,
                )

        changed = id_ranges_run(batch, batch_size=batch_size, progress=progress)
    return LevelReport(accounts=Account.objects.count(), changed=changed, baseline=baseline)


@transaction.atomic
def account_level_refresh(*, account_id: int, now: datetime | None = None) -> LevelChange | None:
    """After an order or a referral: the account's level now, against the latest company averages."""
    now = now or timezone.now()
    bought = "(" + _BOUGHT_SELECT.format(only="AND o.account_id = %(low)s") + ")"
    with connection.cursor() as cursor:
        changed = _levels_apply(
            cursor,
            low=account_id,
            high=account_id,
            bought=bought,
            baseline=level_baseline_current(now=now),
            trigger=LevelChange.Trigger.ORDER,
            now=now,
        )
    return LevelChange.objects.filter(account_id=account_id).order_by("-id").first() if changed else None
