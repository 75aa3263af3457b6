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
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.events import MoveInFinished, publish
from crm.models import User
from crm.moving_in import formats
from crm.moving_in.files import FileRefused, table_open
from crm.moving_in.formats import AMOCRM, COMPANIES, CONTACTS, DEALS, LEADS, ORDER, SKIP, SYSTEM_NAMES, stage_suggest
from crm.moving_in.importers import IMPORTERS
from crm.moving_in.models import MoveIn, SourceKey
from crm.moving_in.records import Names, Record, RowRefused, layout_for, name_phone_keys, records_read

logger = logging.getLogger(__name__)
Key = SourceKey.Kind
ERRORS_KEPT = 200
DUPLICATES_KEPT = 100
PASSES = (COMPANIES, CONTACTS, DEALS, LEADS)


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


def move_in_check(*, move_in_id: int) -> MoveIn | None:
    """Read every file once and say what importing it would do: per file, rows that would create, update, merge
    into another row, or be refused (with row, column and reason); managers we do not have; the deal stages found,
    with a suggested mapping. Nothing is written but the preview."""
    move_in = MoveIn.objects.filter(pk=move_in_id, status=MoveIn.Status.CHECKING).first()
    if move_in is None:
        return None
    names = Names()  # reads only: the check creates no industry or lead source
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


def _check_pass(move_in: MoveIn, described: dict, kind: str, names: Names, preview: dict) -> None:
    table = table_open(Path(described["path"]), name=described["name"])
    layout_of = layout_for(move_in.system, described["kind"])
    counts = Counter()
    seen_inn, seen_name_phone = {}, {}
    chunk = []
    first_time = not SourceKey.objects.filter(system=move_in.system).exists()  # nothing to look up: all is new

    def flush():
        ids = [record.source_id for record in chunk]
        existing = set() if first_time else _existing_keys(move_in.system, kind, ids)
        for record in chunk:
            counts["update" if record.source_id in existing else "create"] += 1
        chunk.clear()

    for position, result in records_read(table, layout_of, kind, 0):
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
        if kind in (DEALS, LEADS) and record.stage:
            preview["stages"][record.stage] += 1
        if kind == COMPANIES:
            first = (record.inn and seen_inn.get(record.inn)) or next(
                (seen_name_phone[key] for key in name_phone_keys(record) if key in seen_name_phone), None
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
            for key in name_phone_keys(record):
                seen_name_phone[key] = record.row
        chunk.append(record)
        if len(chunk) >= settings.CRM_MOVE_IN_CHUNK_ROWS:
            flush()
    flush()
    preview["files"].append({"name": described["name"], "kind": kind, **counts})


def _note(errors: list, file_name: str, row: int, column: str, reason: str) -> None:
    if len(errors) < ERRORS_KEPT:
        errors.append({"file": file_name, "row": row, "column": column, "reason": reason})


def _existing_keys(system: str, kind: str, ids: list[str]) -> set[str]:
    source_kind = {COMPANIES: Key.COMPANY, CONTACTS: Key.CONTACT, DEALS: Key.DEAL, LEADS: Key.CONTACT}[kind]
    return set(
        SourceKey.objects.filter(system=system, kind=source_kind, external_id__in=ids).values_list(
            "external_id", flat=True
        )
    )


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
    names = Names()
    passes = _passes(move_in)
    try:
        for step in range(move_in.progress.get("pass", 0), len(passes)):
            index, kind = passes[step]
            described = move_in.files[index]
            table = table_open(Path(described["path"]), name=described["name"])
            start = move_in.progress.get("row", 0) if step == move_in.progress.get("pass", 0) else 0
            records = records_read(table, layout_for(move_in.system, described["kind"]), kind, start)
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
    move_in: MoveIn, at: tuple[int, int], end: int, kind: str, chunk: list, names: Names, pass_done: bool = False
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
            created, updated = IMPORTERS[kind](locked, records, names)
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
