"""A person's behaviour axes and the account's type (DOMAIN §5): the manager's reading, kept with the account.

An account's type is the one set on the account, else its decision maker's. The type is a fact of the account
(lists, the caller card and the outreach jobs read it), so it is kept here, in the same transaction as the change
that moves it; the segments app suggests axes from what people write and reads the type.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from crm.models import Account, AccountEvent, Axis, Contact

SOURCE_ACCOUNT, SOURCE_DECISION_MAKER = "account", "decision_maker"


def accounts_behaviour_type_refresh(*, account_ids: Iterable[int], acting_user=None) -> int:
    """Each account takes the type set on it, else the first decision maker's whose type is known.
    Changes are stored with an AccountEvent each; returns how many changed. Two queries plus the writes."""
    accounts = {account.id: account for account in Account.objects.filter(id__in=list(account_ids))}
    if not accounts:
        return 0
    decision_makers: dict[int, Contact] = {}
    for contact in (
        Contact.objects.filter(account_id__in=accounts, is_decision_maker=True)
        .exclude(Q(emotional=Axis.UNSURE) | Q(confident=Axis.UNSURE))
        .only("id", "account_id", "emotional", "confident")
        .order_by("id")
    ):
        decision_makers.setdefault(contact.account_id, contact)
    changed, events = [], []
    for account in accounts.values():
        contact = decision_makers.get(account.id)
        if account.behaviour_type_set:
            new_type, source, contact = account.behaviour_type_set, SOURCE_ACCOUNT, None
        elif contact is not None:
            new_type, source = contact.behaviour_type, SOURCE_DECISION_MAKER
        else:
            new_type, source = None, ""
        if new_type == account.behaviour_type:
            continue
        events.append(
            AccountEvent(
                account=account,
                type=AccountEvent.Type.BEHAVIOUR_TYPE_CHANGED,
                acting_user=acting_user,
                data={
                    "from": account.behaviour_type,
                    "to": new_type,
                    "source": source,
                    "contact": contact and contact.id,
                },
            )
        )
        account.behaviour_type = new_type
        changed.append(account)
    Account.objects.bulk_update(changed, ["behaviour_type"], batch_size=1000)
    AccountEvent.objects.bulk_create(events, batch_size=1000)
    return len(changed)


def account_behaviour_source(account: Account) -> str:
    """Where the account's type comes from: "account", "decision_maker", or "" when there is none."""
    if account.behaviour_type_set:
        return SOURCE_ACCOUNT
    return SOURCE_DECISION_MAKER if account.behaviour_type else ""


@transaction.atomic
def contact_behaviour_set(*, contact: Contact, emotional: str, confident: str, acting_user=None) -> Contact:
    """The manager's reading of a person on both axes (each yes, no or not sure); recorded on the account."""
    for axis, value in (("emotional", emotional), ("confident", confident)):
        if value not in Axis.values:
            raise ValidationError({axis: _("Choose yes, no or unsure.")})
    old = (contact.emotional, contact.confident)
    if old == (emotional, confident):
        return contact
    contact.emotional, contact.confident = emotional, confident
    contact.save(update_fields=["emotional", "confident", "updated_at"])
    contact_behaviour_changed(contact=contact, old=old, acting_user=acting_user)
    return contact


def contact_behaviour_changed(*, contact: Contact, old: tuple[str, str], acting_user=None) -> None:
    """After a person's axes changed (however they were saved): the history row, and the account's type."""
    AccountEvent.objects.create(
        account_id=contact.account_id,
        type=AccountEvent.Type.CONTACT_BEHAVIOUR_CHANGED,
        acting_user=acting_user,
        data={
            "contact": contact.id,
            "from": {"emotional": old[0], "confident": old[1]},
            "to": {"emotional": contact.emotional, "confident": contact.confident},
        },
    )
    accounts_behaviour_type_refresh(account_ids=[contact.account_id], acting_user=acting_user)
