"""The client page as files: XLSX (crm/portal/xlsx.py: every row) and PDF (ReportLab, with DejaVu Sans embedded
so Cyrillic prints, up to PDF_ROWS rows a section). Both carry the moment they were made."""

import io
from datetime import datetime
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from crm.portal import xlsx
from crm.portal.sections import DATE, MONEY, NUMBER, PERCENT, Section
from crm.templatetags.crm_format import crm_money, crm_number

PDF_ROWS = 500
FONTS = Path(__file__).resolve().parent / "fonts"


def cell_text(value, kind: str) -> str:
    """A cell as the reader writes it, in the active language."""
    if value is None or value == "":
        return "—" if kind != "text" else ""
    if kind == MONEY:
        amount, currency = value
        return crm_money(amount, currency)
    if kind == PERCENT:
        return f"{crm_number(value)} %"
    if kind == NUMBER:
        return str(crm_number(value))
    if kind == DATE:
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def figure_text(figure) -> str:
    if figure.value is None:
        return f"{figure.label}: — (n = {figure.n})"
    value = f"{crm_number(figure.value)} %" if figure.kind == PERCENT else str(crm_number(figure.value))
    return f"{figure.label}: {value} (n = {figure.n})"


def made_text(made_at: datetime) -> str:
    return _("Made %(when)s") % {"when": date_format(timezone.localtime(made_at), "SHORT_DATETIME_FORMAT")}


# XLSX ----------------------------------------------------------------------------------------------------------


_XLSX_TYPES = {NUMBER: xlsx.NUMBER, PERCENT: xlsx.NUMBER, DATE: xlsx.DATE}


def sections_xlsx(sections: list[Section], *, title: str, made_at: datetime) -> bytes:
    """One sheet per section: its title and figures, then its table with every row; numbers and dates as such,
    an amount as a number with its currency in the next column."""
    sheets = []
    for section in sections:
        header, types = [], []
        for column in section.columns:
            if column.kind == MONEY:
                header += [xlsx.Bold(column.label), xlsx.Bold(_("currency"))]
                types += [xlsx.NUMBER, xlsx.TEXT]
            else:
                header.append(xlsx.Bold(column.label))
                types.append(_XLSX_TYPES.get(column.kind, xlsx.TEXT))
        rows = section.rows
        if any(column.kind == MONEY for column in section.columns):
            money = [column.kind == MONEY for column in section.columns]
            rows = [
                tuple(
                    part
                    for value, is_money in zip(row, money, strict=True)
                    for part in (value if is_money else (value,))
                )
                for row in rows
            ]
        lines = [[xlsx.Bold(section.title)], [title], [made_text(made_at)]]
        lines += [[figure_text(figure)] for figure in section.figures]
        lines += [[], header]
        sheets.append(xlsx.Sheet(title=section.title, lines=lines, types=types, rows=rows))
    return xlsx.workbook(sheets)


# PDF -----------------------------------------------------------------------------------------------------------


@cache
def _fonts() -> tuple[str, str]:
    pdfmetrics.registerFont(TTFont("DejaVuSans", FONTS / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", FONTS / "DejaVuSans-Bold.ttf"))
    return "DejaVuSans", "DejaVuSans-Bold"


def _pdf_cell(value, kind: str):
    text = cell_text(value, kind)
    # Long text wraps inside its column; short cells stay plain strings, which lay out far faster.
    return _para(text, _styles()["cell"]) if len(text) > 14 else text


def _para(text: str, style) -> Paragraph:
    """A paragraph of plain text: ReportLab reads a paragraph as markup, and names like "A & B <Co>" are not."""
    return Paragraph(escape(text), style)


@cache
def _styles() -> dict:
    regular, bold = _fonts()
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=15, leading=19, spaceAfter=4),
        "heading": ParagraphStyle("heading", fontName=bold, fontSize=12, leading=15, spaceBefore=10, spaceAfter=4),
        "text": ParagraphStyle("text", fontName=regular, fontSize=9, leading=12),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=7.5, leading=9, alignment=TA_LEFT),
    }


def sections_pdf(sections: list[Section], *, title: str, made_at: datetime) -> bytes:
    regular, bold = _fonts()
    styles = _styles()
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        author="",
        subject=made_text(made_at),
    )
    story = [_para(title, styles["title"]), _para(made_text(made_at), styles["text"])]
    for section in sections:
        story.append(_para(section.title, styles["heading"]))
        story.extend(_para(figure_text(figure), styles["text"]) for figure in section.figures)
        if section.note:
            story.append(_para(section.note, styles["text"]))
        if not section.rows:
            story.append(_para(section.empty or "—", styles["text"]))
            continue
        if section.total > len(section.rows):
            story.append(
                _para(
                    _("The newest %(shown)s of %(total)s; the XLSX file has them all.")
                    % {"shown": len(section.rows), "total": section.total},
                    styles["text"],
                )
            )
        story.append(Spacer(1, 2 * mm))
        data = [[column.label for column in section.columns]]
        data += [
            [_pdf_cell(value, column.kind) for value, column in zip(row, section.columns, strict=True)]
            for row in section.rows
        ]
        table = LongTable(data, repeatRows=1, colWidths=[document.width / len(section.columns)] * len(section.columns))
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, 0), bold, 7.5),
                    ("FONT", (0, 1), (-1, -1), regular, 7.5),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef0f3")),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d0d4da")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    document.build(story)
    return out.getvalue()
