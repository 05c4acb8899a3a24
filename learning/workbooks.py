"""Write XLSX workbooks and CSV files that open cleanly in Chinese Excel.

Pure: values in, bytes out; no database. Every spreadsheet and CSV file the app writes is made
here (quiz statistics, the question sheet, the completion report, the roster template and the
initial passwords): nothing else creates an openpyxl Workbook or a csv writer (a test checks), so
they all follow the same rules:

* A text that Excel would read as a formula (first character = + - @, tab or CR) gets a leading
  ' (formula injection: a member named `=HYPERLINK(...)` must stay a name); plain numbers such
  as "-5" are left alone. XLSX text cells are also stored as strings, never as formulas.
* XLSX: a bold, frozen header row with set column widths; dates as real date cells (naive, in
  the reader's time zone: XLSX has no time zones); percentages as fractions (0.42) in a
  percentage format, so Excel can sort and chart them.
* CSV: UTF-8 with a BOM (without it Chinese Excel guesses GBK and shows mojibake), CRLF line
  ends, dates as "YYYY-MM-DD HH:MM" in the reader's time zone, percentages as "83.3%".

Only this module knows the guard; a reader of files written here (quizzes.formats.sheet) undoes
it with unguard_formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from flask_babel import to_user_timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from learning.i18n import EXCEL_FORMATS, moment_text

PERCENT = "0.0%"
NUMBER = "0.00"
DATETIME = EXCEL_FORMATS["datetime"]  # the pages' date-time, as an Excel cell format
DATE = EXCEL_FORMATS["date"]

# A cell starting with one of these is a formula to Excel: written with a leading ' instead.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

WRAP = Alignment(wrap_text=True, vertical="top")  # one style object, shared by every text cell
BOLD = Font(bold=True)

_NUMBER_RE = re.compile(r"[+-]?\d+(?:\.\d+)?")


# --- Formulas -----------------------------------------------------------------------------------


def looks_like_formula(text: str) -> bool:
    """Whether Excel would read `text`, typed into a cell, as a formula (plain numbers are not)."""
    return text.startswith(FORMULA_START) and not _NUMBER_RE.fullmatch(text)


def guard_formula(text: str) -> str:
    """Keep Excel from reading a text cell as a formula: prefix a ' (plain numbers stay).

    A text that already starts with ' before a formula character (or another ') gets one more,
    so a reader that strips one leading ' from such cells gets back exactly what was written.
    """
    if looks_like_formula(text):
        return "'" + text
    if text.startswith("'") and text[1:].startswith(("'", *FORMULA_START)):
        return "'" + text
    return text


def unguard_formula(text: str) -> str:
    """Undo guard_formula on a cell read back from a file written here (CSV or XLSX)."""
    if text.startswith("'") and text[1:].startswith(("'", *FORMULA_START)):
        return text[1:]
    return text


# --- XLSX ---------------------------------------------------------------------------------------


def new_workbook() -> Workbook:
    """An empty workbook, to be filled only with header() and append()."""
    return Workbook()


def table_xlsx(title: str, titles: Sequence[str], widths: Iterable[int],
               rows: Iterable[Sequence[object]], formats: dict[int, str] | None = None) -> bytes:
    """A one-sheet workbook named `title`: a bold, frozen header row, then `rows`."""
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = title
    header(sheet, titles, widths)
    for row in rows:
        append(sheet, row, formats)
    return workbook_bytes(workbook)


def header(sheet: Worksheet, titles: Sequence[str], widths: Iterable[int]) -> None:
    """Add a bold header row, set the column widths and freeze everything above the next row."""
    append(sheet, titles)
    row = sheet.max_row
    for cell in sheet[row]:
        cell.font = BOLD
    for cell, width in zip(sheet[row], widths, strict=True):
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = f"A{row + 1}"


def append(sheet: Worksheet, values: Sequence[object],
           formats: dict[int, str] | None = None) -> None:
    """Add a row: texts made safe, numbers and dates in the given formats (by 1-based column).

    An aware datetime is turned into the reader's local time; a datetime without a format given
    is shown as DATETIME.
    """
    cells = []
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):
            # Excel cannot hold control characters; and a text is never a formula.
            value = ILLEGAL_CHARACTERS_RE.sub("", guard_formula(value))
        elif isinstance(value, datetime) and value.tzinfo is not None:
            value = local_naive(value)
        # Styled before appending: reading the new row back (sheet[sheet.max_row]) scans every
        # cell of the sheet, which made a 10,000-member export take minutes.
        cell = Cell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
            cell.alignment = WRAP
        elif value is None:
            pass
        elif formats and column in formats:
            cell.number_format = formats[column]
        elif isinstance(value, datetime):
            cell.number_format = DATETIME
        elif isinstance(value, date):
            cell.number_format = DATE
        cells.append(cell)
    sheet.append(cells)


def workbook_bytes(workbook: Workbook) -> bytes:
    """The saved .xlsx file of `workbook`."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def share(percent: float | None) -> float | None:
    """A percentage (42.0) as the fraction a percentage cell holds (0.42)."""
    return None if percent is None else percent / 100


def local_naive(moment: datetime) -> datetime:
    """`moment` in the reader's time zone and naive: XLSX has no time zones."""
    return to_user_timezone(moment).replace(tzinfo=None)


# --- CSV ----------------------------------------------------------------------------------------


def csv_bytes(titles: Sequence[str], rows: Iterable[Sequence[object]],
              formats: dict[int, str] | None = None) -> bytes:
    """A CSV file for Excel: UTF-8 with BOM, CRLF, texts guarded, dates and percentages written
    as Excel reads them (a column whose format is PERCENT holds fractions, as in XLSX)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_text(title) for title in titles])
    for row in rows:
        writer.writerow([_csv_text(value, (formats or {}).get(column))
                         for column, value in enumerate(row, start=1)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_text(value: object, number_format: str | None = None) -> str:
    """One CSV cell's text."""
    if value is None:
        return ""
    if isinstance(value, date):  # a datetime too: the pages' date or date-time
        return moment_text(value, "datetime" if isinstance(value, datetime) else "date")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.1%}" if number_format == PERCENT else str(value)
    return guard_formula(str(value))
