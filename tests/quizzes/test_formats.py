"""The format registry, decoding uploads, duplicates and the shared question rules."""

from __future__ import annotations

import pytest

from quizzes.formats import detect_format, find_duplicates, parse, template_bytes
from quizzes.formats.questions import (
    ESSAY,
    MATCHING,
    MULTIPLE,
    SINGLE,
    TRUEFALSE,
    Answer,
    FormatError,
    MatchPair,
    ParsedQuestion,
    validate_question,
)

GIFT_TEXT = "::团史::中国共产主义青年团成立于1922年。{T}\n"
AIKEN_TEXT = "团的基层组织是？\nA. 团支部\nB. 团委\nANSWER: A\n"


@pytest.mark.parametrize(
    ("filename", "fmt"),
    [
        ("bank.gift", "gift"),
        ("BANK.TXT", "gift"),
        ("题库.xlsx", "sheet"),
        ("题库.csv", "sheet"),
        ("bank.xls", None),
        ("bank", None),
        ("bank.gift.zip", None),
    ],
)
def test_detect_format(filename: str, fmt: str | None) -> None:
    assert detect_format(filename) == fmt


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-16"])
def test_parse_decodes_text_in_the_encodings_windows_writes(encoding: str) -> None:
    result = parse(GIFT_TEXT.encode(encoding), "bank.txt")
    assert [(q.name, q.qtype, q.correct) for q in result.questions] == [("团史", TRUEFALSE, True)]


def test_parse_dispatches_by_extension_or_choice() -> None:
    aiken = parse(AIKEN_TEXT.encode(), "bank.txt", fmt="aiken")
    assert [(q.stem, q.qtype) for q in aiken.questions] == [("团的基层组织是？", SINGLE)]
    # The same text read as GIFT is a description (no braces) per paragraph: not what was meant.
    assert parse(AIKEN_TEXT.encode(), "bank.txt").questions[0].qtype == "description"
    text = template_bytes("csv").decode("utf-8-sig").replace("【示例】", "").encode()
    assert len(parse(text, "bank.csv").questions) == 5


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (
            b"x",
            "bank.pdf",
            "unsupported file type .pdf; upload GIFT or Aiken text (.gift, .txt) "
            "or a question sheet (.xlsx, .csv)",
        ),
        (b"PK\x03\x04rest", "bank.gift", "this is a zip file (such as .xlsx), not a text file"),
        (b"", "bank.gift", "the file is empty"),
    ],
)
def test_parse_refuses_files_with_one_file_level_error(
    data: bytes, filename: str, message: str
) -> None:
    result = parse(data, filename)
    assert result.questions == []
    assert [(e.line, str(e.message), str(e)) for e in result.errors] == [(0, message, message)]


def test_format_error_text() -> None:
    assert str(FormatError(3, "bad")) == "line 3: bad"
    assert str(FormatError(3, "bad", at_line=5)) == "line 5 (question starting on line 3): bad"
    assert str(FormatError(4, "bad", column="答案")) == "row 4, 答案: bad"
    assert str(FormatError(0, "the file is empty")) == "the file is empty"


def test_display_name_falls_back_to_the_stem() -> None:
    assert ParsedQuestion(ESSAY, "stem", name="name").display_name == "name"
    assert ParsedQuestion(ESSAY, "<p>A <b>bold</b>\nstem</p>").display_name == "A bold stem"
    assert ParsedQuestion(ESSAY, "长" * 70).display_name == "长" * 60 + "…"


# --- Duplicates -----------------------------------------------------------------------------------


def test_find_duplicates_by_type_and_normalised_stem() -> None:
    questions = [
        ParsedQuestion(TRUEFALSE, "团员年龄为14至28周岁。", correct=True),
        ParsedQuestion(TRUEFALSE, " 团员年龄为 14 至 28 周岁。", correct=False),  # spaces
        ParsedQuestion(TRUEFALSE, "团员年龄为１４至２８周岁。", correct=True),  # full-width
        ParsedQuestion(ESSAY, "团员年龄为14至28周岁。"),  # another type
        ParsedQuestion(ESSAY, "<p>Tell US</p>", stem_format="html"),
        ParsedQuestion(ESSAY, "tell us"),
    ]
    assert find_duplicates(questions) == [(1, 0), (2, 0), (5, 4)]


def test_choice_questions_with_the_same_stem_but_other_options_are_not_duplicates() -> None:
    """「下列说法正确的是」 recurs with different options; option order does not matter."""

    def choice(*options: str) -> ParsedQuestion:
        return ParsedQuestion(
            SINGLE,
            "下列说法正确的是",
            answers=[Answer(text, 1.0 if i == 0 else 0.0) for i, text in enumerate(options)],
        )

    questions = [choice("甲", "乙"), choice("丙", "丁"), choice("乙", "甲")]
    assert find_duplicates(questions) == [(2, 0)]


# --- Shared rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "problems"),
    [
        (ParsedQuestion(SINGLE, "Q", answers=[Answer("a", 1.0), Answer("b")]), []),
        (
            ParsedQuestion(SINGLE, "Q", answers=[Answer("a", 0.5), Answer("b")]),
            ["no answer is worth 100% (the best is 50%), so nobody could get full marks"],
        ),
        (
            ParsedQuestion(MULTIPLE, "Q", answers=[Answer("a", 0.3333333)] * 3 + [Answer("b", -1)]),
            [],
        ),
        (
            ParsedQuestion(MULTIPLE, "Q", answers=[Answer("a", 0.5), Answer("", 0.4)]),
            ["an answer is empty", "the positive weights add up to 90%, not 100%"],
        ),
        (
            ParsedQuestion(TRUEFALSE, ""),
            ["the question text is empty", "the true/false answer is missing"],
        ),
        (
            ParsedQuestion(
                MATCHING, "Q", pairs=[MatchPair("a", "1"), MatchPair("b", "2")], distractors=["3"]
            ),
            [],
        ),
        (ParsedQuestion("poll", "Q"), ["unknown question type poll"]),
    ],
)
def test_validate_question(question: ParsedQuestion, problems: list[str]) -> None:
    assert [str(p) for p in validate_question(question)] == problems
