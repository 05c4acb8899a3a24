"""Read a member roster file (CSV or XLSX with Chinese headers) into plain rows.

Pure: bytes in, plain objects out; no database and no Flask app needed. The service layer decides
what to do with the rows; this module only says what the file contains and what is wrong with it,
row by row, so a dry run can list every bad row at once. Turning the uploaded bytes into rows of
text, and refusing files that cannot be read safely, is learning.spreadsheets' job.

Messages are lazy translation strings (English msgids): they render in the reader's locale when
shown, and as the English msgid when there is no app or request context.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

# The file checks (size, encodings, XLSX safety) and their limits are learning.spreadsheets';
# the upload limit is re-exported for the pages and messages that state it.
from learning.spreadsheets import MAX_FILE_BYTES as MAX_FILE_BYTES
from learning.spreadsheets import Column, FileRefused, find_columns, read_rows, split_header
from learning.workbooks import looks_like_formula

MAX_ROWS = 20_000  # data rows

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
# whitespace removed (learning.spreadsheets.match_key), so "姓 名" and "手机号 " match too.
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


# The whole file cannot be read (its message says why): the roster's name for FileRefused, so that
# refusals of the shared reader and of the roster's own rules are caught alike.
RosterFileError = FileRefused


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
    """The result of reading a roster: the good rows, every problem found, in row order, and the
    warnings about good rows that are worth a second look (they do not stop an import)."""

    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)


def read_roster(data: bytes, filename: str) -> RosterFile:
    """Read a roster upload; raise RosterFileError when the file as a whole cannot be read."""
    header, rows = split_header(read_rows(data, filename), max_rows=MAX_ROWS)
    columns = _find_columns(header)
    result = RosterFile()
    first_row_of: dict[str, int] = {}  # username -> row that used it first
    for number, cells in rows:
        row, errors, warnings = _read_row(number, cells, columns, first_row_of)
        result.errors.extend(errors)
        result.warnings.extend(warnings)
        if row is not None:
            result.rows.append(row)
    return result


# --- Rows ----------------------------------------------------------------------------------


def _find_columns(header: list[str]) -> dict[str, Column]:
    """Map each known field to its column; raise RosterFileError if a required one is missing."""
    columns = find_columns(header, HEADER_ALIASES)
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


def _read_row(
    number: int, cells: list[str], columns: dict[str, Column], first_row_of: dict[str, int]
) -> tuple[RosterRow | None, list[RowError], list[RowError]]:
    """Validate one data row; return the row (None if it has errors), its errors and warnings."""
    errors: list[RowError] = []

    def cell(name: str) -> str:
        column = columns.get(name)
        return column.text(cells) if column else ""

    def report(column: Column, message: str | None) -> None:
        if message is not None:
            errors.append(RowError(number, column.header, message))

    name = cell("name").strip()  # cells keep U+3000 and other Unicode spaces; names do not
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
        return None, errors, []
    assert role is not None  # no error means the role was understood
    # A unit's name is checked level by level: reports show each level on its own.
    unit_name = next((part for part in unit_path if looks_like_formula(part)), "")
    warnings = [
        RowError(number, column.header, _formula_warning(value))
        for column, value in ((columns["name"], name), (username_column, username),
                              (columns["unit"], unit_name))
        if looks_like_formula(value)
    ]
    return RosterRow(number, name, username, unit_path, role, phone), errors, warnings


def _formula_warning(value: str) -> str:
    """A value that starts like a spreadsheet formula (=, +, -, @) is valid, and stays plain text
    everywhere (learning.workbooks guards every spreadsheet the app writes); but no real name
    starts that way, so it is more likely a pasted formula, or a probe, than a person."""
    return _l(
        "%(value)s begins with %(char)s, as a spreadsheet formula does; it is imported as plain "
        "text, but check that it is right",
        value=value,
        char=value[0],
    )


def _username_source(columns: dict[str, Column], cell: Callable[[str], str]) -> tuple[Column, str]:
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
