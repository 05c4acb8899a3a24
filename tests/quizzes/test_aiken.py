"""Aiken import: Moodle's fixtures, the forms Chinese users type, and errors by line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from quizzes.formats.aiken import parse_aiken
from quizzes.formats.questions import SINGLE

SHARED = Path(__file__).resolve().parents[3] / "shared"
AIKEN = SHARED / "corpora" / "aiken" / "moodle"
needs_corpora = pytest.mark.skipif(not AIKEN.is_dir(), reason=f"{AIKEN} is not available")


def read(text: str):
    return parse_aiken(textwrap.dedent(text))


def summary(text: str) -> list[tuple[str, list[tuple[str, float]]]]:
    result = read(text)
    assert [str(e) for e in result.errors] == []
    return [(q.stem, [(a.text, a.fraction) for a in q.answers]) for q in result.questions]


@needs_corpora
def test_moodle_valid_fixture() -> None:
    result = parse_aiken((AIKEN / "questions.aiken.txt").read_text(encoding="utf-8"))
    assert result.errors == []
    first, second = result.questions
    assert (first.qtype, first.stem, first.line) == (
        SINGLE,
        "The Moodle project was started by:",
        1,
    )
    assert [(a.text, a.fraction) for a in first.answers] == [
        ("Petr Skoda", 0.0),
        ("Martin Dougiamas", 1.0),
        ("Eloy Lafuente", 0.0),
        ("Tim Hunt", 0.0),
    ]
    # Plain text, kept as typed: rendering escapes it, so no HTML entities here.
    assert second.stem_format == "plain"
    assert second.stem == (
        'Moodle\'s abilities include handling user input that includes <html class="cool"> & '
        "images:"
    )
    assert [(a.text, a.fraction) for a in second.answers] == [("True", 1.0), ("False", 0.0)]


@needs_corpora
def test_moodle_errors_fixture() -> None:
    """The errors and lines Moodle's aikenformat_test expects, and its two good questions."""
    result = parse_aiken((AIKEN / "aiken_errors.txt").read_text(encoding="utf-8"))
    assert [(q.stem, q.line) for q in result.questions] == [
        ("A good question", 9),
        ("A second good question", 18),
    ]
    assert [a.fraction for a in result.questions[0].answers] == [1.0, 0.0]
    # "A)Incorrect (No space)": the space after the letter is optional.
    assert [(a.text, a.fraction) for a in result.questions[1].answers] == [
        ("Incorrect (No space)", 0.0),
        ("Correct (No space)", 1.0),
    ]
    found = [(e.line, e.at_line, str(e.message)) for e in result.errors]
    assert found == [
        # Moodle: "Question must have at least 2 answers on line 3"
        (1, 3, "a question must have at least 2 options"),
        # Moodle: "Question not started on line 5" and "... on line 7"
        (5, None, "an option outside a question; a question starts with its text"),
        (7, None, "an ANSWER line outside a question; a question starts with its text"),
        # Moodle: "Question not completed before next question start on line 18"
        (14, 18, "the question has no ANSWER line before the next question starts"),
    ]


def test_chinese_forms_of_letters_and_answer() -> None:
    assert summary("""\
        中国共产主义青年团成立于哪一年？
        Ａ．1920
        B、1922
        C）1925
        D. 1949
        答案：B

        团的基层组织是？
        A. 团支部
        B. 团委
        ANSWER: a
        """) == [
        (
            "中国共产主义青年团成立于哪一年？",
            [("1920", 0.0), ("1922", 1.0), ("1925", 0.0), ("1949", 0.0)],
        ),
        ("团的基层组织是？", [("团支部", 1.0), ("团委", 0.0)]),
    ]


def test_question_text_over_several_lines() -> None:
    assert summary("""\
        Read the passage:
        "Learning is a treasure."
        What is learning?
        A) A treasure
        B) A burden
        ANSWER: A
        """) == [
        (
            'Read the passage:\n"Learning is a treasure."\nWhat is learning?',
            [("A treasure", 1.0), ("A burden", 0.0)],
        ),
    ]


def test_crlf_and_bom() -> None:
    result = parse_aiken("\ufeffQ?\r\nA. yes\r\nB. no\r\nANSWER: B\r\n")
    assert [(q.stem, q.answers[1].fraction) for q in result.questions] == [("Q?", 1.0)]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("ANSWER: C", "the answer is C but there is no option C"),
        (
            "ANSWER: AB",
            "an Aiken question has one right option; write one letter such as B, not AB",
        ),
        ("ANSWER:", "the ANSWER line gives no letter"),
        ("ANSWER: 1", "an Aiken question has one right option; write one letter such as B, not 1"),
    ],
)
def test_bad_answer_lines(answer: str, message: str) -> None:
    result = read(f"Q?\nA. yes\nB. no\n{answer}\n")
    assert result.questions == []
    assert [(e.line, e.at_line, str(e.message)) for e in result.errors] == [(1, 4, message)]


def test_options_out_of_order_and_empty() -> None:
    result = read("Q?\nA. yes\nC. no\nD.\nANSWER: A\n")
    assert result.questions == []
    assert [(e.at_line, str(e.message)) for e in result.errors] == [
        (3, "options must be lettered A, B, C… in order: expected B, found C"),
        (4, "options must be lettered A, B, C… in order: expected C, found D"),
        (4, "option D is empty"),
    ]


def test_missing_answer_at_the_end_and_reading_goes_on() -> None:
    result = read("""\
        First?
        A. x
        B. y

        Second?
        A. x
        B. y
        ANSWER: B

        Third?
        A. x
        B. y
        """)
    assert [q.stem for q in result.questions] == ["Second?"]
    assert [(e.line, e.at_line, str(e.message)) for e in result.errors] == [
        (1, 5, "the question has no ANSWER line before the next question starts"),
        (10, None, "the question has no ANSWER line before the end of the file"),
    ]
