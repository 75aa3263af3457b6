"""Rows read on every request of a hot path, remembered for a few seconds in each process.

Every API request reads its token (with its user) and every telephony webhook its connection: a
database round trip each, which under load cost as much as the caller lookup itself. `recent_match`
keeps what `first_match` found for CRM_RECENT_ROWS_SECONDS (default 5; 0 turns it off). A token,
connection or user saved in this process is forgotten at once; one changed in another process (the
admin on another web worker) is seen within those seconds, so a revoked token or a deactivated user
stops working there after at most that long.
"""

import threading

from cachetools import TTLCache
from django.conf import settings
from django.db import transaction
from django.db.models import Model

from crm.prepared import first_match

_lock = threading.Lock()
_rows: TTLCache | None = None


def recent_match(model: type[Model], *, related: str | None = None, **filters) -> Model | None:
    """first_match(model, related=related, **filters), remembered for CRM_RECENT_ROWS_SECONDS. What is not found
    is not remembered: unknown keys cannot fill the memory, and a row just created is found at once."""
    global _rows
    seconds = settings.CRM_RECENT_ROWS_SECONDS
    if seconds <= 0:
        return first_match(model, related=related, **filters)
    key = (model, related, tuple(sorted(filters.items())))
    with _lock:
        if _rows is None or _rows.ttl != seconds:
            _rows = TTLCache(maxsize=10_000, ttl=seconds)
        found = _rows.get(key)
    if found is None:
        found = first_match(model, related=related, **filters)
        if found is not None:
            with _lock:
                _rows[key] = found
    return found


def recent_forget(**_signal) -> None:
    """Forget every remembered row: after a token, connection or user changed in this process."""
    with _lock:
        if _rows is not None:
            _rows.clear()


def recent_forget_changed(**_signal) -> None:
    """A token, connection or user changed: forget now, and again once the change commits, in case a request on
    another thread read the old row in between."""
    recent_forget()
    transaction.on_commit(recent_forget)
