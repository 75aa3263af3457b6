"""Moving in from Bitrix24 or amoCRM: the files are checked (a dry run that writes nothing), the uploader maps the
source's deal stages onto ours, then a worker imports them in chunks.

Each chunk is set-based (a few queries and bulk inserts for a thousand rows) and commits together with the
progress, under a lock on the move-in's row, so a killed worker's successor goes on from the next chunk; and every
record is keyed by the source's id (SourceKey), so running the same files again updates instead of duplicating.
A row that cannot become a record (no name) is refused and listed; a value that cannot be read (a bad phone, a
date that is no date) is listed too, kept in the record's extra data, and the row imported.
"""

import logging
import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.events import JourneyMovesImported, MoveInFinished, publish
from crm.models import Account, AccountEvent, Contact, Industry, Interaction, LeadSource, Order, Phone, User
from crm.models.accounts import validate_inn
from crm.moving_in import formats
from crm.moving_in.files import FileRefused, TableFile, table_open
from crm.moving_in.formats import AMOCRM, COMPANIES, CONTACTS, DEALS, SYSTEM_NAMES, Layout
from crm.moving_in.inserts import objects_insert, rows_insert
from crm.moving_in.models import MoveIn, SourceKey
from crm.names import person_name_split
from crm.phones import phone_normalize

logger = logging.getLogger(__name__)
Key = SourceKey.Kind
ERRORS_KEPT = 200
DUPLICATES_KEPT = 100
PASSES = (COMPANIES, CONTACTS, DEALS)
ORDER, SKIP = "order", ""


def _upload_dir() -> Path:
    return Path(settings.CRM_MOVE_IN_DIR)


# --- Creating a move-in: the files kept, each known for what it is ------------------------------------------


def move_in_create(*, system: str, uploads: list, acting_user: User, check_now: bool = False) -> MoveIn:
    """Keep the uploaded files (Django UploadedFile or paths) once each is known to be an export of `system`,
    and start the check. A file that is not refuses the whole upload, and nothing is kept."""
    if not acting_user.sees_all_accounts:
        raise ValidationError(_("Moving a company's data in needs someone who sees every account."))
    if not uploads:
        raise ValidationError(_("Choose the exported files."))
    folder = _upload_dir() / uuid.uuid4().hex
    folder.mkdir(parents=True)
    try:
        files = [_file_keep(upload, folder, system, number) for number, upload in enumerate(uploads)]
    except ValidationError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    files.sort(key=lambda described: PASSES.index(described["kind"]))
    move_in = MoveIn.objects.create(created_by=acting_user, system=system, files=files)
    if check_now:
        return move_in_check(move_in_id=move_in.pk)
    transaction.on_commit(lambda: _send("crm.move_in_check", move_in.pk))
    return move_in


def _send(task: str, move_in_id: int) -> None:
    try:
        current_app.send_task(task, args=[move_in_id])
    except Exception:
        logger.warning("Could not enqueue %s for move-in %s; the sweep will.", task, move_in_id, exc_info=True)


def _file_keep(upload, folder: Path, system: str, number: int) -> dict:
    name = Path(str(getattr(upload, "name", upload))).name[:200] or "file"
    path = folder / f"{number}-{name}"
    if isinstance(upload, (str, Path)):
        shutil.copyfile(upload, path)
    else:
        with path.open("wb") as out:
            for piece in upload.chunks():
                out.write(piece)
    rows = table_open(path, name=name).rows()
    headers = next(rows, [])
    rows.close()
    found = formats.file_kind(headers)
    if found is None:
        if not headers or not any(formats.header_key(cell) in _ALL_HEADERS for cell in headers):
            raise FileRefused(
                _(
                    "“%(name)s” has no header row we know: "
                    "the first row must be the column names as %(system)s exports them."
                )
                % {"name": name, "system": SYSTEM_NAMES[system]}
            )
        raise FileRefused(
            _(
                "“%(name)s” is not an export of companies, contacts or deals from %(system)s: "
                "its columns are %(columns)s."
            )
            % {"name": name, "system": SYSTEM_NAMES[system], "columns": ", ".join(headers[:8])}
        )
    if found[0] != system:
        raise FileRefused(
            _("“%(name)s” is an export from %(other)s, not from %(system)s: choose “From %(other)s”.")
            % {"name": name, "other": SYSTEM_NAMES[found[0]], "system": SYSTEM_NAMES[system]}
        )
    return {"name": name, "path": str(path), "kind": found[1]}


_ALL_HEADERS = {key for columns in formats.COLUMNS.values() for key in columns}


def _passes(move_in: MoveIn) -> list[tuple[int, str]]:
    """(file index, kind) in import order. amoCRM's contacts file holds the companies too: it is read twice,
    companies first, so that its people find their companies."""
    steps = []
    for index, described in enumerate(move_in.files):
        if move_in.system == AMOCRM and described["kind"] == CONTACTS:
            steps.append((index, COMPANIES))
        steps.append((index, described["kind"]))
    return sorted(steps, key=lambda step: PASSES.index(step[1]))


# --- Rows into records ----------------------------------------------------------------------------------------


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


def _record(layout: Layout, headers: list[str], row: list[str], number: int, kind: str) -> Record | None:
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
                normalized = _phone(raw)
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
    elif kind == CONTACTS:
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
def _phone(raw: str):
    """Exports repeat numbers (a company's line on each of its people): each is parsed once."""
    return phone_normalize(raw)


def _records(table: TableFile, layout_of: Callable[[list[str]], Layout], kind: str, start: int) -> Iterator:
    """(row number, record or RowRefused) from data row `start` (0-based) on; row numbers as in the file."""
    rows = table.rows()
    headers = next(rows, [])
    layout = layout_of(headers)
    for position, row in enumerate(rows):
        if position < start:
            continue
        number = position + 2
        try:
            record = _record(layout, headers, row, number, kind)
        except RowRefused as refused:
            yield position, refused
            continue
        yield position, record


# --- What exists already: managers, industries, lead sources ---------------------------------------------------


class _Names:
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


def _layout_for(system: str, file_kind: str) -> Callable[[list[str]], Layout]:
    return lambda headers: Layout.of(system, file_kind, headers)


def move_in_check(*, move_in_id: int) -> MoveIn | None:
    """Read every file once and say what importing it would do: per file, rows that would create, update, merge
    into another row, or be refused (with row, column and reason); managers we do not have; the deal stages found,
    with a suggested mapping. Nothing is written but the preview."""
    move_in = MoveIn.objects.filter(pk=move_in_id, status=MoveIn.Status.CHECKING).first()
    if move_in is None:
        return None
    names = _Names()  # reads only: the check creates no industry or lead source
    preview = {"files": [], "errors": [], "duplicates": [], "unknown_managers": Counter(), "stages": Counter()}
    try:
        for index, kind in _passes(move_in):
            described = move_in.files[index]
            _check_pass(move_in, described, kind, names, preview)
    except FileRefused as refused:
        return _fail(move_in, " ".join(refused.messages))
    preview["unknown_managers"] = dict(preview["unknown_managers"].most_common(50))
    preview["stages"] = dict(preview["stages"].most_common())
    suggested = {stage: stage_suggest(stage) for stage in preview["stages"]}
    MoveIn.objects.filter(pk=move_in.pk, status=MoveIn.Status.CHECKING).update(
        status=MoveIn.Status.CHECKED, preview=preview, stage_map=suggested, updated_at=timezone.now()
    )
    move_in.refresh_from_db()
    return move_in


def _check_pass(move_in: MoveIn, described: dict, kind: str, names: _Names, preview: dict) -> None:
    table = table_open(Path(described["path"]), name=described["name"])
    layout_of = _layout_for(move_in.system, described["kind"])
    counts = Counter()
    seen_inn, seen_name_phone = {}, {}
    chunk = []

    def flush():
        existing = _existing_keys(move_in.system, kind, [record.source_id for record in chunk])
        for record in chunk:
            counts["update" if record.source_id in existing else "create"] += 1
        chunk.clear()

    for position, result in _records(table, layout_of, kind, 0):
        if isinstance(result, RowRefused):
            counts["refused"] += 1
            _note(preview["errors"], described["name"], position + 2, result.column, result.reason)
            continue
        if result is None:
            continue
        record = result
        counts["rows"] += 1
        for column, reason in record.problems:
            counts["problems"] += 1
            _note(preview["errors"], described["name"], record.row, column, reason + " " + _("(kept in extra data)"))
        if record.manager and names.manager(record.manager) is None:
            preview["unknown_managers"][record.manager] += 1
        if kind == DEALS and record.stage:
            preview["stages"][record.stage] += 1
        if kind == COMPANIES:
            first = (record.inn and seen_inn.get(record.inn)) or next(
                (seen_name_phone[key] for key in _name_phone_keys(record) if key in seen_name_phone), None
            )
            if first:
                counts["merged"] += 1
                if len(preview["duplicates"]) < DUPLICATES_KEPT:
                    preview["duplicates"].append(
                        {"file": described["name"], "row": record.row, "into_row": first, "name": record.name}
                    )
                continue
            if record.inn:
                seen_inn[record.inn] = record.row
            for key in _name_phone_keys(record):
                seen_name_phone[key] = record.row
        chunk.append(record)
        if len(chunk) >= settings.CRM_MOVE_IN_CHUNK_ROWS:
            flush()
    flush()
    preview["files"].append({"name": described["name"], "kind": kind, **counts})


def _note(errors: list, file_name: str, row: int, column: str, reason: str) -> None:
    if len(errors) < ERRORS_KEPT:
        errors.append({"file": file_name, "row": row, "column": column, "reason": reason})


def _name_phone_keys(record: Record) -> list[str]:
    return [f"{' '.join(record.name.lower().split())}|{phone[1]}" for phone in record.phones]


def _existing_keys(system: str, kind: str, ids: list[str]) -> set[str]:
    source_kind = {COMPANIES: Key.COMPANY, CONTACTS: Key.CONTACT, DEALS: Key.DEAL}[kind]
    return set(
        SourceKey.objects.filter(system=system, kind=source_kind, external_id__in=ids).values_list(
            "external_id", flat=True
        )
    )


_STAGE_WORDS = (
    (("не реализ", "lost", "отказ", "проигр", "junk", "некачеств", "провал"), SKIP),
    (("успешн", "won", "выигр", "реализовано", "оплачен", "закрыта и реализована"), ORDER),
    (("счёт", "счет", "invoice", "договор", "contract", "оплат"), "purchase"),
    (
        ("кп", "предложен", "proposal", "quote", "переговор", "negotiat", "встреч", "meeting", "решени", "decision"),
        "decision",
    ),
    (("консультац", "демо", "demo", "подготов", "квалиф", "qualif", "в работе", "in progress"), "consideration"),
    (("нов", "new", "первичн", "неразобран", "incoming", "лид"), "awareness"),
)


def stage_suggest(stage: str) -> str:
    """Our target for a source stage, by its words: a journey stage's code, an order (a won deal), or nothing (lost)."""
    words = stage.lower().split(" / ")[-1]
    for needles, target in _STAGE_WORDS:
        if any(needle in words for needle in needles):
            return target
    return "consideration"


# --- Confirm and run -------------------------------------------------------------------------------------------


# The journey stages a deal stage may map to ({code: name}): the journeys app, which crm does not import, sets
# this when it is ready (journeys/apps.py), as it subscribes to crm's events.
journey_stage_choices: Callable[[], dict[str, str]] = dict


def stage_targets() -> dict[str, str]:
    """What a source stage may map to: an order (a won deal), nothing (a lost one), or a journey stage."""
    return {ORDER: _("An order (a won deal)"), SKIP: _("Nothing (a lost deal)"), **journey_stage_choices()}


@transaction.atomic
def move_in_confirm(*, move_in: MoveIn, stage_map: dict[str, str], acting_user: User) -> MoveIn:
    """The uploader has read the check and mapped the stages: import. Confirming twice imports once."""
    if move_in.created_by_id != acting_user.pk:
        raise ValidationError(_("Only the person who uploaded the files can import them."))
    allowed = stage_targets()
    unknown = {stage: target for stage, target in stage_map.items() if target not in allowed}
    if unknown:
        raise ValidationError(
            _("These stages map to nothing we have: %(stages)s.") % {"stages": ", ".join(sorted(unknown))}
        )
    claimed = MoveIn.objects.filter(pk=move_in.pk, status=MoveIn.Status.CHECKED).update(
        status=MoveIn.Status.IMPORTING,
        stage_map={**move_in.stage_map, **stage_map},
        progress={"pass": 0, "row": 0},
        report={"created": {}, "updated": {}, "refused": 0},
        updated_at=timezone.now(),
    )
    move_in.refresh_from_db()
    if claimed:
        transaction.on_commit(lambda: _send("crm.move_in_run", move_in.pk))
    return move_in


def move_in_run(*, move_in_id: int, progress: Callable[[int], None] | None = None) -> MoveIn | None:
    """Import every file, pass by pass, chunk by chunk, from the progress kept on the move-in (see the module)."""
    move_in = MoveIn.objects.select_related("created_by").filter(pk=move_in_id, status=MoveIn.Status.IMPORTING).first()
    if move_in is None:
        return None
    names = _Names()
    passes = _passes(move_in)
    try:
        for step in range(move_in.progress.get("pass", 0), len(passes)):
            index, kind = passes[step]
            described = move_in.files[index]
            table = table_open(Path(described["path"]), name=described["name"])
            start = move_in.progress.get("row", 0) if step == move_in.progress.get("pass", 0) else 0
            records = _records(table, _layout_for(move_in.system, described["kind"]), kind, start)
            chunk, end = [], start
            for position, result in records:
                end = position + 1
                chunk.append(result)
                if len(chunk) >= settings.CRM_MOVE_IN_CHUNK_ROWS:
                    _chunk_commit(move_in, (step, end - len(chunk)), end, kind, chunk, names)
                    if progress:
                        progress(len(chunk))
                    chunk = []
            _chunk_commit(move_in, (step, end - len(chunk)), end, kind, chunk, names, pass_done=True)
            if progress:
                progress(len(chunk))
    except FileRefused as refused:
        return _fail(move_in, " ".join(refused.messages))
    MoveIn.objects.filter(pk=move_in.pk, status=MoveIn.Status.IMPORTING).update(
        status=MoveIn.Status.DONE, finished_at=timezone.now(), updated_at=timezone.now()
    )
    _files_drop(move_in)  # imported: the exports (people's data) are not kept
    publish(MoveInFinished(move_in_id=move_in.pk))
    move_in.refresh_from_db()
    return move_in


def _chunk_commit(
    move_in: MoveIn, at: tuple[int, int], end: int, kind: str, chunk: list, names: _Names, pass_done: bool = False
) -> None:
    """Import one chunk (rows from `at` = (pass, row) to `end`) and move the progress past it, in one transaction.
    A chunk is done only when the progress is exactly at its start: one another worker did is skipped."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Not waiting for each chunk to reach the disk: a crash loses at most the last chunks, and since each
            # commits with its progress, they are simply imported again.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        locked = MoveIn.objects.select_for_update().get(pk=move_in.pk)
        if (locked.status, locked.progress.get("pass", 0), locked.progress.get("row", 0)) != (
            MoveIn.Status.IMPORTING,
            *at,
        ):
            return
        records = [item for item in chunk if isinstance(item, Record)]
        report = locked.report
        if records:
            created, updated = _IMPORTERS[kind](locked, records, names)
            report["created"][kind] = report["created"].get(kind, 0) + created
            report["updated"][kind] = report["updated"].get(kind, 0) + updated
        report["refused"] = report.get("refused", 0) + sum(isinstance(item, RowRefused) for item in chunk)
        progress = {"pass": at[0] + 1, "row": 0} if pass_done else {"pass": at[0], "row": end}
        MoveIn.objects.filter(pk=locked.pk).update(progress=progress, report=report, updated_at=timezone.now())


def _files_drop(move_in: MoveIn) -> None:
    for described in move_in.files:
        shutil.rmtree(Path(described["path"]).parent, ignore_errors=True)


def _fail(move_in: MoveIn, reason: str) -> MoveIn:
    """A file turned out unreadable: nothing more is done with it, and it is not kept."""
    _files_drop(move_in)
    MoveIn.objects.filter(pk=move_in.pk).update(
        status=MoveIn.Status.FAILED, failure=reason, finished_at=timezone.now(), updated_at=timezone.now()
    )
    move_in.refresh_from_db()
    return move_in


def move_ins_resume(*, stale_after_seconds: int = 120) -> int:
    """Start again a check or an import no worker is doing (its worker died, or the broker was down)."""
    stale = timezone.now() - timedelta(seconds=stale_after_seconds)
    tasks = {MoveIn.Status.CHECKING: "crm.move_in_check", MoveIn.Status.IMPORTING: "crm.move_in_run"}
    jobs = list(MoveIn.objects.filter(status__in=list(tasks), updated_at__lt=stale).values_list("pk", "status"))
    for pk, status in jobs:
        _send(tasks[status], pk)
    return len(jobs)


# --- The importers: a chunk of records of one kind, set-based --------------------------------------------------


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


def _companies_import(move_in: MoveIn, records: list[Record], names: _Names) -> tuple[int, int]:
    system = move_in.system
    by_id = _keys(system, Key.COMPANY, (record.source_id for record in records))
    by_name_phone = _keys(system, Key.COMPANY_NAME_PHONE, (key for r in records for key in _name_phone_keys(r)))
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
            or next((by_name_phone[key] for key in _name_phone_keys(record) if key in by_name_phone), None)
            or next((new_by_name_phone[key] for key in _name_phone_keys(record) if key in new_by_name_phone), None)
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
            for key in _name_phone_keys(record):
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
        ((key, pk_of(target)) for record, target in targets for key in _name_phone_keys(record)),
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


def _accounts_by_name(move_in: MoveIn, names_wanted: set[str], names: _Names, records: list[Record]) -> dict[str, int]:
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


def _contacts_import(move_in: MoveIn, records: list[Record], names: _Names) -> tuple[int, int]:
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
    new, targets = [], []
    for record, account_id, key in pairs:
        fields = {
            "first_name": record.first_name[:100],
            "patronymic": record.patronymic[:100],
            "last_name": record.last_name[:100],
            "position": record.position[:200],
            "email": record.emails[0][:254] if record.emails else "",
            "birthday": record.birthday,
        }
        contact = existing.get(keys.get(key))
        if contact is None:
            contact = Contact(
                account_id=account_id,
                created_at=record.created_at or timezone.now(),
                extra=_contact_extra(record),
                **fields,
            )
            new.append(contact)
        else:
            for name, value in fields.items():
                if value:
                    setattr(contact, name, value)
            contact.extra = {**contact.extra, **_contact_extra(record)}
        targets.append((record, contact, key))
    objects_insert(new)
    Contact.objects.bulk_update(
        existing.values(),
        ["first_name", "patronymic", "last_name", "position", "email", "birthday", "extra"],
        batch_size=1000,
    )
    _phones_add((contact.pk, record.phones) for record, contact, _key in targets)
    _keys_add(system, Key.CONTACT, ((key, contact.pk) for _record, contact, key in targets))
    _notes_add(
        system,
        [
            (contact.account_id, contact.pk, text, record.created_at, f"contact:{key}:{number}")
            for record, contact, key in targets
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


def _deals_import(move_in: MoveIn, records: list[Record], names: _Names) -> tuple[int, int]:
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


_IMPORTERS = {COMPANIES: _companies_import, CONTACTS: _contacts_import, DEALS: _deals_import}
