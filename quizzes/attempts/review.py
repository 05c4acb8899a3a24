"""What a finished attempt's review shows, by the quiz's review policy.

The policy says when (after each attempt, after the quiz closes, or never) and how much (levels
that include the ones before: the score; right/wrong per question; the right answers; the
explanations and feedback). Staff reviewing a member's attempt (leaders in scope, admins) see
everything. An open attempt has no review: quizzes.attempts.services.public_slot is all of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from quizzes.attempts.services import FINISHED, public_slot
from quizzes.formats.questions import MATCHING, MULTIPLE, NUMERICAL, SHORTANSWER, SINGLE, TRUEFALSE
from quizzes.models import REVIEW_SHOWS, Attempt, AttemptSlot, Quiz

FULL = REVIEW_SHOWS[-1]


def review_level(quiz: Quiz, attempt: Attempt, *, staff: bool, at: datetime) -> str | None:
    """The review level the viewer gets for this attempt, or None for no review (yet)."""
    if attempt.state != FINISHED:
        return None
    if staff:
        return FULL
    return quiz.review_shows if scores_visible(quiz, at) else None


def scores_visible(quiz: Quiz, at: datetime) -> bool:
    """Whether members may see their scores now (the same moment their reviews open)."""
    return quiz.review_when == "after_attempt" or (
        quiz.review_when == "after_close" and quiz.close_at is not None and at >= quiz.close_at)


def shows(level: str | None, what: str) -> bool:
    """Whether `level` includes `what` (one of REVIEW_SHOWS)."""
    return level is not None and REVIEW_SHOWS.index(level) >= REVIEW_SHOWS.index(what)


def review_slot(slot: AttemptSlot, level: str) -> dict[str, Any]:
    """One question of a finished attempt as the review at `level` shows it."""
    view = public_slot(slot)
    if shows(level, "rightwrong"):
        view["state"] = slot.state
        view["fraction"] = slot.fraction
        view["score"] = None if slot.fraction is None else round(slot.fraction * slot.mark, 2)
        view["comment"] = slot.comment
    if shows(level, "answers"):
        view["right_answer"] = right_answer(slot)
    if shows(level, "explanations"):
        view["feedback"] = (slot.detail or {}).get("feedback", [])
        view["general_feedback_html"] = slot.snapshot.get("general_feedback_html", "")
    return view


def right_answer(slot: AttemptSlot) -> dict[str, Any]:
    """The right answer in the response's own shape, plus display text where helpful."""
    data = slot.snapshot.get("data", {})
    if slot.qtype == SINGLE:
        best = max(data.get("options", []), key=lambda o: o.get("fraction", 0), default=None)
        return {"option": best["id"]} if best else {}
    if slot.qtype == MULTIPLE:
        return {"options": [o["id"] for o in data.get("options", []) if o.get("fraction", 0) > 0]}
    if slot.qtype == TRUEFALSE:
        return {"value": bool(data.get("correct"))}
    if slot.qtype == SHORTANSWER:
        return {"texts": [a["text"] for a in data.get("answers", [])
                          if a.get("fraction", 0) >= 1 - 1e-6]}
    if slot.qtype == NUMERICAL:
        return {"values": [{"value": a["value"], "tolerance": a.get("tolerance", 0)}
                           for a in data.get("answers", [])
                           if a.get("value") is not None and a.get("fraction", 0) >= 1 - 1e-6]}
    if slot.qtype == MATCHING:
        return {"pairs": {p["id"]: p["answer"] for p in data.get("pairs", [])}}
    return {}


def review(quiz: Quiz, attempt: Attempt, *, staff: bool, at: datetime) -> dict[str, Any] | None:
    """The whole review (None when the policy gives none): totals and each question."""
    level = review_level(quiz, attempt, staff=staff, at=at)
    if level is None:
        return None
    return {
        "level": level,
        "score": attempt.score, "max_score": attempt.max_score, "percent": attempt.percent,
        "passed": attempt.passed, "needs_grading": attempt.needs_grading,
        "slots": [review_slot(slot, level) for slot in attempt.slots],
    }
