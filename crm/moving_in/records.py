"""A row of an export as a record of ours: the fields read, the values normalised (phones, e-mails, dates, sums,
INNs), what could not be read kept aside with its column; and the names rows give (managers, industries, lead
sources) matched to our rows."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from crm.models import Industry, LeadSource, User
from crm.models.accounts import validate_inn
from crm.moving_in import formats
from crm.moving_in.files import TableFile
from crm.moving_in.formats import AMOCRM, COMPANIES, CONTACTS, LEADS, Layout
from crm.names import person_name_split
from crm.phones import phone_normalize


class RowRefused(Exception):
    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column, self.reason = column, reason


@dataclass
class Record:
    row: int
    kind: str
    source_id: str
    name: str = ""
    first_name: str = ""
    patronymic: str = ""
    last_name: str = ""
    position: str = ""
    inn: str = ""
    industry: str = ""
    source: str = ""
    manager: str = ""
    companies: list[str] = field(default_factory=list)
    phones: list[tuple[str, str, str, str]] = field(default_factory=list)  # (raw, E.164, extension, kind)
    emails: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    closed_at: datetime | None = None
    birthday: object = None
    stage: str = ""
    amount: Decimal | None = None
    currency: str = "RUB"
    contact: str = ""
    extra: dict = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (column, reason): kept, not refused


def _headers_of(layout: Layout, headers: list[str], name: str) -> str:
    index = layout.fields.get(name)
    return headers[index] if index is not None else name


def record_read(layout: Layout, headers: list[str], row: list[str], number: int, kind: str) -> Record | None:
    """One row as a record of `kind`; None when the row is of another kind (amoCRM's contacts file)."""
    get = lambda name: layout.get(row, name)  # noqa: E731
    if layout.system == AMOCRM and layout.kind == CONTACTS:
        is_company = get("type").lower().startswith(("комп", "company"))
        if is_company != (kind == COMPANIES):
            return None
    source_id = get("id")
    if not source_id:
        raise RowRefused(_headers_of(layout, headers, "id"), _("no ID: the export must include the ID column"))
    record = Record(row=number, kind=kind, source_id=source_id, manager=get("manager"), source=get("source"))
    record.extra = {header: row[index][:2000] for index, header in layout.extra if index < len(row) and row[index]}
    for name, target in (("created_at", "created_at"), ("closed_at", "closed_at")):
        try:
            setattr(record, target, formats.moment(get(name)))
        except ValueError as error:
            record.problems.append((_headers_of(layout, headers, name), str(error)))
            record.extra[_headers_of(layout, headers, name)] = get(name)[:100]
    for index, phone_kind in layout.phones:
        for raw in formats.several(row[index] if index < len(row) else ""):
            try:
                normalized = phone_parse(raw)
                record.phones.append((raw[:64], normalized.e164, normalized.extension[:16], phone_kind))
            except ValidationError as error:
                record.problems.append((headers[index], f"“{raw[:40]}”: {' '.join(error.messages)}"))
                record.extra.setdefault(headers[index], row[index][:2000])
    for index in layout.emails:
        for address in formats.several(row[index] if index < len(row) else ""):
            try:
                validate_email(address)
                record.emails.append(address.lower())
            except ValidationError:
                record.problems.append(
                    (headers[index], _("“%(value)s” is not an e-mail address") % {"value": address[:60]})
                )
                record.extra.setdefault(headers[index], row[index][:2000])
    record.notes = [note for note in [get("comment"), *layout.cells(row, layout.notes)] if note]
    if kind == COMPANIES:
        record.name = get("company") if layout.system == AMOCRM else get("name")
        record.name = record.name or get("full_name")
        if not record.name:
            raise RowRefused(_headers_of(layout, headers, "name"), _("no company name"))
        record.industry = get("industry")
        inn = "".join(get("inn").split())
        try:
            if inn:
                validate_inn(inn)
                record.inn = inn
        except ValidationError as error:
            record.problems.append((_headers_of(layout, headers, "inn"), " ".join(error.messages)))
            record.extra["ИНН"] = inn
    elif kind in (CONTACTS, LEADS):
        full = get("full_name")  # amoCRM: «Кузнецов Дмитрий Олегович», where «Имя» and «Фамилия» lose the patronymic
        split = person_name_split(full) if full else None
        record.first_name = split.first_name if split else get("first_name")
        record.patronymic = split.patronymic if split else get("patronymic")
        record.last_name = split.last_name if split else get("last_name")
        if not (record.first_name or record.last_name):
            raise RowRefused(_headers_of(layout, headers, "first_name"), _("no name"))
        if not record.first_name:  # our people need a first name; "Петров" alone is kept as the last name's owner
            record.first_name, record.last_name = record.last_name, ""
        record.position = get("position")
        record.companies = [name for name in get("company").split("\n") if name.strip()][:10]
        if kind == LEADS:  # a lead is a person at a status of the lead funnel, keyed apart from contacts
            record.source_id, record.name, record.stage = f"lead:{source_id}", get("title"), get("stage")
        try:
            moment = formats.moment(get("birthday"))
            record.birthday = moment.date() if moment else None
        except ValueError as error:
            record.problems.append((_headers_of(layout, headers, "birthday"), str(error)))
    else:
        record.name = get("title")
        record.companies = [name for name in (get("company"), get("contact_company")) if name][:1]
        record.contact = get("contact")
        if not (record.companies or record.contact):
            raise RowRefused(_headers_of(layout, headers, "company"), _("the deal names no company and no contact"))
        pipeline, stage = get("pipeline"), get("stage")
        record.stage = f"{pipeline} / {stage}" if pipeline and stage else stage
        record.position = get("position")
        currency = get("currency").upper()
        record.currency = currency if len(currency) == 3 and currency.isalpha() else "RUB"
        try:
            record.amount = formats.amount(get("amount"))
        except ValueError as error:
            record.problems.append((_headers_of(layout, headers, "amount"), str(error)))
    return record


@lru_cache(maxsize=65536)
def phone_parse(raw: str):
    """Exports repeat numbers (a company's line on each of its people): each is parsed once."""
    return phone_normalize(raw)


def records_read(table: TableFile, layout_of: Callable[[list[str]], Layout], kind: str, start: int) -> Iterator:
    """(row number, record or RowRefused) from data row `start` (0-based) on; row numbers as in the file."""
    rows = table.rows()
    headers = next(rows, [])
    layout = layout_of(headers)
    for position, row in enumerate(rows):
        if position < start:
            continue
        number = position + 2
        try:
            record = record_read(layout, headers, row, number, kind)
        except RowRefused as refused:
            yield position, refused
            continue
        yield position, record


# --- What exists already: managers, industries, lead sources ---------------------------------------------------


class Names:
    """Names the rows give, to our rows: managers by full name or e-mail, industries and lead sources by name."""

    def __init__(self):
        self.managers = {}
        for user in User.objects.filter(is_active=True).only("id", "first_name", "last_name", "email", "username"):
            first, last = user.first_name.strip().lower(), user.last_name.strip().lower()
            for key in {
                f"{first} {last}".strip(),
                f"{last} {first}".strip(),
                user.email.lower(),
                user.username.lower(),
            }:
                if key:  # two people of one name: neither is guessed (the row names no one we can be sure of)
                    self.managers[key] = None if self.managers.get(key, user.pk) != user.pk else user.pk
        self.industries = {name.lower(): pk for pk, name in Industry.objects.values_list("id", "name")}
        self.sources = {name.lower(): pk for pk, name in LeadSource.objects.values_list("id", "name")}

    def manager(self, name: str) -> int | None:
        words = name.lower().split()
        if not words:
            return None
        # "Иванова Мария Петровна": the patronymic is not on our users
        for key in (" ".join(words), " ".join(words[:2]), " ".join([words[0], words[-1]])):
            if key in self.managers:
                return self.managers[key]
        return None

    def _named(self, name: str, cache: dict, model) -> int | None:
        name = " ".join(name.split())[:200]
        if not name:
            return None
        if name.lower() not in cache:
            cache[name.lower()] = model.objects.get_or_create(name=name)[0].pk
        return cache[name.lower()]

    def industry(self, name: str) -> int | None:
        return self._named(name, self.industries, Industry)

    def source(self, name: str) -> int | None:
        return self._named(name, self.sources, LeadSource)


# --- The check -------------------------------------------------------------------------------------------------


def layout_for(system: str, file_kind: str) -> Callable[[list[str]], Layout]:
    return lambda headers: Layout.of(system, file_kind, headers)


def name_phone_keys(record: Record) -> list[str]:
    return [f"{' '.join(record.name.lower().split())}|{phone[1]}" for phone in record.phones]
