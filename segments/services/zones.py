"""Zones (DOMAIN §4): each account's relationship-survey reading, kept on the account with its history.

An account's zone is the mean of its people's closed (1..10) relationship-survey answers in the
last CRM_ZONE_WINDOW_DAYS: green from CRM_ZONE_GREEN_FROM, yellow from CRM_ZONE_YELLOW_FROM, red
below, grey with no answers. Every change is a ZoneChange row. A fall into red from green or
yellow alerts the manager and their head at once and opens a case in the closed loop.
"""

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from crm.models import Account, MessageKind, Zone
from crm.outreach.services import MessagePlan, enqueue_after_commit, messages_plan
from crm.services.accounts import accounts_hold
from segments.models import ZoneChange
from segments.services import account_labels_store, id_ranges_run, run_alone

logger = logging.getLogger(__name__)
BATCH_SIZE = 20_000  # accounts a statement; the id lists stay under SQLite's limit on variables

# New zones for the accounts in [low, high] whose zone differs from the stored one. Both
# databases run it; the answer_account_idx index serves the range.
_CHANGES_SQL = """
WITH stats AS (
    SELECT account_id, AVG(score) AS mean, COUNT(*) AS n
    FROM surveys_answer
    WHERE account_id BETWEEN %(low)s AND %(high)s
      AND survey_id IN (SELECT id FROM surveys_survey WHERE kind = %(kind)s)
      AND score IS NOT NULL AND submitted_at > %(since)s AND submitted_at <= %(now)s
    GROUP BY account_id
), classified AS (
    SELECT a.id, a.zone AS old_zone, s.mean, COALESCE(s.n, 0) AS n,
           CASE WHEN s.n IS NULL THEN 'grey' WHEN s.mean >= %(green)s THEN 'green'
                WHEN s.mean >= %(yellow)s THEN 'yellow' ELSE 'red' END AS new_zone
    FROM crm_account a LEFT JOIN stats s ON s.account_id = a.id
    WHERE a.id BETWEEN %(low)s AND %(high)s
)
SELECT id, old_zone, new_zone, mean, n FROM classified WHERE old_zone <> new_zone
"""


@dataclass
class ZoneReport:
    accounts: int = 0
    changed: Counter = field(default_factory=Counter)  # new zone -> accounts
    alerts: int = 0

    def __str__(self):
        moved = ", ".join(f"{Zone(zone).label}: {n}" for zone, n in sorted(self.changed.items())) or _("none")
        return _("%(accounts)s accounts classified; changes of zone: %(moved)s; red alerts: %(alerts)s.") % {
            "accounts": self.accounts,
            "moved": moved,
            "alerts": self.alerts,
        }


def _card_url(account_id: int) -> str:
    return settings.CRM_PUBLIC_BASE_URL.rstrip("/") + reverse("admin:crm_account_change", args=[account_id])


def _zone_changes_apply(rows: list[tuple], *, trigger: str, now: datetime) -> list[ZoneChange]:
    """Store the new zones and their history rows, in the caller's transaction."""
    account_labels_store(((account_id, new) for account_id, _old, new, _mean, _n in rows), label="zone", now=now)
    return ZoneChange.objects.bulk_create(
        [
            ZoneChange(
                account_id=account_id,
                from_zone=old,
                to_zone=new,
                mean=Decimal(mean).quantize(Decimal("0.01")) if mean is not None else None,
                answers=n,
                trigger=trigger,
                created_at=now,
            )
            for account_id, old, new, mean, n in rows
        ],
        batch_size=1000,
    )


def _changes_find(*, low: int, high: int, now: datetime) -> list[tuple]:
    from surveys.models import Survey

    with connection.cursor() as cursor:
        cursor.execute(
            _CHANGES_SQL,
            {
                "low": low,
                "high": high,
                "kind": Survey.Kind.RELATIONSHIP.value,
                "since": now - timedelta(days=settings.CRM_ZONE_WINDOW_DAYS),
                "now": now,
                "green": settings.CRM_ZONE_GREEN_FROM,
                "yellow": settings.CRM_ZONE_YELLOW_FROM,
            },
        )
        return cursor.fetchall()


def zones_classify(
    *, now: datetime | None = None, batch_size: int = BATCH_SIZE, progress: Callable[[int], None] | None = None
) -> ZoneReport:
    """Every account's zone, set-based in batches of account ids; safe to run twice (a second run changes
    nothing, and one at the same time waits for the first). Memory and transactions are bounded by the batch,
    not by the number of accounts."""
    now = now or timezone.now()

    def batch(low: int, high: int) -> Counter:
        accounts_hold(low, high)
        changes = _zone_changes_apply(
            _changes_find(low=low, high=high, now=now), trigger=ZoneChange.Trigger.RECLASSIFICATION, now=now
        )
        return Counter(change.to_zone for change in changes) + Counter(alerts=zone_falls_alert(changes, now=now))

    with run_alone("zones_classify"):
        changed = id_ranges_run(batch, batch_size=batch_size, progress=progress)
    alerts = changed.pop("alerts", 0)
    return ZoneReport(accounts=Account.objects.count(), changed=changed, alerts=alerts)


@transaction.atomic
def account_zone_refresh(*, account_id: int, now: datetime | None = None) -> ZoneChange | None:
    """After a relationship-survey answer: the account's zone now, and its change if there is one."""
    now = now or timezone.now()
    accounts_hold(account_id, account_id)
    rows = _changes_find(low=account_id, high=account_id, now=now)
    changes = _zone_changes_apply(rows, trigger=ZoneChange.Trigger.RESPONSE, now=now)
    zone_falls_alert(changes, now=now)
    if any(Zone.GREEN in (change.from_zone, change.to_zone) for change in changes):
        from segments.services.levels import account_level_refresh

        account_level_refresh(account_id=account_id, now=now)  # a green client who referred is an advocate
    return changes[0] if changes else None


def zone_falls_alert(changes: list[ZoneChange], *, now: datetime) -> int:
    """A fall into red (from green or yellow): the manager and their head hear at once, and the closed
    loop opens a case. Returns how many alerts were planned; each goes once (keyed by the change)."""
    falls = [c for c in changes if c.to_zone == Zone.RED and c.from_zone in (Zone.GREEN, Zone.YELLOW)]
    if not falls:
        return 0
    accounts = Account.objects.select_related("manager__department__head", "manager__head").in_bulk(
        [c.account_id for c in falls]
    )
    plans = []
    for change in falls:
        account = accounts[change.account_id]
        card_url = _card_url(account.id)
        manager = account.manager
        head = (manager.head or (manager.department.head if manager.department else None)) if manager else None
        for user in {user.id: user for user in (manager, head) if user is not None}.values():
            with override(user.language):  # the zone's name in the reader's language
                zone = {
                    "from": Zone(change.from_zone).label.lower(),
                    "mean": change.mean,
                    "answers": change.answers,
                    "url": card_url,
                }
            plans.append(
                MessagePlan(
                    key=f"zone-red:{change.id}:{user.id}",
                    kind=MessageKind.ZONE_RED,
                    recipient_user=user,
                    account=account,
                    context={"account": {"name": account.name}, "zone": zone},
                )
            )
        _red_case_open(account=account, change=change, now=now)
    planned = messages_plan(plans, send_now=False)
    if planned:
        enqueue_after_commit("crm.outbox_send")
    return planned


def _red_case_open(*, account: Account, change: ZoneChange, now: datetime) -> None:
    """The closed loop's case for a red relationship: one open per account, so a response that opened it
    already leaves this one out."""
    from surveys.models import FeedbackRule, Response, Survey
    from surveys.services.loop import case_open

    rule = FeedbackRule.objects.filter(reason=FeedbackRule.Reason.RED_RELATIONSHIP, is_active=True).first()
    response = (
        Response.objects.filter(account=account, survey__kind=Survey.Kind.RELATIONSHIP, completed=True)
        .select_related("account__manager", "contact")
        .order_by("-submitted_at")
        .first()
    )
    if rule is None or response is None:
        return
    summary = _("The zone fell from %(from)s to red (average %(mean)s)") % {
        "from": Zone(change.from_zone).label.lower(),
        "mean": change.mean,
    }
    case_open(response=response, rule=rule, summary=summary, now=now)


def zone_digest_plan(*, day: date | None = None) -> int:
    """Each manager's zone changes of `day` (yesterday, in TIME_ZONE, by default) in one message.
    Safe to run twice: one message per manager and day."""
    day = day or timezone.localdate() - timedelta(days=1)
    start = timezone.make_aware(datetime.combine(day, time.min))
    changes = (
        ZoneChange.objects.filter(created_at__gte=start, created_at__lt=start + timedelta(days=1))
        .exclude(account__manager=None)
        .select_related("account__manager")
        .order_by("account__manager_id", "-created_at")
    )
    by_manager: dict[int, list[ZoneChange]] = {}
    for change in changes:
        by_manager.setdefault(change.account.manager_id, []).append(change)
    plans = []
    for manager_changes in by_manager.values():
        manager = manager_changes[0].account.manager
        with override(manager.language):
            rows = [
                {
                    "account": change.account.name,
                    "from": Zone(change.from_zone).label.lower(),
                    "to": Zone(change.to_zone).label.lower(),
                    "mean": change.mean,
                    "answers": change.answers,
                    "url": _card_url(change.account_id),
                }
                for change in manager_changes
            ]
        plans.append(
            MessagePlan(
                key=f"zone-digest:{manager.id}:{day.isoformat()}",
                kind=MessageKind.ZONE_DIGEST,
                recipient_user=manager,
                context={"day": day, "changes": rows},
            )
        )
    return messages_plan(plans)
