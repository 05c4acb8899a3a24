"""Read a member roster file (CSV or XLSX with Chinese headers) into plain rows.

Pure: bytes in, plain objects out; no database and no Flask app needed. The service layer decides
what to do with the rows; this module only says what the file contains and what is wrong with it,
row by row, so a dry run can list every bad row at once.

Messages are lazy translation strings (English msgids): they render in the reader's locale when
shown, and as the English msgid when there is no app or request context.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from defusedxml.common import DefusedXmlException
from flask_babel import lazy_gettext as _l

MAX_FILE_BYTES = 5 * 1024 * 1024  # uploads over this are refused
MAX_ROWS = 20_000  # data rows
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024  # sum of member sizes inside the zip
MAX_XLSX_RATIO = 100  # per-member uncompressed/compressed ratio cap (zip bombs)

MAX_NAME_LENGTH = 64
MAX_UNIT_PART_LENGTH = 64
MAX_UNIT_DEPTH = 8

ROLE_MEMBER = "member"
ROLE_LEADER = "leader"

# Words people write in the 角色 column, compared after NFKC, strip and lower-casing.
ROLE_WORDS: dict[str, str] = {
    **dict.fromkeys(("成员", "团员", "组员", "青年", "学员", "青年团员", "member"), ROLE_MEMBER),
    **dict.fromkeys(
        (
            "组长", "副组长", "负责人", "团支书", "支部书记", "书记", "副书记", "组织委员",
            "宣传委员", "leader",
        ),
        ROLE_LEADER,
    ),
}  # fmt: skip

# Header aliases per field, in order of preference. Headers are compared after NFKC with all
# whitespace removed, so "姓 名" and "手机号 " match too.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名",),
    "username": ("用户名",),
    "member_no": ("团员编号",),  # a second source of the username, used where 用户名 is empty
    "unit": ("所属组织", "组织", "所在组织", "单位"),
    "role": ("角色", "身份", "职务"),
    "phone": ("手机号", "手机", "手机号码", "联系电话"),
}

_USERNAME_RE = re.compile(r"[\w.@-]{2,64}")  # used with fullmatch
_PHONE_RE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")  # used with fullmatch
# What Excel writes into a CSV for a long number in a General-format cell: the digits are gone.
_SCIENTIFIC_RE = re.compile(r"\d(?:\.\d+)?e\+?\d+", re.IGNORECASE)  # fullmatch
_UNIT_SEPARATORS_RE = re.compile(r"[/／\\]")
_DELIMITERS = (",", ";", "\t")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and .doc) files
_XLSX_REQUIRED_MEMBERS = ("[Content_Types].xml", "xl/workbook.xml")


class RosterFileError(ValueError):
    """The whole file cannot be read (message says why)."""


@dataclass(frozen=True)
class RosterRow:
    """One valid roster line: a person, their username, the unit they belong to and their role."""

    row: int  # row number as the user sees it in Excel: the header is row 1, first data row is 2
    name: str
    username: str
    unit_path: tuple[str, ...]
    role: str  # ROLE_MEMBER or ROLE_LEADER
    phone: str | None


@dataclass(frozen=True)
class RowError:
    """One problem in one row; `column` is the header as written in the file, None for the row."""

    row: int
    column: str | None
    message: str  # a lazy translation string; renders in the current locale when shown


@dataclass
class RosterFile:
    """The result of reading a roster: the good rows, and every problem found, in row order."""

    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def read_roster(data: bytes, filename: str) -> RosterFile:
    """Read a roster upload; raise RosterFileError when the file as a whole cannot be read."""
    if len(data) > MAX_FILE_BYTES:
        raise RosterFileError(
            _l("the file is larger than %(limit)d MB", limit=MAX_FILE_BYTES // (1024 * 1024))
        )
    if not data:
        raise RosterFileError(_l("the file is empty"))
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".csv":
        table = _csv_cells(data)
    elif suffix == ".xlsx":
        table = _xlsx_cells(data)
    else:
        raise RosterFileError(
            _l(
                "unsupported file type %(suffix)s; save the roster as .xlsx or .csv",
                suffix=suffix or _l("(no extension)"),
            )
        )
    return _read_table(_numbered(table))


# --- CSV -----------------------------------------------------------------------------------


def _csv_cells(data: bytes) -> Iterator[list[str]]:
    """Yield the cells of every physical row of a CSV file (one record per Excel row)."""
    text = _decode_csv(data)
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for record in reader:
            yield [_cell_text(value) for value in record]
    except csv.Error as exc:
        raise RosterFileError(
            _l("the CSV file is malformed near line %(line)d", line=reader.line_num)
        ) from exc


def _decode_csv(data: bytes) -> str:
    """Check that the bytes are text, and decode them as UTF-8 (with or without BOM) or GB18030."""
    if data.startswith(_ZIP_MAGIC):
        raise RosterFileError(
            _l("this is an XLSX (zip) file, not a CSV file; upload it with the .xlsx extension")
        )
    if data.startswith(_OLE2_MAGIC):
        raise RosterFileError(
            _l("this is an old Excel .xls file, not a CSV file; save it as .xlsx or CSV UTF-8")
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise RosterFileError(_l("UTF-16 text is not supported; save the roster as CSV UTF-8"))
    if b"\x00" in data:
        raise RosterFileError(_l("this is not a CSV file: it contains binary data"))
    # Excel writes UTF-8 with a BOM ("CSV UTF-8") or, on Chinese Windows, GBK, which GB18030
    # extends. Valid GBK text is almost never valid UTF-8, so trying UTF-8 first is safe.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError(
        _l("the CSV file is neither UTF-8 nor GBK/GB18030 text; save it as CSV UTF-8")
    )


def _sniff_delimiter(text: str) -> str:
    """Pick the delimiter used most in the first non-blank line (the header); default comma."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])  # ties keep the comma
    return best if counts[best] else ","


# --- XLSX ----------------------------------------------------------------------------------


def _xlsx_cells(data: bytes) -> Iterator[list[str]]:
    """Yield the cells of every physical row of the first worksheet of an XLSX file."""
    _check_xlsx_archive(data)
    # Imported here so that CSV-only callers (and tests) never pay for openpyxl's import.
    import openpyxl

    if not openpyxl.DEFUSEDXML:  # OPENPYXL_DEFUSEDXML=False would let entity bombs through
        raise RuntimeError("openpyxl must use defusedxml to read uploaded XLSX files")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on malformed files
        raise _unreadable_xlsx(exc) from exc
    try:
        if not workbook.worksheets:
            raise RosterFileError(_l("the XLSX file has no worksheet"))
        sheet = workbook.worksheets[0]
        # Read-only mode trusts the sheet's stored dimensions, which some writers get wrong.
        sheet.reset_dimensions()
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(value) for value in values]
    except RosterFileError:
        raise
    except Exception as exc:  # sheets are parsed lazily, so XML errors also surface here
        raise _unreadable_xlsx(exc) from exc
    finally:
        workbook.close()


def _check_xlsx_archive(data: bytes) -> None:
    """Refuse anything that is not a zip holding a workbook, and zip bombs, before openpyxl."""
    if not data.startswith(_ZIP_MAGIC):
        raise RosterFileError(
            _l("this is not an XLSX file (it is not a zip archive); save the roster as .xlsx")
        )
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


def _unreadable_xlsx(exc: BaseException) -> RosterFileError:
    """Say why openpyxl failed: forbidden XML (an entity bomb) or simply not a valid XLSX."""
    # openpyxl wraps parse errors in its own ValueError, so look down the whole cause chain.
    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, DefusedXmlException):
            return RosterFileError(
                _l("the XLSX file contains forbidden XML (entity declarations); it was not read")
            )
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return _invalid_xlsx()


def _invalid_xlsx() -> RosterFileError:
    return RosterFileError(_l("this is not a valid XLSX file; open it in Excel and save it again"))


def _zip_bomb() -> RosterFileError:
    return RosterFileError(
        _l("the XLSX file expands to too much data when unpacked; it was not read")
    )


# --- Cells and rows ------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    """Turn a cell into stripped text; whole numbers lose the ".0" Excel gives typed-in numbers."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # A phone or 团员编号 typed as a number: 13800138000.0 (shown as 1.38E+10) -> "13800138000".
        return str(int(value))
    return str(value).strip()


def _numbered(rows: Iterable[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Number rows as Excel does (from 1, blank rows counted) and drop the blank ones."""
    for number, cells in enumerate(rows, start=1):
        if any(cells):
            yield number, cells


@dataclass(frozen=True)
class _Column:
    index: int
    header: str  # as written in the file, for RowError.column


def _find_columns(header: list[str]) -> dict[str, _Column]:
    """Map each known field to its column; raise RosterFileError if a required one is missing."""
    keys = [_header_key(text) for text in header]
    columns: dict[str, _Column] = {}
    for name, aliases in HEADER_ALIASES.items():
        for alias in aliases:
            if alias in keys:
                index = keys.index(alias)
                columns[name] = _Column(index, header[index])
                break
    missing = [
        label
        for label, present in (
            ("姓名", "name" in columns),
            ("用户名/团员编号", "username" in columns or "member_no" in columns),
            ("所属组织", "unit" in columns),
            ("角色", "role" in columns),
        )
        if not present
    ]
    if missing:
        raise RosterFileError(
            _l("missing required column(s): %(columns)s", columns=", ".join(missing))
        )
    return columns


def _header_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def _read_table(rows: Iterator[tuple[int, list[str]]]) -> RosterFile:
    """Read the header, then validate every data row, collecting all errors."""
    first = next(rows, None)
    if first is None:
        raise RosterFileError(_l("the file has no header row"))
    columns = _find_columns(first[1])
    result = RosterFile()
    first_row_of: dict[str, int] = {}  # username -> row that used it first
    for count, (number, cells) in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise RosterFileError(
                _l("the file has more than %(limit)d data rows; split it", limit=MAX_ROWS)
            )
        row, errors = _read_row(number, cells, columns, first_row_of)
        result.errors.extend(errors)
        if row is not None:
            result.rows.append(row)
    return result


def _read_row(
    number: int, cells: list[str], columns: dict[str, _Column], first_row_of: dict[str, int]
) -> tuple[RosterRow | None, list[RowError]]:
    """Validate one data row; return the row (None if it has errors) and its errors."""
    errors: list[RowError] = []

    def cell(name: str) -> str:
        column = columns.get(name)
        return cells[column.index] if column and column.index < len(cells) else ""

    def report(column: _Column, message: str | None) -> None:
        if message is not None:
            errors.append(RowError(number, column.header, message))

    name = cell("name")
    report(columns["name"], _check_name(name))

    username_column, raw_username = _username_source(columns, cell)
    username = normalise_username(raw_username)
    message = _check_username(username)
    if message is None:
        first = first_row_of.setdefault(username, number)
        if first != number:
            message = _l(
                "username %(value)s already appears in row %(first)d", value=username, first=first
            )
    report(username_column, message)

    unit_path, message = parse_unit_path(cell("unit"))
    report(columns["unit"], message)

    role, message = parse_role(cell("role"))
    report(columns["role"], message)

    phone, message = parse_phone(cell("phone"))
    if "phone" in columns:
        report(columns["phone"], message)

    if errors:
        return None, errors
    assert role is not None  # no error means the role was understood
    return RosterRow(number, name, username, unit_path, role, phone), errors


def _username_source(
    columns: dict[str, _Column], cell: Callable[[str], str]
) -> tuple[_Column, str]:
    """Pick the username cell: 用户名 when filled, else 团员编号 (when that column exists)."""
    if "username" in columns and (cell("username") or "member_no" not in columns):
        return columns["username"], cell("username")
    if "member_no" in columns and cell("member_no"):
        return columns["member_no"], cell("member_no")
    return columns.get("username") or columns["member_no"], ""


# --- Field rules ---------------------------------------------------------------------------


def _check_name(name: str) -> str | None:
    if not name:
        return _l("required value is missing")
    if len(name) > MAX_NAME_LENGTH:
        return _l("name is longer than %(max)d characters", max=MAX_NAME_LENGTH)
    return None


def normalise_username(text: str) -> str:
    """Usernames compare the way people read them: full-width ＡＢＣ１２３ is abc123."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def _check_username(username: str) -> str | None:
    if not username:
        return _l("required value is missing")
    if not _USERNAME_RE.fullmatch(username):
        return _l(
            "username %(value)s is not valid: use 2 to 64 letters, digits or . _ @ -",
            value=username,
        )
    return None


def parse_unit_path(text: str) -> tuple[tuple[str, ...], str | None]:
    """Split 某某团委/第一团支部/第一学习小组 into its levels; return (levels, error or None)."""
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return (), _l("required value is missing")
    # A single leading or trailing slash ("/某某团委/第一团支部") is harmless, so it is allowed;
    # an empty level in the middle ("a//b") is almost certainly a typo.
    parts = tuple(part.strip() for part in _UNIT_SEPARATORS_RE.split(text))
    if len(parts) > 1 and not parts[0]:
        parts = parts[1:]
    if len(parts) > 1 and not parts[-1]:
        parts = parts[:-1]
    if not all(parts):
        return (), _l("organisation path %(value)s has an empty level", value=text)
    too_long = next((part for part in parts if len(part) > MAX_UNIT_PART_LENGTH), None)
    if too_long is not None:
        return (), _l(
            "organisation name %(value)s is longer than %(max)d characters",
            value=too_long,
            max=MAX_UNIT_PART_LENGTH,
        )
    if len(parts) > MAX_UNIT_DEPTH:
        return (), _l(
            "organisation path has %(count)d levels; at most %(max)d are allowed",
            count=len(parts),
            max=MAX_UNIT_DEPTH,
        )
    return parts, None


def parse_role(text: str) -> tuple[str | None, str | None]:
    """Map a 角色 cell to ROLE_MEMBER or ROLE_LEADER; an empty cell means member."""
    key = unicodedata.normalize("NFKC", text).strip().lower()
    if not key:
        return ROLE_MEMBER, None
    role = ROLE_WORDS.get(key)
    if role is None:
        return None, _l(
            "unknown role %(value)s; use one of: %(choices)s",
            value=text,
            choices=", ".join(ROLE_WORDS),
        )
    return role, None


def parse_phone(text: str) -> tuple[str | None, str | None]:
    """Normalise a mainland mobile number to 11 digits; an empty cell is no phone."""
    compact = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", text))
    if not compact:
        return None, None
    match = _PHONE_RE.fullmatch(compact)
    if match:
        return match.group(1), None
    if _SCIENTIFIC_RE.fullmatch(compact):
        return None, _l(
            "phone number %(value)s was saved in scientific notation and its digits are lost; "
            "format the column as text and enter the numbers again",
            value=text,
        )
    return None, _l(
        "phone number %(value)s is not a valid mobile number (11 digits starting with 1)",
        value=text,
    )
