"""Aiken question files: single-choice questions in plain text.

    中国共产主义青年团成立于哪一年？
    A. 1920
    B. 1922
    ANSWER: B

This follows Moodle's `qformat_aiken`: an option is a capital letter, then `.` or `)`, then the
text (the space may be missing); `ANSWER: X` ends the question. As Chinese users type it, we also
accept full-width letters and marks (`Ａ．`, `A）`) and the enumeration comma (`A、`), `答案：B`,
and a lower-case answer letter. The question text may run over several consecutive lines.

Every problem is reported with its line, and reading goes on with the next question. The errors
are Moodle's (see its aiken_errors.txt fixture): too few options, an option or ANSWER line
outside a question, a question left without its ANSWER line. We also report what Moodle lets
through: an ANSWER letter with no such option, several letters, options out of order.
Texts are plain text (Moodle escapes them into HTML instead), so they render exactly as typed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from .questions import (
    MAX_QUESTIONS,
    SINGLE,
    Answer,
    FormatError,
    ImportResult,
    ParsedQuestion,
    TooManyInFile,
    trim,
)

_OPTION_RE = re.compile(r"([A-ZＡ-Ｚ])[.)．）、][ \t　]*(.*)", re.DOTALL)
_ANSWER_RE = re.compile(r"(?:ANSWER|答案|正确答案)[ \t　]*[:：][ \t　]*(.*)", re.IGNORECASE)


@dataclass
class _Draft:
    """A question being read: its text lines and options so far."""

    start: int
    stem: list[str]
    options: list[str] = field(default_factory=list)
    errors: list[FormatError] = field(default_factory=list)
    stem_closed: bool = False  # a blank line or an option ended the question text


def parse_aiken(text: str) -> ImportResult:
    """Read Aiken text into single-choice questions, collecting every problem with its line.

    Raises TooManyInFile at the question after MAX_QUESTIONS (the whole file is refused)."""
    result = ImportResult()
    draft: _Draft | None = None
    count = 0
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    for number, raw in enumerate(text.split("\n"), start=1):
        line = trim(raw)
        if not line:
            if draft is not None:
                draft.stem_closed = True
            continue
        option = _OPTION_RE.fullmatch(line)
        answer = _ANSWER_RE.fullmatch(line)
        if answer:
            if draft is None:
                result.errors.append(
                    FormatError(
                        number,
                        _l("an ANSWER line outside a question; a question starts with its text"),
                    )
                )
                continue
            _finish(draft, number, answer.group(1), result)
            draft = None
        elif option:
            if draft is None:
                result.errors.append(
                    FormatError(
                        number, _l("an option outside a question; a question starts with its text")
                    )
                )
                continue
            _add_option(draft, number, option.group(1), trim(option.group(2)))
        elif draft is not None and not draft.stem_closed:
            draft.stem.append(line)
        else:
            if draft is not None:
                result.errors.append(
                    FormatError(
                        draft.start,
                        _l("the question has no ANSWER line before the next question starts"),
                        at_line=number,
                    )
                )
            count += 1
            if count > MAX_QUESTIONS:
                raise TooManyInFile("questions", number)
            draft = _Draft(number, [line])
    if draft is not None:
        result.errors.append(
            FormatError(
                draft.start, _l("the question has no ANSWER line before the end of the file")
            )
        )
    return result


def _add_option(draft: _Draft, number: int, letter: str, text: str) -> None:
    draft.stem_closed = True
    expected = chr(ord("A") + len(draft.options))
    letter = unicodedata.normalize("NFKC", letter)
    if letter != expected:
        draft.errors.append(
            FormatError(
                draft.start,
                _l(
                    "options must be lettered A, B, C… in order: expected %(expected)s, "
                    "found %(letter)s",
                    expected=expected,
                    letter=letter,
                ),
                at_line=number,
            )
        )
    if not text:
        draft.errors.append(
            FormatError(
                draft.start, _l("option %(letter)s is empty", letter=letter), at_line=number
            )
        )
    draft.options.append(text)


def _finish(draft: _Draft, number: int, value: str, result: ImportResult) -> None:
    """Check the ANSWER line and, when the question is whole, add it to the result."""
    letters = unicodedata.normalize("NFKC", trim(value)).upper()
    if len(draft.options) < 2:
        draft.errors.append(
            FormatError(draft.start, _l("a question must have at least 2 options"), at_line=number)
        )
    elif not letters:
        draft.errors.append(
            FormatError(draft.start, _l("the ANSWER line gives no letter"), at_line=number)
        )
    elif not re.fullmatch(r"[A-Z]", letters):
        draft.errors.append(
            FormatError(
                draft.start,
                _l(
                    "an Aiken question has one right option; write one letter such as B, not "
                    "%(value)s",
                    value=trim(value),
                ),
                at_line=number,
            )
        )
    elif ord(letters) - ord("A") >= len(draft.options):
        draft.errors.append(
            FormatError(
                draft.start,
                _l("the answer is %(letter)s but there is no option %(letter)s", letter=letters),
                at_line=number,
            )
        )
    if draft.errors:
        result.errors.extend(draft.errors)
        return
    right = ord(letters) - ord("A")
    answers = [Answer(text, 1.0 if i == right else 0.0) for i, text in enumerate(draft.options)]
    result.questions.append(
        ParsedQuestion(
            SINGLE, "\n".join(draft.stem), stem_format="plain", answers=answers, line=draft.start
        )
    )
