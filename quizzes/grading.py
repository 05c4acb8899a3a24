"""Grading: a member's response to one question, scored by the rules Moodle grades by.

Pure: no database, no Flask app. `grade(qtype, data, response)` reads question `data` and a
`response` shaped as quizzes.spec describes and returns a `Grade`. A response can come from a
phone on a bad line or from a hand-made API request, so a missing, empty or malformed response
never raises: it is unanswered (nothing given) or wrong (something given that is not an answer).
Only a question type the engine does not know raises ValueError; that is a bug, not input.

Where we differ from Moodle, on purpose:
- shortanswer and numerical take the *best* matching answer (highest fraction, the first one
  on a tie) rather than Moodle's first match, so answer order in a bank cannot cost a member
  marks. A `*` catch-all (numerical value None) is only used when nothing else matches.
- numerical text that is not a number is wrong, and gets no catch-all credit or feedback.
- description: nothing to answer and no mark; fraction 0.0 with state "info", so a fraction
  of None keeps meaning one thing only: waiting for a human grader.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from statistics import fmean
from typing import Any

from quizzes.formats.questions import (
    DESCRIPTION,
    ESSAY,
    MATCHING,
    MULTIPLE,
    NUMERICAL,
    SHORTANSWER,
    SINGLE,
    TRUEFALSE,
)

RIGHT = "right"
PARTIAL = "partial"
WRONG = "wrong"
UNANSWERED = "unanswered"
NEEDS_GRADING = "needs_grading"
INFO = "info"  # a description: shown, never answered, never marked
STATES = (RIGHT, PARTIAL, WRONG, UNANSWERED, NEEDS_GRADING, INFO)

GRADING_METHODS = ("highest", "last", "first", "average")

# Moodle's question_state::graded_state_for_fraction uses the same margin.
_EPSILON = 1e-6


@dataclass(frozen=True)
class Grade:
    """The outcome of grading one response.

    `fraction` is 0..1 of the question's mark, None while an essay waits for a human grader.
    `detail` is JSON-ready, for the review page: per-option or per-pair states, what was chosen,
    and under "feedback" the feedback that applies ([{"id", "text", "html"}], empty ones left
    out). Whether a member may see it is the review policy's business, not grading's.
    """

    fraction: float | None
    state: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def needs_grading(self) -> bool:
        return self.state == NEEDS_GRADING


def state_for_fraction(fraction: float) -> str:
    """right, partial or wrong, with Moodle's margin for floating-point sums."""
    if fraction >= 1 - _EPSILON:
        return RIGHT
    if fraction <= _EPSILON:
        return WRONG
    return PARTIAL


def grade(qtype: str, data: Mapping[str, Any], response: Mapping[str, Any] | None) -> Grade:
    """Grade one response to a question of type `qtype` with answer data `data`."""
    try:
        grader = _GRADERS[qtype]
    except KeyError:
        raise ValueError(f"unknown question type {qtype!r}") from None
    if not isinstance(response, Mapping):
        response = {}
    return grader(data or {}, response)


def score(fraction: float | None, mark: float) -> float | None:
    """Marks earned: fraction x mark, rounded half up to 2 decimals as Moodle shows them.

    None (not graded yet) stays None.
    """
    if fraction is None:
        return None
    return _round2(fraction * mark)


def combine_attempts(scores: Sequence[float], method: str) -> float | None:
    """A member's quiz grade from the scores of graded attempts, in attempt order.

    `method` is one of GRADING_METHODS. None when there is no attempt. Leave out attempts
    still waiting for a grader: their score is not known yet.
    """
    if method not in GRADING_METHODS:
        raise ValueError(f"unknown grading method {method!r}")
    if not scores:
        return None
    if method == "highest":
        return max(scores)
    if method == "first":
        return scores[0]
    if method == "last":
        return scores[-1]
    return fmean(scores)


def _round2(value: float) -> float:
    # repr() is the shortest text that reads back as `value`: 2.675 rounds to 2.68, as in
    # PHP, where round(2.675, 2) in binary floating point gives 2.67.
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


# --- Normalising what members type ---------------------------------------------------------

_SPACES = re.compile(r"\s+")


def normalise_answer(text: str, *, case_sensitive: bool = False) -> str:
    """A typed answer as compared: NFKC, trimmed, inner whitespace collapsed, case folded.

    NFKC makes the full-width forms a Chinese input method types (ＡＢＣ１２３, ＣＯＶＩＤ－１９,
    the ideographic space U+3000) equal to their half-width forms.
    """
    return _normalise_part(text, case_sensitive=case_sensitive).strip()


def _normalise_part(text: str, *, case_sensitive: bool) -> str:
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", text))
    return text if case_sensitive else text.casefold()


_UNESCAPED_STARS = re.compile(r"(?<!\\)\*+")


def wildcard_match(response: str, pattern: str, *, case_sensitive: bool = False) -> bool:
    """Whether a typed response matches an accepted answer, where `*` is any run of characters.

    As Moodle's shortanswer: `\\*` is a literal star. Both sides are normalised first; the star is
    found before normalising, so a full-width ＊ is a literal star, not a wildcard.
    """
    bits = _UNESCAPED_STARS.split(pattern)
    parts = [
        _normalise_part(bit.replace("\\*", "*"), case_sensitive=case_sensitive) for bit in bits
    ]
    parts[0] = parts[0].lstrip()
    parts[-1] = parts[-1].rstrip()
    if len(parts) == 1:
        return normalise_answer(response, case_sensitive=case_sensitive) == parts[0]
    regex = ".*".join(re.escape(part) for part in parts)
    text = normalise_answer(response, case_sensitive=case_sensitive)
    return re.fullmatch(regex, text, flags=re.DOTALL) is not None


# Digits with optional sign, decimal point and exponent; thousands separators only in groups of
# three ("1,949" but not "1,9"). Not float(): that also reads "nan", "inf" and "1_000".
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?(?:[eE][+-]?\d+)?")
_DIGIT = re.compile(r"\d")


def parse_number(text: str) -> float | None:
    """A typed number, or None when the text is not one.

    NFKC first, so full-width １９４９, －３ and ３．１４ read; the minus sign U+2212 and an
    ideographic full stop between digits (3。14, as some input methods type) read too.
    """
    if not isinstance(text, str):
        return None
    text = unicodedata.normalize("NFKC", text).strip().replace("\u2212", "-")
    text = re.sub(r"(?<=\d)\u3002(?=\d)", ".", text)
    if not _NUMBER.fullmatch(text) or not _DIGIT.search(text.split("e")[0].split("E")[0]):
        return None
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


# --- One grader per type -------------------------------------------------------------------


def _feedback(source: str, text: Any, html: Any) -> list[dict[str, str]]:
    if not text and not html:
        return []
    return [{"id": source, "text": text or "", "html": html or ""}]


def _fraction(value: Any) -> float:
    try:
        fraction = float(value)
    except (TypeError, ValueError):
        return 0.0
    return fraction if math.isfinite(fraction) else 0.0


def _options(data: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {
        option["id"]: option
        for option in data.get("options") or []
        if isinstance(option, Mapping) and "id" in option
    }


def _option_detail(options: Mapping[str, Mapping[str, Any]], chosen: set[str]) -> dict:
    return {
        option_id: {
            "chosen": option_id in chosen,
            "fraction": _fraction(option.get("fraction")),
            "state": state_for_fraction(_fraction(option.get("fraction"))),
        }
        for option_id, option in options.items()
    }


def _grade_single(data: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
    options = _options(data)
    chosen = response.get("option")
    if chosen is None or chosen == "":
        return Grade(0.0, UNANSWERED, {"chosen": None, "options": _option_detail(options, set())})
    if not isinstance(chosen, str) or chosen not in options:
        detail = {"chosen": None, "invalid": True, "options": _option_detail(options, set())}
        return Grade(0.0, WRONG, detail)
    option = options[chosen]
    fraction = min(max(_fraction(option.get("fraction")), 0.0), 1.0)
    detail = {
        "chosen": chosen,
        "options": _option_detail(options, {chosen}),
        "feedback": _feedback(chosen, option.get("feedback"), option.get("feedback_html")),
    }
    return Grade(fraction, state_for_fraction(fraction), detail)


def _grade_multiple(data: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
    options = _options(data)
    given = response.get("options")
    if given is None or given == [] or given == "":
        return Grade(0.0, UNANSWERED, {"chosen": [], "options": _option_detail(options, set())})
    if not isinstance(given, list | tuple):
        detail = {"chosen": [], "invalid": True, "options": _option_detail(options, set())}
        return Grade(0.0, WRONG, detail)
    # Each option counts once however often it is sent, and in the question's order.
    given_ids = {item for item in given if isinstance(item, str)}
    chosen = [option_id for option_id in options if option_id in given_ids]
    total = sum(_fraction(options[option_id].get("fraction")) for option_id in chosen)
    fraction = min(max(total, 0.0), 1.0)
    feedback = [
        item
        for option_id in chosen
        for item in _feedback(
            option_id, options[option_id].get("feedback"), options[option_id].get("feedback_html")
        )
    ]
    detail: dict[str, Any] = {
        "chosen": chosen,
        "options": _option_detail(options, set(chosen)),
        "feedback": feedback,
    }
    if len(chosen) != len(given):
        detail["invalid"] = True  # unknown ids, repeats or non-strings were ignored
    return Grade(fraction, state_for_fraction(fraction), detail)


def _grade_truefalse(data: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
    value = response.get("value")
    correct = data.get("correct")
    if value is None:
        return Grade(0.0, UNANSWERED, {"chosen": None, "correct": correct})
    if not isinstance(value, bool):
        return Grade(0.0, WRONG, {"chosen": None, "correct": correct, "invalid": True})
    key = "true" if value else "false"
    fraction = 1.0 if value is correct else 0.0
    detail = {
        "chosen": value,
        "correct": correct,
        "feedback": _feedback(key, data.get(f"{key}_feedback"), data.get(f"{key}_feedback_html")),
    }
    return Grade(fraction, state_for_fraction(fraction), detail)


def _best(candidates: list[tuple[int, float]]) -> tuple[int, float] | None:
    """The highest fraction; on a tie, the earliest answer."""
    best = None
    for index, fraction in candidates:
        if best is None or fraction > best[1]:
            best = (index, fraction)
    return best


def _typed_text(response: Mapping[str, Any]) -> str | None:
    text = response.get("text")
    return text if isinstance(text, str) else None


def _grade_shortanswer(data: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
    text = _typed_text(response)
    if text is None and response.get("text") is not None:
        return Grade(0.0, WRONG, {"matched": None, "invalid": True})
    if text is None or not normalise_answer(text):
        return Grade(0.0, UNANSWERED, {"matched": None})
    case_sensitive = bool(data.get("case_sensitive"))
    answers = [a for a in data.get("answers") or [] if isinstance(a, Mapping)]
    matches = [
        (index, _fraction(answer.get("fraction")))
        for index, answer in enumerate(answers)
        if isinstance(answer.get("text"), str)
        and answer["text"].strip()
        and wildcard_match(text, answer["text"], case_sensitive=case_sensitive)
    ]
    best = _best(matches)
    if best is None:
        return Grade(0.0, WRONG, {"matched": None})
    index, fraction = best
    fraction = min(max(fraction, 0.0), 1.0)
    answer = answers[index]
    detail = {
        "matched": index,
        "feedback": _feedback(f"a{index}", answer.get("feedback"), answer.get("feedback_html")),
    }
    return Grade(fraction, state_for_fraction(fraction), detail)


def _within(value: float, answer_value: float, tolerance: float) -> bool:
    # Ranges are stored as midpoint +- half-width, computed in binary floating point, so the
    # ends of 1.1..1.3 land a few ulps inside; a relative slack of 1e-12 keeps them in range.
    slack = 1e-12 * max(abs(answer_value), tolerance)
    return abs(value - answer_value) <= tolerance + slack


def _grade_numerical(data: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
    raw = response.get("text")
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = repr(raw)  # a JSON client sent a number rather than the typed text
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Grade(0.0, UNANSWERED, {"value": None, "matched": None})
    value = parse_number(raw) if isinstance(raw, str) else None
    if value is None:
        return Grade(0.0, WRONG, {"value": None, "matched": None, "invalid": True})
    answers = [a for a in data.get("answers") or [] if isinstance(a, Mapping)]
    matches = []
    catch_all = None
    for index, answer in enumerate(answers):
        if answer.get("value") is None:
            if catch_all is None:
                catch_all = (index, _fraction(answer.get("fraction")))
            continue
        answer_value = _fraction(answer["value"])
        tolerance = abs(_fraction(answer.get("tolerance")))
        if _within(value, answer_value, tolerance):
            matches.append((index, _fraction(answer.get("fraction"))))
    best = _best(matches) or catch_all
    if best is None:
        return Grade(0.0, WRONG, {"value": value, "matched": None})
    index, fraction = best
    fraction = min(max(fraction, 0.0), 1.0)
    answer = answers[index]
    detail = {
        "value": value,
        "matched": index,
        "feedback": _feedback(f"a{index}", answer.get("feedback"), answer.get("feedback_html")),
    }
    return Grade(fraction, state_for_fraction(fraction), detail)


def _grade_matching(data: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
    pairs = [p for p in data.get("pairs") or [] if isinstance(p, Mapping) and "id" in p]
    given = response.get("pairs")
    if not isinstance(given, Mapping):
        given = {}
    detail_pairs = {}
    right = answered = 0
    for pair in pairs:
        chosen = given.get(pair["id"])
        if not isinstance(chosen, str) or not chosen.strip():
            chosen = None
        is_right = chosen is not None and chosen.strip() == str(pair.get("answer", "")).strip()
        answered += chosen is not None
        right += is_right
        detail_pairs[pair["id"]] = {"chosen": chosen, "state": RIGHT if is_right else WRONG}
    detail = {"pairs": detail_pairs}
    if not answered:
        return Grade(0.0, UNANSWERED, detail)
    fraction = right / len(pairs)
    return Grade(fraction, state_for_fraction(fraction), detail)


def _grade_essay(data: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
    text = _typed_text(response)
    if text is None or not normalise_answer(text):
        return Grade(0.0, UNANSWERED, {})
    return Grade(None, NEEDS_GRADING, {})


def _grade_description(data: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
    return Grade(0.0, INFO, {})


_GRADERS = {
    SINGLE: _grade_single,
    MULTIPLE: _grade_multiple,
    TRUEFALSE: _grade_truefalse,
    SHORTANSWER: _grade_shortanswer,
    NUMERICAL: _grade_numerical,
    MATCHING: _grade_matching,
    ESSAY: _grade_essay,
    DESCRIPTION: _grade_description,
}
