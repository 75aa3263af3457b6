"""Every table the product hands out (admin exports, segment exports) goes through one rule against formula
injection: a text cell that a spreadsheet would run as a formula gets a leading apostrophe (OWASP's advice).

django-import-export's own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only drops a leading "=", which changes the
data and leaves "+", "-", "@", tab and CR live, so the admin's export formats are wrapped here instead.
"""

import re

import tablib
from import_export.formats import base_formats

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")  # a phone in E.164 or a signed amount is data, not a formula


def spreadsheet_cell(value):
    """A text that starts like a formula becomes inert text; numbers, dates and other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return f"'{value}"
    return value


class _FormulaSafe:
    def export_data(self, dataset, **kwargs):
        safe = tablib.Dataset(*([spreadsheet_cell(value) for value in row] for row in dataset))
        safe.headers = dataset.headers
        return super().export_data(safe, **kwargs)


class CSV(_FormulaSafe, base_formats.CSV):
    pass


class XLSX(_FormulaSafe, base_formats.XLSX):
    pass


class TSV(_FormulaSafe, base_formats.TSV):
    pass


# Offered by every export in the admin (settings.EXPORT_FORMATS). JSON is data for programs, not a sheet.
EXPORT_FORMATS = [CSV, XLSX, TSV, base_formats.JSON]
