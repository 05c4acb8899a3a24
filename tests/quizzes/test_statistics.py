"""Item statistics against a small example worked by hand, and the degenerate cases."""

from __future__ import annotations

import math
import statistics
from collections import Counter

import pytest

from quizzes.formats.questions import ESSAY, MULTIPLE, SINGLE
from quizzes.statistics import (
    QuestionStats,
    ScoreBin,
    complete_attempts,
    first_attempts,
    hardest_questions,
    option_frequencies,
    question_statistics,
    quiz_statistics,
)

# Three questions worth 1, 2 and 1 marks; four first attempts (fractions of each question).
MARKS = {"q1": 1.0, "q2": 2.0, "q3": 1.0}
ATTEMPTS = [
    {"q1": 1.0, "q2": 1.0, "q3": 1.0},  # A: marks 1, 2, 1 -> total 4
    {"q1": 1.0, "q2": 0.5, "q3": 0.0},  # B: marks 1, 1, 0 -> total 2
    {"q1": 0.0, "q2": 0.5, "q3": 1.0},  # C: marks 0, 1, 1 -> total 2
    {"q1": 0.0, "q2": 0.0, "q3": 1.0},  # D: marks 0, 0, 1 -> total 1
]

# Worked by hand. For each question x = marks earned, rest = total - x, all with S - 1 = 3.
# q1: x = 1 1 0 0, rest = 3 1 2 1. mean x .5; dx = .5 .5 -.5 -.5; drest = 1.25 -.75 .25 -.75
#     V(x) = 1/3, V(rest) = 2.75/3, Cov = .5/3; D = 100 (.5/3) / sqrt(2.75/9) = 50/sqrt(2.75)
#     sorted pairs: (-.5,-.75) (-.5,-.75) (.5,.25) (.5,1.25) -> 1.5/3; E = 100 * .5 / 1.5
# q2: x = 2 1 1 0, rest = 2 1 1 1. mean 1; dx = 1 0 0 -1; drest = .75 -.25 -.25 -.25
#     V(x) = 2/3, V(rest) = .75/3, Cov = 1/3; D = 100 (1/3) / sqrt(1/6) = 100 sqrt(6) / 3
#     sorted: (-1,-.25) (0,-.25) (0,-.25) (1,.75) -> 1/3 = Cov, so E = 100
#     SD = sqrt(2/3) of a 2-mark question = 100 sqrt(2/3) / 2 %
# q3: x = 1 0 1 1, rest = 3 2 1 0. mean .75; dx = .25 -.75 .25 .25; drest = 1.5 .5 -.5 -1.5
#     V(x) = .75/3 = .25, V(rest) = 5/3, Cov = -.5/3; D = -100 sqrt(15) / 15
#     sorted: (-.75,-1.5) (.25,-.5) (.25,.5) (.25,1.5) -> 1.5/3; E = -100 (1/6) / .5
EXPECTED = {
    "q1": (50.0, 100 * math.sqrt(1 / 3), 50 / math.sqrt(2.75), 100 / 3),
    "q2": (50.0, 100 * math.sqrt(2 / 3) / 2, 100 * math.sqrt(6) / 3, 100.0),
    "q3": (75.0, 50.0, -100 * math.sqrt(15) / 15, -100 / 3),
}


def test_question_statistics_by_hand() -> None:
    stats = question_statistics(ATTEMPTS, MARKS)
    assert list(stats) == ["q1", "q2", "q3"]
    for qid, (facility, sd, index, efficiency) in EXPECTED.items():
        s = stats[qid]
        assert (s.question_id, s.count, s.mark) == (qid, 4, MARKS[qid])
        assert s.facility == pytest.approx(facility)
        assert s.sd == pytest.approx(sd)
        assert s.discrimination_index == pytest.approx(index)
        assert s.discriminative_efficiency == pytest.approx(efficiency)
    assert stats["q2"].mean_mark == pytest.approx(1.0)
    # Rounded as the report shows them.
    assert round(stats["q1"].discrimination_index, 2) == 30.15
    assert round(stats["q2"].discrimination_index, 2) == 81.65
    assert round(stats["q3"].discrimination_index, 2) == -25.82


def test_discrimination_index_is_the_correlation_with_the_rest_of_the_test() -> None:
    # The same figure reached another way: the standard library's Pearson correlation.
    stats = question_statistics(ATTEMPTS, MARKS)
    for qid, mark in MARKS.items():
        x = [a[qid] * mark for a in ATTEMPTS]
        totals = [sum(a[q] * MARKS[q] for q in MARKS) for a in ATTEMPTS]
        rest = [t - v for t, v in zip(totals, x, strict=True)]
        assert stats[qid].discrimination_index == pytest.approx(
            100 * statistics.correlation(x, rest)
        )
        assert stats[qid].sd == pytest.approx(100 * statistics.stdev(x) / mark)
        assert stats[qid].facility == pytest.approx(100 * statistics.mean(x) / mark)


def test_quiz_statistics_by_hand() -> None:
    quiz = quiz_statistics(ATTEMPTS, MARKS)
    # Totals 4, 2, 2, 1 of 4 marks: 100%, 50%, 50%, 25%.
    assert quiz.count == 4
    assert quiz.pending == 0
    assert quiz.mean == pytest.approx(56.25)
    assert quiz.median == pytest.approx(50.0)
    # Deviations 43.75, -6.25, -6.25, -31.25: squares sum to 2968.75, over S - 1 = 3.
    assert quiz.sd == pytest.approx(math.sqrt(2968.75 / 3))
    assert [b.count for b in quiz.distribution] == [0, 0, 1, 0, 0, 2, 0, 0, 0, 1]
    assert quiz.distribution[0] == ScoreBin(0.0, 10.0, 0)
    assert quiz.distribution[9] == ScoreBin(90.0, 100.0, 1)  # 100% belongs to the last bin


def test_distribution_in_other_bin_counts_and_bin_edges() -> None:
    marks = {"q": 10.0}
    attempts = [{"q": f / 10} for f in range(11)]  # 0%, 10%, ... 100%
    quiz = quiz_statistics(attempts, marks, bins=5)
    assert [(b.low, b.high, b.count) for b in quiz.distribution] == [
        (0.0, 20.0, 2),
        (20.0, 40.0, 2),
        (40.0, 60.0, 2),
        (60.0, 80.0, 2),  # 0.7 * 100 is 70.00000000000001; 0.6 * 100 is 60.00000000000001
        (80.0, 100.0, 3),
    ]
    # 7 of 10 marks computed through fractions lands in the 70-80 bin, not 60-70.
    quiz = quiz_statistics([{"a": 0.7, "b": 0.7, "c": 0.7}], {"a": 1.0, "b": 1.0, "c": 1.0})
    assert [b.count for b in quiz.distribution][7] == 1


def test_hardest_questions() -> None:
    stats = question_statistics(ATTEMPTS, MARKS)
    hardest = hardest_questions(stats.values(), limit=2)
    assert [s.question_id for s in hardest] == ["q1", "q2"]  # 50%, 50%; q3 is 75%
    assert hardest_questions(stats.values())[-1].question_id == "q3"


def test_pending_attempts_are_left_out_until_graded() -> None:
    marks = {**MARKS, "essay": 5.0}
    attempts = [{**a, "essay": 0.6} for a in ATTEMPTS] + [
        {"q1": 1.0, "q2": 1.0, "q3": 1.0, "essay": None}
    ]
    assert len(complete_attempts(attempts)) == 4
    quiz = quiz_statistics(attempts, marks)
    assert (quiz.count, quiz.pending) == (4, 1)
    stats = question_statistics(attempts, marks)
    assert stats["q1"].count == 4
    # Everyone scored 3 on the essay: it has no spread, and adds 3 to every rest-of-test score,
    # which leaves every other question's figures as they were.
    assert stats["essay"].discrimination_index is None
    assert stats["essay"].sd == pytest.approx(0.0)
    assert stats["q1"].discrimination_index == pytest.approx(EXPECTED["q1"][2])


def test_randomly_drawn_questions_count_only_where_drawn() -> None:
    marks = {"a": 1.0, "b": 1.0, "c": 1.0}
    attempts = [{"a": 1.0, "b": 1.0}, {"a": 0.0, "c": 1.0}, {"b": 0.0, "c": 0.0}]
    stats = question_statistics(attempts, marks)
    assert [stats[q].count for q in "abc"] == [2, 2, 2]
    assert stats["a"].facility == pytest.approx(50.0)
    # Each attempt's score is of the marks it held: 100%, 50%, 0%.
    quiz = quiz_statistics(attempts, marks)
    assert quiz.mean == pytest.approx(50.0)


def test_one_attempt() -> None:
    stats = question_statistics([ATTEMPTS[0]], MARKS)
    s = stats["q1"]
    assert (s.count, s.facility) == (1, 100.0)
    assert s.sd is None
    assert s.discrimination_index is None
    assert s.discriminative_efficiency is None
    quiz = quiz_statistics([ATTEMPTS[0]], MARKS)
    assert (quiz.count, quiz.mean, quiz.median, quiz.sd) == (1, 100.0, 100.0, None)


def test_no_attempts() -> None:
    stats = question_statistics([], MARKS)
    assert stats["q1"] == QuestionStats("q1", 0, 1.0, None, None, None, None, None)
    assert hardest_questions(stats.values()) == []
    quiz = quiz_statistics([], MARKS)
    assert (quiz.count, quiz.pending, quiz.mean, quiz.median, quiz.sd) == (0, 0, None, None, None)
    assert sum(b.count for b in quiz.distribution) == 0


def test_everyone_right_or_everyone_alike_gives_no_discrimination() -> None:
    marks = {"easy": 1.0, "other": 1.0}
    attempts = [{"easy": 1.0, "other": f} for f in (0.0, 0.5, 1.0)]
    easy = question_statistics(attempts, marks)["easy"]
    assert easy.facility == 100.0
    assert easy.sd == 0.0
    assert easy.discrimination_index is None
    assert easy.discriminative_efficiency is None
    # Fractions such as 0.1 leave rounding noise in a variance; it is still no spread.
    attempts = [{"a": 0.1, "b": f} for f in (0.1, 0.7, 0.3)] * 3
    stats = question_statistics(attempts, {"a": 3.0, "b": 3.0})
    assert stats["a"].discrimination_index is None
    assert stats["a"].facility == pytest.approx(10.0)
    assert stats["b"].discrimination_index is None  # the rest (question a) has no spread


def test_zero_mark_question_has_no_facility() -> None:
    stats = question_statistics([{"d": 0.0, "q": 1.0}, {"d": 0.0, "q": 0.0}], {"d": 0.0, "q": 1.0})
    assert stats["d"].facility is None
    assert stats["d"].sd is None
    assert hardest_questions(stats.values()) == [stats["q"]]
    quiz = quiz_statistics([{"d": 0.0}], {"d": 0.0})  # nothing to score out of
    assert quiz.count == 0


def test_first_attempts() -> None:
    rows = [
        ("li", 2, "li-2"),
        ("wang", 1, "wang-1"),
        ("li", 1, "li-1"),
        ("zhang", 3, "zhang-3"),
        ("wang", 2, "wang-2"),
    ]
    picked = first_attempts(rows, member=lambda r: r[0], order=lambda r: r[1])
    assert [r[2] for r in picked] == ["li-1", "wang-1", "zhang-3"]


def test_option_frequencies() -> None:
    qtypes = {"s": SINGLE, "m": MULTIPLE, "e": ESSAY}
    responses = [
        {"s": {"option": "o1"}, "m": {"options": ["o1", "o2"]}, "e": {"text": "…"}},
        {"s": {"option": "o2"}, "m": {"options": ["o2", "o2"]}},  # a repeat counts once
        {"s": {"option": "o1"}, "m": {"options": []}},
        {"s": None, "m": {"options": "o1"}},  # unanswered, and malformed
        {"s": {"option": 3}},  # malformed; m was not drawn in this attempt
        {},
    ]
    freq = option_frequencies(responses, qtypes)
    assert set(freq) == {"s", "m"}  # only choice questions
    assert freq["s"] == Counter({"o1": 2, "o2": 1, None: 2})
    assert freq["m"] == Counter({"o2": 2, "o1": 1, None: 2})
