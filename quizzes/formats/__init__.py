"""Question-bank file formats: GIFT, Aiken and the Chinese exam-system sheet (XLSX/CSV).

Each format is a pure module (text or bytes in, plain objects out); this package picks one by the
file's extension, or by what the uploader chose:

    result = parse(data, "党史题库.xlsx")       # -> ImportResult(questions, errors, categories)
    result = parse(data, "bank.txt", fmt="aiken")
"""

from __future__ import annotations

from pathlib import PurePath

from flask_babel import lazy_gettext as _l

from learning.spreadsheets import FileRefused, decode_text

from .aiken import parse_aiken
from .gift import parse_gift, to_gift
from .questions import (
    MAX_CATEGORIES,
    MAX_QUESTIONS,
    FormatError,
    ImportResult,
    ParsedQuestion,
    TooManyInFile,
    find_duplicates,
    validate_question,
)
from .sheet import parse_sheet, template_bytes, write_sheet

GIFT = "gift"
AIKEN = "aiken"
SHEET = "sheet"
FORMATS = (GIFT, AIKEN, SHEET)

_BY_SUFFIX = {".gift": GIFT, ".txt": GIFT, ".xlsx": SHEET, ".csv": SHEET}

__all__ = [
    "AIKEN",
    "FORMATS",
    "GIFT",
    "SHEET",
    "FormatError",
    "ImportResult",
    "ParsedQuestion",
    "detect_format",
    "find_duplicates",
    "parse",
    "parse_aiken",
    "parse_gift",
    "parse_sheet",
    "template_bytes",
    "to_gift",
    "validate_question",
    "write_sheet",
]


def detect_format(filename: str) -> str | None:
    """The format a file name suggests: .gift/.txt -> gift, .xlsx/.csv -> sheet, else None.

    A .txt file may also be Aiken; only the uploader can say so (parse(..., fmt="aiken")).
    """
    return _BY_SUFFIX.get(PurePath(filename).suffix.lower())


def parse(data: bytes, filename: str, fmt: str | None = None) -> ImportResult:
    """Read an uploaded question file in `fmt`, or in the format its name suggests.

    A file of more than MAX_QUESTIONS questions or MAX_CATEGORIES categories is refused as a
    whole, with one error naming the file, the limit and where reading stopped."""
    try:
        return _parse(data, filename, fmt)
    except TooManyInFile as too_many:
        if (fmt or detect_format(filename)) == SHEET:
            where = _l("row %(number)d", number=too_many.line)
        else:
            where = _l("line %(number)d", number=too_many.line)
        if too_many.what == "categories":
            message = _l("%(file)s names more than %(limit)d categories (reading stopped at "
                         "%(where)s); split it into smaller files.", file=filename,
                         limit=MAX_CATEGORIES, where=where)
        else:
            message = _l("%(file)s holds more than %(limit)d questions (reading stopped at "
                         "%(where)s); split it into files of at most %(limit)d questions.",
                         file=filename, limit=MAX_QUESTIONS, where=where)
        return ImportResult(errors=[FormatError(0, message)])


def _parse(data: bytes, filename: str, fmt: str | None) -> ImportResult:
    fmt = fmt or detect_format(filename)
    if fmt == SHEET:
        return parse_sheet(data, filename)
    if fmt not in (GIFT, AIKEN):
        suffix = PurePath(filename).suffix or _l("(no extension)")
        return ImportResult(
            errors=[
                FormatError(
                    0,
                    _l(
                        "unsupported file type %(suffix)s; upload GIFT or Aiken text "
                        "(.gift, .txt) or a question sheet (.xlsx, .csv)",
                        suffix=suffix,
                    ),
                )
            ]
        )
    try:
        text = decode_text(data)
    except FileRefused as refused:
        return ImportResult(errors=[FormatError(0, refused.message)])
    return parse_gift(text) if fmt == GIFT else parse_aiken(text)
