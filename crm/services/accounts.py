from collections.abc import Sequence
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.access import assignable_managers_q
from crm.events import AccountManagerChanged, AccountStatusChanged, ReferrerChanged, publish
from crm.models import Account, AccountEvent, Contact, ContactConsent, Phone, User
from crm.phones import phone_normalize
from crm.services.behaviour import accounts_behaviour_type_refresh, contact_behaviour_changed


def accounts_hold(low: int, high: int) -> None:
    """Hold the accounts in [low, high] until this transaction ends, before reading their labels (zone, level)
    to change them: wait for any transaction holding one of them, and see what it committed. Without it, two
    changes at once (two people answering, or an answer during the nightly run) both read the same old label and
    each write their own change, the later one computed without the other's data.

    A row lock that leaves the accounts' keys alone (FOR NO KEY UPDATE), so new answers and orders of these
    accounts go on being written meanwhile. SQLite needs none: its writers take turns (IMMEDIATE transactions)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT 1 FROM crm_account WHERE id BETWEEN %s AND %s FOR NO KEY UPDATE) held",
                [low, high],
            )


def account_event_record(*, account: Account, type: str, acting_user=None, **data) -> AccountEvent:
    """Append one row to the account's history: what happened, who did it, and the details."""
    return AccountEvent.objects.create(account=account, type=type, acting_user=acting_user, data=data)


def account_manager_check(*, acting_user, manager) -> None:
    """Who may hand an account to whom (crm/access.py). Unknown, inactive and forbidden users get one answer,
    so the check tells nothing about who exists. No acting user: the system itself (imports, jobs, the demo)."""
    if acting_user is None:
        return
    if manager is None:
        allowed = acting_user.sees_all_accounts or bool(acting_user.headed_department_ids)  # they see the queue
    else:
        allowed = User.objects.filter(assignable_managers_q(acting_user), pk=manager.pk).exists()
    if not allowed:
        raise ValidationError(
            {
                "manager": _(
                    "You may assign accounts to yourself; a head also to the members of their department. "
                    "Ask a head or an administrator to assign it to someone else."
                )
            }
        )


def _inn_free_check(account: Account, *, acting_user) -> None:
    """One account per INN (as the import keeps it): a second one would split the client's history in two.
    The account that has it is named only to someone who may see it."""
    if not account.inn:
        return
    holder = Account.objects.filter(inn=account.inn).exclude(pk=account.pk).first()
    if holder is None:
        return
    if acting_user is None or Account.objects.for_user(acting_user).filter(pk=holder.pk).exists():
        message = _("“%(name)s” already has this INN: open it instead.") % {"name": holder.name}
    else:
        message = _("You cannot use INN “%(inn)s”: check the number, or ask your head.") % {"inn": account.inn}
    raise ValidationError({"inn": message})


@transaction.atomic
def account_create(*, name: str, acting_user=None, manager=None, **fields) -> Account:
    """A new account. A plain manager who names no manager gets it themselves, rather than losing it to the
    queue they cannot see."""
    if manager is None and acting_user is not None and not acting_user.sees_all_accounts:
        manager = acting_user if not acting_user.headed_department_ids else None
    account_manager_check(acting_user=acting_user, manager=manager)
    account = Account(name=name, manager=manager, **fields)
    account.full_clean()
    _inn_free_check(account, acting_user=acting_user)
    account.save()
    account_event_record(
        account=account,
        type=AccountEvent.Type.CREATED,
        acting_user=acting_user,
        manager_id=account.manager_id,
        status=account.status,
    )
    if account.referred_by_id:
        publish(ReferrerChanged(account_id=account.id, old_referrer_id=None, new_referrer_id=account.referred_by_id))
    if account.behaviour_type_set:
        _behaviour_types_refresh(account.id, acting_user=acting_user)
    return account


def _behaviour_types_refresh(*account_ids, acting_user=None) -> None:
    accounts_behaviour_type_refresh(account_ids=set(account_ids), acting_user=acting_user)


@transaction.atomic
def account_update(*, account: Account, acting_user=None, reason: str = "", **fields) -> Account:
    """Change an account; a new manager or status is also written to the account's history."""
    old_manager_id, old_status, old_referrer_id = account.manager_id, account.status, account.referred_by_id
    old_behaviour_type_set = account.behaviour_type_set
    for field, value in fields.items():
        setattr(account, field, value)
    if account.manager_id != old_manager_id:
        account_manager_check(acting_user=acting_user, manager=account.manager)
    account.full_clean()
    if "inn" in fields:
        _inn_free_check(account, acting_user=acting_user)
    account.save()
    if account.manager_id != old_manager_id:
        account_event_record(
            account=account,
            type=AccountEvent.Type.MANAGER_CHANGED,
            acting_user=acting_user,
            **{"from": old_manager_id, "to": account.manager_id, "reason": reason},
        )
        publish(
            AccountManagerChanged(
                account_id=account.id, old_manager_id=old_manager_id, new_manager_id=account.manager_id
            )
        )
    if account.status != old_status:
        account_event_record(
            account=account,
            type=AccountEvent.Type.STATUS_CHANGED,
            acting_user=acting_user,
            **{"from": old_status, "to": account.status, "reason": reason},
        )
        publish(AccountStatusChanged(account_id=account.id, old_status=old_status, new_status=account.status))
    if account.referred_by_id != old_referrer_id:
        publish(
            ReferrerChanged(
                account_id=account.id, old_referrer_id=old_referrer_id, new_referrer_id=account.referred_by_id
            )
        )
    if account.behaviour_type_set != old_behaviour_type_set:
        _behaviour_types_refresh(account.id, acting_user=acting_user)
    return account


def _phone_build(*, contact: Contact, raw: str, kind: str = Phone.Kind.MOBILE, is_primary: bool = False) -> Phone:
    normalized = phone_normalize(raw)
    return Phone(
        contact=contact,
        raw=raw.strip(),
        number=normalized.e164,
        extension=normalized.extension,
        kind=kind,
        is_primary=is_primary,
    )


@transaction.atomic
def contact_create(
    *, account: Account, first_name: str, phones: Sequence[str] = (), birthday: date | None = None, **fields
) -> Contact:
    contact = Contact(account=account, first_name=first_name, birthday=birthday, **fields)
    contact.full_clean()
    errors, built = [], []
    for index, raw in enumerate(phones):
        try:
            built.append(_phone_build(contact=contact, raw=raw, is_primary=index == 0))
        except ValidationError as error:
            errors.extend(error.messages)
    numbers = [(phone.number, phone.extension) for phone in built]
    if len(set(numbers)) != len(numbers):
        errors.append(_("The same phone number is listed twice."))
    if errors:
        raise ValidationError({"phones": errors})
    contact.save()
    Phone.objects.bulk_create(built)
    if contact.is_decision_maker:
        _behaviour_types_refresh(contact.account_id)
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, acting_user=None, **fields) -> Contact:
    """Change a person. New behaviour axes are written to the account's history; they, a new decision
    maker or a move to another account can change the account's behaviour type."""
    old_axes = (contact.emotional, contact.confident)
    old_account_id, was_decision_maker = contact.account_id, contact.is_decision_maker
    if "email" in fields and fields["email"] != contact.email:  # a new address gets its chance
        contact.email_bounced_at, contact.email_bounce_reason = None, ""
    for field, value in fields.items():
        setattr(contact, field, value)
    contact.full_clean()
    contact.save()
    if (contact.emotional, contact.confident) != old_axes:
        contact_behaviour_changed(contact=contact, old=old_axes, acting_user=acting_user)
    if contact.account_id != old_account_id or contact.is_decision_maker != was_decision_maker:
        _behaviour_types_refresh(old_account_id, contact.account_id, acting_user=acting_user)
    return contact


@transaction.atomic
def phone_add(*, contact: Contact, raw: str, kind: str = Phone.Kind.MOBILE, is_primary: bool = False) -> Phone:
    phone = _phone_build(contact=contact, raw=raw, kind=kind, is_primary=is_primary)
    phone.full_clean()
    phone.save()
    return phone


@transaction.atomic
def contact_consent_set(
    *,
    contact: Contact,
    purpose: str,
    granted: bool,
    channel: str = ContactConsent.Channel.ANY,
    source: str = "",
    at: datetime | None = None,
) -> ContactConsent:
    """Record a consent or an opt-out; `at`: when the person gave it, if not now (a form acted on later)."""
    consent, _created = ContactConsent.objects.update_or_create(
        contact=contact,
        purpose=purpose,
        channel=channel,
        defaults={"granted": granted, "changed_at": at or timezone.now(), "source": source},
    )
    return consent
