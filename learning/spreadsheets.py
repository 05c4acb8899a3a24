"""Read an uploaded spreadsheet (CSV or XLSX) or text file safely, into rows of plain text.

Pure: bytes in, strings out; no database and no Flask app needed. The feature readers (the member
roster, the question sheet, GIFT and Aiken files) say what the rows mean; this module only turns
untrusted bytes into text, refusing what it cannot read safely:

    header, rows = split_header(read_rows(data, "名单.xlsx"), max_rows=20_000)
    columns = find_columns(header, {"name": ("姓名",), "unit": ("所属组织", "单位")})
    for number, cells in rows:            # numbered as Excel shows them; blank rows skipped
        name = columns["name"].text(cells)

A file refused as a whole raises FileRefused, whose `message` is a lazy translation string
(English msgid): it renders in the reader's locale when shown, and in English without an app.

What is refused, and why:
- more than MAX_FILE_BYTES, or nothing at all;
- text that is not UTF-8 (with or without BOM), UTF-16 with a BOM or GB18030, or that holds NUL
  bytes, and the binary files people upload by mistake (an XLSX or an old .xls under .csv);
- an XLSX that is not a zip holding a workbook, a zip bomb (more than MAX_XLSX_UNCOMPRESSED in
  all, or one member inflating more than MAX_XLSX_RATIO times) before openpyxl sees it, and XML
  with entity declarations (defusedxml, which openpyxl must be using, refuses those);
- a table without a header row, or with more data rows than its reader allows.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from defusedxml.common import DefusedXmlException
from flask_babel import lazy_gettext as _l

MAX_FILE_BYTES = 5 * 1024 * 1024  # uploads over this are refused
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024  # sum of member sizes inside the zip
MAX_XLSX_RATIO = 100  # per-member uncompressed/compressed ratio cap (zip bombs)

CSV = ".csv"
XLSX = ".xlsx"

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and .doc) files
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_DELIMITERS = (",", ";", "\t")  # in order of preference when a header has as many of each
_XLSX_REQUIRED_MEMBERS = ("[Content_Types].xml", "xl/workbook.xml")
# Layout whitespace, stripped from both ends of a cell (PHP trim's set, as quizzes.formats uses).
# str.strip() would also eat U+3000, the ideographic space Chinese text indents paragraphs with.
_LAYOUT_WHITESPACE = " \t\n\r\0\x0b"


class FileRefused(ValueError):
    """The whole file cannot be read; `message` (a lazy translation string) says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_size(data: bytes) -> None:
    """Refuse empty files and files over MAX_FILE_BYTES."""
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(
            _l("the file is larger than %(limit)d MB", limit=MAX_FILE_BYTES // (1024 * 1024))
        )
    if not data:
        raise FileRefused(_l("the file is empty"))


def read_rows(
    data: bytes, filename: str, *, cell: Callable[[str], str] | None = None
) -> Iterator[list[str]]:
    """The physical rows of a .csv or .xlsx upload (by its extension), blank rows included.

    The size and the extension are checked at once; the content as the rows are read.
    `cell`, when given, is applied to every cell's text (a reader of files the app wrote undoes
    learning.workbooks' formula guard here).
    """
    check_size(data)
    suffix = PurePath(filename).suffix.lower()
    if suffix == CSV:
        rows = csv_rows(data)
    elif suffix == XLSX:
        rows = xlsx_rows(data)
    else:
        raise FileRefused(
            _l(
                "unsupported file type %(suffix)s; save the file as .xlsx or .csv",
                suffix=suffix or _l("(no extension)"),
            )
        )
    return rows if cell is None else ([cell(text) for text in row] for row in rows)


def numbered(rows: Iterable[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Number rows as Excel does (from 1, blank rows counted) and drop the blank ones."""
    for number, cells in enumerate(rows, start=1):
        if any(cells):
            yield number, cells


def cell_text(value: object) -> str:
    """A cell as text: whole numbers lose Excel's ".0", booleans read TRUE/FALSE, ends trimmed.

    A phone number or member number typed as a number is stored as 13800138000.0 (and shown as
    1.38E+10); it reads "13800138000". Line breaks become "\\n"; only layout whitespace is trimmed.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return text.strip(_LAYOUT_WHITESPACE)


# --- Text and CSV -----------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """Decode a text upload: UTF-8 (with or without BOM), UTF-16 with a BOM, or GB18030.

    Excel writes UTF-8 with a BOM ("CSV UTF-8") or, on Chinese Windows, GBK, which GB18030
    extends; Notepad's "Unicode" and Excel's "Unicode Text" are UTF-16 with a BOM. Valid GBK
    text is almost never valid UTF-8, so UTF-8 goes first.
    """
    check_size(data)
    if data.startswith(ZIP_MAGIC):
        raise FileRefused(_l("this is a zip file (such as .xlsx), not a text file"))
    if data.startswith(OLE2_MAGIC):
        raise FileRefused(_l("this is an old Office (.xls or .doc) file, not a text file"))
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileRefused(_l("the file is not valid UTF-16 text")) from exc
    if b"\x00" in data:
        raise FileRefused(_l("this is not a text file: it contains binary data"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(_l("the file is neither UTF-8 nor GBK/GB18030 text; save it as UTF-8"))


def sniff_delimiter(text: str) -> str:
    """The delimiter used most in the first non-blank line (the header): comma, ; or tab."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])  # ties keep the comma
    return best if counts[best] else ","


def csv_rows(data: bytes) -> Iterator[list[str]]:
    """The cells of every record of a CSV file (one record is one Excel row), as cell_text."""
    check_size(data)
    # An Excel file given the wrong extension gets a message saying what to do about it.
    if data.startswith(ZIP_MAGIC):
        raise FileRefused(
            _l("this is an XLSX (zip) file, not a CSV file; upload it with the .xlsx extension")
        )
    if data.startswith(OLE2_MAGIC):
        raise FileRefused(
            _l("this is an old Excel .xls file, not a CSV file; save it as .xlsx or CSV UTF-8")
        )
    text = decode_text(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        for record in reader:
            yield [cell_text(value) for value in record]
    except csv.Error as exc:
        raise FileRefused(
            _l("the CSV file is malformed near line %(line)d", line=reader.line_num)
        ) from exc


# --- XLSX -------------------------------------------------------------------------------------


def xlsx_rows(data: bytes) -> Iterator[list[str]]:
    """The cells of every row of the first worksheet of an XLSX file, as cell_text."""
    check_size(data)
    _check_xlsx_archive(data)
    import openpyxl  # here, so that CSV-only callers (and tests) never pay for importing it

    if not openpyxl.DEFUSEDXML:  # OPENPYXL_DEFUSEDXML=False would let entity bombs through
        raise RuntimeError("openpyxl must use defusedxml to read uploaded XLSX files")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on malformed files
        raise _unreadable_xlsx(exc) from exc
    try:
        if not workbook.worksheets:
            raise FileRefused(_l("the XLSX file has no worksheet"))
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # read-only mode trusts stored dimensions some writers get wrong
        for values in sheet.iter_rows(values_only=True):
            yield [cell_text(value) for value in values]
    except FileRefused:
        raise
    except Exception as exc:  # sheets are parsed lazily, so XML errors also surface here
        raise _unreadable_xlsx(exc) from exc
    finally:
        workbook.close()


def _check_xlsx_archive(data: bytes) -> None:
    """Refuse anything that is not a zip holding a workbook, and zip bombs, before openpyxl."""
    if data.startswith(OLE2_MAGIC):
        raise FileRefused(_l("this is an old Excel .xls file; save it as .xlsx"))
    if not data.startswith(ZIP_MAGIC):
        raise FileRefused(_l("this is not an XLSX file (it is not a zip archive)"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise _invalid_xlsx() from exc
    names = {member.filename for member in members}
    if any(required not in names for required in _XLSX_REQUIRED_MEMBERS):
        raise _invalid_xlsx()
    # The declared sizes can be trusted as upper bounds: zipfile stops reading a member at its
    # declared size and checks the CRC, so a lying header fails instead of inflating further.
    if sum(member.file_size for member in members) > MAX_XLSX_UNCOMPRESSED:
        raise _zip_bomb()
    for member in members:
        if member.file_size and (
            member.compress_size == 0 or member.file_size / member.compress_size > MAX_XLSX_RATIO
        ):
            raise _zip_bomb()


def _unreadable_xlsx(exc: BaseException) -> FileRefused:
    """Say why openpyxl failed: forbidden XML (an entity bomb) or simply not a valid XLSX."""
    # openpyxl wraps defusedxml's refusal in its own ValueError, so walk the whole cause chain.
    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, DefusedXmlException):
            return FileRefused(
                _l("the XLSX file contains forbidden XML (entity declarations); it was not read")
            )
        cause = cause.__cause__ or cause.__context__
    return _invalid_xlsx()


def _invalid_xlsx() -> FileRefused:
    return FileRefused(_l("this is not a valid XLSX file; open it in Excel and save it again"))


def _zip_bomb() -> FileRefused:
    return FileRefused(_l("the XLSX file expands to too much data when unpacked; it was not read"))


# --- Tables: a header row, then data rows -----------------------------------------------------


def split_header(
    rows: Iterable[list[str]], *, max_rows: int
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header (the first non-blank row) and the non-blank data rows after it, numbered.

    A file without a header is refused at once; one with more than `max_rows` data rows when the
    row after the last allowed one is reached.
    """
    table = numbered(rows)
    first = next(table, None)
    if first is None:
        raise FileRefused(_l("the file has no header row"))
    return first[1], _at_most(table, max_rows)


def _at_most(
    rows: Iterator[tuple[int, list[str]]], max_rows: int
) -> Iterator[tuple[int, list[str]]]:
    for count, row in enumerate(rows, start=1):
        if count > max_rows:
            raise FileRefused(
                _l("the file has more than %(limit)d data rows; split it", limit=max_rows)
            )
        yield row


@dataclass(frozen=True)
class Column:
    """A column found by its header: where it is, and its header as written (for messages)."""

    index: int
    header: str

    def text(self, cells: Sequence[str]) -> str:
        """This column's cell in a row ("" where the row is shorter)."""
        return cells[self.index] if self.index < len(cells) else ""


def find_columns(header: Sequence[str], aliases: Mapping[str, Sequence[str]]) -> dict[str, Column]:
    """Map each field to the column headed by one of its aliases (the first alias found wins).

    Headers and aliases are compared as match_key makes them, so "姓 名" and "选项Ａ" match
    "姓名" and "选项A". A field with no such column is left out; the caller says which are required.
    """
    keys = [match_key(text) for text in header]
    columns: dict[str, Column] = {}
    for field, names in aliases.items():
        index = next((keys.index(k) for k in map(match_key, names) if k in keys), None)
        if index is not None:
            columns[field] = Column(index, header[index])
    return columns


def match_key(text: str) -> str:
    """A header, or a word people type into a cell, as compared: NFKC, no whitespace, casefolded."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()
