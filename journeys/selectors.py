"""Journey analytics (DOMAIN §7): the funnel, drop-offs, time in stage, drawn-out stages, cycle times, lead sources.

The cohort of a funnel is the accounts whose journey *started* in the period (all time without one), filtered
by industry, manager, lead source or saved segment, among those the user may see; their progress is followed
to today. Counts are of accounts. "Entered" a stage means a transition into it at any time (any order);
"in order" means the account entered every earlier stage first, each no later than the next.
"""

import statistics
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from django.db import connection
from django.db.models import Min, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone

from crm.access import account_access_q
from crm.models import Account, Interaction, LeadSource, Order
from crm.outreach.models import TrackedLink
from journeys.counts import bucket_start
from journeys.models import AccountJourney, FunnelCount, Journey, Stage, StayCount, Touchpoint


def day_start(day, *, next_day: bool = False) -> datetime | None:
    """Midnight (in the current time zone) of `day`, or of the day after: the bounds of a period of days."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(days=1 if next_day else 0)


@dataclass(frozen=True)
class JourneyFilters:
    user: object
    journey: Journey
    start: datetime | None = None
    end: datetime | None = None
    industry: int | None = None
    manager: int | None = None
    lead_source: int | None = None
    segment: object | None = None  # segments.models.Segment

    def accounts(self) -> QuerySet[Account] | None:
        """The accounts the cohort may come from, or None for "every account" (no need to filter)."""
        restricted = not self.user.has_perm("crm.view_all_accounts")
        accounts = Account.objects.for_user(self.user) if restricted else Account.objects.all()
        q = Q()
        if self.industry is not None:
            q &= Q(industry_id=self.industry)
        if self.manager is not None:
            q &= Q(manager_id=self.manager)
        if self.lead_source is not None:
            q &= Q(lead_source_id=self.lead_source)
        if self.segment is not None:
            from segments.selectors import segment_accounts

            q &= Q(id__in=segment_accounts(segment=self.segment).values("id"))
        if not q and not restricted:
            return None
        return accounts.filter(q)

    def cohort_where(self) -> tuple[str, list]:
        """The WHERE clause, on `journeys_accountjourney j`, that picks the cohort; and its parameters."""
        sql, params = "j.journey_id = %s", [self.journey.id]
        # Raw SQL: the times are adapted as the ORM would (SQLite stores UTC text without an offset).
        if self.start is not None:
            sql += " AND j.started_at >= %s"
            params.append(connection.ops.adapt_datetimefield_value(self.start))
        if self.end is not None:
            sql += " AND j.started_at < %s"
            params.append(connection.ops.adapt_datetimefield_value(self.end))
        accounts = self.accounts()
        if accounts is not None:
            inner, inner_params = accounts.values("id").query.sql_with_params()
            sql += f" AND j.account_id IN ({inner})"
            params.extend(inner_params)
        return sql, params

    def cohort_sql(self) -> tuple[str, list]:
        """SQL for the cohort's account ids, and its parameters."""
        where, params = self.cohort_where()
        return f"SELECT j.account_id FROM journeys_accountjourney j WHERE {where}", params  # noqa: S608

    @property
    def everyone(self) -> bool:
        """The whole journey, all time, for a user who sees every account."""
        return self.start is None and self.end is None and self.accounts() is None


@dataclass(frozen=True)
class StageRow:
    stage: Stage
    entered: int
    converted: int
    entered_in_order: int
    converted_in_order: int
    cohort: int
    median_days: float | None
    p90_days: float | None
    stays: int

    @staticmethod
    def _pct(part, whole):
        return round(100 * part / whole, 1) if whole else None

    @property
    def conversion(self):
        return self._pct(self.converted, self.entered)

    @property
    def cumulative(self):
        """Of the whole cohort."""
        return self._pct(self.entered, self.cohort)

    @property
    def conversion_in_order(self):
        return self._pct(self.converted_in_order, self.entered_in_order)

    @property
    def cumulative_in_order(self):
        return self._pct(self.entered_in_order, self.cohort)

    @property
    def lost(self) -> int:
        return self.entered - self.converted


def _entries(filters: JourneyFilters, ranks: int) -> tuple[int, dict[int, tuple[int, int, int]]]:
    """The cohort's size, and per stage rank (entered, went on to a later stage, entered in order): one pass over
    the accounts' funnel facts (AccountJourney.entered, .went_on, .in_order); for the whole journey on PostgreSQL,
    a sum of the kept counts of each combination of them (journeys.counts)."""
    if filters.everyone and connection.vendor == "postgresql":
        combinations = list(
            FunnelCount.objects.filter(journey_id=filters.journey.id)
            .values_list("entered", "went_on", "in_order")
            .annotate(accounts=Sum("n"))
            .exclude(accounts=0)
        )
        entries = {}
        for rank in range(1, ranks + 1):
            bit = 1 << (rank - 1)
            entries[rank] = (
                sum(n for entered, _went_on, _in_order, n in combinations if entered & bit),
                sum(n for _entered, went_on, _in_order, n in combinations if went_on & bit),
                sum(n for _entered, _went_on, in_order, n in combinations if in_order >= rank),
            )
        return sum(n for *_facts, n in combinations), entries
    where, params = filters.cohort_where()
    sums = []
    for rank in range(1, ranks + 1):
        bit = 1 << (rank - 1)
        sums += [
            f"SUM(CASE WHEN j.entered & {bit} <> 0 THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN j.went_on & {bit} <> 0 THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN j.in_order >= {rank} THEN 1 ELSE 0 END)",
        ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), {', '.join(sums)} FROM journeys_accountjourney j WHERE {where}",  # noqa: S608
            params,
        )
        cohort, *values = cursor.fetchone()
    values = [value or 0 for value in values]
    return cohort, {rank: tuple(values[3 * (rank - 1) : 3 * rank]) for rank in range(1, ranks + 1)}


def _interpolate(around: list[float], position: float) -> float:
    """As PostgreSQL's percentile_cont: linear between the sorted values at int(position) and the next one."""
    low, high = around[0], around[1] if len(around) > 1 else around[0]
    return low + (high - low) * (position - int(position))


def _percentile(values: list[float], fraction: float) -> float:
    position = (len(values) - 1) * fraction
    return _interpolate(values[int(position) : int(position) + 2], position)


def _value_at(cursor, where: str, params: list, position: float) -> float:
    """percentile_cont's value at `position` (from 0) of the stays `where` picks in order: the two stays around it,
    read along the stay index with OFFSET. A position past the last stay (a move between counting and reading
    removed one) reads the last."""
    order = f"SELECT t.stay_seconds FROM journeys_transition t WHERE {where} ORDER BY t.stay_seconds"  # noqa: S608
    cursor.execute(f"{order} LIMIT 2 OFFSET {int(position)}", params)
    around = [row[0] for row in cursor.fetchall()]
    if not around:
        cursor.execute(f"{order} DESC LIMIT 1", params)
        around = [row[0] for row in cursor.fetchall()] or [0]  # and none left at all: nothing to show but zero
    return _interpolate(around, position)


DAY = 86400
PERCENTILES = (0.5, 0.9)


def _stage_percentiles(cursor, journey: Journey) -> dict[int, tuple]:
    """The whole journey's, per stage: a count and two reads along the stay index, each skipping up to half or
    nine tenths of the stage's stays."""
    result = {}
    for stage_id in journey.stages.values_list("id", flat=True):
        where, params = (
            "t.journey_id = %s AND t.to_stage_id = %s AND t.stay_seconds IS NOT NULL",
            [journey.id, stage_id],
        )
        cursor.execute(f"SELECT COUNT(*) FROM journeys_transition t WHERE {where}", params)  # noqa: S608
        n = cursor.fetchone()[0]
        if n:
            result[stage_id] = (*(_value_at(cursor, where, params, (n - 1) * f) / DAY for f in PERCENTILES), n)
    return result


def _stage_percentiles_from_counts(cursor, journey: Journey) -> dict[int, tuple]:
    """The whole journey's, per stage, on PostgreSQL: the kept counts of stays by length (journeys.counts) say which
    bucket of lengths holds each percentile's stays and how many shorter ones come before it; the read along the
    stay index skips only within that bucket."""
    cursor.execute(
        f"SELECT stage_id, bucket, SUM(n)::bigint FROM {StayCount._meta.db_table} WHERE journey_id = %s "  # noqa: S608
        "GROUP BY stage_id, bucket HAVING SUM(n) > 0 ORDER BY stage_id, bucket",
        [journey.id],
    )
    by_stage: dict[int, list[tuple[int, int]]] = {}
    for stage_id, bucket, n in cursor.fetchall():
        by_stage.setdefault(stage_id, []).append((bucket, n))
    result = {}
    for stage_id, buckets in by_stage.items():
        ends = list(accumulate(count for _bucket, count in buckets))  # the stays up to each bucket's end
        n, values = ends[-1], []
        for fraction in PERCENTILES:
            position = (n - 1) * fraction
            i = bisect_right(ends, int(position))  # the bucket holding the stay at `position`
            bucket, count = buckets[i]
            values.append(
                _value_in_bucket(cursor, journey, stage_id, bucket, count, position - (ends[i] - count)) / DAY
            )
        result[stage_id] = (*values, n)
    return result


def _value_in_bucket(cursor, journey: Journey, stage_id: int, bucket: int, count: int, position: float) -> float:
    """percentile_cont's value at `position` (from 0) of a bucket's `count` stays in order, read along the stay index
    from the bucket's nearer end: a bucket can hold most of a stage's stays (a rule that moves everyone after the
    same delay), and its 90th percentile is then a tenth of them from its end."""
    where = "t.journey_id = %s AND t.to_stage_id = %s AND t.stay_seconds >= %s"
    params = [journey.id, stage_id, bucket_start(bucket)]
    low = int(position)
    if low > count / 2 and low + 1 < count:  # nearer the end, and the stay after it in the bucket too
        cursor.execute(
            f"SELECT t.stay_seconds FROM journeys_transition t WHERE {where} AND t.stay_seconds < %s "  # noqa: S608
            f"ORDER BY t.stay_seconds DESC LIMIT 2 OFFSET {count - 2 - low}",
            [*params, bucket_start(bucket + 1)],
        )
        around = [row[0] for row in reversed(cursor.fetchall())]
        if len(around) == 2:  # else a move between counting and reading took stays away: read from the start
            return _interpolate(around, position)
    return _value_at(cursor, where, params, position)


def stay_percentiles(*, journey: Journey, filters: JourneyFilters | None = None) -> dict[int, tuple]:
    """Per stage id: (median, 90th percentile, n) of the completed stays' days; open stays are not counted.
    For the whole journey they are read off the stay index (with the kept counts on PostgreSQL); for a cohort,
    PostgreSQL's percentile_cont over its stays."""
    with connection.cursor() as cursor:
        if filters is None or filters.everyone:
            if connection.vendor == "postgresql":
                return _stage_percentiles_from_counts(cursor, journey)
            return _stage_percentiles(cursor, journey)
        where, params = "t.journey_id = %s AND t.stay_seconds IS NOT NULL", [journey.id]
        cohort, cohort_params = filters.cohort_sql()
        where += f" AND t.account_id IN ({cohort})"
        params += cohort_params
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""SELECT t.to_stage_id, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY t.stay_seconds),
                           COUNT(*)
                    FROM journeys_transition t WHERE {where} GROUP BY t.to_stage_id""",  # noqa: S608
                params,
            )
            return {stage_id: (p[0] / DAY, p[1] / DAY, n) for stage_id, p, n in cursor}
        cursor.execute(f"SELECT t.to_stage_id, t.stay_seconds FROM journeys_transition t WHERE {where}", params)  # noqa: S608
        by_stage: dict[int, list[float]] = {}
        for stage_id, seconds in cursor:
            by_stage.setdefault(stage_id, []).append(seconds / DAY)
    return {
        stage_id: (_percentile(sorted(days), 0.5), _percentile(sorted(days), 0.9), len(days))
        for stage_id, days in by_stage.items()
    }


def journey_funnel(filters: JourneyFilters) -> list[StageRow]:
    stages = list(filters.journey.stages.order_by("position"))
    cohort, entries = _entries(filters, len(stages))
    stays = stay_percentiles(journey=filters.journey, filters=filters)
    rows = []
    for rank, stage in enumerate(stages, start=1):
        entered, converted, in_order = entries[rank]
        p50, p90, n = stays.get(stage.id, (None, None, 0))
        rows.append(
            StageRow(
                stage=stage,
                entered=entered,
                converted=converted,
                entered_in_order=in_order,
                converted_in_order=entries[rank + 1][2] if rank < len(stages) else 0,
                cohort=cohort,
                median_days=round(p50, 1) if p50 is not None else None,
                p90_days=round(p90, 1) if p90 is not None else None,
                stays=n,
            )
        )
    return rows


def journey_drop_offs(rows: list[StageRow]) -> list[StageRow]:
    """Where most accounts are lost or stall: the stages before the last, by how many never went further."""
    return sorted((row for row in rows[:-1] if row.entered), key=lambda row: (-row.lost, row.stage.position))


def _past_norm(now: datetime, journey: Journey | None) -> list[tuple[Stage, datetime]]:
    """Each stage with a norm (of `journey`, or of every journey), and the time before which a stay exceeds it."""
    stages = Stage.objects.filter(median_days__gt=0).select_related("journey")
    if journey is not None:
        stages = stages.filter(journey=journey)
    return [(stage, now - timedelta(days=float(stage.norm_days))) for stage in stages]


def _drawn_out(past_norm: list[tuple[Stage, datetime]], user) -> QuerySet:
    q = Q()
    for stage, cutoff in past_norm:
        q |= Q(stage=stage, since__lt=cutoff)
    states = AccountJourney.objects.filter(q) if q else AccountJourney.objects.none()
    if user is not None and (visible := account_access_q(user)):
        # The accounts the user sees as a set to join first, not a condition checked on each state: for a manager's
        # 20,000 accounts PostgreSQL otherwise sorts the million's drawn-out states to find the first 50 (120 ms,
        # against 35 ms this way).
        states = states.filter(account__in=Account.objects.filter(visible).values("id"))
    return states.select_related("account__manager", "stage__journey").order_by("since")


def drawn_out_accounts(*, now: datetime | None = None, user=None, journey: Journey | None = None) -> QuerySet:
    """Accounts whose time in their current stage exceeds the stage's norm (its median × the journey's multiple),
    the longest first."""
    return _drawn_out(_past_norm(now or timezone.now(), journey), user)


def drawn_out_first(*, limit: int, user, journey: Journey, now: datetime | None = None) -> list[AccountJourney]:
    """`drawn_out_accounts(...)[:limit]`, read a stage at a time along its (stage, since) index and merged, rather
    than by sorting every drawn-out state of the journey (hundreds of thousands at 1M accounts)."""
    past_norm = _past_norm(now or timezone.now(), journey)
    firsts = sorted(
        row for part in past_norm for row in _drawn_out([part], user).values_list("since", "account_id")[:limit]
    )[:limit]
    return list(_drawn_out(past_norm, user).filter(account_id__in=[account_id for _since, account_id in firsts]))


def _median_days(pairs) -> float | None:
    days = [(end - start).total_seconds() / 86400 for start, end in pairs if start and end and end >= start]
    return round(statistics.median(days), 1) if days else None


CYCLE_STEPS = (
    ("contact_to_proposal", "contact", "proposal"),
    ("proposal_to_deal", "proposal", "deal"),
    ("deal_to_delivery", "deal", "delivery"),
)


def cycle_times(filters: JourneyFilters) -> dict:
    """Medians over the cohort: first contact → first proposal → first order (the deal) → first delivery.
    On PostgreSQL from each account's firsts as the triggers keep them (journeys.firsts): one pass over narrow rows,
    the medians taken in the database. Elsewhere from the rows themselves, in Python."""
    if connection.vendor == "postgresql":
        return _cycle_times_from_firsts(filters)
    return _cycle_times_from_rows(filters)


def _cycle_times_from_rows(filters: JourneyFilters) -> dict:
    cohort, params = filters.cohort_sql()
    ids = Q(account_id__in=RawSQL(cohort, params))  # noqa: S611  (cohort_sql: ORM-compiled, parameters bound)

    def first(queryset, field):
        return dict(queryset.filter(ids).values("account_id").annotate(at=Min(field)).values_list("account_id", "at"))

    orders = Order.objects.exclude(status=Order.Status.CANCELLED)
    by_account = {
        "contact": first(Interaction.objects, "occurred_at"),
        "proposal": first(TrackedLink.objects, "created_at"),
        "deal": first(orders, "ordered_at"),
        "delivery": first(orders, "delivered_at"),
    }
    # A proposal is one sent with a tracked link, or an interaction at a "proposal sent" touchpoint.
    proposals = Interaction.objects.filter(touchpoint__channel=Touchpoint.Channel.PROPOSAL)
    for account_id, at in first(proposals, "occurred_at").items():
        by_account["proposal"][account_id] = min(at, by_account["proposal"].get(account_id, at))
    result = {}
    for name, start, end in CYCLE_STEPS:
        pairs = [(by_account[start].get(account_id), at) for account_id, at in by_account[end].items()]
        result[name] = {"median_days": _median_days(pairs), "n": sum(1 for s, e in pairs if s and e and e >= s)}
    return result


def _cycle_times_from_firsts(filters: JourneyFilters) -> dict:
    where, params = filters.cohort_where()
    steps = []
    for _name, start, end in CYCLE_STEPS:
        both = f"f.{end}_at >= f.{start}_at"
        steps.append(
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM f.{end}_at - f.{start}_at)::float8) "
            f"FILTER (WHERE {both}), COUNT(*) FILTER (WHERE {both})"
        )
    with connection.cursor() as cursor:
        cursor.execute(  # names of ours; the cohort's WHERE is ORM-compiled with bound parameters
            f"SELECT {', '.join(steps)} FROM journeys_accountjourney j "  # noqa: S608
            f"JOIN journeys_accountfirsts f USING (account_id) WHERE {where}",
            params,
        )
        row = cursor.fetchone()
    return {
        name: {"median_days": round(seconds / DAY, 1) if seconds is not None else None, "n": n}
        for (name, _start, _end), seconds, n in zip(CYCLE_STEPS, row[::2], row[1::2], strict=True)
    }


def lead_sources(filters: JourneyFilters) -> list[dict]:
    """Per lead source, over the cohort: accounts, how many ordered, the median days from the account's creation
    to its first order, revenue, margin, CLV in revenue and in margin (metrics), ROI and the cost of acquiring a
    client (metrics, with the lead-source costs), flagged where it is more than the CLV in margin."""
    from surveys import metrics

    cohort, params = filters.cohort_sql()
    accounts = Account.objects.filter(id__in=RawSQL(cohort, params), lead_source__isnull=False)  # noqa: S611
    bought = Order.objects.exclude(status=Order.Status.CANCELLED)
    rows = []
    roi = {
        row["lead_source"]: row
        for row in metrics.roi(metrics.MetricFilters(user=filters.user, start=filters.start, end=filters.end))[
            "lead_sources"
        ]
    }
    margins = metrics.margin_by_lead_source(bought.filter(account__in=accounts))
    for source in LeadSource.objects.filter(id__in=accounts.values("lead_source_id")).order_by("name"):
        of_source = accounts.filter(lead_source=source)
        created = dict(of_source.values_list("id", "created_at"))
        first_orders = dict(
            bought.filter(account__in=of_source)
            .values("account_id")
            .annotate(at=Min("ordered_at"))
            .values_list("account_id", "at")
        )
        revenue = bought.filter(account__in=of_source).aggregate(total=Sum("amount"))["total"] or Decimal(0)
        clv = metrics.clv(metrics.MetricFilters(user=filters.user, lead_source=source.id))
        rows.append(
            {
                "lead_source": source.name,
                "accounts": len(created),
                "customers": len(first_orders),
                "conversion": round(100 * len(first_orders) / len(created), 1) if created else None,
                "median_days_to_first_order": _median_days((created[a], at) for a, at in first_orders.items()),
                "revenue": str(revenue.quantize(Decimal("0.01"))),
                "margin": str(margins.get(source.id, Decimal(0)).quantize(Decimal("0.01"))),
                "clv": clv["value"],
                "clv_margin": clv["margin_value"],
                "roi": roi.get(source.name, {}).get("value"),
                # DOMAIN §3: CLV caps what acquiring a client may cost; what a client leaves us is its margin.
                "cost_per_client": (cost := roi.get(source.name, {}).get("cost_per_client")),
                "costs_more_than_clv": cost is not None and Decimal(cost) > Decimal(str(clv["margin_value"])),
            }
        )
    return sorted(
        rows, key=lambda row: (row["median_days_to_first_order"] is None, row["median_days_to_first_order"] or 0)
    )


@dataclass(frozen=True)
class JourneyCard:
    state: AccountJourney | None
    days_in_stage: int | None
    norm_days: Decimal | None
    drawn_out: bool
    next_touchpoint: Touchpoint | None


def account_journey_card(*, account: Account, now: datetime | None = None) -> JourneyCard:
    """For the client card: the stage, since when, its norm, and the first touchpoint of the next stage."""
    now = now or timezone.now()
    state = AccountJourney.objects.select_related("stage__journey", "journey").filter(account=account).first()
    if state is None or state.stage is None:
        return JourneyCard(state=state, days_in_stage=None, norm_days=None, drawn_out=False, next_touchpoint=None)
    days = (now - state.since).days
    norm = state.stage.norm_days
    following = Touchpoint.objects.filter(
        stage__journey=state.journey, stage__position__gt=state.stage.position
    ).order_by("stage__position", "position", "id")
    return JourneyCard(
        state=state,
        days_in_stage=days,
        norm_days=norm,
        drawn_out=norm is not None and (now - state.since).total_seconds() > float(norm) * 86400,
        next_touchpoint=following.select_related("stage").first(),
    )
