"""A minimal XLSX writer for the client page's download: sheets of plain rows (text, numbers, dates).

openpyxl and XlsxWriter build an object per cell and need 0.45-0.65 s for the 50,000 cells of an account with 5,000
orders (bench/RESULTS.md), over the page's 300 ms budget; the sheet XML written directly takes a tenth of that.
What it writes is the subset of Office Open XML (ECMA-376) every spreadsheet reads: inline strings, numbers, dates
as serial days with a date format, a bold header style. Reading the files back is openpyxl's job (tests do).
"""

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
    '<Relationship Id="rIdStyles" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Styles: 0 plain, 1 a date (built-in format 14, the reader's short date), 2 bold.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/>'
    "</font></fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_EPOCH = date(1899, 12, 30).toordinal()  # Excel's day 0, counting its 1900 leap-year bug in


class Bold(str):
    """Text shown in bold (a header)."""


TEXT, NUMBER, DATE = "text", "number", "date"


def _text(value) -> str:
    if value is None or value == "":
        return "<c/>"
    style = ' s="2"' if isinstance(value, Bold) else ""
    return f'<c t="inlineStr"{style}><is><t xml:space="preserve">{escape(_printable(str(value)))}</t></is></c>'


def _number(value) -> str:
    return "<c/>" if value is None or value == "" else f"<c><v>{value}</v></c>"


def _date(value) -> str:
    if value is None or value == "":
        return "<c/>"
    if isinstance(value, datetime):
        value = value.date()
    return f'<c s="1"><v>{value.toordinal() - _EPOCH}</v></c>'


_WRITERS = {TEXT: _text, NUMBER: _number, DATE: _date}


def _printable(text: str) -> str:
    """XML 1.0 has no place for most control characters: they become spaces."""
    return text if text.isprintable() else "".join(c if c.isprintable() or c in "\n\t" else " " for c in text)


@dataclass
class Sheet:
    """A sheet: lines of text on top (a title, figures, the header, in bold where Bold), then a table whose
    columns each hold one type (TEXT, NUMBER, DATE): a column's cells are written without looking at each value."""

    title: str
    lines: list[list[str]]
    types: list[str]
    rows: list[tuple]

    def xml(self) -> str:
        top = "".join(f"<row>{''.join(map(_text, line))}</row>" for line in self.lines)
        writers = [_WRITERS[kind] for kind in self.types]
        table = "".join(
            f"<row>{''.join([write(value) for write, value in zip(writers, row, strict=True)])}</row>"
            for row in self.rows
        )
        return f"{_SHEET_HEAD}{top}{table}</sheetData></worksheet>"


def _sheet_name(title: str, taken: set[str]) -> str:
    name = "".join(" " if c in "[]:*?/\\" else c for c in title)[:31] or "Sheet"
    candidate, n = name, 2
    while candidate.lower() in taken:
        candidate, n = f"{name[:28]} {n}", n + 1
    taken.add(candidate.lower())
    return candidate


def workbook(sheets: list[Sheet]) -> bytes:
    """The sheets as an XLSX file's bytes."""
    out = io.BytesIO()
    taken: set[str] = set()
    names = [_sheet_name(sheet.title, taken) for sheet in sheets]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(
            "[Content_Types].xml",
            _CONTENT_TYPES.format(sheets="".join(_SHEET_TYPE.format(n=n) for n in range(1, len(sheets) + 1))),
        )
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr(
            "xl/workbook.xml",
            _WORKBOOK.format(
                sheets="".join(
                    f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
                    for n, name in enumerate(names, 1)
                )
            ),
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            _WORKBOOK_RELS.format(
                rels="".join(
                    f'<Relationship Id="rId{n}" '
                    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                    f'Target="worksheets/sheet{n}.xml"/>'
                    for n in range(1, len(sheets) + 1)
                )
            ),
        )
        archive.writestr("xl/styles.xml", _STYLES)
        for n, sheet in enumerate(sheets, 1):
            archive.writestr(f"xl/worksheets/sheet{n}.xml", sheet.xml())
    return out.getvalue()
