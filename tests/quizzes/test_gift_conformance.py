"""GIFT conformance: Moodle's own fixtures, and the GIFT-grammar-PEG.js corpus.

The corpora live in /work/shared/corpora (see SOURCES.md there); they are third-party data and are
not copied into the project, so these tests skip when the folder is absent.

The PEG.js corpus gives, for each `X.gift`, the parse its grammar expects in `X.json` (three JSON
shapes from different points of that repository's history). We compare the fields that map onto
ours, after normalising whitespace and the shape differences, and fail on any mismatch that is
not in KNOWN_DEVIATIONS, where each entry says why our reading (Moodle's) differs.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from quizzes.formats.gift import parse_gift, to_gift
from quizzes.formats.questions import (
    DESCRIPTION,
    ESSAY,
    MATCHING,
    MULTIPLE,
    NUMERICAL,
    SHORTANSWER,
    SINGLE,
    TRUEFALSE,
    Answer,
    ParsedQuestion,
)

SHARED = Path(__file__).resolve().parents[3] / "shared"
CORPORA = SHARED / "corpora" / "gift"
PEG = CORPORA / "peg"
MOODLE = CORPORA / "moodle"

needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason=f"{CORPORA} is not available")

PEG_TYPES = {
    SINGLE: "MC",
    MULTIPLE: "MC",
    TRUEFALSE: "TF",
    SHORTANSWER: "Short",
    NUMERICAL: "Numerical",
    MATCHING: "Matching",
    ESSAY: "Essay",
    DESCRIPTION: "Description",
}

# (file, question index, field) -> why our reading differs from the PEG.js expectation.
# Moodle's qformat_gift is the authority; PEG.js deviates from it in the places listed here.
KNOWN_DEVIATIONS: dict[tuple[str, int, str], str] = {
    # The oldest PEG.js expectations call every {=a =b} question "MC"; Moodle (and newer PEG.js
    # expectations, e.g. shortAnswer2.json) read answers with only "=" as a short answer.
    ("mc3", 0, "type"): "Moodle: only = answers and no ~ is a short-answer question",
    ("shortAnswer1", 0, "type"): "Moodle: only = answers and no ~ is a short-answer question",
    ("shortAnswer1", 1, "type"): "Moodle: only = answers and no ~ is a short-answer question",
    ("options1", 1, "type"): "Moodle: {=China} is a short-answer question",
    ("options1", 4, "type"): "Moodle: only = answers and no ~ is a short-answer question",
    ("options1", 5, "type"): "Moodle: only = answers and no ~ is a short-answer question",
    ("options1", 9, "type"): "Moodle: only = answers and no ~ is a short-answer question",
    # PEG.js strips `//` comments anywhere in a line (after the title, after the stem, inside the
    # braces). Moodle only ignores lines that start with //, so the rest is text: the stem keeps
    # "// This is a comment after the title", and the answer text "// ... F // ..." is no longer
    # T/F, so Moodle reads a short answer. Stripping inline // would also cut URLs (http://...).
    ("comments", 0, "type"): "Moodle ignores only whole // lines, not inline comments",
    ("comments", 0, "stem"): "Moodle ignores only whole // lines, not inline comments",
    ("comments", 0, "truefalse"): "Moodle ignores only whole // lines, not inline comments",
    # Moodle reads every short answer through commentparser() -> parse_text_with_format(), which
    # takes a leading [html] off the answer; this PEG.js expectation keeps it as answer text.
    ("type_inferred_multiline_markdown", 0, "answers"): "Moodle drops an answer's [html] prefix",
}


# --- Normalising both sides to one comparable shape -----------------------------------------------


def _norm(text: object) -> str | None:
    """Whitespace collapsed, and none around the blank (PEG.js writes " _____ ")."""
    if isinstance(text, dict):
        text = text.get("text")
    if text is None:
        return None
    text = " ".join(str(text).split())
    return re.sub(r"\s*_____\s*", "_____", text) or None


def _first(data: dict, *keys: str) -> object:
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None


def _peg_weight(choice: dict) -> float:
    """PEG.js gives isCorrect (an = answer) and a weight only when one is written."""
    if choice.get("weight") is not None:
        return float(choice["weight"])
    return 100.0 if choice.get("isCorrect") else 0.0


def _peg_number(spec: object) -> tuple[float | None, float]:
    if spec == "*" or spec is None:
        return None, 0.0
    assert isinstance(spec, dict)
    if spec["type"] == "simple":
        return float(spec["number"]), 0.0
    if spec["type"] == "range":
        return float(spec["number"]), float(spec["range"])
    low, high = float(spec["numberLow"]), float(spec["numberHigh"])
    return (low + high) / 2, (high - low) / 2


def peg_view(expected: dict) -> dict:
    """A PEG.js question in the comparable shape."""
    view: dict = {
        "type": expected["type"],
        "title": expected.get("title"),
        "stem": _norm(_first(expected, "stem", "formattedStem")),
        "blank": bool(expected.get("hasEmbeddedAnswers")),
        "general_feedback": _norm(_first(expected, "globalFeedback", "formattedGlobalFeedback")),
    }
    if expected.get("id") is not None:
        view["id"] = expected["id"]
    if expected.get("tags"):
        view["tags"] = expected["tags"]
    qtype = expected["type"]
    if qtype in ("MC", "Short"):
        view["answers"] = [
            (
                _norm(_first(choice, "text", "formattedText")),
                _peg_weight(choice),
                _norm(_first(choice, "feedback", "formattedFeedback")),
            )
            for choice in expected["choices"]
        ]
    elif qtype == "TF":
        view["truefalse"] = (
            expected["isTrue"],
            _norm(expected.get("incorrectFeedback")),
            _norm(expected.get("correctFeedback")),
        )
    elif qtype == "Numerical":
        choices = expected["choices"]
        if isinstance(choices, dict):  # the oldest shape: one answer, no weight or feedback
            choices = [{"isCorrect": True, "text": choices}]
        view["numbers"] = [
            (
                *_peg_number(_first(choice, "answer", "text")),
                _peg_weight(choice),
                _norm(_first(choice, "feedback", "formattedFeedback")),
            )
            for choice in choices
        ]
    elif qtype == "Matching":
        view["pairs"] = [
            (_norm(_first(pair, "subquestion", "formattedSubquestion")), _norm(pair["subanswer"]))
            for pair in expected["matchPairs"]
        ]
    return view


def our_view(question: ParsedQuestion, expected: dict) -> dict:
    """Our question in the comparable shape, with only the optional keys the expectation has."""
    view: dict = {
        "type": PEG_TYPES[question.qtype],
        "title": question.name or None,
        "stem": _norm(question.stem),
        "blank": question.blank is not None,
        "general_feedback": _norm(question.general_feedback),
    }
    if "id" in expected:
        view["id"] = question.idnumber or None
    if "tags" in expected:
        view["tags"] = question.tags
    if question.qtype in (SINGLE, MULTIPLE, SHORTANSWER):
        view["answers"] = [
            (_norm(answer.text), answer.fraction * 100, _norm(answer.feedback))
            for answer in question.answers
        ]
    elif question.qtype == TRUEFALSE:
        wrong, right = question.false_feedback, question.true_feedback
        if not question.correct:
            wrong, right = right, wrong
        view["truefalse"] = (question.correct, _norm(wrong), _norm(right))
    elif question.qtype == NUMERICAL:
        view["numbers"] = [
            (answer.value, answer.tolerance, answer.fraction * 100, _norm(answer.feedback))
            for answer in question.numerical
        ]
    elif question.qtype == MATCHING:
        view["pairs"] = [(_norm(p.question), _norm(p.answer)) for p in question.pairs]
        view["pairs"] += [(None, _norm(answer)) for answer in question.distractors]
    return view


def _same(ours: object, theirs: object) -> bool:
    """Equality, with floats compared approximately (PEG.js computes ranges in JavaScript)."""
    if isinstance(ours, float | int) and isinstance(theirs, float | int):
        return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(ours, list | tuple) and isinstance(theirs, list | tuple):
        return len(ours) == len(theirs) and all(map(_same, ours, theirs))
    return ours == theirs


def peg_cases() -> list[str]:
    if not PEG.is_dir():
        return []
    return sorted(p.stem for p in PEG.glob("*.gift") if p.with_suffix(".json").exists())


def compare(name: str) -> list[tuple[tuple[str, int, str], str]]:
    """Every mismatch between our parse of peg/NAME.gift and peg/NAME.json."""
    result = parse_gift((PEG / f"{name}.gift").read_text(encoding="utf-8"))
    expected = json.loads((PEG / f"{name}.json").read_text(encoding="utf-8"))
    mismatches: list[tuple[tuple[str, int, str], str]] = []
    categories = [q["title"] for q in expected if q["type"] == "Category"]
    if result.categories != categories:
        mismatches.append(((name, -1, "categories"), f"{result.categories!r} != {categories!r}"))
    for error in result.errors:
        mismatches.append(((name, -1, "errors"), str(error)))
    expected_questions = [q for q in expected if q["type"] != "Category"]
    if len(result.questions) != len(expected_questions):
        mismatches.append(
            (
                (name, -1, "count"),
                f"{len(result.questions)} questions, expected {len(expected_questions)}",
            )
        )
    for index, (question, want) in enumerate(
        zip(result.questions, expected_questions, strict=False)
    ):
        theirs, ours = peg_view(want), our_view(question, want)
        for field in theirs:
            if not _same(ours.get(field), theirs[field]):
                mismatches.append(
                    ((name, index, field), f"ours {ours.get(field)!r} != PEG {theirs[field]!r}")
                )
    return mismatches


# --- The tests ------------------------------------------------------------------------------------


@needs_corpora
@pytest.mark.parametrize("name", peg_cases())
def test_peg_corpus_matches_except_known_deviations(name: str) -> None:
    unexpected = [
        f"{key}: {detail}" for key, detail in compare(name) if key not in KNOWN_DEVIATIONS
    ]
    assert not unexpected, "\n".join(unexpected)


@needs_corpora
def test_every_known_deviation_still_happens() -> None:
    """An allowlist entry that no longer mismatches is stale and must go."""
    found = {key for name in peg_cases() for key, _ in compare(name)}
    stale = sorted(set(KNOWN_DEVIATIONS) - found)
    assert not stale


@needs_corpora
def test_peg_corpus_has_cases() -> None:
    assert len(peg_cases()) >= 40


@needs_corpora
@pytest.mark.parametrize("name", peg_cases())
def test_peg_corpus_round_trips(name: str) -> None:
    first = parse_gift((PEG / f"{name}.gift").read_text(encoding="utf-8"))
    again = parse_gift(to_gift(first.questions))
    assert again.errors == []
    assert again.questions == first.questions


# --- Moodle's own fixtures ------------------------------------------------------------------------


@needs_corpora
def test_moodle_fixture_imports_exactly_nine_questions() -> None:
    """Moodle's behat test expects "Importing 9 questions from file" for this fixture."""
    result = parse_gift((MOODLE / "questions.gift.txt").read_text(encoding="utf-8"))
    assert result.errors == []
    assert [(q.qtype, q.name) for q in result.questions] == [
        (ESSAY, "Q8"),
        (MATCHING, "Moodle activities"),
        (SINGLE, "Q2"),
        (MULTIPLE, "colours"),
        (NUMERICAL, "Q5"),
        (SHORTANSWER, "Shortanswer"),
        (TRUEFALSE, "Q1"),
        (TRUEFALSE, "2-08 TSL"),
        (TRUEFALSE, "2-08 TSL"),
    ]
    essay, match, single, multiple, numerical, short, tf1, tf2, tf3 = result.questions
    assert essay.stem == "How are you?"
    assert match.stem_format == "html"
    assert [(p.question, p.answer) for p in match.pairs] == [
        ("An activity supporting asynchronous discussions.", "Forum"),
        ("A teacher asks a question and specifies a choice of multiple responses.", "Choice"),
        ("A bank of record entries which participants can add to.", "Database"),
        ("A collection of web pages that anyone can add to or edit.", "Wiki"),
    ]
    assert match.distractors == ["Chat"]
    assert [a.fraction for a in single.answers] == [1.0, 0.0, 0.0]
    assert [a.fraction for a in multiple.answers] == [0.5, -1.0, 0.5, -1.0]
    # The fixture keeps '";' after the braces (a leftover of the PHP test it came from), so, as
    # in Moodle, the answers sit in mid-text and the question is a missing-word one.
    assert numerical.blank == ("What is a number from 1 to 5? ", '";')
    assert [(n.value, n.tolerance, n.fraction, n.feedback) for n in numerical.numerical] == [
        (3.0, 2.0, 1.0, ""),
        (None, 0.0, 0.0, "Completely wrong"),
    ]
    assert [(a.text, a.fraction) for a in short.answers] == [
        ("Frog", 1.0),
        ("Cat", 0.5),
        ("*", 0.0),
    ]
    assert (tf1.correct, tf1.true_feedback, tf1.false_feedback) == (
        False,
        "42 is the Ultimate Answer.",
        "You gave the right answer.",
    )
    assert tf1.general_feedback.startswith("This is, of course")
    assert (tf2.correct, tf3.correct) == (True, True)


@needs_corpora
def test_moodle_fixture_in_category() -> None:
    result = parse_gift((MOODLE / "questions_in_category.gift.txt").read_text(encoding="utf-8"))
    assert result.errors == []
    assert result.categories == ["$course$/Default for New Features"]
    assert [(q.qtype, q.name, q.category) for q in result.questions] == [
        (MATCHING, "Moodle activities", "$course$/Default for New Features"),
        (SINGLE, "Greeting", "$course$/Default for New Features"),
        (SHORTANSWER, "Moodle user", "$course$/Default for New Features"),
        (TRUEFALSE, "Moodle acronym", "$course$/Default for New Features"),
    ]
    greeting = result.questions[1]
    assert greeting.stem == (
        '<a href="http://demo.moodle.net/file.php/5/media/bonjour.mp3">Listen to this greeting:'
        "</a><br /><br />What language is being spoken?"
    )


@needs_corpora
def test_moodle_examples_file() -> None:
    result = parse_gift((MOODLE / "examples.txt").read_text(encoding="utf-8"))
    assert result.errors == []
    assert len(result.questions) == 43
    by_stem = {q.stem: q for q in result.questions}
    grant = by_stem["Grant is _____ in Grant's tomb."]
    assert grant.blank == ("Grant is ", " in Grant's tomb.")
    control = next(q for q in result.questions if q.name == "GIFT Control Characters")
    assert [a.text for a in control.answers] == ["~", "=", "#", "{", "}", "\\"]
    assert control.answers[-1].feedback.startswith("Correct! \\ (backslash) is not a control")
    hometown = next(q for q in result.questions if q.name == "Jesus' hometown")
    assert [a.fraction for a in hometown.answers] == [0.0, 0.25, 0.5, 1.0]
    assert hometown.qtype == SINGLE
    again = parse_gift(to_gift(result.questions))
    assert again.questions == result.questions


# --- Naughty strings ------------------------------------------------------------------------------

NAUGHTY = SHARED / "corpora" / "naughty" / "blns.json"


@pytest.mark.skipif(not NAUGHTY.exists(), reason=f"{NAUGHTY} is not available")
def test_naughty_strings_round_trip_in_every_text() -> None:
    """Each string, as name, stem, option, feedback and general feedback, survives export.

    Texts are compared as an import leaves them: CR/CRLF read as LF, ends trimmed.
    """
    strings = json.loads(NAUGHTY.read_text(encoding="utf-8"))
    questions = []
    for raw in strings:
        text = raw.replace("\r\n", "\n").replace("\r", "\n").strip(" \t\n\r\0\x0b")
        if not text:
            continue
        questions.append(
            ParsedQuestion(
                SINGLE,
                text,
                name=text,
                general_feedback=text,
                answers=[Answer(text, 1.0, text), Answer("other", 0.0)],
            )
        )
        questions.append(
            ParsedQuestion(TRUEFALSE, text, correct=False, true_feedback=text, false_feedback=text)
        )
    result = parse_gift(to_gift(questions))
    assert [str(e) for e in result.errors] == []
    mismatched = [q.stem for q, back in zip(questions, result.questions, strict=True) if q != back]
    assert mismatched == []
