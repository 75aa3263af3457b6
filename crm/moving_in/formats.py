"""The columns Bitrix24 and amoCRM write in their exports, and the values in them as they write them.

Bitrix24's headers are its list columns (components crm.company.list, crm.contact.list, crm.deal.list) and its
multi-fields (CRM_FM_ENTITY_PHONE_WORK "Рабочий телефон", ...), in Russian or, from an English portal, in English.
amoCRM writes one file of contacts and companies (a «Тип» column tells which) and one of deals, with
«Примечание 1…5» notes and the contact's phones and e-mails beside each deal. Every other column (Bitrix24's
`UF_CRM_…` custom fields, amoCRM's own fields) is kept as the record's extra data.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

BITRIX24, AMOCRM = "bitrix24", "amocrm"
ORDER, SKIP = "order", ""  # what a deal stage may map to, besides a journey stage: a won deal's order, or nothing
COMPANIES, CONTACTS, DEALS, LEADS = "companies", "contacts", "deals", "leads"

_BITRIX_PHONES = {
    "рабочий телефон": "work",
    "мобильный телефон": "mobile",
    "номер факса": "other",
    "домашний телефон": "other",
    "номер пейджера": "other",
    "телефон для рассылок": "other",
    "другой телефон": "other",
    "телефон": "work",
    "work phone": "work",
    "mobile": "mobile",
    "fax": "other",
    "home phone": "other",
    "pager number": "other",
    "sms marketing phone": "other",
    "other phone number": "other",
    "phone": "work",
}
_BITRIX_EMAILS = {
    "рабочий e-mail",
    "частный e-mail",
    "e-mail для рассылок",
    "другой e-mail",
    "e-mail",
    "work e-mail",
    "home e-mail",
    "newsletters email",
    "other e-mail",
}
_AMO_PHONES = {
    "рабочий телефон": "work",
    "рабочий прямой телефон": "work",
    "мобильный телефон": "mobile",
    "факс": "other",
    "домашний телефон": "other",
    "другой телефон": "other",
}
_AMO_EMAILS = {"рабочий email", "личный email", "другой email"}

_COMMON_BITRIX = {
    "id": "id",
    "ответственный": "manager",
    "responsible": "manager",
    "дата создания": "created_at",
    "created": "created_at",
    "комментарий": "comment",
    "comment": "comment",
    "источник": "source",
    "source": "source",
    "инн": "inn",
    "inn": "inn",
}
# Each system's kinds of file: the columns we read (lower-cased header → our field), and the columns that tell
# the kind of file apart (all of one group present).
COLUMNS = {
    (BITRIX24, COMPANIES): {
        **_COMMON_BITRIX,
        "название компании": "name",
        "company name": "name",
        "сфера деятельности": "industry",
        "industry": "industry",
    },
    (BITRIX24, CONTACTS): {
        **_COMMON_BITRIX,
        "имя": "first_name",
        "first name": "first_name",
        "фамилия": "last_name",
        "last name": "last_name",
        "отчество": "patronymic",
        "middle name": "patronymic",
        "должность": "position",
        "position": "position",
        "компания": "company",
        "company": "company",
        "дата рождения": "birthday",
        "birthday": "birthday",
    },
    (BITRIX24, DEALS): {
        **_COMMON_BITRIX,
        "название сделки": "title",
        "deal name": "title",
        "стадия сделки": "stage",
        "stage": "stage",
        "воронка": "pipeline",
        "pipeline": "pipeline",
        "сумма": "amount",
        "income": "amount",
        "валюта": "currency",
        "currency": "currency",
        "компания": "company",
        "company": "company",
        "контакт": "contact",
        "contact": "contact",
        "предполагаемая дата закрытия": "closed_at",
        "assumed close date": "closed_at",
    },
    # Bitrix24's leads (crm.lead.list): a person, often with a company's name, at a status of the lead funnel.
    (BITRIX24, LEADS): {
        **_COMMON_BITRIX,
        "название лида": "title",
        "статус": "stage",
        "имя": "first_name",
        "фамилия": "last_name",
        "отчество": "patronymic",
        "название компании": "company",
        "должность": "position",
        "дата рождения": "birthday",
    },
    (AMOCRM, CONTACTS): {
        "id": "id",
        "тип": "type",
        "полное имя контакта": "full_name",
        "имя": "first_name",
        "фамилия": "last_name",
        "название компании": "company",
        "ответственный": "manager",
        "дата создания контакта": "created_at",
        "должность": "position",
        "источник": "source",
        "теги": "tags",
    },
    (AMOCRM, DEALS): {
        "id": "id",
        "название сделки": "title",
        "бюджет": "amount",
        "ответственный": "manager",
        "дата создания сделки": "created_at",
        "дата закрытия": "closed_at",
        "этап сделки": "stage",
        "воронка": "pipeline",
        "полное имя контакта": "contact",
        "компания контакта": "contact_company",
        "компания": "company",
        "должность": "position",
        "источник": "source",
        "теги": "tags",
    },
}
# Columns that are the source system's bookkeeping, not the client's data: not kept.
IGNORED = {
    "кем создана",
    "кем изменена",
    "кем создан",
    "кем изменен",
    "дата изменения",
    "created by",
    "modified by",
    "modified",
    "кем создан контакт",
    "кем создана сделка",
    "дата редактирования",
    "кем редактирован",
    "кем редактирована",
    "сделки",
    "ответственный за контакт",
    "группа стадий",
    "deal status",
    "сделка закрыта",
    "closed",
}
SIGNATURES = [
    (AMOCRM, DEALS, {"название сделки", "этап сделки"}),
    (AMOCRM, CONTACTS, {"полное имя контакта", "тип"}),
    (AMOCRM, CONTACTS, {"полное имя контакта", "дата создания контакта"}),
    (BITRIX24, LEADS, {"название лида", "статус"}),
    (BITRIX24, DEALS, {"название сделки", "стадия сделки"}),
    (BITRIX24, DEALS, {"deal name", "stage"}),
    (BITRIX24, COMPANIES, {"название компании"}),
    (BITRIX24, COMPANIES, {"company name"}),
    (BITRIX24, CONTACTS, {"имя", "фамилия"}),
    (BITRIX24, CONTACTS, {"first name", "last name"}),
]
SYSTEM_NAMES = {BITRIX24: "Bitrix24", AMOCRM: "amoCRM"}
_NOTE = re.compile(r"^примечание( \d+)?$")


def header_key(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").split()).lower()


def file_kind(headers: list[str]) -> tuple[str, str] | None:
    """(system, kind) of a file by its header row, or None when it is no export we know."""
    keys = {header_key(header) for header in headers}
    for system, kind, needed in SIGNATURES:
        if needed <= keys:
            return system, kind
    return None


@dataclass
class Layout:
    """Where each of our fields is in a file's rows."""

    system: str
    kind: str
    fields: dict[str, int] = field(default_factory=dict)
    phones: list[tuple[int, str]] = field(default_factory=list)  # (column, kind)
    emails: list[int] = field(default_factory=list)
    notes: list[int] = field(default_factory=list)
    extra: list[tuple[int, str]] = field(default_factory=list)  # (column, header)

    @classmethod
    def of(cls, system: str, kind: str, headers: list[str]) -> "Layout":
        layout = cls(system, kind)
        columns = COLUMNS[system, kind]
        phones, emails = (_BITRIX_PHONES, _BITRIX_EMAILS) if system == BITRIX24 else (_AMO_PHONES, _AMO_EMAILS)
        for index, header in enumerate(headers):
            key = header_key(header)
            if key in columns and columns[key] not in layout.fields:
                layout.fields[columns[key]] = index
            elif key in phones:
                layout.phones.append((index, phones[key]))
            elif key in emails:
                layout.emails.append(index)
            elif system == AMOCRM and _NOTE.match(key):
                layout.notes.append(index)
            elif key and key not in IGNORED:
                layout.extra.append((index, " ".join(header.split())))
        return layout

    def get(self, row: list[str], name: str) -> str:
        index = self.fields.get(name)
        return row[index] if index is not None and index < len(row) else ""

    def cells(self, row: list[str], indexes) -> list[str]:
        return [row[index] for index in indexes if index < len(row) and row[index]]


def several(cell: str) -> list[str]:
    """Several values in one cell: phones and e-mails separated by commas, semicolons or new lines."""
    return [part.strip() for part in re.split(r"[,;\n]", cell) if part.strip()]


_DATE_FORMATS = (
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
)


_RUSSIAN_DATE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def moment(text: str) -> datetime | None:
    """A date and time as the exports write it (dd.mm.yyyy hh:mm[:ss], ISO, or an English portal's m/d/yyyy), in
    the company's time zone; None when the cell is empty. A value that is no date raises ValueError."""
    text = text.strip()
    if not text:
        return None
    if match := _RUSSIAN_DATE.match(text):  # the usual case, without strptime's cost (a million dates in a move-in)
        day, month, year, hour, minute, second = (int(part or 0) for part in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=timezone.get_default_timezone())
        except ValueError:
            pass
    for pattern in _DATE_FORMATS:
        try:
            value = datetime.strptime(text, pattern)  # noqa: DTZ007 - made aware just below
        except ValueError:
            continue
        return timezone.make_aware(value, timezone.get_default_timezone())
    raise ValueError(_("“%(value)s” is not a date (expected dd.mm.yyyy hh:mm)") % {"value": text[:40]})


def amount(text: str) -> Decimal | None:
    """A sum as people write it: `1 250 000,50`, `1250000.50`, `1,250,000.50`, `12 500 руб.`."""
    cleaned = re.sub(r"[^\d,.\-]", "", text)
    if not cleaned:
        return None
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        cleaned = cleaned.replace("." if decimal_mark == "," else ",", "").replace(",", ".")
    elif cleaned.count(",") == 1:
        cleaned = cleaned.replace(",", ".")
    elif cleaned.count(",") > 1 or cleaned.count(".") > 1:
        cleaned = cleaned.replace(",", "").replace(".", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not an amount") % {"value": text[:40]}) from None
    if not value.is_finite() or abs(value) >= Decimal("1e12"):
        raise ValueError(_("“%(value)s” is not an amount") % {"value": text[:40]})
    return value.quantize(Decimal("0.01"))


_STAGE_WORDS = (
    # A converted lead lives on as the company, contact and deal it became (exported with them); a junk one is junk.
    (
        (
            "не реализ",
            "lost",
            "отказ",
            "проигр",
            "junk",
            "некачеств",
            "провал",
            "сконверт",
            "converted",
            "качественный",
        ),
        SKIP,
    ),
    (("не обработан",), "awareness"),
    (("успешн", "won", "выигр", "реализовано", "оплачен", "закрыта и реализована"), ORDER),
    (("счёт", "счет", "invoice", "договор", "contract", "оплат"), "purchase"),
    (
        ("кп", "предложен", "proposal", "quote", "переговор", "negotiat", "встреч", "meeting", "решени", "decision"),
        "decision",
    ),
    (
        ("консультац", "демо", "demo", "подготов", "квалиф", "qualif", "в работе", "in progress", "обработан"),
        "consideration",
    ),
    (("нов", "new", "первичн", "неразобран", "incoming", "лид"), "awareness"),
)


def stage_suggest(stage: str) -> str:
    """Our target for a source stage, by its words: a journey stage's code, an order (a won deal), or nothing (lost)."""
    words = stage.lower().split(" / ")[-1]
    for needles, target in _STAGE_WORDS:
        if any(needle in words for needle in needles):
            return target
    return "consideration"
