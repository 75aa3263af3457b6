"""The importers: a chunk of records of one kind into our tables, set-based (a few lookups and one insert per
table for the chunk), keyed by the source's ids (SourceKey) so that the same rows again update what they made."""

from collections import Counter
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from crm.events import JourneyMovesImported, publish
from crm.models import Account, AccountEvent, Contact, Interaction, Order, Phone
from crm.moving_in.formats import AMOCRM, COMPANIES, CONTACTS, DEALS, LEADS, ORDER, SKIP, SYSTEM_NAMES, stage_suggest
from crm.moving_in.inserts import objects_insert, rows_insert
from crm.moving_in.models import MoveIn, SourceKey
from crm.moving_in.records import Names, Record, name_phone_keys
from crm.names import person_name_split

Key = SourceKey.Kind


def _keys(system: str, kind: str, external_ids) -> dict[str, int]:
    return dict(
        SourceKey.objects.filter(system=system, kind=kind, external_id__in=list(external_ids)).values_list(
            "external_id", "object_id"
        )
    )


def _keys_add(system: str, kind: str, pairs) -> None:
    rows_insert(
        SourceKey,
        ["system", "kind", "external_id", "object_id"],
        [(system, kind, key[:300], pk) for key, pk in pairs],
        ignore_conflicts=True,  # the first record to claim a name or a name with a phone keeps it
    )


def _name_key(name: str) -> str:
    return " ".join(name.lower().split())


def _notes_add(system: str, rows: list[tuple[int, int | None, str, datetime | None, str]]) -> None:
    """Notes and comments as timeline entries at their original dates: (account, contact, text, when, our key)."""
    subject = _("Note from %(system)s") % {"system": SYSTEM_NAMES[system]}
    now = timezone.now()
    rows_insert(
        Interaction,
        [
            "account_id",
            "contact_id",
            "channel",
            "direction",
            "occurred_at",
            "subject",
            "notes",
            "source",
            "external_id",
        ],
        [
            (
                account_id,
                contact_id,
                Interaction.Channel.NOTE,
                Interaction.Direction.OUTBOUND,
                when or now,
                subject,
                text[:10_000],
                system,
                key[:128],
            )
            for account_id, contact_id, text, when, key in rows
        ],
        ignore_conflicts=True,  # imported again: already there
    )


def _events_add(move_in: MoveIn, accounts: list[Account]) -> None:
    """Each new account's history starts with its import: from where, in which move-in, to which manager."""
    rows_insert(
        AccountEvent,
        ["account_id", "type", "acting_user_id", "data"],
        [
            (
                account.pk,
                AccountEvent.Type.IMPORTED,
                move_in.created_by_id,
                {"from": move_in.system, "move_in": move_in.pk, "manager_id": account.manager_id},
            )
            for account in accounts
        ],
    )


def _companies_import(move_in: MoveIn, records: list[Record], names: Names) -> tuple[int, int]:
    system = move_in.system
    by_id = _keys(system, Key.COMPANY, (record.source_id for record in records))
    by_name_phone = _keys(system, Key.COMPANY_NAME_PHONE, (key for r in records for key in name_phone_keys(r)))
    by_inn = {}
    for pk, inn in (
        Account.objects.filter(inn__in={r.inn for r in records if r.inn}).order_by("-id").values_list("id", "inn")
    ):
        by_inn[inn] = pk
    targets: list[tuple[Record, int | Account]] = []
    new_by_inn, new_by_name_phone = {}, {}
    for record in records:
        target = (
            by_id.get(record.source_id)
            or (record.inn and (new_by_inn.get(record.inn) or by_inn.get(record.inn)))
            or next((by_name_phone[key] for key in name_phone_keys(record) if key in by_name_phone), None)
            or next((new_by_name_phone[key] for key in name_phone_keys(record) if key in new_by_name_phone), None)
        )
        if target is None:
            target = Account(
                name=record.name[:255],
                inn=record.inn,
                industry_id=names.industry(record.industry),
                lead_source_id=names.source(record.source),
                manager_id=names.manager(record.manager),
                created_at=record.created_at or timezone.now(),
                extra=_extra(record),
            )
            if record.inn:
                new_by_inn[record.inn] = target
            for key in name_phone_keys(record):
                new_by_name_phone[key] = target
        targets.append((record, target))
    new = list({id(account): account for _r, account in targets if isinstance(account, Account)}.values())
    objects_insert(new)
    existing = Account.objects.in_bulk({target for _r, target in targets if not isinstance(target, Account)})
    for record, target in targets:
        if isinstance(target, Account):
            continue
        account = existing[target]
        if by_id.get(record.source_id) == target:  # the record that made the account, imported again: it wins
            account.name = record.name[:255]
            account.inn = record.inn or account.inn
            account.industry_id = names.industry(record.industry) or account.industry_id
            account.lead_source_id = names.source(record.source) or account.lead_source_id
            account.manager_id = names.manager(record.manager) or account.manager_id
            account.extra = {**account.extra, **_extra(record)}
        else:  # a duplicate merged into it: fills only what is empty
            account.inn = account.inn or record.inn
            account.industry_id = account.industry_id or names.industry(record.industry)
            account.lead_source_id = account.lead_source_id or names.source(record.source)
            account.manager_id = account.manager_id or names.manager(record.manager)
            account.extra = {**_extra(record), **account.extra}
    Account.objects.bulk_update(
        existing.values(), ["name", "inn", "industry", "lead_source", "manager", "extra"], batch_size=1000
    )
    pk_of = lambda target: target.pk if isinstance(target, Account) else target  # noqa: E731
    makers = {id(account): record for record, account in reversed(targets) if isinstance(account, Account)}
    # Keyed by its id: the record that made an account, and one already keyed. A merged duplicate is not, so it
    # merges again (filling blanks) when imported again, and never overwrites the company it was merged into.
    _keys_add(
        system,
        Key.COMPANY,
        (
            (record.source_id, pk_of(target))
            for record, target in targets
            if by_id.get(record.source_id) or makers.get(id(target)) is record
        ),
    )
    _keys_add(system, Key.COMPANY_NAME, ((_name_key(record.name), pk_of(target)) for record, target in targets))
    _keys_add(
        system,
        Key.COMPANY_NAME_PHONE,
        ((key, pk_of(target)) for record, target in targets for key in name_phone_keys(record)),
    )
    _events_add(move_in, new)
    _notes_add(
        system,
        [
            (pk_of(target), None, text, record.created_at, f"company:{record.source_id}:{number}")
            for record, target in targets
            for number, text in enumerate(record.notes)
        ],
    )
    return len(new), len(records) - len(new)


def _extra(record: Record) -> dict:
    extra = dict(record.extra)
    if record.kind == COMPANIES and record.phones:
        extra["phones"] = ", ".join(phone[0] for phone in record.phones)
    if record.kind == COMPANIES and record.emails:
        extra["e-mails"] = ", ".join(record.emails)
    return extra


def _accounts_by_name(move_in: MoveIn, names_wanted: set[str], names: Names, records: list[Record]) -> dict[str, int]:
    """Our account for each company name the rows give: one this move-in (or an earlier one) made under that name,
    else the one account of ours with exactly that name, else a new prospect under that name."""
    system = move_in.system
    found = _keys(system, Key.COMPANY_NAME, (_name_key(name) for name in names_wanted))
    missing = {name for name in names_wanted if _name_key(name) not in found}
    if missing:
        counted = Counter()
        ours = {}
        for pk, name in Account.objects.filter(name__in=missing).values_list("id", "name"):
            counted[name] += 1
            ours[name] = pk
        for name, pk in ours.items():
            if counted[name] == 1:
                found[_name_key(name)] = pk
        first_row = {}
        for record in records:
            for name in record.companies or [_person_account_name(record)]:
                first_row.setdefault(name, record)
        new = {}
        for name in missing:
            if _name_key(name) not in found and _name_key(name) not in new:
                record = first_row.get(name)
                new[_name_key(name)] = Account(
                    name=name[:255],
                    manager_id=names.manager(record.manager) if record else None,
                    created_at=(record.created_at if record else None) or timezone.now(),
                )
        objects_insert(list(new.values()))
        _events_add(move_in, list(new.values()))
        _keys_add(system, Key.COMPANY_NAME, ((key, account.pk) for key, account in new.items()))
        found.update({key: account.pk for key, account in new.items()})
    return {name: found[_name_key(name)] for name in names_wanted}


def _person_account_name(record: Record) -> str:
    """A person with no company is a client of their own: the account bears their name."""
    return " ".join(filter(None, [record.last_name, record.first_name, record.patronymic])) or record.contact


_CONTACT_FIELDS = ["first_name", "patronymic", "last_name", "position", "email", "birthday"]


def _contacts_import(move_in: MoveIn, records: list[Record], names: Names) -> tuple[int, int]:
    system = move_in.system
    accounts = _accounts_by_name(
        move_in, {name for r in records for name in (r.companies or [_person_account_name(r)])}, names, records
    )
    pairs = [
        (record, accounts[name], _contact_key(record, number))
        for record in records
        for number, name in enumerate(record.companies or [_person_account_name(record)])
    ]
    keys = _keys(system, Key.CONTACT, (key for _record, _account_id, key in pairs))
    existing = Contact.objects.in_bulk(keys.values())
    new, targets = [], []  # targets: (record, contact id or None until inserted, account id, key)
    for record, account_id, key in pairs:
        values = (
            record.first_name[:100],
            record.patronymic[:100],
            record.last_name[:100],
            record.position[:200],
            record.emails[0][:254] if record.emails else "",
            record.birthday,
        )
        contact = existing.get(keys.get(key))
        if contact is None:  # a row, not a model instance: two hundred thousand people come in at once
            new.append((account_id, record.created_at or timezone.now(), _contact_extra(record), *values))
            targets.append([record, None, account_id, key])
        else:
            for name, value in zip(_CONTACT_FIELDS, values, strict=True):
                if value:
                    setattr(contact, name, value)
            contact.extra = {**contact.extra, **_contact_extra(record)}
            targets.append([record, contact.pk, account_id, key])
    ids = iter(rows_insert(Contact, ["account_id", "created_at", "extra", *_CONTACT_FIELDS], new))
    for target in targets:
        target[1] = target[1] or next(ids)
    Contact.objects.bulk_update(existing.values(), [*_CONTACT_FIELDS, "extra"], batch_size=1000)
    _phones_add((contact_id, record.phones) for record, contact_id, _account_id, _key in targets)
    _keys_add(system, Key.CONTACT, ((key, contact_id) for _record, contact_id, _account_id, key in targets))
    _notes_add(
        system,
        [
            (account_id, contact_id, text, record.created_at, f"contact:{key}:{number}")
            for record, contact_id, account_id, key in targets
            for number, text in enumerate(record.notes)
        ],
    )
    return len(new), len(targets) - len(new)


def _contact_key(record: Record, number: int) -> str:
    """A person is keyed by their id; in a second company (a cell naming several), by the id and the company."""
    return record.source_id if number == 0 else f"{record.source_id}@{_name_key(record.companies[number])}"


def _contact_extra(record: Record) -> dict:
    extra = dict(record.extra)
    if len(record.emails) > 1:
        extra["e-mails"] = ", ".join(record.emails[1:])
    return extra


def _phones_add(contacts_phones) -> None:
    rows_insert(
        Phone,
        ["contact_id", "raw", "number", "extension", "kind", "is_primary"],
        [
            (contact_id, raw, e164, extension, kind, position == 0)
            for contact_id, numbers in contacts_phones
            for position, (raw, e164, extension, kind) in enumerate(dict.fromkeys(numbers))
        ],
        ignore_conflicts=True,  # phone_unique_per_contact: a number the person already has
    )


def _deals_import(move_in: MoveIn, records: list[Record], names: Names) -> tuple[int, int]:
    system = move_in.system
    accounts = _accounts_by_name(
        move_in, {r.companies[0] if r.companies else r.contact for r in records}, names, records
    )
    account_of = {
        record.row: accounts[record.companies[0] if record.companies else record.contact] for record in records
    }
    keys = _keys(system, Key.DEAL, (record.source_id for record in records))
    orders = Order.objects.in_bulk([pk for pk in keys.values() if pk])
    prefix = {AMOCRM: "AMO"}.get(system, "B24")
    new_orders, updated_orders, moves, deal_keys, lost = [], [], [], [], set()
    for record in records:
        target = move_in.stage_map.get(record.stage, stage_suggest(record.stage) if record.stage else SKIP)
        if not target:  # a won deal is its order, an open one its journey stage; a lost one leaves only its line
            lost.add(record.row)
        account_id = account_of[record.row]
        when = record.created_at or timezone.now()
        if target == ORDER:
            order = orders.get(keys.get(record.source_id))
            delivered = record.closed_at or when
            if order is None:
                order = Order(
                    account_id=account_id,
                    number=f"{prefix}-{record.source_id}"[:64],
                    status=Order.Status.DELIVERED,
                    amount=record.amount or Decimal(0),
                    currency=record.currency,
                    ordered_at=when,
                    delivered_at=delivered,
                    created_at=when,
                )
                new_orders.append((record, order))
            else:
                order.amount, order.currency, order.delivered_at = (
                    record.amount or order.amount,
                    record.currency,
                    delivered,
                )
                updated_orders.append(order)
            moves.append((account_id, "order_delivered", delivered.isoformat()))
        elif target:
            moves.append((account_id, target, when.isoformat()))
        if target != ORDER:
            deal_keys.append((record.source_id, account_id))
    objects_insert([order for _r, order in new_orders], ignore_conflicts=True)  # a number taken: skipped
    numbers = {order.number: order for _r, order in new_orders}
    for pk, number in Order.objects.filter(number__in=list(numbers)).values_list("id", "number"):
        numbers[number].pk = pk
    Order.objects.bulk_update(updated_orders, ["amount", "currency", "delivered_at"], batch_size=1000)
    _keys_add(system, Key.DEAL, [(record.source_id, order.pk) for record, order in new_orders if order.pk])
    _keys_add(system, Key.DEAL, deal_keys)
    Account.objects.filter(
        pk__in={order.account_id for _r, order in new_orders}, status=Account.Status.PROSPECT
    ).update(status=Account.Status.ACTIVE)
    if system == AMOCRM:
        _deal_people_add(move_in, records, account_of)
    _notes_add(
        system,
        [
            (account_of[record.row], None, text, record.created_at, f"deal:{record.source_id}:{number}")
            for record in records
            for number, text in enumerate([_deal_line(record) if record.row in lost else "", *record.notes])
            if text
        ],
    )
    if moves:
        publish(JourneyMovesImported(moves=tuple(moves)))
    created = sum(record.source_id not in keys for record in records)
    return created, len(records) - created


def _deal_line(record: Record) -> str:
    """The deal itself on the timeline: its name, stage and sum, at the date it was opened."""
    amount = f"{record.amount:,.2f} {record.currency}".replace(",", "\u00a0") if record.amount is not None else ""
    return " · ".join(filter(None, [_("Deal") + f" “{record.name or record.source_id}”", record.stage, amount]))


def _deal_people_add(move_in: MoveIn, records: list[Record], account_of: dict[int, int]) -> None:
    """amoCRM writes the deal's contact beside it (name, phones, e-mails): a person not yet on the account joins it."""
    people = {}
    for record in records:
        if record.contact:
            people.setdefault((account_of[record.row], _name_key(record.contact)), record)
    keys = _keys(move_in.system, Key.CONTACT, (f"name:{name}@{account_id}" for account_id, name in people))
    there = {
        (account_id, _name_key(" ".join(filter(None, parts))))
        for account_id, *parts in Contact.objects.filter(account_id__in={key[0] for key in people}).values_list(
            "account_id", "last_name", "first_name", "patronymic"
        )
    }
    new = []
    for (account_id, name), record in people.items():
        if f"name:{name}@{account_id}" in keys or (account_id, name) in there:
            continue
        split = person_name_split(record.contact)
        contact = Contact(
            account_id=account_id,
            first_name=(split.first_name or split.last_name)[:100],
            patronymic=split.patronymic[:100],
            last_name=split.last_name[:100] if split.first_name else "",
            position=record.position[:200],
            email=record.emails[0] if record.emails else "",
        )
        new.append((name, record, contact))
    objects_insert([contact for _n, _r, contact in new])
    _phones_add((contact.pk, record.phones) for _n, record, contact in new)
    _keys_add(
        move_in.system, Key.CONTACT, ((f"name:{name}@{contact.account_id}", contact.pk) for name, _r, contact in new)
    )


def _leads_import(move_in: MoveIn, records: list[Record], names: Names) -> tuple[int, int]:
    """Bitrix24's leads at a status mapped to a journey stage: the person (and the company they named, else an
    account of their own) comes in as a prospect at that stage. A lead mapped to nothing (converted: it is in the
    companies, contacts and deals; junk) is left out."""
    kept = [
        (record, target)
        for record in records
        if (target := move_in.stage_map.get(record.stage, stage_suggest(record.stage))) not in (SKIP, ORDER)
    ]
    created, updated = _contacts_import(move_in, [record for record, _target in kept], names)
    where = [record.companies[0] if record.companies else _person_account_name(record) for record, _target in kept]
    accounts = _accounts_by_name(move_in, set(where), names, [record for record, _target in kept])
    moves = [
        (accounts[name], target, (record.created_at or timezone.now()).isoformat())
        for (record, target), name in zip(kept, where, strict=True)
    ]
    if moves:
        publish(JourneyMovesImported(moves=tuple(moves)))
    return created, updated


IMPORTERS = {COMPANIES: _companies_import, CONTACTS: _contacts_import, DEALS: _deals_import, LEADS: _leads_import}
