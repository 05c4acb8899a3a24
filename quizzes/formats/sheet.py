"""The question template Chinese exam systems use, as XLSX or CSV: one question per row.

    题型 | 题干 | 选项A … 选项H | 答案 | 解析 | 分值 | 分类 | 难度

题型 is 单选, 多选, 判断, 填空 or 简答 (简答 is graded by hand: an essay). 答案 holds option
letters (`B`, `ABD`, `A,B,D`, `A、B、D`), a true/false word for 判断 (正确/错误, 对/错, √/×, T/F),
the accepted answers of a 填空 separated by `|` or `；`, or the reference answer of a 简答.
解析 becomes the general feedback, 分值 the default mark, 分类 a category path (`党史/第一章`),
难度 is kept as written (易/中/难 or 1-5).

Rows are numbered as Excel shows them (the header is row 1), and every problem is reported with
its row and the column's header as written in the file. Rows whose 题干 starts with 【示例】 are the
template's examples and are skipped.

A 多选 question's right options share the mark (two right options: 50% each) and its wrong options
are worth -100%, so that any wrong pick scores nothing (错选不得分) while picking only some right
options scores in proportion (少选按比例得分).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from openpyxl.worksheet.datavalidation import DataValidation

from learning.spreadsheets import (
    Column,
    FileRefused,
    find_columns,
    match_key,
    read_rows,
    split_header,
)
from learning.workbooks import append as append_row
from learning.workbooks import csv_bytes, new_workbook, unguard_formula, workbook_bytes
from learning.workbooks import header as header_row

from .questions import (
    BLANK,
    ESSAY,
    MULTIPLE,
    SHORTANSWER,
    SINGLE,
    TRUEFALSE,
    Answer,
    FormatError,
    ImportResult,
    ParsedQuestion,
    trim,
)

MAX_ROWS = 10_000  # data rows
MAX_MARK = 1000

LETTERS = "ABCDEFGH"
EXAMPLE_MARK = "【示例】"

# The columns, in template order, with the header we write first and others people use.
HEADERS: dict[str, tuple[str, ...]] = {
    "qtype": ("题型", "试题类型", "题目类型"),
    "stem": ("题干", "题目", "试题内容", "题目内容"),
    **{f"option{letter}": (f"选项{letter}",) for letter in LETTERS},
    "answer": ("答案", "正确答案", "标准答案", "参考答案"),
    "explanation": ("解析", "答案解析", "试题解析"),
    "mark": ("分值", "分数"),
    "category": ("分类", "题目分类", "试题分类"),
    "difficulty": ("难度",),
}

# Words for each type, compared as match_key() makes them (NFKC, no whitespace, case-folded).
TYPE_WORDS: dict[str, str] = {
    **dict.fromkeys(("单选", "单选题", "单项选择", "单项选择题", SINGLE), SINGLE),
    **dict.fromkeys(("多选", "多选题", "多项选择", "多项选择题", "不定项选择", "不定项选择题",
                     MULTIPLE), MULTIPLE),
    **dict.fromkeys(("判断", "判断题", TRUEFALSE), TRUEFALSE),
    **dict.fromkeys(("填空", "填空题", SHORTANSWER), SHORTANSWER),
    **dict.fromkeys(("简答", "简答题", "问答", "问答题", "论述题", ESSAY), ESSAY),
}  # fmt: skip
TYPE_NAMES = {
    SINGLE: "单选",
    MULTIPLE: "多选",
    TRUEFALSE: "判断",
    SHORTANSWER: "填空",
    ESSAY: "简答",
}

# 判断 answers, compared after NFKC and upper-casing.
TRUE_WORDS = frozenset(("正确", "对", "√", "✓", "✔", "T", "TRUE", "是", "Y", "YES"))
FALSE_WORDS = frozenset(("错误", "错", "×", "✗", "✘", "X", "F", "FALSE", "否", "N", "NO"))

DIFFICULTY_WORDS = frozenset(
    ("易", "较易", "简单", "中", "中等", "一般", "较难", "难", "困难", "1", "2", "3", "4", "5")
)

_ANSWER_SEPARATORS_RE = re.compile(r"[|｜；]")
_LETTER_SEPARATORS_RE = re.compile(r"[\s,，、;；/|]+")
_CATEGORY_SEPARATORS_RE = re.compile(r"[/／\\]")
_BLANK_RE = re.compile(r"_{3,}|（\s*）|\(\s*\)")
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")


# --- Import ------------------------------------------------------------------------------------


def parse_sheet(data: bytes, filename: str) -> ImportResult:
    """Read an XLSX or CSV question sheet; every bad row is reported, good rows are kept."""
    try:
        # The file checks (size, encodings, XLSX safety) are learning.spreadsheets'.
        rows = read_rows(data, filename, cell=unguard_formula)
        header, numbered_rows = split_header(rows, max_rows=MAX_ROWS)
        columns = _find_columns(header)
        result = ImportResult()
        for number, cells in numbered_rows:
            question, errors = _read_row(number, cells, columns)
            result.errors.extend(errors)
            if question is not None:
                result.questions.append(question)
                if question.category:
                    result.add_category(question.category, number)
        return result
    except FileRefused as refused:
        return ImportResult(errors=[FormatError(0, refused.message)])


def _find_columns(header: list[str]) -> dict[str, Column]:
    """Map each column of HEADERS to where it is; refuse a sheet without 题型, 题干 or 答案."""
    columns = find_columns(header, HEADERS)
    missing = [HEADERS[name][0] for name in ("qtype", "stem", "answer") if name not in columns]
    if missing:
        raise FileRefused(_l("missing required column(s): %(columns)s", columns=", ".join(missing)))
    return columns


def _read_row(
    number: int, cells: list[str], columns: dict[str, Column]
) -> tuple[ParsedQuestion | None, list[FormatError]]:
    """Validate one row; return its question (None when it has errors) and its errors."""
    errors: list[FormatError] = []

    def cell(name: str) -> str:
        column = columns.get(name)
        return column.text(cells) if column else ""

    def report(name: str, message: str) -> None:
        column = columns.get(name)
        header = column.header if column else HEADERS[name][0]
        errors.append(FormatError(number, message, column=header))

    stem = cell("stem")
    if stem.startswith(EXAMPLE_MARK):
        return None, []
    qtype = TYPE_WORDS.get(match_key(cell("qtype")))
    if qtype is None:
        if cell("qtype"):
            report(
                "qtype",
                _l(
                    "unknown question type %(value)s; use 单选, 多选, 判断, 填空 or 简答",
                    value=cell("qtype"),
                ),
            )
        else:
            report("qtype", _l("required value is missing"))
    if not stem:
        report("stem", _l("required value is missing"))
    question = ParsedQuestion(
        qtype or ESSAY, stem, stem_format="plain", line=number, general_feedback=cell("explanation")
    )

    mark = cell("mark")
    if mark:
        value = unicodedata.normalize("NFKC", mark)
        if _NUMBER_RE.fullmatch(value) and 0 < float(value) <= MAX_MARK:
            question.default_mark = float(value)
        else:
            report(
                "mark",
                _l(
                    "the mark must be a number above 0 and at most %(max)d, not %(value)s",
                    max=MAX_MARK,
                    value=mark,
                ),
            )
    difficulty = unicodedata.normalize("NFKC", cell("difficulty"))
    if difficulty and difficulty not in DIFFICULTY_WORDS:
        report(
            "difficulty",
            _l("difficulty is 易, 中 or 难, or 1 to 5, not %(value)s", value=cell("difficulty")),
        )
    question.difficulty = difficulty
    # A category is a one-line path: line breaks and runs of spaces in a part become one space.
    parts = [" ".join(part.split()) for part in _CATEGORY_SEPARATORS_RE.split(cell("category"))]
    question.category = "/".join(part for part in parts if part)

    answer = cell("answer")
    if qtype in (SINGLE, MULTIPLE):
        _read_choices(question, answer, cell, report)
    elif qtype == TRUEFALSE:
        word = unicodedata.normalize("NFKC", answer).upper()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            question.correct = word in TRUE_WORDS
        else:
            report(
                "answer",
                _l(
                    "a 判断 answer is 正确 or 错误 (also 对/错, √/×, T/F), not %(value)s",
                    value=answer,
                )
                if answer
                else _l("required value is missing"),
            )
    elif qtype == SHORTANSWER:
        accepted = [trim(text) for text in _ANSWER_SEPARATORS_RE.split(answer)]
        question.answers = [Answer(text, 1.0) for text in accepted if text]
        if not question.answers:
            report("answer", _l("required value is missing"))
        _find_blank(question)
    elif qtype == ESSAY:
        question.grader_info = answer
    return (None, errors) if errors else (question, errors)


def _read_choices(
    question: ParsedQuestion,
    answer: str,
    cell: Callable[[str], str],
    report: Callable[[str, str], None],
) -> None:
    """Options A-H (no gaps) and the letters of the right ones."""
    options = [cell(f"option{letter}") for letter in LETTERS]
    while options and not options[-1]:
        options.pop()
    for letter, text in zip(LETTERS, options, strict=False):
        if not text:
            report(
                f"option{letter}",
                _l("option %(letter)s is empty but a later option is filled", letter=letter),
            )
    if len(options) < 2:
        report("optionA", _l("a choice question needs at least 2 options"))
    letters = _LETTER_SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", answer)).upper()
    if not letters:
        report("answer", _l("required value is missing"))
        return
    if not re.fullmatch(f"[{LETTERS}]+", letters):
        report(
            "answer",
            _l(
                "the answer is the letters of the right options, such as B or ABD, not %(value)s",
                value=answer,
            ),
        )
        return
    right = sorted(set(letters))
    if question.qtype == SINGLE and len(right) > 1:
        report(
            "answer",
            _l("a 单选 question has one right option, but the answer is %(value)s", value=answer),
        )
    empty = [
        letter
        for letter in right
        if LETTERS.index(letter) >= len(options) or not options[LETTERS.index(letter)]
    ]
    if empty:
        report(
            "answer",
            _l("the answer names option(s) %(letters)s, which are empty", letters="".join(empty)),
        )
    share = 1.0 / len(right)
    wrong = 0.0 if question.qtype == SINGLE else -1.0
    question.answers = [
        Answer(text, share if letter in right else wrong)
        for letter, text in zip(LETTERS, options, strict=False)
    ]


def _find_blank(question: ParsedQuestion) -> None:
    """A 填空 stem with one blank (___, （ ）) keeps where it is, written as BLANK."""
    blanks = list(_BLANK_RE.finditer(question.stem))
    if len(blanks) == 1:
        before, after = question.stem[: blanks[0].start()], question.stem[blanks[0].end() :]
        question.blank = (before, after)
        question.stem = before + BLANK + after


# --- Export ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkippedQuestion:
    """A question the template cannot hold: its index in the exported list, and why."""

    index: int
    reason: str  # a lazy translation string


class SheetExport(NamedTuple):
    """The file's bytes, and the questions left out of it."""

    data: bytes
    skipped: list[SkippedQuestion]


def write_sheet(questions: Sequence[ParsedQuestion], fmt: str = "xlsx") -> SheetExport:
    """Write questions to the template (XLSX, or CSV in UTF-8 with a BOM for Excel).

    Matching, numerical and description questions, and questions the template cannot express
    (more than 8 options, partial-credit answers, a 单选 with several right options) are left
    out and listed in `skipped`. Per-answer feedback has no column and is not written.
    """
    rows: list[list[object]] = []
    skipped: list[SkippedQuestion] = []
    for index, question in enumerate(questions):
        row = _row_for(question)
        if isinstance(row, list):
            rows.append(row)
        else:
            skipped.append(SkippedQuestion(index, row))
    return SheetExport(_write(rows, fmt), skipped)


def template_bytes(fmt: str = "xlsx") -> bytes:
    """An empty template with one example row per type (skipped on import by its 【示例】)."""
    examples = [
        ParsedQuestion(
            SINGLE,
            "中国共产主义青年团成立于哪一年？",
            answers=[Answer("1920"), Answer("1922", 1.0), Answer("1925"), Answer("1949")],
            general_feedback="1922年5月，中国社会主义青年团第一次全国代表大会召开。",
            category="示例分类/团史",
            difficulty="易",
        ),
        ParsedQuestion(
            MULTIPLE,
            "下列城市中，属于直辖市的有（ ）。",
            answers=[Answer("北京", 0.5), Answer("上海", 0.5), Answer("广州", -1.0)],
            category="示例分类/常识",
            difficulty="中",
            default_mark=2.0,
        ),
        ParsedQuestion(
            TRUEFALSE,
            "中国共产主义青年团成立于1922年。",
            correct=True,
            category="示例分类/团史",
            difficulty="易",
        ),
        ParsedQuestion(
            SHORTANSWER,
            "中华人民共和国的首都是_____。",
            answers=[Answer("北京", 1.0), Answer("北京市", 1.0)],
            category="示例分类/常识",
            difficulty="易",
        ),
        ParsedQuestion(
            ESSAY,
            "谈谈你参加本次学习活动的体会。",
            default_mark=10.0,
            grader_info="参考要点：联系学习内容；结合自身实际；言之有物。",
            difficulty="难",
        ),
    ]
    rows = []
    for example in examples:
        row = _row_for(example)
        assert isinstance(row, list)
        row[1] = EXAMPLE_MARK + str(row[1])
        rows.append(row)
    return _write(rows, fmt)


def _row_for(question: ParsedQuestion) -> list[object] | str:
    """The template row for a question, or the reason it cannot have one."""
    name = TYPE_NAMES.get(question.qtype)
    if name is None:
        return _l(
            "the template has no column layout for this question type (%(qtype)s)",
            qtype=question.qtype,
        )
    options = [""] * len(LETTERS)
    answer = ""
    if question.qtype in (SINGLE, MULTIPLE):
        if len(question.answers) > len(LETTERS):
            return _l("the template holds at most 8 options")
        if question.qtype == SINGLE:
            right = [i for i, a in enumerate(question.answers) if a.fraction == 1]
            if len(right) != 1:
                return _l("a 单选 row has exactly one right option")
        else:
            right = [i for i, a in enumerate(question.answers) if a.fraction > 0]
            if not right:
                return _l("a 多选 row needs a right option")
        for i, option in enumerate(question.answers):
            options[i] = option.text
        answer = "".join(LETTERS[i] for i in right)
    elif question.qtype == TRUEFALSE:
        answer = "正确" if question.correct else "错误"
    elif question.qtype == SHORTANSWER:
        accepted = [a.text for a in question.answers if a.fraction == 1]
        if not accepted or any(_ANSWER_SEPARATORS_RE.search(text) for text in accepted):
            return _l("a 填空 row needs its accepted answers without | or ；")
        answer = "|".join(accepted)
    elif question.qtype == ESSAY:
        answer = question.grader_info
    mark = float(question.default_mark)
    mark_cell: object = int(mark) if mark.is_integer() else mark
    return [
        name,
        question.stem,
        *options,
        answer,
        question.general_feedback,
        mark_cell,
        question.category,
        question.difficulty,
    ]


def _write(rows: list[list[object]], fmt: str) -> bytes:
    header = [aliases[0] for aliases in HEADERS.values()]
    if fmt == "csv":
        # Texts guarded against formulas (learning.workbooks); unguard_formula reads them back.
        return csv_bytes(header, [[_plain(value) for value in row] for row in rows])
    if fmt != "xlsx":
        raise ValueError(fmt)
    return _xlsx(header, rows)


def _xlsx(titles: list[str], rows: list[list[object]]) -> bytes:
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = "题目"
    # Column widths: 题型, 题干, 选项A-H, 答案, 解析, 分值, 分类, 难度.
    header_row(sheet, titles, [8, 48, *[16] * 8, 12, 36, 8, 16, 8])
    for row in rows:
        append_row(sheet, row)  # texts guarded against formulas; unguard_formula reads them back
    choices = DataValidation(type="list", formula1='"单选,多选,判断,填空,简答"', allow_blank=True)
    sheet.add_data_validation(choices)
    choices.add("A2:A10000")
    return workbook_bytes(workbook)


def _plain(value: object) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)


