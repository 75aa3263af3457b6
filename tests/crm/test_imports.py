"""Imports from a file: found encodings and delimiters, limits with a reason, big files checked and imported in the
background in chunks, resumable, never twice, and each upload its uploader's alone."""

import io
import uuid
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from crm.models import Account, Contact, ImportJob
from crm.services import imports
from crm.services.imports import import_job_check, import_job_confirm, import_job_create, import_job_run
from crm.tasks import import_job_check_task, import_job_run_task
from tests.crm.factories import AccountFactory
from tests.crm.test_admin import upload
from tests.test_celery_worker import _wait_for, worker  # noqa: F401  (the fixture)

HEADER = "name,legal_name,inn,industry,size,status,lead_source,manager\n"


def accounts_csv(rows: int, *, bad_every: int = 0, delimiter: str = ",") -> str:
    """`rows` accounts; every `bad_every`-th has an INN with wrong check digits."""
    lines = [HEADER.replace(",", delimiter)]
    for n in range(1, rows + 1):
        inn = "1234567890" if bad_every and n % bad_every == 0 else ""
        lines.append(delimiter.join([f"Клиент {n}", "", inn, "", "", "active", "", ""]) + "\n")
    return "".join(lines)


@pytest.fixture
def background(settings):
    """Anything over 5 rows goes to a worker, 4 rows to a chunk."""
    settings.CRM_IMPORT_INLINE_ROWS = 5
    settings.CRM_IMPORT_CHUNK_ROWS = 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("cp1251", ";"), ("utf-8-sig", ","), ("utf-8", ";"), ("cp1251", "\t")]
)
def test_russian_excels_csv_is_read_whatever_its_encoding_and_delimiter(client, manager, encoding, delimiter):
    content = (HEADER + "ООО «Вектор»,ООО «Вектор» полное,7707083893,,,active,,\n").replace(",", delimiter)
    client.force_login(manager)

    page = upload(client, "account", "clients.csv", content.encode(encoding))
    client.post(reverse("admin:crm_importjob_confirm", args=[page.context["job"].pk]))

    account = Account.objects.get()
    assert (account.name, account.legal_name, account.inn) == ("ООО «Вектор»", "ООО «Вектор» полное", "7707083893")


@pytest.mark.django_db
def test_the_encoding_and_delimiter_can_be_chosen_on_the_form(client, manager):
    # A header with more commas than semicolons: found out, the delimiter would be wrong.
    content = "name;legal_name;status\nООО «Запятая, точка»;ООО «А, Б, В»;active\n".encode("cp1251")
    client.force_login(manager)

    page = upload(client, "account", "clients.csv", content, encoding="cp1251", delimiter=";")
    client.post(reverse("admin:crm_importjob_confirm", args=[page.context["job"].pk]))

    assert Account.objects.get().legal_name == "ООО «А, Б, В»"


@pytest.mark.django_db
def test_a_file_in_neither_encoding_is_refused_with_what_to_do(client, manager):
    client.force_login(manager)

    page = upload(client, "account", "clients.csv", "name\nÄÖ\n".encode("latin-1"), encoding="utf-8-sig")

    assert "is not text in utf-8-sig" in page.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty"),
        (b"name,inn\n", "no data under it"),
        (b"name\n\x00\x01binary", "contains NUL characters"),
        (b"PK\x03\x04broken", "cannot be opened"),
    ],
)
def test_a_file_that_is_not_a_table_is_refused_with_what_to_do(client, manager, content, message):
    client.force_login(manager)

    page = upload(client, "account", "clients.csv", content)

    assert message in page.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_an_xlsx_workbook_is_imported(client, manager):
    book = openpyxl.Workbook()
    book.active.append(["name", "inn", "status"])
    book.active.append(["АО «Гранит»", "7707083893", "active"])
    content = io.BytesIO()
    book.save(content)
    client.force_login(manager)

    page = upload(client, "account", "clients.xlsx", content.getvalue())
    client.post(reverse("admin:crm_importjob_confirm", args=[page.context["job"].pk]))

    assert Account.objects.get().inn == "7707083893"


@pytest.mark.django_db
def test_a_file_over_the_size_or_row_limit_is_refused_with_the_limit(client, manager, settings):
    settings.CRM_IMPORT_MAX_BYTES = 1000
    settings.CRM_IMPORT_MAX_ROWS = 10
    client.force_login(manager)

    too_big = upload(client, "account", "big.csv", accounts_csv(100).encode())
    too_long = upload(client, "account", "long.csv", accounts_csv(11).encode())

    assert "the limit is 1000\xa0bytes" in too_big.content.decode()
    assert "The file has 11 rows; the limit is 10" in too_long.content.decode()
    assert not ImportJob.objects.exists() and not Account.objects.exists()


@pytest.mark.django_db
def test_a_big_file_is_left_to_a_worker_then_checked_and_imported_in_chunks(client, manager, background):
    client.force_login(manager)

    page = upload(client, "account", "clients.csv", accounts_csv(30, bad_every=10).encode())
    job = page.context["job"]
    assert job.status == ImportJob.Status.CHECKING and "0 / 30" in page.content.decode()  # left to the worker

    import_job_check(job_id=job.pk)
    checked = client.get(reverse("admin:crm_importjob_change", args=[job.pk]))
    job.refresh_from_db()
    assert (job.valid_rows, job.invalid_rows, job.new_rows) == (27, 3, 27)
    assert [error["row"] for error in job.errors] == [11, 21, 31]  # as numbered in the file, the header is row 1
    assert len(job.preview["rows"]) == 20  # a sample, not the whole file
    assert "Import 27 valid rows" in checked.content.decode()
    assert not Account.objects.exists()  # the check keeps nothing

    client.post(reverse("admin:crm_importjob_confirm", args=[job.pk]))
    client.post(reverse("admin:crm_importjob_confirm", args=[job.pk]))  # a double click
    import_job_run(job_id=job.pk)
    import_job_run(job_id=job.pk)  # a redelivered task

    job.refresh_from_db()
    assert (job.status, job.imported_rows, job.processed_rows) == (ImportJob.Status.DONE, 27, 30)
    assert Account.objects.count() == 27


@pytest.mark.django_db
def test_an_import_killed_halfway_goes_on_from_its_last_chunk(manager, background, monkeypatch):
    job = import_job_create(
        kind=ImportJob.Kind.ACCOUNTS,
        upload=SimpleUploadedFile("clients.csv", accounts_csv(10).encode()),
        acting_user=manager,
    )
    import_job_check(job_id=job.pk)
    import_job_confirm(job=job, acting_user=manager)
    real_chunk, calls = imports._import_chunk, []

    def dies_on_the_second_chunk(resource, chunk):
        calls.append(chunk.height)
        if len(calls) == 2:
            raise SystemExit("the worker was killed")
        return real_chunk(resource, chunk)

    monkeypatch.setattr(imports, "_import_chunk", dies_on_the_second_chunk)
    with pytest.raises(SystemExit):
        import_job_run(job_id=job.pk)
    assert Account.objects.count() == 4  # the first chunk was committed with its progress
    monkeypatch.setattr(imports, "_import_chunk", real_chunk)

    import_job_run(job_id=job.pk)

    assert sorted(Account.objects.values_list("name", flat=True)) == sorted(f"Клиент {n}" for n in range(1, 11))


@pytest.mark.django_db
def test_only_so_many_errors_are_kept_and_all_are_counted(manager, settings):
    settings.CRM_IMPORT_CHUNK_ROWS = 50
    job = import_job_create(
        kind=ImportJob.Kind.ACCOUNTS,
        upload=SimpleUploadedFile("clients.csv", accounts_csv(150, bad_every=1).encode()),
        acting_user=manager,
    )

    import_job_check(job_id=job.pk)

    job.refresh_from_db()
    assert (job.invalid_rows, len(job.errors)) == (150, imports.ERRORS_KEPT)


@pytest.mark.django_db
def test_an_upload_is_its_uploaders_alone(client, manager, other_manager, background):
    job = import_job_create(
        kind=ImportJob.Kind.ACCOUNTS,
        upload=SimpleUploadedFile("clients.csv", accounts_csv(10).encode()),
        acting_user=manager,
    )
    import_job_check(job_id=job.pk)
    client.force_login(other_manager)

    page = client.get(reverse("admin:crm_importjob_change", args=[job.pk]))
    listed = client.get(reverse("admin:crm_importjob_changelist"))
    client.post(reverse("admin:crm_importjob_confirm", args=[job.pk]))

    assert page.status_code == 302 and "Клиент" not in listed.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED


@pytest.mark.django_db
def test_contacts_are_imported_in_the_background_too(manager, background):
    AccountFactory(manager=manager, inn="7707083893")
    content = "account,last_name,first_name,phones\n" + "".join(
        f"7707083893,Сидоров{n},Иван,8 916 123 45 {n:02d}\n" for n in range(10)
    )
    job = import_job_create(
        kind=ImportJob.Kind.CONTACTS, upload=SimpleUploadedFile("people.csv", content.encode()), acting_user=manager
    )
    import_job_check(job_id=job.pk)
    import_job_confirm(job=job, acting_user=manager)

    import_job_run(job_id=job.pk)

    assert Contact.objects.count() == 10
    assert Contact.objects.filter(phones__number="+79161234509").exists()


@pytest.mark.django_db
def test_the_sweep_starts_again_only_what_no_worker_has_touched_for_two_minutes(manager, background):
    stale, _fresh, checked = (
        import_job_create(
            kind=ImportJob.Kind.ACCOUNTS,
            upload=SimpleUploadedFile(f"{n}.csv", accounts_csv(10).encode()),
            acting_user=manager,
        )
        for n in range(3)
    )
    ImportJob.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(minutes=3))
    ImportJob.objects.filter(pk=checked.pk).update(
        status=ImportJob.Status.CHECKED, updated_at=timezone.now() - timedelta(minutes=3)
    )

    assert imports.import_jobs_resume() == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_checks_and_imports_a_big_file(manager, background, worker):  # noqa: F811
    job = import_job_create(
        kind=ImportJob.Kind.ACCOUNTS,
        upload=SimpleUploadedFile(f"{uuid.uuid4()}.csv", accounts_csv(30, bad_every=10).encode()),
        acting_user=manager,
    )

    import_job_check_task.apply_async(args=[job.pk], queue=worker.queue)
    assert _wait_for(lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.CHECKED)
    import_job_confirm(job=ImportJob.objects.get(pk=job.pk), acting_user=manager)
    import_job_run_task.apply_async(args=[job.pk], queue=worker.queue)
    import_job_run_task.apply_async(args=[job.pk], queue=worker.queue)  # delivered twice

    assert _wait_for(lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE)
    assert Account.objects.count() == 27
