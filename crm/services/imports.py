"""Imports of accounts and contacts from a CSV or XLSX file: read, checked and imported in the background.

The file is read once when it is uploaded (its encoding and delimiter found, its size and rows capped), then a
task checks every row in chunks (a dry run: nothing is kept) and keeps the counts, the first rows and the first
errors for the admin's page; once the uploader confirms, a task imports the valid rows in chunks. Each chunk is
its own short transaction, committed with the job's progress, so a big file never holds the database for long
(the web pages go on answering) and a worker killed halfway is followed by one that goes on from the next chunk,
never importing a row twice.
"""

import csv
import io
import logging
import time
import zipfile
from datetime import timedelta

import tablib
from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import ImportJob, User
from crm.resources import AccountResource, ContactResource

logger = logging.getLogger(__name__)

AUTO = ""
ENCODINGS = ("utf-8-sig", "cp1251")  # UTF-8 with or without BOM, then Russian Excel's default
DELIMITERS = (",", ";", "\t")
PREVIEW_ROWS = 20
ERRORS_KEPT = 100
RESOURCES = {ImportJob.Kind.ACCOUNTS: AccountResource, ImportJob.Kind.CONTACTS: ContactResource}
XLSX_MAGIC = b"PK\x03\x04"
SQLITE_WRITERS_TURN_SECONDS = 0.15


def _refuse(message: str):
    raise ValidationError({"import_file": message})


def table_read(*, content: bytes, encoding: str = AUTO, delimiter: str = AUTO) -> tuple[tablib.Dataset, str, str]:
    """The rows of a CSV or XLSX file, with the encoding and delimiter it turned out to use (found when AUTO)."""
    if content.startswith(XLSX_MAGIC):
        return _xlsx_read(content), "", ""
    text, encoding = _decode(content, encoding)
    if "\x00" in text:  # no text column (nor PostgreSQL's JSON) can hold one
        _refuse(_("The file contains NUL characters: it is not a CSV file. Save it again as CSV or XLSX."))
    header = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = delimiter or max(DELIMITERS, key=header.count)
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(cell.strip() for cell in row)]
    return _dataset(rows), encoding, delimiter


def _decode(content: bytes, encoding: str) -> tuple[str, str]:
    for candidate in [encoding] if encoding else ENCODINGS:
        try:
            return content.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    _refuse(
        _("The file is not text in %(encoding)s: save it as “CSV UTF-8” or choose its encoding.")
        % {"encoding": encoding or "UTF-8 / Windows-1251"}
    )


def _xlsx_read(content: bytes) -> tablib.Dataset:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        _refuse(_("The file looks like an Excel workbook but cannot be opened: save it again as .xlsx or as CSV."))
    rows = [
        ["" if value is None else str(value).replace("\x00", "") for value in row]
        for row in book.active.iter_rows(values_only=True)
        if any(value not in (None, "") for value in row)
    ]
    book.close()
    return _dataset(rows)


def _dataset(rows: list[list[str]]) -> tablib.Dataset:
    if not rows:
        _refuse(_("The file is empty: the first row must name the columns."))
    headers = [cell.strip() for cell in rows[0]]
    width = len(headers)
    dataset = tablib.Dataset(headers=headers)
    for row in rows[1:]:
        dataset.append([cell.strip() for cell in row[:width]] + [""] * (width - len(row)))
    return dataset


@transaction.atomic
def import_job_create(
    *, kind: str, upload, acting_user: User, encoding: str = AUTO, delimiter: str = AUTO
) -> ImportJob:
    """Keep an uploaded file as a job, once it is known to be readable and within the limits, and start checking
    it: at once for a small file, in the background for a big one."""
    if upload.size > settings.CRM_IMPORT_MAX_BYTES:
        _refuse(
            _("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(settings.CRM_IMPORT_MAX_BYTES)}
        )
    content = upload.read()
    dataset, encoding, delimiter = table_read(content=content, encoding=encoding, delimiter=delimiter)
    if dataset.height > settings.CRM_IMPORT_MAX_ROWS:
        _refuse(
            _("The file has %(rows)s rows; the limit is %(limit)s. Split it into smaller files.")
            % {"rows": dataset.height, "limit": settings.CRM_IMPORT_MAX_ROWS}
        )
    if not dataset.height:
        _refuse(_("The file has a header row and no data under it."))
    job = ImportJob.objects.create(
        created_by=acting_user,
        kind=kind,
        file_name=upload.name[:255],
        content=content,
        encoding=encoding,
        delimiter=delimiter,
        total_rows=dataset.height,
        preview={"headers": list(dataset.headers), "rows": [list(row) for row in dataset[:PREVIEW_ROWS]]},
    )
    _next_step(job)
    return job


# The tasks (crm/tasks.py) that do each step in a worker, sent by name: the tasks call these services.
STEP_TASKS = {ImportJob.Status.CHECKING: "crm.import_job_check", ImportJob.Status.IMPORTING: "crm.import_job_run"}


def _next_step(job: ImportJob) -> None:
    """The job's current step (checking or importing): a small file's in the request, a big one's by a worker
    once this transaction commits."""
    if job.total_rows <= settings.CRM_IMPORT_INLINE_ROWS:
        {ImportJob.Status.CHECKING: import_job_check, ImportJob.Status.IMPORTING: import_job_run}[job.status](
            job_id=job.pk
        )
        return

    def enqueue():
        try:
            current_app.send_task(STEP_TASKS[job.status], args=[job.pk])
        except Exception:
            logger.warning("Could not enqueue import %s; the periodic sweep will start it.", job.pk, exc_info=True)

    transaction.on_commit(enqueue)


def _in_chunks(job: ImportJob, work) -> None:
    """Call `work(start, chunk, job)` for each chunk of CRM_IMPORT_CHUNK_ROWS rows from the job's progress on. Each
    call commits together with the job's new progress and the changes it returns, under a lock on the job's row:
    a second worker given the same job (a redelivered task, the sweep) waits, sees the progress and goes on after
    it, so no chunk is done twice, and a run killed halfway is continued, not restarted."""
    dataset, _encoding, _delimiter = table_read(
        content=bytes(job.content), encoding=job.encoding, delimiter=job.delimiter
    )
    size = settings.CRM_IMPORT_CHUNK_ROWS
    for start in range(job.processed_rows, dataset.height, size):
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update().get(pk=job.pk)
            if locked.processed_rows > start:
                continue  # another worker did this chunk meanwhile
            chunk = tablib.Dataset(*dataset[start : start + size], headers=dataset.headers)
            changes = work(start, chunk, locked)
            ImportJob.objects.filter(pk=job.pk).update(
                processed_rows=start + chunk.height, updated_at=timezone.now(), **changes
            )
        if connection.vendor == "sqlite":
            # SQLite has one writer at a time, and a waiting one polls for the lock at most every 100 ms: without
            # a pause the next chunk takes the lock again at once, and a survey answer or a webhook waits for the
            # whole import, then fails with "database is locked".
            time.sleep(SQLITE_WRITERS_TURN_SECONDS)


def _resource(job: ImportJob):
    return RESOURCES[job.kind](user=job.created_by)


def _row_errors(result, first_row: int) -> list[dict]:
    """Each refused row of a chunk, numbered as in the file (row 1 is the header, so data starts at 2)."""
    errors = [
        {
            "row": first_row + invalid.number,
            "messages": [
                message if field == "__all__" else f"{field}: {message}"
                for field, messages in invalid.error_dict.items()
                for message in messages
            ],
        }
        for invalid in result.invalid_rows
    ]
    errors += [
        {"row": first_row + number, "messages": [str(error.error) for error in row_errors]}
        for number, row_errors in result.row_errors()
    ]
    return sorted(errors, key=lambda error: error["row"])


def import_job_check(*, job_id: int) -> ImportJob | None:
    """A dry run over every row, chunk by chunk: how many rows are new, would update an account, or are refused
    and why. Nothing is kept. A job that is not being checked (already checked, gone) is left alone."""

    def check(resource, start, chunk, locked):
        result = resource.import_data(chunk, dry_run=True, raise_errors=False, use_transactions=True)
        errors = _row_errors(result, start + 1)
        return {
            "valid_rows": F("valid_rows") + chunk.height - len(errors),
            "invalid_rows": F("invalid_rows") + len(errors),
            "new_rows": F("new_rows") + result.totals["new"],
            "updated_rows": F("updated_rows") + result.totals["update"],
            "errors": (locked.errors + errors)[:ERRORS_KEPT],
        }

    return _step(
        job_id=job_id, status=ImportJob.Status.CHECKING, work=check, done=lambda: {"status": ImportJob.Status.CHECKED}
    )


def _step(*, job_id: int, status: str, work, done) -> ImportJob | None:
    """Run one step (checking or importing) of a job that is at it, over its chunks, then set the fields `done()`
    gives it."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id, status=status).first()
    if job is None:
        return None
    resource = _resource(job)
    try:
        _in_chunks(job, lambda start, chunk, locked: work(resource, start, chunk, locked))
    except ValidationError as error:
        return _fail(job, " ".join(error.messages))
    ImportJob.objects.filter(pk=job.pk, status=status).update(updated_at=timezone.now(), **done())
    job.refresh_from_db()
    return job


@transaction.atomic
def import_job_confirm(*, job: ImportJob, acting_user: User) -> ImportJob:
    """The uploader has read the check and imports the valid rows. Confirming twice imports once."""
    if job.created_by_id != acting_user.pk:
        raise ValidationError(_("Only the person who uploaded the file can import it."))
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED).update(
        status=ImportJob.Status.IMPORTING, processed_rows=0, updated_at=timezone.now()
    )
    job.refresh_from_db()
    if claimed:
        _next_step(job)
    return job


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Import the valid rows, chunk by chunk (see _in_chunks); refused rows are skipped, as the check said."""

    def run(resource, start, chunk, locked):
        return {"imported_rows": F("imported_rows") + _import_chunk(resource, chunk)}

    return _step(
        job_id=job_id,
        status=ImportJob.Status.IMPORTING,
        work=run,
        done=lambda: {"status": ImportJob.Status.DONE, "finished_at": timezone.now()},
    )


def _imported(result) -> int:
    return result.totals["new"] + result.totals["update"]


def _import_chunk(resource, chunk: tablib.Dataset) -> int:
    """The chunk's valid rows, in a savepoint. A row that fails past validation (a hard error) rolls the whole
    savepoint back, so such a chunk is imported again a row at a time, keeping every good row."""
    result = resource.import_data(chunk, dry_run=False, raise_errors=False, use_transactions=True)
    if not result.has_errors():
        return _imported(result)
    logger.warning("An import chunk had a row that failed past validation; importing it a row at a time.")
    return sum(
        _imported(
            resource.import_data(
                tablib.Dataset(row, headers=chunk.headers), dry_run=False, raise_errors=False, use_transactions=True
            )
        )
        for row in chunk
    )


def _fail(job: ImportJob, reason: str) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED, failure=reason, finished_at=timezone.now(), updated_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def import_jobs_resume(*, stale_after_seconds: int = 120) -> int:
    """Start again what no worker is doing: a job whose enqueue failed (the broker was down) or whose worker
    died. The steps themselves go on from their progress, so starting one twice is harmless."""
    stale = timezone.now() - timedelta(seconds=stale_after_seconds)
    jobs = list(ImportJob.objects.filter(status__in=list(STEP_TASKS), updated_at__lt=stale).values_list("pk", "status"))
    for pk, status in jobs:
        current_app.send_task(STEP_TASKS[status], args=[pk])
    return len(jobs)
