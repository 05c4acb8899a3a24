"""The plain objects every question-bank file format reads into and writes from.

Pure: no database, no Flask app. An importer turns a file into an `ImportResult` (the questions it
could read, and every problem it found with its line or row number); the bank service decides what
to store. Messages are lazy translation strings with English msgids, so they render in the reader's
locale when shown, and as the English msgid when there is no app.

Weights are fractions of the question's mark, as Moodle stores them: 1.0 is 100%, -0.5 is -50%.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

SINGLE = "single"  # single choice: one answer is picked
MULTIPLE = "multiple"  # multiple choice: several may be picked, each option carries a weight
TRUEFALSE = "truefalse"
SHORTANSWER = "shortanswer"  # fill in the blank: several accepted answers, each with a weight
NUMERICAL = "numerical"  # numbers with a tolerance (a range min..max is stored the same way)
MATCHING = "matching"
ESSAY = "essay"  # graded by hand
DESCRIPTION = "description"  # text shown between questions; no answer, no mark
QTYPES = (SINGLE, MULTIPLE, TRUEFALSE, SHORTANSWER, NUMERICAL, MATCHING, ESSAY, DESCRIPTION)

# How a text is to be rendered: Moodle's four formats. "moodle" is Moodle's auto-format (plain
# text with line breaks and links); the bank renders each through the one sanitiser.
TEXT_FORMATS = ("moodle", "html", "markdown", "plain")

BLANK = "_____"  # stands where the answer goes in a "missing word" question

# PHP's trim() set. Python's str.strip() would also eat U+3000, the ideographic space Chinese
# text uses to indent paragraphs, and other Unicode spaces that are content, not layout.
WHITESPACE = " \t\n\r\0\x0b"


# The most questions one file may hold, as the sheet's MAX_ROWS, and the most categories it may
# name: reading stops at the next one. A dry run of this many questions takes about half a
# second; 250,000 took ten (bench/worst_inputs.py). Each category is a row the import creates
# and a line of the dry run's page.
MAX_QUESTIONS = 10_000
MAX_CATEGORIES = 1_000


class TooManyInFile(Exception):
    """A file holds more than MAX_QUESTIONS questions (`what` "questions") or names more than
    MAX_CATEGORIES categories ("categories"); `line` is where the one too many starts."""

    def __init__(self, what: str, line: int) -> None:
        super().__init__(what, line)
        self.what = what
        self.line = line


def trim(text: str) -> str:
    """Strip layout whitespace (PHP trim's set) from both ends."""
    return text.strip(WHITESPACE)


@dataclass
class Answer:
    """One option of a choice question, or one accepted answer of a short-answer question."""

    text: str
    fraction: float = 0.0  # 1.0 = 100% of the mark; negative weights penalise a wrong pick
    feedback: str = ""


@dataclass
class NumericalAnswer:
    """An accepted number: right when within `tolerance` of `value`; None is Moodle's "*"."""

    value: float | None  # None matches any other response (the "wrong answer" feedback slot)
    tolerance: float = 0.0
    fraction: float = 1.0
    feedback: str = ""

    @property
    def low(self) -> float | None:
        return None if self.value is None else self.value - self.tolerance

    @property
    def high(self) -> float | None:
        return None if self.value is None else self.value + self.tolerance


@dataclass
class MatchPair:
    """A sub-question and the answer it matches."""

    question: str
    answer: str


@dataclass
class ParsedQuestion:
    """One question as read from a file, before it is stored in a bank.

    Only the fields of its `qtype` are filled: `answers` for single, multiple and shortanswer;
    `correct` and the two feedbacks for truefalse; `numerical`; `pairs` and `distractors` for
    matching. `line` is where the question starts in its file (the row, for a spreadsheet); it
    is left out of comparisons so that a question read back from an export equals the original.
    """

    qtype: str
    stem: str
    name: str = ""  # "" when the file gives none; see display_name
    stem_format: str = "moodle"
    general_feedback: str = ""  # shown after answering, whatever the answer (解析)
    category: str = ""  # a path such as "党史/第一章" or Moodle's "$course$/top/Default"; "" = none
    tags: list[str] = field(default_factory=list)
    idnumber: str = ""
    default_mark: float = 1.0
    difficulty: str = ""  # as the file gives it: 易/中/难 or 1-5; "" when not given
    # Missing-word questions: the stem text before and after the blank; stem is
    # before + BLANK + after. None when the answers follow the text.
    blank: tuple[str, str] | None = None
    answers: list[Answer] = field(default_factory=list)
    correct: bool | None = None  # truefalse: the right answer
    true_feedback: str = ""  # truefalse: shown to a member who answered "true"
    false_feedback: str = ""  # truefalse: shown to a member who answered "false"
    numerical: list[NumericalAnswer] = field(default_factory=list)
    pairs: list[MatchPair] = field(default_factory=list)
    distractors: list[str] = field(default_factory=list)  # matching: extra wrong answers
    grader_info: str = ""  # essay: the reference answer or marking guide for the grader
    line: int = field(default=0, compare=False)

    @property
    def display_name(self) -> str:
        """The name, or the start of the stem when there is none (as Moodle names questions)."""
        if self.name:
            return self.name
        text = " ".join(re.sub(r"<[^>]*>", " ", self.stem).split())
        return text[:60] + ("…" if len(text) > 60 else "")


@dataclass(frozen=True)
class FormatError:
    """One problem in an imported file.

    `line` is where the question (or spreadsheet row) with the problem starts, 0 for the file
    as a whole; `at_line` is the exact line of the problem when it is known and differs;
    `column` names the spreadsheet column, as written in the file's header.
    """

    line: int
    message: str  # a lazy translation string
    column: str | None = None
    at_line: int | None = None

    def __str__(self) -> str:
        if self.line == 0:
            return str(self.message)
        if self.column is not None:
            return str(
                _l(
                    "row %(row)d, %(column)s: %(message)s",
                    row=self.line,
                    column=self.column,
                    message=self.message,
                )
            )
        if self.at_line is not None and self.at_line != self.line:
            return str(
                _l(
                    "line %(line)d (question starting on line %(start)d): %(message)s",
                    line=self.at_line,
                    start=self.line,
                    message=self.message,
                )
            )
        return str(_l("line %(line)d: %(message)s", line=self.line, message=self.message))


@dataclass
class ImportResult:
    """What an importer read: the good questions and every problem, in file order.

    `categories` lists every category the file names, in order of first appearance, including
    ones that end up holding no question (a file may only create categories).
    """

    questions: list[ParsedQuestion] = field(default_factory=list)
    errors: list[FormatError] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # A set beside the list, so that a file of many $CATEGORY lines is read in linear time.
        self._category_set = set(self.categories)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_category(self, path: str, line: int = 0) -> None:
        """Note a category the file names (on `line`); TooManyInFile past MAX_CATEGORIES."""
        if path not in self._category_set:
            if len(self.categories) >= MAX_CATEGORIES:
                raise TooManyInFile("categories", line)
            self._category_set.add(path)
            self.categories.append(path)


def validate_question(question: ParsedQuestion) -> list[str]:
    """The rules a question must meet to be gradable, whatever file it came from.

    These follow Moodle's own checks when it saves an imported question (the messages are
    Moodle's, shortened): a single-choice question needs a 100% answer, the positive weights of
    a multiple-choice question must add up to 100%, a matching question needs at least two
    sub-questions and three answers.
    """
    problems: list[str] = []
    if question.qtype not in QTYPES:
        return [_l("unknown question type %(qtype)s", qtype=question.qtype)]
    if not question.stem:
        problems.append(_l("the question text is empty"))
    fractions = [a.fraction for a in question.answers] + [a.fraction for a in question.numerical]
    if any(not -1.0 <= fraction <= 1.0 for fraction in fractions):
        problems.append(_l("weights must be between -100% and 100%"))

    if question.qtype in (SINGLE, MULTIPLE):
        if len(question.answers) < 2:
            problems.append(_l("a choice question needs at least 2 answers"))
        if any(not answer.text for answer in question.answers):
            problems.append(_l("an answer is empty"))
    if question.qtype == MULTIPLE and question.answers:
        total = round(sum(a.fraction for a in question.answers if a.fraction > 0), 2)
        if total != 1:
            problems.append(
                _l(
                    "the positive weights add up to %(total)s%%, not 100%%",
                    total=_percent_text(total),
                )
            )
    elif question.qtype in (SINGLE, SHORTANSWER, NUMERICAL):
        best = max(fractions, default=0.0)
        if best != 1:
            problems.append(
                _l(
                    "no answer is worth 100%% (the best is %(best)s%%), so nobody "
                    "could get full marks",
                    best=_percent_text(best),
                )
            )
    if question.qtype == SHORTANSWER:
        if not question.answers:
            problems.append(_l("no accepted answer is given"))
        elif any(not answer.text for answer in question.answers):
            problems.append(_l("an accepted answer is empty"))
    elif question.qtype == NUMERICAL and not question.numerical:
        problems.append(_l("no answers found for the numerical question"))
    elif question.qtype == TRUEFALSE and question.correct is None:
        problems.append(_l("the true/false answer is missing"))
    elif question.qtype == MATCHING:
        if len(question.pairs) < 2 or len(question.pairs) + len(question.distractors) < 3:
            problems.append(_l("a matching question needs at least 2 sub-questions and 3 answers"))
        for pair in question.pairs:
            if not pair.question:
                problems.append(_l("a sub-question is empty"))
            elif not pair.answer:
                problems.append(
                    _l("no matching answer for sub-question %(text)s", text=pair.question)
                )
    return problems


def _percent_text(fraction: float) -> str:
    return f"{fraction * 100:g}"


# --- Duplicates --------------------------------------------------------------------------------

_TAG_RE = re.compile(r"<[^>]*>")


def normalise_text(text: str) -> str:
    """Text as compared for duplicates: NFKC, case-folded, tags and all whitespace removed.

    Whitespace goes entirely because Chinese text is written with or without spaces between
    characters; NFKC makes full-width ＡＢＣ１２３ and half-width ABC123 the same.
    """
    text = unicodedata.normalize("NFKC", _TAG_RE.sub("", text)).casefold()
    return "".join(text.split())


def _duplicate_key(question: ParsedQuestion) -> tuple:
    """Same type and same stem; for choice and matching questions, also the same options.

    Stems such as 「下列说法正确的是」 recur across a bank with different options, so for those
    types the options (in any order) are part of what makes two questions the same.
    """
    options: frozenset = frozenset()
    if question.qtype in (SINGLE, MULTIPLE):
        options = frozenset(normalise_text(answer.text) for answer in question.answers)
    elif question.qtype == MATCHING:
        options = frozenset(
            (normalise_text(pair.question), normalise_text(pair.answer)) for pair in question.pairs
        )
    return question.qtype, normalise_text(question.stem), options


def find_duplicates(questions: Sequence[ParsedQuestion]) -> list[tuple[int, int]]:
    """Pairs (index, first_index): question `index` repeats the earlier question `first_index`."""
    first_seen: dict[tuple, int] = {}
    duplicates: list[tuple[int, int]] = []
    for index, question in enumerate(questions):
        first = first_seen.setdefault(_duplicate_key(question), index)
        if first != index:
            duplicates.append((index, first))
    return duplicates
