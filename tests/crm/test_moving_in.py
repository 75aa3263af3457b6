"""Moving in from Bitrix24 and amoCRM: their real export files (tests/crm/exports/, built from the columns those
systems write: Bitrix24's list and multi-field headers, amoCRM's contacts-and-companies and deals files) become
accounts, people, orders, journey stages and a timeline; again without duplicates; bad files refused whole."""

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils.timezone import localtime

from crm.models import Account, AccountEvent, Contact, Interaction, MoveIn, Order, Phone
from crm.moving_in import importers, services
from crm.moving_in.services import move_in_confirm, move_in_create, move_in_run
from journeys.models import AccountJourney
from tests.crm.factories import AccountFactory, UserFactory

EXPORTS = Path(__file__).parent / "exports"
BITRIX = [EXPORTS / "bitrix24" / name for name in ("companies.csv", "contacts.csv", "deals.xls")]
AMO = [EXPORTS / "amocrm" / name for name in ("contacts.xlsx", "leads.csv")]


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.CRM_MOVE_IN_DIR = str(tmp_path / "move-in")
    return tmp_path / "move-in"


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, first_name="Админ", last_name="Системы")


@pytest.fixture
def maria(db):
    return UserFactory(username="ivanova", first_name="Мария", last_name="Иванова", email="maria@example.com")


def checked(system, files, user, **options):
    move_in = move_in_create(system=system, uploads=files, acting_user=user, check_now=True)
    assert move_in.status == MoveIn.Status.CHECKED, move_in.failure
    return move_in


def run(move_in_id):
    """As the worker runs it: what each chunk announces (journey moves, the end) is acted on as it commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return move_in_run(move_in_id=move_in_id)


def imported(system, files, user, stage_map=None):
    move_in = checked(system, files, user)
    move_in = move_in_confirm(move_in=move_in, stage_map=stage_map or {}, acting_user=user)
    move_in = run(move_in.pk)
    assert move_in.status == MoveIn.Status.DONE, move_in.failure
    return move_in


def counts():
    return (
        Account.objects.count(),
        Contact.objects.count(),
        Phone.objects.count(),
        Order.objects.count(),
        Interaction.objects.count(),
    )


@pytest.mark.django_db
def test_the_check_says_what_would_happen_and_keeps_nothing(superuser, maria):
    move_in = checked("bitrix24", BITRIX, superuser)

    files = {described["name"]: described for described in move_in.preview["files"]}
    assert [(described["kind"], described["rows"]) for described in move_in.preview["files"]] == [
        ("companies", 7),
        ("contacts", 4),
        ("deals", 5),
    ]
    assert (files["companies.csv"]["create"], files["companies.csv"]["merged"]) == (5, 2)
    assert files["companies.csv"]["refused"] == 1 and files["contacts.csv"]["refused"] == 1
    duplicates = {(d["row"], d["into_row"]) for d in move_in.preview["duplicates"]}
    assert duplicates == {(5, 2), (7, 6)}  # the same INN; the same name with the same phone written differently
    errors = {(e["file"], e["row"], e["column"]) for e in move_in.preview["errors"]}
    assert ("companies.csv", 8, "Название компании") in errors  # no name: refused
    assert {
        ("companies.csv", 9, column) for column in ("ИНН", "Рабочий телефон", "Рабочий e-mail", "Дата создания")
    } <= errors
    assert move_in.preview["unknown_managers"] == {"Пётр Сидоров": 3}
    assert move_in.stage_map == {
        "Общая / Сделка успешна": "order",
        "Общая / Подготовка документов": "consideration",
        "Общая / Сделка провалена": "",
        "Логистика / Счёт на предоплату": "purchase",
    }
    assert counts() == (0, 0, 0, 0, 0)


@pytest.mark.django_db
def test_a_bitrix24_export_becomes_a_working_crm(superuser, maria):
    imported("bitrix24", BITRIX, superuser, stage_map={"Общая / Подготовка документов": "decision"})

    sever = Account.objects.get(inn="7707083893")
    assert sever.name == "ООО «Север-Пласт»"  # the duplicate row merged into it did not rename it
    assert (sever.manager, sever.industry.name, sever.lead_source.name) == (maria, "Производство", "Звонок")
    assert sever.extra["UF_CRM_1701934523"] == "Сеть из 3 складов" and sever.extra["Категория клиента"] == "A"
    assert f"{localtime(sever.created_at):%d.%m.%Y %H:%M}" == "12.03.2021 10:15"  # in the company's time zone
    assert Account.objects.get(name="АО «ТехноСтрой»").manager is None  # no such user: the unassigned queue
    assert Account.objects.filter(name="Глобал Логистик").count() == 1  # merged by name and phone
    assert Account.objects.get(name__startswith="=HYPERLINK").extra["ИНН"] == "1234"  # kept as text, never run

    anna = Contact.objects.get(last_name="Петрова")
    assert (anna.first_name, anna.patronymic, anna.account, anna.email) == (
        "Анна",
        "Сергеевна",
        sever,
        "a.petrova@sever-plast.ru",
    )
    assert anna.extra == {"Обращение": "Г-жа", "e-mails": "anna.p@gmail.com"}
    assert sorted(anna.phones.values_list("number", "extension")) == [("+74951234567", "204"), ("+79037654321", "")]
    assert str(anna.birthday) == "1985-02-14"
    kozlov = Contact.objects.filter(last_name="Козлов")
    assert sorted(kozlov.values_list("account__name", flat=True)) == ["Глобал Логистик", "ИП Козлов А. В."]
    assert Contact.objects.get(first_name="Ирина").account.name == "Новая Компания Без Карточки"

    assert sorted(sever.orders.values_list("amount", "status")) == [
        (Decimal("980000.00"), "delivered"),
        (Decimal("1250000.50"), "delivered"),
    ]
    assert sever.status == Account.Status.ACTIVE and Order.objects.count() == 2
    stages = dict(AccountJourney.objects.values_list("account__name", "stage__code"))
    assert stages["ООО «Север-Пласт»"] == "usage"  # a won deal is a delivered order
    assert stages["АО «ТехноСтрой»"] == "decision"  # as mapped in the preview
    assert stages["Глобал Логистик"] == "purchase"
    notes = sever.interactions.order_by("occurred_at")
    assert notes.first().notes == "Работаем с 2021 года, платят в срок"
    assert f"{localtime(notes.first().occurred_at):%Y-%m-%d}" == "2021-03-12"  # at its original date
    assert AccountEvent.objects.filter(type=AccountEvent.Type.IMPORTED).count() == 6


@pytest.mark.django_db
def test_importing_the_same_files_again_updates_instead_of_duplicating(superuser, maria, tmp_path):
    imported("bitrix24", BITRIX, superuser)
    before = counts()

    changed = tmp_path / "companies.csv"
    changed.write_text(
        BITRIX[0].read_text("utf-8-sig").replace("АО «ТехноСтрой»", "АО «ТехноСтрой-Север»"), "utf-8-sig"
    )
    again = imported("bitrix24", [changed, *BITRIX[1:]], superuser)

    assert counts() == before
    assert again.report["created"] == {"companies": 0, "contacts": 0, "deals": 0}
    assert Account.objects.filter(name="АО «ТехноСтрой-Север»").count() == 1
    assert not Account.objects.filter(name="АО «ТехноСтрой»").exists()


@pytest.mark.django_db
def test_an_english_portal_is_read_too_and_managers_are_found_by_e_mail(superuser, maria):
    imported("bitrix24", [EXPORTS / "bitrix24" / "companies_en.csv"], superuser)

    northwind = Account.objects.get(name="Northwind Trading")
    assert (northwind.manager, northwind.industry.name, northwind.lead_source.name) == (maria, "Retail", "Trade show")
    assert f"{localtime(northwind.created_at):%Y-%m-%d %H:%M}" == "2024-03-15 10:30"


@pytest.mark.django_db
def test_an_amocrm_export_becomes_accounts_people_deals_and_a_timeline(superuser, maria):
    move_in = checked("amocrm", AMO, superuser)
    assert move_in.stage_map == {
        "Продажи / Переговоры": "decision",
        "Продажи / Успешно реализовано": "order",
        "Продажи / Первичный контакт": "awareness",
    }
    assert move_in.preview["unknown_managers"] == {"Неизвестный Менеджер": 1}
    move_in = run(move_in_confirm(move_in=move_in, stage_map={}, acting_user=superuser).pk)

    metallist = Account.objects.get(name="ООО «Металлист»")
    assert metallist.manager == maria and metallist.extra["Отрасль клиента"] == "Металлообработка"
    dmitry = metallist.contacts.get()
    assert (dmitry.last_name, dmitry.first_name, dmitry.patronymic) == ("Кузнецов", "Дмитрий", "Олегович")
    assert sorted(dmitry.phones.values_list("number", flat=True)) == ["+73432101010", "+79126007080"]
    assert metallist.orders.get().amount == Decimal("145000.00")
    assert AccountJourney.objects.get(account=metallist).stage.code == "usage"
    assert [note.notes for note in metallist.interactions.filter(notes__startswith="Отправили")] == [
        "Отправили КП 16.05"
    ]
    belova = Account.objects.get(name="Белова Светлана")  # a person with no company is a client of her own
    assert belova.contacts.get().phones.get().number == "+79171234567"
    assert move_in.report["refused"] == 1  # the deal with neither a company nor a contact


@pytest.mark.django_db
def test_an_import_killed_halfway_ends_with_every_row_once(superuser, maria, settings, monkeypatch):
    settings.CRM_MOVE_IN_CHUNK_ROWS = 2
    move_in = move_in_confirm(move_in=checked("bitrix24", BITRIX, superuser), stage_map={}, acting_user=superuser)
    real, calls = importers.IMPORTERS["contacts"], []

    def killed_on_the_second_chunk(*args):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("the worker was killed")
        return real(*args)

    monkeypatch.setitem(importers.IMPORTERS, "contacts", killed_on_the_second_chunk)
    with pytest.raises(SystemExit):
        move_in_run(move_in_id=move_in.pk)
    monkeypatch.setitem(importers.IMPORTERS, "contacts", real)
    move_in_run(move_in_id=move_in.pk)
    move_in_run(move_in_id=move_in.pk)  # a redelivered task: nothing left to do

    assert MoveIn.objects.get(pk=move_in.pk).status == MoveIn.Status.DONE
    assert Contact.objects.count() == 5 and Order.objects.count() == 2
    assert Contact.objects.filter(last_name="Петрова").count() == 1


def _xlsx_bytes() -> bytes:
    return (EXPORTS / "amocrm" / "contacts.xlsx").read_bytes()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 50_000_000)
    return buffer.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("companies.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "is not a table"),
        ("companies.xlsx", _xlsx_bytes()[:3000], "damaged or cut-short Excel file"),
        ("companies.xlsx", _zip_bomb(), "zip bomb"),
        (
            "companies.csv",
            'ID,Название компании\n1,"'.encode() + b"x" * 200_000 + b'"\n',
            "cannot be read",
        ),
        ("companies.csv", b"\x98\x98\x98;\x98\x98\n", "encoding we do not know"),
        ("companies.csv", "101,ООО «Ромашка»,+7 495 000-00-00\n".encode(), "no header row"),
        ("leads.csv", (EXPORTS / "amocrm" / "leads.csv").read_bytes(), "is an export from amoCRM, not from Bitrix24"),
        ("orders.csv", "ID,Сумма,Валюта\n1,100,RUB\n".encode(), "is not an export of companies, contacts or deals"),
    ],
)
def test_a_file_that_is_not_what_it_claims_is_refused_whole_and_nothing_is_kept(
    superuser, upload_dir, name, content, message
):
    good = SimpleUploadedFile("contacts.csv", BITRIX[1].read_bytes())
    try:
        move_in = move_in_create(
            system="bitrix24", uploads=[good, SimpleUploadedFile(name, content)], acting_user=superuser, check_now=True
        )
    except ValidationError as refused:  # refused on upload, from the file's first bytes and its header row
        reason = " ".join(refused.messages)
    else:  # found by the check, deeper in the file: the move-in fails with the reason
        assert move_in.status == MoveIn.Status.FAILED
        reason = move_in.failure

    assert message in reason
    assert not Account.objects.exists() and not Contact.objects.exists()
    assert not list(upload_dir.glob("*/*"))  # the uploaded files are not kept either


@pytest.mark.django_db
def test_only_someone_who_sees_every_account_moves_data_in(manager):
    with pytest.raises(ValidationError, match="sees every account"):
        move_in_create(system="bitrix24", uploads=BITRIX, acting_user=manager)


@pytest.mark.django_db
def test_the_admin_uploads_checks_maps_the_stages_and_imports(
    client, superuser, maria, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(services, "_send", lambda task, pk: sent.append(task))
    client.force_login(superuser)
    files = [SimpleUploadedFile(path.name, path.read_bytes()) for path in BITRIX]

    page = client.post(reverse("admin:crm_movein_add"), {"system": "bitrix24", "files": files}, follow=True)
    html = page.content.decode()
    move_in = MoveIn.objects.get()
    assert page.status_code == 200 and move_in.status == MoveIn.Status.CHECKED
    assert "Пётр Сидоров" in html and "ООО «Север-Пласт» (дубль)" in html and "Общая / Подготовка документов" in html

    stages = list(move_in.preview["stages"])
    form = {f"stage-{number}": "" for number in range(len(stages))}
    form[f"stage-{stages.index('Общая / Подготовка документов')}"] = "decision"
    form[f"stage-{stages.index('Общая / Сделка успешна')}"] = "order"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:crm_movein_confirm", args=[move_in.pk]), form)
        client.post(reverse("admin:crm_movein_confirm", args=[move_in.pk]), form)  # a double click
    assert sent.count("crm.move_in_run") == 1
    run(move_in.pk)

    done = client.get(reverse("admin:crm_movein_change", args=[move_in.pk])).content.decode()
    assert MoveIn.objects.get().status == MoveIn.Status.DONE and "Done" in done
    assert AccountJourney.objects.get(account__name="АО «ТехноСтрой»").stage.code == "decision"
    assert not Account.objects.get(name="ИП Козлов А. В.").orders.exists()  # the lost deal mapped to nothing


@pytest.mark.django_db
def test_the_admin_says_why_a_file_is_refused(client, superuser):
    client.force_login(superuser)
    page = client.post(
        reverse("admin:crm_movein_add"),
        {"system": "amocrm", "files": [SimpleUploadedFile("companies.csv", BITRIX[0].read_bytes())]},
    )
    assert page.status_code == 200
    assert "is an export from Bitrix24, not from amoCRM" in page.content.decode()
    assert not MoveIn.objects.exists()


@pytest.mark.django_db
def test_an_existing_account_with_the_same_inn_is_updated_not_duplicated(superuser, maria):
    ours = AccountFactory(name="Север-Пласт", inn="7707083893", manager=None)
    imported("bitrix24", [BITRIX[0]], superuser)

    ours.refresh_from_db()
    assert Account.objects.filter(inn="7707083893").get() == ours
    assert ours.name == "Север-Пласт" and ours.manager == maria  # its own name stays; blanks are filled


@pytest.mark.django_db
def test_the_command_prints_the_check_then_imports_with_a_stage_mapped_by_hand(superuser, maria, capsys):
    files = [str(path) for path in BITRIX]
    call_command("move_in", "--from", "bitrix24", "--user", superuser.username, *files)
    check = capsys.readouterr()
    assert "companies.csv (companies): 7 rows — 5 new, 0 already here, 2 merged as duplicates, 1 refused" in check.out
    assert "companies.csv row 8, Название компании: no company name" in check.err
    assert "Nothing imported" in check.out and not Account.objects.exists()

    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command(
            "move_in",
            "--from",
            "bitrix24",
            "--user",
            superuser.username,
            *files,
            "--stage",
            "Общая / Подготовка документов=decision",
            "--yes",
        )

    assert "Created 5 companies, 5 contacts, 5 deals; updated 2 companies, 0 contacts, 0 deals; 2 refused" in (
        capsys.readouterr().out
    )
    assert AccountJourney.objects.get(account__name="АО «ТехноСтрой»").stage.code == "decision"


@pytest.mark.django_db
def test_the_exports_are_not_kept_once_imported(superuser, maria, upload_dir):
    imported("bitrix24", BITRIX, superuser)
    assert not list(upload_dir.glob("*/*"))


@pytest.mark.django_db
def test_bitrix24_leads_come_in_as_prospects_at_their_status_and_converted_or_junk_ones_stay_out(superuser, maria):
    files = [BITRIX[0], EXPORTS / "bitrix24" / "leads.csv"]
    move_in = checked("bitrix24", files, superuser)
    assert move_in.stage_map == {
        "Не обработан": "awareness",
        "В работе": "consideration",
        "Сконвертирован": "",
        "Некачественный лид": "",
        "Обработан": "consideration",
    }
    run(move_in_confirm(move_in=move_in, stage_map={}, acting_user=superuser).pk)

    orlov = Contact.objects.get(last_name="Орлов")
    assert (orlov.first_name, orlov.patronymic, orlov.account.name) == ("Сергей", "Павлович", "ООО «Новый Клиент»")
    assert orlov.account.manager == maria and orlov.phones.get().number == "+79152223344"
    assert orlov.extra["Возможная сумма"] == "300 000"
    stages = dict(AccountJourney.objects.values_list("account__name", "stage__code"))
    assert stages["ООО «Новый Клиент»"] == "awareness" and stages["Лебедева Ольга"] == "consideration"
    assert Contact.objects.get(last_name="Воронцов").account.inn == "7707083893"  # joined the company it named
    assert not Contact.objects.filter(last_name__in=["Сидоренко", ""]).exists()  # converted, junk: left out
    before = counts()

    imported("bitrix24", files, superuser)
    assert counts() == before
