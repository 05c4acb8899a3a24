"""Item statistics for a quiz, as Moodle's quiz statistics report calculates them.

Pure: plain data in, small dataclasses out. The caller picks the attempts (Moodle's default,
and ours: each member's first attempt, see `first_attempts`) and, for a breakdown by OrgUnit,
only the attempts of members in that unit.

An attempt is `{question_id: fraction}`: the fraction (0..1) each question in it earned, None
while it waits for a human grader. `marks` gives each question's mark in the quiz. A question
an attempt did not draw (random questions) is simply absent from it.

Formulas (Moodle's "Quiz statistics calculations", question/classes/statistics/questions/
calculator.php), for question i with marks x over the S attempts that hold it and X the rest of
each attempt's total (the attempt's total minus x):
- facility index F = mean(x) / mark, as a percentage;
- standard deviation SD = sqrt(sum (x - mean)^2 / (S - 1)) / mark, as a percentage;
- discrimination index D = 100 * Cov(x, X) / sqrt(V(x) V(X)), with (S - 1) in each;
- discriminative efficiency E = 100 * Cov(x, X) / Cov_max(x, X), where Cov_max pairs the x
  and X sorted each on its own (the most D could be given these two distributions).
Where Moodle divides by zero (one attempt, everyone scoring the same) the figure is None.

An attempt that still has an answer waiting for a grader has no total yet, so it is left out of
everything until it is graded; `QuizStats.pending` counts them.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from quizzes.formats.questions import MULTIPLE, SINGLE

QuestionId = Hashable
Attempt = Mapping[QuestionId, float | None]
T = TypeVar("T")

# Below this a variance is rounding noise from summing fractions such as 0.1, not spread.
_ZERO = 1e-12


@dataclass(frozen=True)
class QuestionStats:
    """One question's item statistics; percentages are of the question's mark."""

    question_id: QuestionId
    count: int  # attempts that held the question (Moodle's S)
    mark: float
    mean_mark: float | None  # mean marks earned; None with no attempts
    facility: float | None  # % ; None with no attempts or a zero mark
    sd: float | None  # % of the mark; None with fewer than 2 attempts
    discrimination_index: float | None  # % ; None when either variance is zero
    discriminative_efficiency: float | None  # % ; None when Cov_max is zero


@dataclass(frozen=True)
class ScoreBin:
    """One bar of the score distribution: attempts scoring low <= % < high (100 in the last)."""

    low: float
    high: float
    count: int


@dataclass(frozen=True)
class QuizStats:
    """The quiz as a whole, over the complete attempts; scores are % of each attempt's marks."""

    count: int  # attempts counted
    pending: int  # attempts left out because an answer waits for a grader
    mean: float | None
    median: float | None
    sd: float | None  # None with fewer than 2 attempts
    distribution: tuple[ScoreBin, ...]


def first_attempts(
    attempts: Iterable[T], member: Callable[[T], Hashable], order: Callable[[T], Any]
) -> list[T]:
    """Each member's first attempt (lowest `order`), in the order members first appear."""
    first: dict[Hashable, T] = {}
    for attempt in attempts:
        key = member(attempt)
        if key not in first or order(attempt) < order(first[key]):
            first[key] = attempt
    return list(first.values())


def complete_attempts(attempts: Iterable[Attempt]) -> list[Attempt]:
    """The attempts with every answer graded."""
    return [a for a in attempts if all(f is not None for f in a.values())]


def _total(attempt: Attempt, marks: Mapping[QuestionId, float]) -> float:
    return math.fsum(fraction * marks.get(qid, 0.0) for qid, fraction in attempt.items())


def _max_total(attempt: Attempt, marks: Mapping[QuestionId, float]) -> float:
    return math.fsum(marks.get(qid, 0.0) for qid in attempt)


def _centred(values: Sequence[float]) -> list[float]:
    mean = math.fsum(values) / len(values)
    return [v - mean for v in values]


def _sum_products(a: Sequence[float], b: Sequence[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


def question_statistics(
    attempts: Sequence[Attempt], marks: Mapping[QuestionId, float]
) -> dict[QuestionId, QuestionStats]:
    """Facility, SD, discrimination index and efficiency for every question in `marks`."""
    graded = complete_attempts(attempts)
    totals = [_total(a, marks) for a in graded]
    result = {}
    for qid, mark in marks.items():
        x = [a[qid] * mark for a in graded if qid in a]
        rest = [t - a[qid] * mark for a, t in zip(graded, totals, strict=True) if qid in a]
        result[qid] = _item_stats(qid, mark, x, rest)
    return result


def _item_stats(qid: QuestionId, mark: float, x: list[float], rest: list[float]) -> QuestionStats:
    s = len(x)
    mean = math.fsum(x) / s if s else None
    facility = 100 * mean / mark if mean is not None and mark else None
    sd = index = efficiency = None
    if s > 1:
        dx, drest = _centred(x), _centred(rest)
        var_x = _sum_products(dx, dx) / (s - 1)
        var_rest = _sum_products(drest, drest) / (s - 1)
        covariance = _sum_products(dx, drest) / (s - 1)
        covariance_max = _sum_products(sorted(dx), sorted(drest)) / (s - 1)
        if mark:
            sd = 100 * math.sqrt(var_x) / mark
        if var_x > _ZERO and var_rest > _ZERO:
            index = 100 * covariance / math.sqrt(var_x * var_rest)
        if covariance_max > _ZERO:
            efficiency = 100 * covariance / covariance_max
    return QuestionStats(qid, s, mark, mean, facility, sd, index, efficiency)


def quiz_statistics(
    attempts: Sequence[Attempt], marks: Mapping[QuestionId, float], bins: int = 10
) -> QuizStats:
    """Mean, median, SD and the distribution in `bins` equal bands of the % score."""
    complete = complete_attempts(attempts)
    graded = [a for a in complete if _max_total(a, marks) > 0]
    scores = [100 * _total(a, marks) / _max_total(a, marks) for a in graded]
    width = 100 / bins
    counts = [0] * bins
    for value in scores:
        # Rounded first so that 70% computed as 69.99999999999999 lands in the 70-80 bin.
        counts[min(max(int(round(value, 9) // width), 0), bins - 1)] += 1
    distribution = tuple(
        ScoreBin(round(i * width, 6), round((i + 1) * width, 6), counts[i]) for i in range(bins)
    )
    return QuizStats(
        count=len(scores),
        pending=len(attempts) - len(complete),
        mean=statistics.fmean(scores) if scores else None,
        median=statistics.median(scores) if scores else None,
        sd=statistics.stdev(scores) if len(scores) > 1 else None,
        distribution=distribution,
    )


def hardest_questions(stats: Iterable[QuestionStats], limit: int = 5) -> list[QuestionStats]:
    """The questions with the lowest facility first; those with no facility are left out."""
    rated = [s for s in stats if s.facility is not None]
    return sorted(rated, key=lambda s: s.facility)[:limit]


def option_frequencies(
    responses: Iterable[Mapping[QuestionId, Any]], qtypes: Mapping[QuestionId, str]
) -> dict[QuestionId, Counter]:
    """How often each option of every single and multiple choice question was chosen.

    `responses` holds one `{question_id: response}` per attempt (quizzes.spec shapes). A question
    the attempt held but did not answer counts under the key None, so shares can be taken of
    the attempts that saw it. Malformed responses count as unanswered.
    """
    result: dict[QuestionId, Counter] = {
        qid: Counter() for qid, qtype in qtypes.items() if qtype in (SINGLE, MULTIPLE)
    }
    for attempt in responses:
        for qid, counter in result.items():
            if qid not in attempt:
                continue
            chosen = _chosen_options(qtypes[qid], attempt[qid])
            if chosen:
                counter.update(chosen)
            else:
                counter[None] += 1
    return result


def _chosen_options(qtype: str, response: Any) -> list[str]:
    if not isinstance(response, Mapping):
        return []
    if qtype == SINGLE:
        option = response.get("option")
        return [option] if isinstance(option, str) and option else []
    options = response.get("options")
    if not isinstance(options, list | tuple):
        return []
    return list(dict.fromkeys(o for o in options if isinstance(o, str) and o))
