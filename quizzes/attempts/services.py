"""Attempts: start, save, submit, close when overdue, grade by hand, and the member's quiz grade.

Every time comes from `now()` on the server (tests move the clock); nothing a request says about
start times or deadlines is read. Services flush, never commit (learning/transactions.py commits
once per request), and each write that races another is made safe by the database itself:
- start: the attempt row goes in with INSERT ... ON CONFLICT DO NOTHING on the unique
  (quiz, member, number); a start that loses the race for number n tries n + 1, and so never
  exceeds the attempts allowed. A start naming the number it expects (the page's form does)
  is idempotent: a double tap gets the same attempt.
- save and submit both begin with an UPDATE of the attempt row guarded by
  `state = 'in_progress'`: on PostgreSQL it locks the row, on SQLite the database, so a save
  cannot slip in beside a submit, and of ten simultaneous submits exactly one grades.
Starting a new attempt finishes the member's open one (graded with what was saved), so a
member never has two attempts running; the pages only offer "continue" while one is open.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from courses import progress
from courses.models import Module
from learning.dbtypes import utcnow
from learning.extensions import db
from quizzes import grading
from quizzes.authoring.services import draw_pool
from quizzes.formats.questions import DESCRIPTION, MATCHING, MULTIPLE, SINGLE
from quizzes.models import (
    Attempt,
    AttemptSlot,
    Question,
    Quiz,
    QuizQuestion,
)

IN_PROGRESS = "in_progress"
FINISHED = "finished"
_EPSILON = 1e-6


def now() -> datetime:
    """The server's clock (UTC); the one time source of this module (tests monkeypatch it)."""
    return utcnow()


class AttemptError(ValueError):
    """A request the quiz rules refuse; the message says why, `field` where (for the API)."""

    status = 409

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class AnswerError(AttemptError):
    """An answer that does not fit its question (or names no question of the attempt)."""

    status = 422


def grace() -> timedelta:
    return timedelta(seconds=current_app.config.get("QUIZ_GRACE_SECONDS", 30))


# --- Rules read off a quiz ----------------------------------------------------------------------


def is_open(quiz: Quiz, at: datetime | None = None) -> bool:
    at = at or now()
    return (quiz.open_at is None or quiz.open_at <= at) and (
        quiz.close_at is None or at < quiz.close_at)


def attempts_used(quiz_id: int, user_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.max(Attempt.number), 0)).where(
        Attempt.quiz_id == quiz_id, Attempt.user_id == user_id))


def open_attempt(quiz_id: int, user_id: int) -> Attempt | None:
    """The member's attempt in progress at this quiz (after closing one that ran out)."""
    attempt = db.session.scalar(select(Attempt).where(
        Attempt.quiz_id == quiz_id, Attempt.user_id == user_id, Attempt.state == IN_PROGRESS))
    if attempt is not None and finish_if_overdue(attempt):
        return None
    return attempt


def overdue(attempt: Attempt, at: datetime | None = None) -> bool:
    """Past the deadline and its grace: nothing more is accepted, what was saved is graded."""
    return attempt.deadline_at is not None and (at or now()) > attempt.deadline_at + grace()


def seconds_left(attempt: Attempt) -> int | None:
    """Seconds to the deadline (without the grace, which is not promised), None if untimed."""
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - now()).total_seconds()))


# --- Starting -----------------------------------------------------------------------------------


def start_attempt(quiz: Quiz, user_id: int, number: int | None = None) -> Attempt:
    """Start the member's next attempt, or return attempt `number` if it exists already.

    Raises AttemptError when the quiz is closed, has no questions to draw, or the attempts
    allowed are used up.
    """
    if number is not None:
        existing = _attempt_by_number(quiz.id, user_id, number)
        if existing is not None:
            finish_if_overdue(existing)
            return existing
    if not is_open(quiz):
        raise AttemptError(_("This quiz is not open now."))
    slots = draw_slots(quiz)
    if not slots:
        raise AttemptError(_("This quiz has no questions yet."))
    started = now()
    deadline = _deadline(quiz, started)
    max_score = sum(slot.mark for slot in slots if slot.qtype != DESCRIPTION)
    while True:
        next_number = attempts_used(quiz.id, user_id) + 1
        if quiz.attempts_allowed and next_number > quiz.attempts_allowed:
            raise AttemptError(_("You have used all %(count)d attempts allowed at this quiz.",
                                 count=quiz.attempts_allowed))
        inserted = db.session.execute(_insert_attempt().values(
            quiz_id=quiz.id, user_id=user_id, number=next_number, state=IN_PROGRESS,
            started_at=started, deadline_at=deadline, max_score=max_score, needs_grading=False,
        ).on_conflict_do_nothing(index_elements=["quiz_id", "user_id", "number"])
            .returning(Attempt.id)).scalar()
        if inserted is not None:
            break
        if number is not None and next_number == number:  # a double tap won the race
            return _attempt_by_number(quiz.id, user_id, number)
    attempt = _attempt_by_number(quiz.id, user_id, next_number)
    # The newest attempt closes older open ones. Its number was taken after they were committed
    # (that is how it was found free), so they are all visible here, even after a race.
    for older in db.session.scalars(select(Attempt).where(
            Attempt.quiz_id == quiz.id, Attempt.user_id == user_id,
            Attempt.state == IN_PROGRESS, Attempt.number < next_number)):
        finish(older)
    # One multi-row INSERT (the ORM would insert slot by slot to read back each id).
    db.session.execute(insert(AttemptSlot), [
        {"attempt_id": attempt.id, "position": position, "question_id": slot.question_id,
         "qtype": slot.qtype, "mark": slot.mark, "snapshot": slot.snapshot,
         "option_order": slot.option_order, "state": slot.state, "detail": slot.detail}
        for position, slot in enumerate(slots, start=1)])
    db.session.expire(attempt, ["slots"])
    return attempt


def _insert_attempt():
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Attempt)


def _attempt_by_number(quiz_id: int, user_id: int, number: int) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(
        Attempt.quiz_id == quiz_id, Attempt.user_id == user_id, Attempt.number == number))


def _deadline(quiz: Quiz, started: datetime) -> datetime | None:
    candidates = [quiz.close_at] if quiz.close_at else []
    if quiz.time_limit_minutes:
        candidates.append(started + timedelta(minutes=quiz.time_limit_minutes))
    return min(candidates) if candidates else None


def draw_slots(quiz: Quiz, rng: random.Random | None = None) -> list[AttemptSlot]:
    """The questions of a new attempt, frozen: snapshot, mark and option order.

    Fixed quizzes take their questions in order (shuffled if asked); random quizzes draw
    `count` distinct questions from each category, never the same question twice.
    """
    rng = rng or random.SystemRandom()
    chosen: list[tuple[Question, float]] = []
    if quiz.selection == "fixed":
        chosen = [(link.question, link.mark) for link in db.session.scalars(
            select(QuizQuestion).where(QuizQuestion.quiz_id == quiz.id)
            .order_by(QuizQuestion.position).options(joinedload(QuizQuestion.question)))]
    else:
        taken: set[int] = set()
        for draw in quiz.draws:
            pool = [q for q in db.session.scalars(
                draw_pool(draw.category, draw.include_subcategories).order_by(Question.id))
                if q.id not in taken]
            if len(pool) < draw.count:
                raise AttemptError(_("Category %(name)s has only %(have)d questions, %(want)d "
                                     "are to be drawn.", name=draw.category.path,
                                     have=len(pool), want=draw.count))
            for question in rng.sample(pool, draw.count):
                taken.add(question.id)
                chosen.append((question, question.default_mark))
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    return [_freeze(question, mark, quiz.shuffle_options, rng) for question, mark in chosen]


def _freeze(question: Question, mark: float, shuffle: bool, rng: random.Random) -> AttemptSlot:
    data = question.data or {}
    snapshot: dict[str, Any] = {
        "name": question.name, "stem_html": question.stem_html,
        "general_feedback_html": question.general_feedback_html, "data": data,
    }
    order: list[str] = []
    if question.qtype in (SINGLE, MULTIPLE):
        order = [option["id"] for option in data.get("options", [])]
        if shuffle:
            rng.shuffle(order)
    elif question.qtype == MATCHING:
        order = [pair["id"] for pair in data.get("pairs", [])]
        choices = sorted({pair["answer"] for pair in data.get("pairs", [])}
                         | set(data.get("distractors", [])))
        rng.shuffle(choices)  # as Moodle: matching choices are always shuffled
        snapshot["choices"] = choices
    return AttemptSlot(question_id=question.id, qtype=question.qtype, mark=mark,
                       snapshot=snapshot, option_order=order, state=grading.UNANSWERED,
                       detail={})


# --- What a member may see while answering ------------------------------------------------------


def public_slot(slot: AttemptSlot) -> dict[str, Any]:
    """One question as the member sees it while the attempt is open: no fractions, feedback,
    right answers or explanations, only what is needed to answer, in the frozen order."""
    data = slot.snapshot.get("data", {})
    view: dict[str, Any] = {"slot": slot.position, "type": slot.qtype, "mark": slot.mark,
                            "stem_html": slot.snapshot.get("stem_html", ""),
                            "response": slot.response}
    if slot.qtype in (SINGLE, MULTIPLE):
        options = {option["id"]: option for option in data.get("options", [])}
        view["options"] = [{"id": oid, "html": options[oid].get("text_html", "")}
                           for oid in slot.option_order if oid in options]
    elif slot.qtype == MATCHING:
        pairs = {pair["id"]: pair for pair in data.get("pairs", [])}
        view["items"] = [{"id": pid, "html": pairs[pid].get("question_html", "")}
                         for pid in slot.option_order if pid in pairs]
        view["choices"] = list(slot.snapshot.get("choices", []))
    return view


# --- Saving -------------------------------------------------------------------------------------


def save_answers(attempt: Attempt, answers: dict[Any, Any]) -> int:
    """Store responses `{slot number: response}` of an open attempt; returns how many.

    Every answer is checked before any is stored (all or nothing). Raises AnswerError naming
    the slot for a slot outside the attempt or a response that does not fit its question, and
    AttemptError when the attempt is finished or past its deadline and grace.
    """
    by_position = {slot.position: slot for slot in attempt.slots}
    cleaned: list[tuple[AttemptSlot, dict]] = []
    for key, response in answers.items():
        try:
            slot = by_position[int(key)]
        except (KeyError, TypeError, ValueError):
            raise AnswerError(_("Question %(slot)s is not part of this attempt.", slot=key),
                              field=str(key)) from None
        cleaned.append((slot, clean_response(slot, response)))
    at = now()
    if not _claim(attempt, at, finishing=False):
        raise AttemptError(_("This attempt is finished; no more answers can be saved."))
    for slot, response in cleaned:
        slot.response = response
        slot.saved_at = at
    db.session.flush()
    return len(cleaned)


def clean_response(slot: AttemptSlot, response: Any) -> dict | None:
    """The response in its stored shape (quizzes/spec.py), or AnswerError naming the slot.

    None or {} clears an answer. Choices must be the question's own option ids and matching
    answers its own choices; texts are capped in length.
    """
    where = str(slot.position)
    if response is None or response == {}:
        return None
    if not isinstance(response, dict):
        raise AnswerError(_("Answer %(slot)s is not in the expected form.", slot=where), where)
    data = slot.snapshot.get("data", {})
    option_ids = {option["id"] for option in data.get("options", [])}
    qtype = slot.qtype
    bad = AnswerError(_("Answer %(slot)s does not fit its question.", slot=where), where)
    if qtype == SINGLE:
        if response.get("option") not in option_ids:
            raise bad
        return {"option": response["option"]}
    if qtype == MULTIPLE:
        chosen = response.get("options")
        if not isinstance(chosen, list) or not set(chosen) <= option_ids:
            raise bad
        return {"options": sorted(set(chosen))}
    if qtype == "truefalse":
        if not isinstance(response.get("value"), bool):
            raise bad
        return {"value": response["value"]}
    if qtype in ("shortanswer", "numerical", "essay"):
        text = response.get("text")
        limit = 20000 if qtype == "essay" else 500
        if not isinstance(text, str) or len(text) > limit:
            raise bad
        return {"text": text}
    if qtype == MATCHING:
        pairs = response.get("pairs")
        choices = set(slot.snapshot.get("choices", []))
        if not isinstance(pairs, dict) or not set(pairs) <= set(slot.option_order) or any(
                value not in choices for value in pairs.values() if value != ""):
            raise bad
        return {"pairs": {key: value for key, value in pairs.items() if value != ""}}
    raise bad  # description: nothing to answer


def _claim(attempt: Attempt, at: datetime, *, finishing: bool) -> bool:
    """Lock the attempt row if it is still open (and, to save, within its time).

    The guarded UPDATE is the serialisation point between saves and submits of one attempt.
    """
    guard = [Attempt.id == attempt.id, Attempt.state == IN_PROGRESS]
    if not finishing and attempt.deadline_at is not None:
        guard.append(Attempt.deadline_at >= at - grace())
    values = {"state": FINISHED, "finished_at": at} if finishing else {"saved_at": at}
    result = db.session.execute(update(Attempt).where(*guard).values(**values)
                                .execution_options(synchronize_session=False))
    # Only the row's own columns: a plain refresh would cascade to every slot, one by one.
    db.session.refresh(attempt, ["state", "finished_at", "saved_at"])
    return result.rowcount == 1


# --- Finishing ----------------------------------------------------------------------------------


def submit(attempt: Attempt, answers: dict[Any, Any] | None = None) -> Attempt:
    """Save the last answers (while time allows) and finish; idempotent.

    After the deadline and grace, answers sent with the submit are ignored and what was saved
    is graded. A second submit changes nothing and returns the same result.
    """
    if attempt.state == IN_PROGRESS and answers and not overdue(attempt):
        try:
            save_answers(attempt, answers)
        except AnswerError:
            raise
        except AttemptError:
            pass  # finished meanwhile by a simultaneous submit, or just out of time
    finish(attempt)
    return attempt


def finish(attempt: Attempt) -> bool:
    """Close and grade the attempt if it is still open; True if this call did it."""
    at = now()
    if attempt.deadline_at is not None:
        at = min(at, attempt.deadline_at + grace())
    if not _claim(attempt, at, finishing=True):
        return False
    for slot in attempt.slots:
        result = grading.grade(slot.qtype, slot.snapshot.get("data", {}), slot.response)
        slot.fraction, slot.state, slot.detail = result.fraction, result.state, result.detail
    update_totals(attempt)
    return True


def finish_if_overdue(attempt: Attempt) -> bool:
    """Close an abandoned attempt whose time ran out (on next access); True if it did."""
    if attempt.state == IN_PROGRESS and overdue(attempt):
        return finish(attempt)
    return False


def close_overdue() -> int:
    """Close and grade every attempt past its deadline and grace; returns how many."""
    cutoff = now() - grace()
    ids = db.session.scalars(select(Attempt.id).where(
        Attempt.state == IN_PROGRESS, Attempt.deadline_at.is_not(None),
        Attempt.deadline_at < cutoff)).all()
    closed = 0
    for attempt_id in ids:
        attempt = db.session.get(Attempt, attempt_id)
        closed += finish(attempt)
    return closed


def update_totals(attempt: Attempt) -> None:
    """Score, percentage and pass of a finished attempt from its slots; completes the module
    when the member's quiz grade reaches the pass mark."""
    quiz = attempt.quiz  # loaded before any column changes: one UPDATE of the attempt, not two
    marked = [slot for slot in attempt.slots if slot.qtype != DESCRIPTION]
    attempt.needs_grading = any(slot.fraction is None for slot in marked)
    attempt.score = round(sum(grading.score(slot.fraction, slot.mark) or 0.0
                              for slot in marked), 2)
    attempt.max_score = round(sum(slot.mark for slot in marked), 2)
    if attempt.needs_grading:
        attempt.percent = attempt.passed = None
    else:
        attempt.percent = round(100.0 * attempt.score / attempt.max_score, 2) \
            if attempt.max_score else 100.0
        attempt.passed = attempt.percent >= quiz.pass_mark - _EPSILON
    db.session.flush()
    _complete_module_if_passed(attempt)


def _complete_module_if_passed(attempt: Attempt) -> None:
    quiz = attempt.quiz
    if quiz.module_id is None:
        return
    module = db.session.get(Module, quiz.module_id)
    if module is None or module.completion_rule != "quiz":
        return
    result = member_grade(quiz, attempt.user_id)
    if result.passed:
        progress.complete(attempt.user_id, module.id, "quiz", at=attempt.finished_at)


# --- Grades -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberGrade:
    """A member's grade at a quiz by its grading method, over graded finished attempts."""

    percent: float | None
    passed: bool
    attempts: int
    pending: int  # finished attempts waiting for a hand grader


def member_grade(quiz: Quiz, user_id: int) -> MemberGrade:
    rows = db.session.execute(select(Attempt.percent, Attempt.needs_grading).where(
        Attempt.quiz_id == quiz.id, Attempt.user_id == user_id, Attempt.state == FINISHED)
        .order_by(Attempt.number)).all()
    scores = [row.percent for row in rows if row.percent is not None]
    percent = grading.combine_attempts(scores, quiz.grading_method)
    passed = percent is not None and percent >= quiz.pass_mark - _EPSILON
    return MemberGrade(None if percent is None else round(percent, 2), passed, len(rows),
                       sum(1 for row in rows if row.needs_grading))


def grade_by_hand(slot: AttemptSlot, fraction: float, comment: str, grader_id: int) -> None:
    """An admin's or leader's mark for an essay (or a correction of any answer) of a finished
    attempt; the attempt's totals and the module completion follow."""
    if slot.attempt.state != FINISHED:
        raise AttemptError(_("An attempt can be graded once it is finished."))
    if not 0 <= fraction <= 1:
        raise AnswerError(_("The mark must be between 0 and the question's mark."), "mark")
    slot.fraction = fraction
    slot.state = grading.state_for_fraction(fraction)
    slot.comment = comment
    slot.graded_by_id = grader_id
    slot.graded_at = now()
    update_totals(slot.attempt)


def attempts_of(quiz: Quiz, user_id: int) -> list[Attempt]:
    """The member's attempts at the quiz, oldest first (the rows only: the history needs no
    questions)."""
    return list(db.session.scalars(select(Attempt).where(
        Attempt.quiz_id == quiz.id, Attempt.user_id == user_id).order_by(Attempt.number)))
