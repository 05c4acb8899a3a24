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
from functools import cache
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from courses import progress
from courses.models import Module
from courses.video import services as video_services
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
    slots = _drawn(quiz)
    if not slots:
        raise AttemptError(_("This quiz has no questions yet."))
    started = now()
    deadline = _deadline(quiz, started)
    max_score = sum(slot["mark"] for slot in slots if slot["qtype"] != DESCRIPTION)
    while True:
        # The member's attempts so far, in one read: the next number, and the open ones that
        # the new attempt closes. Numbers below the one found free were all committed before
        # this read (that is how it was found free), so every open one is in it, even after a
        # race; closing one that a submit just finished does nothing (finish() is guarded).
        earlier = db.session.execute(_earlier_attempts_select(),
                                     {"quiz_id": quiz.id, "user_id": user_id}).all()
        next_number = max((row.number for row in earlier), default=0) + 1
        if quiz.attempts_allowed and next_number > quiz.attempts_allowed:
            raise AttemptError(_("You have used all %(count)d attempts allowed at this quiz.",
                                 count=quiz.attempts_allowed))
        values = {"quiz_id": quiz.id, "user_id": user_id, "number": next_number,
                  "state": IN_PROGRESS, "started_at": started, "deadline_at": deadline,
                  "max_score": max_score, "needs_grading": False}
        attempt_id = db.session.scalar(_insert_attempt_statement(), values)
        if attempt_id is not None:
            break
        if number is not None and next_number == number:  # a double tap won the race
            return _attempt_by_number(quiz.id, user_id, number)
    attempt = _persistent(Attempt, id=attempt_id, finished_at=None, saved_at=None, score=None,
                          percent=None, passed=None, **values)
    for row in earlier:
        if row.state == IN_PROGRESS:
            finish(db.session.get(Attempt, row.id))
    # One multi-row INSERT through the table (no ORM bulk bookkeeping, no ids read back).
    db.session.execute(insert(AttemptSlot.__table__), [
        {**slot, "attempt_id": attempt.id, "position": position}
        for position, slot in enumerate(slots, start=1)])
    return attempt


@cache
def _earlier_attempts_select():
    """Number, state and id of a member's attempts at a quiz (bind parameters `quiz_id`,
    `user_id`). Statements used on every request are built once per process: building one
    and computing its cache key costs more than running it."""
    return select(Attempt.id, Attempt.number, Attempt.state).where(
        Attempt.quiz_id == bindparam("quiz_id"), Attempt.user_id == bindparam("user_id"))


def _insert_attempt_statement():
    return _insert_attempt_for(db.session.get_bind().dialect.name)


@cache
def _insert_attempt_for(dialect: str):
    """INSERT of a new attempt that does nothing when its number is taken, returning its id
    (None on a conflict). Through the table: an ORM INSERT returning the object costs more
    than all the rest of a start."""
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (upsert(Attempt.__table__)
            .on_conflict_do_nothing(index_elements=["quiz_id", "user_id", "number"])
            .returning(Attempt.__table__.c.id))


def _persistent(model, **columns):
    """The object of a row this transaction has just written with all of these `columns`:
    put in the session as loaded, without reading the row back."""
    obj = model(**columns)
    make_transient_to_detached(obj)
    db.session.add(obj)
    return obj


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
    return [AttemptSlot(**slot) for slot in _drawn(quiz, rng)]


def _drawn(quiz: Quiz, rng: random.Random | None = None) -> list[dict[str, Any]]:
    """draw_slots as the column values of each slot (what start_attempt inserts)."""
    rng = rng or random.SystemRandom()
    chosen: list[tuple[Any, float]] = []
    if quiz.selection == "fixed":
        # Only the columns a slot freezes, as rows: ORM questions would cost more than the query.
        chosen = [(row, row.mark) for row in db.session.execute(
            _fixed_questions_select(), {"quiz_id": quiz.id})]
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


@cache
def _fixed_questions_select():
    """A fixed quiz's questions in order, with what a slot freezes (bind parameter `quiz_id`)."""
    return (select(Question.id, Question.qtype, Question.name, Question.stem_html,
                   Question.general_feedback_html, Question.data, QuizQuestion.mark)
            .join(QuizQuestion, QuizQuestion.question_id == Question.id)
            .where(QuizQuestion.quiz_id == bindparam("quiz_id"))
            .order_by(QuizQuestion.position))


def _freeze(question, mark: float, shuffle: bool, rng: random.Random) -> dict[str, Any]:
    """One slot's frozen columns from a question (a Question or a row with its columns)."""
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
    return {"question_id": question.id, "qtype": question.qtype, "mark": mark,
            "snapshot": snapshot, "option_order": order, "state": grading.UNANSWERED,
            "detail": {}}


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


def is_answered(response: dict | None) -> bool:
    """Whether a stored response holds an answer (an API client may store blanks)."""
    if not response:
        return False
    value = next(iter(response.values()))
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value != [] and value != {}


# --- Saving -------------------------------------------------------------------------------------


def answer_slots(attempt: Attempt) -> list:
    """The attempt's slots as saving and grading need them: the loaded objects when the
    attempt has them, else rows (id, position, qtype, mark, snapshot, option_order, response)
    in position order, read by one prebuilt query: loading ten slot objects costs more than
    the rest of a save. Writes through rows keep no objects in step; none are loaded."""
    if "slots" in attempt.__dict__:
        return attempt.slots
    return db.session.execute(_answer_slots_select(), {"attempt_id": attempt.id}).all()


@cache
def _answer_slots_select():
    return (select(AttemptSlot.id, AttemptSlot.position, AttemptSlot.qtype, AttemptSlot.mark,
                   AttemptSlot.snapshot, AttemptSlot.option_order, AttemptSlot.response)
            .where(AttemptSlot.attempt_id == bindparam("attempt_id"))
            .order_by(AttemptSlot.position))


def save_answers(attempt: Attempt, answers: dict[Any, Any], slots: list | None = None) -> int:
    """Store responses `{slot number: response}` of an open attempt; returns how many.

    Every answer is checked before any is stored (all or nothing). Raises AnswerError naming
    the slot for a slot outside the attempt or a response that does not fit its question, and
    AttemptError when the attempt is finished or past its deadline and grace. `slots` are the
    attempt's answer_slots() when the caller has them already.
    """
    by_position = {slot.position: slot for slot in slots or answer_slots(attempt)}
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
    _write(AttemptSlot, [(slot, {"response": response, "saved_at": at})
                         for slot, response in cleaned])
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
    if qtype == SINGLE:
        if response.get("option") not in option_ids:
            raise _misfit(where)
        return {"option": response["option"]}
    if qtype == MULTIPLE:
        chosen = response.get("options")
        if not isinstance(chosen, list) or not set(chosen) <= option_ids:
            raise _misfit(where)
        return {"options": sorted(set(chosen))}
    if qtype == "truefalse":
        if not isinstance(response.get("value"), bool):
            raise _misfit(where)
        return {"value": response["value"]}
    if qtype in ("shortanswer", "numerical", "essay"):
        text = response.get("text")
        limit = 20000 if qtype == "essay" else 500
        if not isinstance(text, str) or len(text) > limit:
            raise _misfit(where)
        return {"text": text}
    if qtype == MATCHING:
        pairs = response.get("pairs")
        choices = set(slot.snapshot.get("choices", []))
        if not isinstance(pairs, dict) or not set(pairs) <= set(slot.option_order) or any(
                value not in choices for value in pairs.values() if value != ""):
            raise _misfit(where)
        return {"pairs": {key: value for key, value in pairs.items() if value != ""}}
    raise _misfit(where)  # description: nothing to answer


def _misfit(where: str) -> AnswerError:
    # Made only when raised: translating the message for every answer of every save costs
    # more than checking the answers.
    return AnswerError(_("Answer %(slot)s does not fit its question.", slot=where), where)


def _claim(attempt: Attempt, at: datetime, *, finishing: bool) -> bool:
    """Lock the attempt row if it is still open (and, to save, within its time).

    The guarded UPDATE is the serialisation point between saves and submits of one attempt.
    """
    timed = not finishing and attempt.deadline_at is not None
    values = {"state": FINISHED, "finished_at": at} if finishing else {"saved_at": at}
    params = {"attempt_id": attempt.id, "at_finished" if finishing else "at_saved": at}
    if timed:
        params["earliest_deadline"] = at - grace()
    if db.session.execute(_claim_statement(finishing, timed), params).rowcount == 1:
        # The row is what the guard and the values say: no need to read it back.
        set_committed_value(attempt, "state", values.get("state", IN_PROGRESS))
        for key, value in values.items():
            set_committed_value(attempt, key, value)
        return True
    # Only the row's own columns: a plain refresh would cascade to every slot, one by one.
    db.session.refresh(attempt, ["state", "finished_at", "saved_at"])
    return False


@cache
def _claim_statement(finishing: bool, timed: bool):
    """The guarded UPDATE of _claim (bind parameters `attempt_id`, the values, and for a
    timed save `earliest_deadline`)."""
    table = Attempt.__table__
    guard = [table.c.id == bindparam("attempt_id"), table.c.state == IN_PROGRESS]
    if timed:
        guard.append(table.c.deadline_at >= bindparam("earliest_deadline"))
    values = {"state": FINISHED, "finished_at": bindparam("at_finished")} if finishing \
        else {"saved_at": bindparam("at_saved")}
    return update(table).where(*guard).values(**values)


def _write(model, changes: list[tuple[Any, dict[str, Any]]]) -> None:
    """UPDATE loaded rows of `model` by id, in one executemany, and keep the loaded objects in
    step with what was written (what the ORM's flush would do, at a fraction of its cost)."""
    if not changes:
        return
    db.session.execute(_update_by_id(model.__table__),
                       [{"row_id": obj.id, **values} for obj, values in changes])
    for obj, values in changes:
        if isinstance(obj, model):  # rows (answer_slots) have no state to keep
            for key, value in values.items():
                set_committed_value(obj, key, value)


@cache
def _update_by_id(table):
    """UPDATE of one row by id; the SET clause is whatever columns the parameters name."""
    return update(table).where(table.c.id == bindparam("row_id"))


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
    # Read after the claim: every save acknowledged before it is in what is graded.
    slots = answer_slots(attempt)
    graded = []
    for slot in slots:
        result = grading.grade(slot.qtype, slot.snapshot.get("data", {}), slot.response)
        graded.append((slot, {"fraction": result.fraction, "state": result.state,
                              "detail": result.detail}))
    _write(AttemptSlot, graded)
    _store_totals(attempt, [(slot.qtype, values["fraction"], slot.mark)
                            for slot, values in graded])
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
    _store_totals(attempt, [(slot.qtype, slot.fraction, slot.mark) for slot in attempt.slots])


def _store_totals(attempt: Attempt, slots: list[tuple[str, float | None, float]]) -> None:
    """update_totals from each slot's (qtype, fraction, mark)."""
    rules = db.session.execute(_quiz_rules_select(), {"quiz_id": attempt.quiz_id}).one()
    marked = [(fraction, mark) for qtype, fraction, mark in slots if qtype != DESCRIPTION]
    totals: dict[str, Any] = {
        "needs_grading": any(fraction is None for fraction, _mark in marked),
        "score": round(sum(grading.score(fraction, mark) or 0.0 for fraction, mark in marked), 2),
        "max_score": round(sum(mark for _fraction, mark in marked), 2),
        "percent": None, "passed": None,
    }
    if not totals["needs_grading"]:
        totals["percent"] = round(100.0 * totals["score"] / totals["max_score"], 2) \
            if totals["max_score"] else 100.0
        totals["passed"] = totals["percent"] >= rules.pass_mark - _EPSILON
    _write(Attempt, [(attempt, totals)])
    _complete_module_if_passed(attempt, rules)


@cache
def _quiz_rules_select():
    """What grading needs of a quiz and its module, in one row (bind parameter `quiz_id`):
    id, pass_mark and grading_method (what member_grade reads), module_id, completion_rule."""
    return (select(Quiz.id, Quiz.pass_mark, Quiz.grading_method, Quiz.module_id,
                   Module.completion_rule)
            .outerjoin(Module, Module.id == Quiz.module_id)
            .where(Quiz.id == bindparam("quiz_id")))


def _complete_module_if_passed(attempt: Attempt, rules) -> None:
    if rules.module_id is None or rules.completion_rule not in ("quiz", "watched_quiz"):
        return
    # With "highest", a passed attempt passes the quiz whatever the others scored.
    if not (rules.grading_method == "highest" and attempt.passed) \
            and not member_grade(rules, attempt.user_id).passed:
        return
    if rules.completion_rule == "watched_quiz":  # and the video watched: courses decides
        video_services.quiz_passed(attempt.user_id, db.session.get(Module, rules.module_id),
                                   at=attempt.finished_at)
        return
    progress.complete(attempt.user_id, rules.module_id, "quiz", at=attempt.finished_at)


def module_quiz_passed(user_id: int, module_id: int) -> bool:
    """Whether the member passed the quiz of the module (for courses' "watched_quiz" rule)."""
    quiz = db.session.scalar(select(Quiz).where(Quiz.module_id == module_id))
    return quiz is not None and member_grade(quiz, user_id).passed


# --- Grades -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberGrade:
    """A member's grade at a quiz by its grading method, over graded finished attempts."""

    percent: float | None
    passed: bool
    attempts: int
    pending: int  # finished attempts waiting for a hand grader


def member_grade(quiz: Quiz, user_id: int) -> MemberGrade:
    """The member's grade at `quiz` (anything with its id, grading_method and pass_mark)."""
    rows = db.session.execute(_finished_scores_select(),
                              {"quiz_id": quiz.id, "user_id": user_id}).all()
    scores = [row.percent for row in rows if row.percent is not None]
    percent = grading.combine_attempts(scores, quiz.grading_method)
    passed = percent is not None and percent >= quiz.pass_mark - _EPSILON
    return MemberGrade(None if percent is None else round(percent, 2), passed, len(rows),
                       sum(1 for row in rows if row.needs_grading))


@cache
def _finished_scores_select():
    """Percent and needs_grading of a member's finished attempts at a quiz, in order."""
    return (select(Attempt.percent, Attempt.needs_grading)
            .where(Attempt.quiz_id == bindparam("quiz_id"),
                   Attempt.user_id == bindparam("user_id"), Attempt.state == FINISHED)
            .order_by(Attempt.number))


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
