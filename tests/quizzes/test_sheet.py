"""The XLSX/CSV question template: reading, row errors, refusing bad files, writing, round trips."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from quizzes.formats.questions import (
    BLANK,
    ESSAY,
    MATCHING,
    MULTIPLE,
    NUMERICAL,
    SHORTANSWER,
    SINGLE,
    TRUEFALSE,
    Answer,
    ImportResult,
    MatchPair,
    NumericalAnswer,
    ParsedQuestion,
)
from quizzes.formats.sheet import MAX_ROWS, parse_sheet, template_bytes, write_sheet
from tests.files import xlsx_bytes

HEADER = [
    "题型",
    "题干",
    "选项A",
    "选项B",
    "选项C",
    "选项D",
    "答案",
    "解析",
    "分值",
    "分类",
    "难度",
]


xlsx = xlsx_bytes


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def row_errors(data: bytes, filename: str) -> list[tuple[int, str | None, str]]:
    return [(e.line, e.column, str(e.message)) for e in parse_sheet(data, filename).errors]


def file_error(data: bytes, filename: str) -> str:
    result = parse_sheet(data, filename)
    assert result.questions == []
    assert [e.line for e in result.errors] == [0]
    return str(result.errors[0].message)


GOOD_ROWS: list[list[object]] = [
    HEADER,
    [
        "单选",
        "团的最高领导机关是？",
        "全国代表大会",
        "中央委员会",
        "",
        "",
        "A",
        "见团章",
        2,
        "团章/组织",
        "易",
    ],
    ["多选题", "下列属于直辖市的有", "北京", "上海", "广州", "重庆", "A、B、D", "", "", "", "3"],
    ["判断", "团员年龄为14至28周岁。", "", "", "", "", "√", "", 1.5, "团章", "中"],
    ["填空", "团的基层组织是（ ）。", "", "", "", "", "团支部｜基层团支部；支部", "", "", "", ""],
    ["简答", "谈谈你的学习体会。", "", "", "", "", "联系实际", "", 10, "", "难"],
]


def check_good(result: ImportResult) -> None:
    assert [str(e) for e in result.errors] == []
    single, multiple, truefalse, short, essay = result.questions
    assert (single.qtype, single.stem, single.line) == (SINGLE, "团的最高领导机关是？", 2)
    assert single.answers == [Answer("全国代表大会", 1.0), Answer("中央委员会", 0.0)]
    assert (single.general_feedback, single.default_mark, single.category, single.difficulty) == (
        "见团章",
        2.0,
        "团章/组织",
        "易",
    )
    assert single.stem_format == "plain"
    assert multiple.qtype == MULTIPLE
    assert [(a.text, a.fraction) for a in multiple.answers] == [
        ("北京", 1 / 3),
        ("上海", 1 / 3),
        ("广州", -1.0),
        ("重庆", 1 / 3),
    ]
    assert multiple.difficulty == "3"
    assert (truefalse.qtype, truefalse.correct, truefalse.default_mark) == (TRUEFALSE, True, 1.5)
    assert short.qtype == SHORTANSWER
    assert [a.text for a in short.answers] == ["团支部", "基层团支部", "支部"]
    assert short.blank == ("团的基层组织是", "。")
    assert short.stem == "团的基层组织是" + BLANK + "。"
    assert (essay.qtype, essay.grader_info, essay.default_mark) == (ESSAY, "联系实际", 10.0)
    assert result.categories == ["团章/组织", "团章"]


def test_reads_xlsx() -> None:
    check_good(parse_sheet(xlsx(GOOD_ROWS), "题库.xlsx"))


def test_reads_csv() -> None:
    check_good(parse_sheet(csv_bytes(GOOD_ROWS), "题库.CSV"))


def test_multiple_choice_weights_share_the_mark_and_wrong_picks_cost_everything() -> None:
    question = parse_sheet(xlsx(GOOD_ROWS), "x.xlsx").questions[1]
    assert [a.fraction for a in question.answers] == [1 / 3, 1 / 3, -1.0, 1 / 3]


def test_header_aliases_full_width_and_spacing() -> None:
    rows = [
        ["试题类型", "题目", "选项 Ａ", "选项Ｂ", "正确答案", "答案解析", "分数", "题目分类"],
        ["单项选择题", "Q?", "x", "y", "ｂ", "because", "3", "a／b \\ c"],
    ]
    result = parse_sheet(xlsx(rows), "x.xlsx")
    assert [str(e) for e in result.errors] == []
    question = result.questions[0]
    assert [a.fraction for a in question.answers] == [0.0, 1.0]
    assert (question.general_feedback, question.default_mark, question.category) == (
        "because",
        3.0,
        "a/b/c",
    )


def test_excel_typed_cells_booleans_and_numbers() -> None:
    rows = [
        HEADER,
        ["判断", "True?", None, None, None, None, True, None, 2.0, None, 1],
        ["填空", "2+2=___", None, None, None, None, 4, None, None, None, None],
    ]
    result = parse_sheet(xlsx(rows), "x.xlsx")
    assert [str(e) for e in result.errors] == []
    truefalse, short = result.questions
    assert (truefalse.correct, truefalse.default_mark, truefalse.difficulty) == (True, 2.0, "1")
    assert short.answers == [Answer("4", 1.0)]


def test_rows_are_numbered_as_excel_shows_them() -> None:
    rows = [
        HEADER,
        [],
        ["判断", "A?", "", "", "", "", "对"],
        [],
        [],
        ["判断", "B?", "", "", "", "", "maybe"],
    ]
    result = parse_sheet(xlsx(rows), "x.xlsx")
    assert [q.line for q in result.questions] == [3]
    assert [(e.line, e.column) for e in result.errors] == [(6, "答案")]


@pytest.mark.parametrize(
    ("word", "correct"),
    [
        ("正确", True),
        ("错误", False),
        ("对", True),
        ("错", False),
        ("√", True),
        ("×", False),
        ("T", True),
        ("f", False),
        ("TRUE", True),
        ("ｆａｌｓｅ", False),
    ],
)
def test_true_false_words(word: str, correct: bool) -> None:
    result = parse_sheet(csv_bytes([HEADER, ["判断", "Q?", "", "", "", "", word]]), "x.csv")
    assert [q.correct for q in result.questions] == [correct]


def test_every_row_problem_is_reported_with_its_column() -> None:
    rows = [
        HEADER,
        ["问卷", "Q?", "a", "b", "", "", "A"],
        ["单选", "", "a", "b", "", "", "A"],
        ["单选", "Q?", "a", "b", "", "", "C"],
        ["单选", "Q?", "a", "b", "", "", "AB"],
        ["判断", "Q?", "", "", "", "", "也许"],
        ["判断", "Q?", "", "", "", "", "", "", "两分"],
        ["多选", "Q?", "a", "", "c", "", "A1"],
        ["单选", "Q?", "a", "", "", "", "A", "", "-1", "", "很难"],
        ["填空", "Q?", "", "", "", "", " | ；"],
        ["", "Q?", "a", "b", "", "", "A"],
    ]
    assert row_errors(csv_bytes(rows), "x.csv") == [
        (2, "题型", "unknown question type 问卷; use 单选, 多选, 判断, 填空 or 简答"),
        (3, "题干", "required value is missing"),
        (4, "答案", "the answer names option(s) C, which are empty"),
        (5, "答案", "a 单选 question has one right option, but the answer is AB"),
        (6, "答案", "a 判断 answer is 正确 or 错误 (also 对/错, √/×, T/F), not 也许"),
        (7, "分值", "the mark must be a number above 0 and at most 1000, not 两分"),
        (7, "答案", "required value is missing"),
        (8, "选项B", "option B is empty but a later option is filled"),
        (8, "答案", "the answer is the letters of the right options, such as B or ABD, not A1"),
        (9, "分值", "the mark must be a number above 0 and at most 1000, not -1"),
        (9, "难度", "difficulty is 易, 中 or 难, or 1 to 5, not 很难"),
        (9, "选项A", "a choice question needs at least 2 options"),
        (10, "答案", "required value is missing"),
        (11, "题型", "required value is missing"),
    ]


def test_template_examples_are_skipped_and_cover_every_type() -> None:
    for fmt in ("xlsx", "csv"):
        data = template_bytes(fmt)
        result = parse_sheet(data, f"template.{fmt}")
        assert (result.questions, result.errors) == ([], [])
    workbook = load_workbook(io.BytesIO(template_bytes("xlsx")), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:2] == ("题型", "题干")
    assert [row[0] for row in rows[1:]] == ["单选", "多选", "判断", "填空", "简答"]
    assert all(str(row[1]).startswith("【示例】") for row in rows[1:])
    # With the marks removed, the examples are good questions.
    text = template_bytes("csv").decode("utf-8-sig").replace("【示例】", "")
    result = parse_sheet(text.encode("utf-8"), "template.csv")
    assert [q.qtype for q in result.questions] == [SINGLE, MULTIPLE, TRUEFALSE, SHORTANSWER, ESSAY]
    assert result.errors == []


# --- Refusing files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "empty.xlsx", "the file is empty"),
        (b"a,b", "x.xls", "unsupported file type .xls; save the file as .xlsx or .csv"),
        (
            xlsx(GOOD_ROWS),
            "x.csv",
            "this is an XLSX (zip) file, not a CSV file; upload it with the .xlsx extension",
        ),
        (b"just text", "fake.xlsx", "this is not an XLSX file (it is not a zip archive)"),
    ],
)
def test_a_refused_file_is_one_error_on_line_0(data: bytes, filename: str, message: str) -> None:
    """The checks themselves are learning.spreadsheets' (test_spreadsheets); here, their use."""
    assert file_error(data, filename) == message


def test_missing_columns_and_too_many_rows() -> None:
    assert file_error(csv_bytes([["题干", "选项A"], ["Q?", "a"]]), "x.csv") == (
        "missing required column(s): 题型, 答案"
    )
    assert file_error(csv_bytes([[]]), "x.csv") == "the file has no header row"
    rows = [HEADER] + [["判断", f"Q{i}?", "", "", "", "", "对"] for i in range(MAX_ROWS + 1)]
    assert file_error(csv_bytes(rows), "x.csv") == (
        f"the file has more than {MAX_ROWS} data rows; split it"
    )


# --- Writing and round trips ----------------------------------------------------------------------

EXPRESSIBLE = [
    ParsedQuestion(
        SINGLE,
        "=1+1 是多少？",
        stem_format="plain",
        answers=[Answer("-2"), Answer("2", 1.0), Answer("@SUM(A1)"), Answer("'=quoted")],
        general_feedback="+ 多行\n解析",
        default_mark=2.5,
        category="数学/算术",
        difficulty="易",
    ),
    ParsedQuestion(
        MULTIPLE,
        "Pick\nall",
        stem_format="plain",
        answers=[
            Answer(f"option {letter}", 1 / 3 if letter in "ACH" else -1.0) for letter in "ABCDEFGH"
        ],
    ),
    ParsedQuestion(TRUEFALSE, "对吗？", stem_format="plain", correct=False, difficulty="5"),
    ParsedQuestion(
        SHORTANSWER,
        "首都是" + BLANK + "。",
        stem_format="plain",
        answers=[Answer("北京", 1.0), Answer("-1", 1.0)],
        blank=("首都是", "。"),
    ),
    ParsedQuestion(
        ESSAY, "谈谈体会", stem_format="plain", grader_info="要点：\n一、二", default_mark=10
    ),
]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_round_trip(fmt: str) -> None:
    export = write_sheet(EXPRESSIBLE, fmt)
    assert export.skipped == []
    result = parse_sheet(export.data, f"bank.{fmt}")
    assert [str(e) for e in result.errors] == []
    assert result.questions == EXPRESSIBLE


def test_csv_is_excel_friendly_and_guards_formulas() -> None:
    data = write_sheet(EXPRESSIBLE, "csv").data
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["题型", "题干", "选项A"]
    assert rows[1][1] == "'=1+1 是多少？"
    assert rows[1][2:6] == ["-2", "2", "'@SUM(A1)", "''=quoted"]  # a number is no formula
    assert rows[1][11] == "'+ 多行\n解析"


def test_xlsx_texts_are_never_formulas() -> None:
    workbook = load_workbook(io.BytesIO(write_sheet(EXPRESSIBLE, "xlsx").data))
    sheet = workbook.worksheets[0]
    assert sheet["B2"].value == "'=1+1 是多少？"  # guarded as in every export; read back exactly
    assert sheet["B2"].data_type == "s"
    assert sheet["C2"].value == "-2" and sheet["F2"].value == "''=quoted"
    assert sheet["M2"].value == 2.5


def test_questions_the_template_cannot_hold_are_skipped() -> None:
    questions = [
        ParsedQuestion(
            MATCHING, "Match", pairs=[MatchPair("a", "1"), MatchPair("b", "2")], distractors=["3"]
        ),
        ParsedQuestion(NUMERICAL, "Number", numerical=[NumericalAnswer(1.0)]),
        ParsedQuestion(
            SINGLE, "Nine options", answers=[Answer(str(i), float(i == 0)) for i in range(9)]
        ),
        ParsedQuestion(SINGLE, "Two right", answers=[Answer("a", 1.0), Answer("b", 1.0)]),
        ParsedQuestion(SHORTANSWER, "Bar", answers=[Answer("a|b", 1.0)]),
        ParsedQuestion(TRUEFALSE, "Kept", correct=True),
    ]
    export = write_sheet(questions, "xlsx")
    assert [(s.index, str(s.reason)) for s in export.skipped] == [
        (0, "the template has no column layout for this question type (matching)"),
        (1, "the template has no column layout for this question type (numerical)"),
        (2, "the template holds at most 8 options"),
        (3, "a 单选 row has exactly one right option"),
        (4, "a 填空 row needs its accepted answers without | or ；"),
    ]
    assert [q.stem for q in parse_sheet(export.data, "x.xlsx").questions] == ["Kept"]


def test_control_characters_are_dropped_from_xlsx() -> None:
    question = ParsedQuestion(ESSAY, "bell\x07 and tab\tkept", stem_format="plain")
    result = parse_sheet(write_sheet([question], "xlsx").data, "x.xlsx")
    assert result.questions[0].stem == "bell and tab\tkept"
