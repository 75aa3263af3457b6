from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from crm.models import Account


def account_labels_store(changes: Iterable[tuple[int, str]], *, label: str, now: datetime) -> Counter:
    """Accounts take their new zone or level (`label`), and `<label>_changed_at`: one UPDATE per new value.
    Returns {new value: accounts}."""
    by_value: dict[str, list[int]] = {}
    for account_id, value in changes:
        by_value.setdefault(value, []).append(account_id)
    for value, ids in by_value.items():
        Account.objects.filter(id__in=ids).update(**{label: value, f"{label}_changed_at": now})
    return Counter({value: len(ids) for value, ids in by_value.items()})
