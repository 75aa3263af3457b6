"""Tables from files as other systems export them, a row at a time, so a file of any length reads in flat memory.

CSV (UTF-8 with or without a BOM, else Windows-1251; `;`, `,` or tab), XLSX (amoCRM), and the HTML table Bitrix24
saves as `.xls`. Whatever is not one of these (a PDF renamed .csv, a truncated workbook, a zip bomb, a cell of
megabytes) is refused with a message that says what to do, before anything is stored.
"""

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

HEAD_BYTES = 64 * 1024
MAX_CELL_CHARS = 100_000  # a note of a few pages; csv's own limit is 131,072
XLSX_MAX_UNPACKED = 2 * 2**30  # what a workbook may unpack to
XLSX_MAX_RATIO = 200  # real sheets compress 5-20 times; a zip bomb thousands
DELIMITERS = (";", ",", "\t")


class FileRefused(ValidationError):
    """The file as a whole cannot be read as a table."""


@dataclass(frozen=True)
class TableFile:
    path: Path
    format: str  # "csv", "xlsx" or "html"
    encoding: str = ""
    delimiter: str = ""

    def rows(self) -> Iterator[list[str]]:
        """Every non-empty row, the header first, each cell a stripped string."""
        reader = {"csv": _csv_rows, "xlsx": _xlsx_rows, "html": _html_rows}[self.format]
        for row in reader(self):
            cells = [cell.strip() for cell in row]
            if any(cells):
                yield cells


def table_open(path: Path, *, name: str = "") -> TableFile:
    """What kind of table the file holds, found from its first bytes, not from its name."""
    name = name or path.name
    with path.open("rb") as stream:
        head = stream.read(HEAD_BYTES)
    if not head.strip():
        raise FileRefused(_("“%(name)s” is empty.") % {"name": name})
    if head.startswith(b"PK\x03\x04"):
        _xlsx_check(path, name)
        return TableFile(path, "xlsx")
    if head.startswith((b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!")):
        raise FileRefused(
            _(
                "“%(name)s” is not a table (it is a PDF, an image, an old binary .xls or an archive). "
                "Export it again as CSV or Excel."
            )
            % {"name": name}
        )
    if b"\x00" in head:
        raise FileRefused(_("“%(name)s” holds binary data, not text: it is not a CSV file.") % {"name": name})
    encoding = _encoding(head, name)
    text = head.decode(encoding, errors="ignore")
    if "<table" in text[:4096].lower():
        return TableFile(path, "html", encoding=encoding)
    header = next((line for line in text.splitlines() if line.strip()), "")
    return TableFile(path, "csv", encoding=encoding, delimiter=max(DELIMITERS, key=header.count))


def _encoding(head: bytes, name: str) -> str:
    lowered = head[:2048].lower()
    if b"charset=windows-1251" in lowered:
        return "cp1251"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)  # a character cut at the end is fine
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1251")
        return "cp1251"
    except UnicodeDecodeError:
        raise FileRefused(
            _("“%(name)s” is in an encoding we do not know: save it as UTF-8 or Windows-1251.") % {"name": name}
        ) from None


def _csv_rows(table: TableFile) -> Iterator[list[str]]:
    csv.field_size_limit(MAX_CELL_CHARS)
    with table.path.open(encoding=table.encoding, newline="") as stream:
        reader = csv.reader(stream, delimiter=table.delimiter)
        try:
            yield from reader
        except csv.Error as error:
            raise FileRefused(
                _("Line %(line)s of “%(name)s” cannot be read (%(error)s): a cell may be cut short or too long.")
                % {"line": reader.line_num, "name": table.path.name, "error": error}
            ) from None
        except UnicodeDecodeError:
            raise FileRefused(
                _("“%(name)s” changes encoding part way (near line %(line)s): save it again as UTF-8.")
                % {"name": table.path.name, "line": reader.line_num}
            ) from None


def _xlsx_check(path: Path, name: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise FileRefused(
            _("“%(name)s” is a damaged or cut-short Excel file: export it again.") % {"name": name}
        ) from None
    unpacked = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members) or 1
    if unpacked > XLSX_MAX_UNPACKED or unpacked / packed > XLSX_MAX_RATIO:
        raise FileRefused(
            _("“%(name)s” unpacks to far more than a spreadsheet does: it is refused as a possible zip bomb.")
            % {"name": name}
        )
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise FileRefused(_("“%(name)s” is a zip archive, not an Excel workbook.") % {"name": name})


def _xlsx_rows(table: TableFile) -> Iterator[list[str]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(table.path, read_only=True, data_only=True)  # formulas are never run
        try:
            for row in book.worksheets[0].iter_rows(values_only=True):
                cells = ["" if value is None else _cell_text(value) for value in row]
                if any(len(cell) > MAX_CELL_CHARS for cell in cells):
                    raise FileRefused(
                        _("A cell of “%(name)s” holds more than %(limit)s characters.")
                        % {"name": table.path.name, "limit": MAX_CELL_CHARS}
                    )
                yield cells
        finally:
            book.close()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as error:
        raise FileRefused(
            _("“%(name)s” cannot be read as an Excel workbook (%(error)s): export it again.")
            % {"name": table.path.name, "error": error}
        ) from None


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y %H:%M:%S") if hasattr(value, "hour") else value.strftime("%d.%m.%Y")
    return str(value).replace("\x00", "")


class _TableParser(HTMLParser):
    """The rows of an HTML table; `<br>` inside a cell is a new line (several values in one cell)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.done: list[list[str]] = []
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.cell_chars = 0

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell, self.cell_chars = [], 0
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append("".join(self.cell))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.done.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell_chars += len(data)
            if self.cell_chars > MAX_CELL_CHARS:
                raise FileRefused(
                    _("A cell of the table holds more than %(limit)s characters.") % {"limit": MAX_CELL_CHARS}
                )
            self.cell.append(data)


def _html_rows(table: TableFile) -> Iterator[list[str]]:
    parser = _TableParser()
    with table.path.open(encoding=table.encoding, errors="replace") as stream:
        while chunk := stream.read(256 * 1024):
            parser.feed(chunk)
            yield from parser.done
            parser.done.clear()
    parser.close()
    yield from parser.done
