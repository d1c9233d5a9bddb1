"""Spreadsheets the office opens in Excel: one look for every workbook we export, and
the one guard against formula injection for every xlsx and CSV the app writes."""
from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

# heavy: openpyxl is imported where used (CSV writers need none of it)
if TYPE_CHECKING:
    from openpyxl import Workbook

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What Excel, LibreOffice and WPS may read as the start of a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(value):
    """Text that a spreadsheet could take for a formula, with a leading "'" so it stays text.

    Text already starting with "'" gets one too, so that `restore` is its exact inverse.
    Anything not a str (numbers, dates, None) is returned unchanged."""
    if isinstance(value, str) and value.startswith((*FORMULA_STARTS, QUOTE)):
        return QUOTE + value
    return value


def restore(value):
    """The inverse of `neutralise`: what the app wrote, back as it was before."""
    if isinstance(value, str) and value.startswith(QUOTE) and value[1:].startswith((*FORMULA_STARTS, QUOTE)):
        return value[1:]
    return value


class _NeutralisingWriter:
    """csv.writer whose every field goes through `neutralise`."""

    def __init__(self, stream, **fmt):
        self._writer = csv.writer(stream, **fmt)

    def writerow(self, row):
        return self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(stream, **fmt) -> _NeutralisingWriter:
    """The writer for every CSV the app writes (same arguments as csv.writer)."""
    return _NeutralisingWriter(stream, **fmt)


def sheet(book: Workbook, title: str, headers: list[str], widths: list[int], first: bool = False):
    """A sheet with bold, shaded, frozen headers and the given column widths."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = book.active if first else book.create_sheet()
    ws.title = title
    ws.append(headers)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for i, width in enumerate(widths, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    return ws


def bold_last_row(ws) -> None:
    """For a totals row."""
    from openpyxl.styles import Font

    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)


def neutralise_book(book: Workbook) -> None:
    """Neutralise every str cell of every sheet. The app never writes a formula on purpose
    (links are set through cell.hyperlink, not the value), so none is lost."""
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = neutralise(cell.value)
                if value is not cell.value:
                    cell.value = value  # a str starting with "=" was data_type "f"; now "s"


def to_bytes(book: Workbook) -> bytes:
    """The workbook as .xlsx bytes; every workbook the app writes is saved here."""
    if book.write_only:
        raise TypeError("to_bytes needs a normal workbook: a write-only one cannot be walked to neutralise it")
    neutralise_book(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
