import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from crm.models import Account


def account_labels_store(changes: Iterable[tuple[int, str]], *, label: str, now: datetime) -> Counter:
    """Accounts take their new zone or level (`label`), and `<label>_changed_at`: one UPDATE per new value.
    Returns {new value: accounts}."""
    by_value: dict[str, list[int]] = {}
    for account_id, value in changes:
        by_value.setdefault(value, []).append(account_id)
    for value, ids in by_value.items():
        if connection.vendor == "postgresql":
            # One array parameter instead of an IN list of 20,000: a quarter of the time of a first classification.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE crm_account SET {label} = %s, {label}_changed_at = %s WHERE id = ANY(%s)",  # noqa: S608
                    [value, now, ids],
                )
        else:
            Account.objects.filter(id__in=ids).update(**{label: value, f"{label}_changed_at": now})
    return Counter({value: len(ids) for value, ids in by_value.items()})


@contextmanager
def run_alone(job: str) -> Iterator[None]:
    """One bulk run of `job` at a time, across processes: a second run waits until the first ends. Two at once
    would both read the same old labels and each write the history (and the alerts) of the same change.

    On PostgreSQL, a transaction-scoped advisory lock taken in a transaction that a connection of its own keeps
    open for the whole run: it goes with a process that dies, and it holds behind a pooler in transaction mode
    (PgBouncer), where a session-level lock would be taken on one server connection and released on another.
    SQLite needs none: each batch reads what it changes inside its own IMMEDIATE transaction, so writers take
    turns."""
    if connection.vendor != "postgresql":
        yield
        return
    holder = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [job])
        yield
    finally:
        try:
            holder.rollback()  # ends the transaction, and the lock with it
        finally:
            holder.close()


def id_ranges_run(
    work: Callable[[int, int], Counter], *, batch_size: int, progress: Callable[[int], None] | None = None
) -> Counter:
    """Call `work(low, high)` for every range of `batch_size` account ids, each in a transaction of its own, and
    sum the counts it returns.

    On PostgreSQL, and outside a transaction, the ranges run on CRM_CLASSIFY_CONNECTIONS connections at once
    (threads, each with its own connection; PostgreSQL does the work, so this uses the database server's cores).
    Elsewhere, or inside the caller's transaction (which must see its own writes), they run one after another on
    the caller's connection."""
    last = Account.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ranges = [(low, min(low + batch_size - 1, last)) for low in range(1, last + 1, batch_size)]
    workers = settings.CRM_CLASSIFY_CONNECTIONS
    if connection.vendor != "postgresql" or connection.in_atomic_block or workers < 2 or len(ranges) < 2:
        totals = Counter()
        for low, high in ranges:
            with transaction.atomic():
                totals += work(low, high)
            if progress:
                progress(high - low + 1)
        return totals

    pending, lock, failed = iter(ranges), threading.Lock(), threading.Event()

    def worker() -> Counter:
        counts = Counter()
        try:
            while not failed.is_set():
                with lock:
                    low, high = next(pending, (None, None))
                if low is None:
                    break
                with transaction.atomic():
                    counts += work(low, high)
                if progress:
                    with lock:
                        progress(high - low + 1)
        except BaseException:
            failed.set()  # the other threads stop after their current range
            raise
        finally:
            connection.close()  # this thread's own connection
        return counts

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(worker) for _ in range(workers)]
        return sum((future.result() for future in futures), Counter())
