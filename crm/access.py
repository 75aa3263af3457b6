"""Row-level access: who may see which accounts, and so everything that hangs off them.

A manager sees the accounts assigned to them; the head of a department also sees the
accounts of that department's members and the unassigned queue; a superuser, or a user
with the `crm.view_all_accounts` permission, sees everything. The admin and the API use
the same querysets, so the rule is written once, here.
"""

from django.db.models import Q

from crm.services.roles import ACCOUNT_MANAGERS, HEADS


def account_access_q(user, *, prefix: str = "") -> Q:
    """A filter over Account, or over a model that reaches Account through `prefix`."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.sees_all_accounts:
        return Q()
    q = Q(**{f"{prefix}manager": user})
    if user.headed_department_ids:
        q |= Q(**{f"{prefix}manager__department_id__in": user.headed_department_ids})
        q |= Q(**{f"{prefix}manager__isnull": True})
    return q


def assignable_managers_q(user, *, prefix: str = "") -> Q:
    """A filter over User: to whom `user` may hand an account. Themselves; a head, also the members of the
    departments they head; one who sees every account, any active user."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    q = Q(**{f"{prefix}is_active": True})
    if user.sees_all_accounts:
        return q
    return q & (Q(**{f"{prefix}pk": user.pk}) | Q(**{f"{prefix}department_id__in": user.headed_department_ids}))


def account_managers_q() -> Q:
    """A filter over User: the people who manage accounts (the account-managers and heads groups), for the
    "manager" choices of filters: not the administrator or a service account."""
    return Q(is_active=True, groups__name__in=[ACCOUNT_MANAGERS, HEADS])
