"""Spreadsheets the office opens in Excel: one look for every workbook we export."""
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")


def sheet(book: Workbook, title: str, headers: list[str], widths: list[int], first: bool = False):
    """A sheet with bold, shaded, frozen headers and the given column widths."""
    ws = book.active if first else book.create_sheet()
    ws.title = title
    ws.append(headers)
    for i, width in enumerate(widths, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = BOLD, HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    return ws


def bold_last_row(ws) -> None:
    """For a totals row."""
    for cell in ws[ws.max_row]:
        cell.font = BOLD


def to_bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
