"""Pages: a member takes a quiz, and staff review and grade attempts.

- /quizzes/<id>                      the quiz: settings, my grade, my attempts, start/continue
- /quizzes/<id>/start                POST: start (the form names the attempt number it expects)
- /attempts/<id>[?page=n]            answer; POST saves the page, then moves or finishes
- /attempts/<id>/autosave            POST from learning/static/js/quiz.js: save, reply in JSON
- /attempts/<id>/submit              GET: confirm (lists unanswered questions); POST: submit
- /attempts/<id>/review              result and review by the quiz's policy (staff: everything)
- /attempts/<id>/slots/<n>/grade     POST: a hand mark for one question (essays)
- /quizzes/<id>/grading              staff: finished attempts in my scope waiting for a mark

While an attempt is open, the answering pages only ever see `services.public_slot` views:
no fraction, feedback or right answer reaches the HTML. Every time comes from
`services.now()` (called through the module, so tests can move the clock).
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select

from courses.models import Course, Module
from learning.accounts.models import User
from learning.audit.services import record
from learning.bounds import page_arg, positive_int
from learning.extensions import db
from learning.orgs.models import Membership
from learning.permissions import is_admin, is_leader, require, require_role, scope_unit_ids
from quizzes.attempts import services
from quizzes.attempts.review import review, review_level
from quizzes.attempts.services import (
    FINISHED,
    IN_PROGRESS,
    AnswerError,
    AttemptError,
    is_answered,
)
from quizzes.authoring.services import question_count
from quizzes.formats.questions import (
    DESCRIPTION,
    MATCHING,
    MULTIPLE,
    SINGLE,
    TRUEFALSE,
)
from quizzes.grading import parse_number
from quizzes.models import Attempt, AttemptSlot, Quiz
from quizzes.permissions import can_grade_attempt, can_take_quiz, can_view_attempt

bp = Blueprint("quizzes", __name__, template_folder=str(Path(__file__).parents[1] / "templates"))

MAX_COMMENT = 5000

GRADING_METHODS = {
    "highest": _l("the highest attempt counts"),
    "last": _l("the last attempt counts"),
    "first": _l("the first attempt counts"),
    "average": _l("the average of the attempts counts"),
}
REVIEW_SHOWS = {
    "score": _l("your score"),
    "rightwrong": _l("your score and which answers were right"),
    "answers": _l("your score, which answers were right and the right answers"),
    "explanations": _l("your score, the right answers and the explanations"),
}


# --- Form fields <-> responses ------------------------------------------------------------------


def responses_from_form(form, slots: dict[int, Any]) -> dict[Any, dict | None]:
    """The answers a page's form carries, as quizzes/spec.py response shapes by slot number.

    The form lists its questions in `slots` fields, because a checkbox group with nothing
    ticked sends nothing: listed and absent means "cleared". Fields are `q<slot>` (repeated for
    checkboxes) and `q<slot>_<pair id>` for matching. A blank answer becomes None (cleared).
    A listed number that is not in the attempt is kept, so the service refuses it by name.
    """
    answers: dict[Any, dict | None] = {}
    for raw in form.getlist("slots"):
        try:
            slot = slots.get(int(raw))
        except ValueError:
            slot = None
        if slot is None:
            answers[raw] = None
        elif slot.qtype != DESCRIPTION:
            answers[slot.position] = _response(slot, form, f"q{slot.position}")
    return answers


def _response(slot, form, name: str) -> dict | None:
    if slot.qtype == SINGLE:
        value = form.get(name, "")
        return {"option": value} if value else None
    if slot.qtype == MULTIPLE:
        chosen = [value for value in form.getlist(name) if value]
        return {"options": chosen} if chosen else None
    if slot.qtype == TRUEFALSE:
        value = form.get(name, "")
        if not value:
            return None
        # Anything but true/false is passed on as sent, for the service to refuse.
        return {"value": {"true": True, "false": False}.get(value, value)}
    if slot.qtype == MATCHING:
        pairs = {pair_id: form.get(f"{name}_{pair_id}", "") for pair_id in slot.option_order}
        pairs = {pair_id: value for pair_id, value in pairs.items() if value}
        return {"pairs": pairs} if pairs else None
    text = form.get(name, "")  # shortanswer, numerical, essay: kept as typed
    return {"text": text} if text.strip() else None


# --- Loading and authorising --------------------------------------------------------------------


def _quiz_for_member(quiz_id: int) -> Quiz:
    # The quiz with its module and course in one query: the permission check then finds them
    # in the session instead of reading them again.
    row = db.session.execute(_quiz_select(), {"quiz_id": quiz_id}).first()
    quiz = row.Quiz if row else None
    require(quiz is not None and can_take_quiz(current_user, quiz))
    return quiz


@cache
def _quiz_select():
    """A quiz (bind parameter `quiz_id`), its module and the module's course loaded with it.
    Statements of every quiz request are built once per process: building one and computing
    its cache key costs more than running it."""
    return (select(Quiz, Module, Course).outerjoin(Module, Module.id == Quiz.module_id)
            .outerjoin(Course, Course.id == Module.course_id)
            .where(Quiz.id == bindparam("quiz_id")))


def _own_attempt(attempt_id: int) -> Attempt:
    """Only the member who made an attempt answers it; to anyone else it does not exist."""
    attempt = db.session.scalar(_attempt_select(), {"attempt_id": attempt_id})
    require(attempt is not None and attempt.user_id == current_user.id)
    return attempt


@cache
def _attempt_select():
    return select(Attempt).where(Attempt.id == bindparam("attempt_id"))


def _closed(attempt: Attempt):
    """A redirect to the result when the attempt can no longer be answered, else None.

    An attempt whose time ran out is closed here, graded with what was saved in time.
    """
    if services.finish_if_overdue(attempt):
        flash(_("Time is up. Your attempt was closed and graded with the answers saved before "
                "the deadline."), "warning")
        return redirect(url_for("quizzes.review_page", attempt_id=attempt.id))
    if attempt.state != IN_PROGRESS:
        return redirect(url_for("quizzes.review_page", attempt_id=attempt.id))
    return None


# --- The quiz page ------------------------------------------------------------------------------


@bp.get("/quizzes/<int:quiz_id>")
@login_required
def quiz_page(quiz_id: int):
    """What a member needs before and between attempts: settings, grade, history, one button."""
    quiz = _quiz_for_member(quiz_id)
    at = services.now()
    current = services.open_attempt(quiz.id, current_user.id)  # closes one that ran out
    attempts = services.attempts_of(quiz, current_user.id)
    used = max((a.number for a in attempts), default=0)
    levels = {a.id: review_level(quiz, a, staff=False, at=at) for a in attempts}
    return render_template(
        "quizzes/attempts/quiz.html", quiz=quiz,
        module=db.session.get(Module, quiz.module_id) if quiz.module_id else None,
        current=current, attempts=attempts, used=used, levels=levels,
        grade=services.member_grade(quiz, current_user.id),
        scores_shown=any(level is not None for level in levels.values()),
        why_not=None if current else _why_not(quiz, used, at),
        question_count=question_count(quiz),
        grading_methods=GRADING_METHODS, review_shows=REVIEW_SHOWS,
        is_staff=is_admin(current_user) or is_leader(current_user))


def _why_not(quiz: Quiz, used: int, at) -> str | None:
    """Why a new attempt cannot start now, or None when it can."""
    if quiz.open_at is not None and at < quiz.open_at:
        return "not_open"
    if quiz.close_at is not None and at >= quiz.close_at:
        return "closed"
    if quiz.attempts_allowed and used >= quiz.attempts_allowed:
        return "no_attempts"
    return None


@bp.post("/quizzes/<int:quiz_id>/start")
@login_required
def start(quiz_id: int):
    """Start (or, for a repeated tap, resume) the attempt the page offered."""
    quiz = _quiz_for_member(quiz_id)
    number = request.form.get("number", type=positive_int)
    try:
        attempt = services.start_attempt(quiz, current_user.id, number=number)
    except AttemptError as error:
        flash(str(error), "warning")
        return redirect(url_for("quizzes.quiz_page", quiz_id=quiz.id))
    if request.form.get("back") == "module" and quiz.module_id is not None:
        # Started under a video (rule "watched and quiz"): the questions follow on its page.
        return _to_module(quiz.module_id, "module-quiz")
    return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id))


def _to_module(module_id: int, anchor: str):
    """Back to the module page (a fixed place, never one the form names)."""
    return redirect(url_for("study.module", module_id=module_id, _anchor=anchor))


# --- Answering ----------------------------------------------------------------------------------


def _pages(attempt: Attempt) -> list[list[AttemptSlot]]:
    """The attempt's pages: one question each, or all on one."""
    if attempt.quiz.layout == "one":
        return [[slot] for slot in attempt.slots]
    return [list(attempt.slots)]


def _page_of(pages: list, page: int | None) -> int:
    return min(max(page or 1, 1), len(pages)) if pages else 1


def _numbers(slots: list[AttemptSlot]) -> dict[int, int | None]:
    """Question numbers by slot position; descriptions are not numbered."""
    numbers: dict[int, int | None] = {}
    count = 0
    for slot in slots:
        if slot.qtype == DESCRIPTION:
            numbers[slot.position] = None
        else:
            count += 1
            numbers[slot.position] = count
    return numbers


def _clock(seconds: int | None) -> str:
    if seconds is None:
        return ""
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _attempt_context(attempt: Attempt, page: int | None) -> dict[str, Any]:
    """What the answering page shows: only public views of the page's questions."""
    pages = _pages(attempt)
    page = _page_of(pages, page)
    slots = list(attempt.slots)
    numbers = _numbers(slots)
    page_of_slot = {slot.position: index for index, group in enumerate(pages, start=1)
                    for slot in group}
    navigator = [{"slot": s.position, "number": numbers[s.position],
                  "page": page_of_slot[s.position], "answered": is_answered(s.response)}
                 for s in slots]
    seconds = services.seconds_left(attempt)
    return {
        "attempt": attempt, "quiz": attempt.quiz, "page": page, "page_count": len(pages),
        "questions": [services.public_slot(slot) for slot in pages[page - 1]] if pages else [],
        "numbers": numbers, "navigator": navigator,
        "total": sum(1 for n in numbers.values() if n is not None),
        "answered": sum(1 for item in navigator if item["number"] and item["answered"]),
        "seconds_left": seconds, "clock": _clock(seconds),
    }


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt_page(attempt_id: int):
    """Answer the questions of one page, pre-filled with what was saved."""
    attempt = _own_attempt(attempt_id)
    closed = _closed(attempt)
    if closed:
        return closed
    return render_template("quizzes/attempts/attempt.html",
                           **_attempt_context(attempt, request.args.get("page", type=page_arg)))


@bp.post("/attempts/<int:attempt_id>")
@login_required
def attempt_save(attempt_id: int):
    """Save the page's answers, then go where the pressed button says (works without JS)."""
    attempt = _own_attempt(attempt_id)
    closed = _closed(attempt)
    if closed:
        return closed
    page = request.form.get("page", type=page_arg) or 1
    answers = responses_from_form(request.form, {s.position: s for s in attempt.slots})
    action = request.form.get("nav", "save")
    try:
        if action == "timeup":  # quiz.js, when the countdown ends: submit what is there
            services.submit(attempt, answers)
            flash(_("Time is up. Your attempt was submitted."), "warning")
            return redirect(url_for("quizzes.review_page", attempt_id=attempt.id))
        services.save_answers(attempt, answers)
    except AnswerError as error:
        flash(str(error), "danger")
        return render_template("quizzes/attempts/attempt.html",
                               **_attempt_context(attempt, page)), 422
    except AttemptError as error:  # finished in another tab, or the deadline just passed
        services.finish_if_overdue(attempt)
        flash(str(error), "warning")
        return redirect(url_for("quizzes.review_page", attempt_id=attempt.id))
    if action == "finish":
        return redirect(url_for("quizzes.submit_page", attempt_id=attempt.id))
    if action == "inline" and attempt.quiz.module_id is not None:
        return _inline_next(attempt, answers)
    target = request.form.get("goto", type=page_arg)
    if target is None:
        target = page + {"next": 1, "prev": -1}.get(action, 0)
        if action == "save":
            flash(_("Your answers are saved."), "success")
    return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id, page=target))


def _inline_next(attempt: Attempt, answers: dict):
    """After one question answered on the module page: the next one there, or, when every
    question is answered, submit and grade (no confirm page: nothing is left unanswered)."""
    slots = services.answer_slots(attempt)
    left = [s for s in slots if s.qtype != DESCRIPTION and not is_answered(s.response)]
    if left and not any(is_answered(response) for response in answers.values()):
        # The message shows in the completion box, just above the question.
        flash(_("Answer the question to go on."), "warning")
        return _to_module(attempt.quiz.module_id, "completion")
    if left:
        return _to_module(attempt.quiz.module_id, "module-quiz")
    services.submit(attempt)
    flash(_("Your attempt is submitted."), "success")
    return _to_module(attempt.quiz.module_id, "completion")


@bp.post("/attempts/<int:attempt_id>/autosave")
@login_required
def autosave(attempt_id: int):
    """quiz.js saves the page every few seconds; the reply carries the time left."""
    attempt = _own_attempt(attempt_id)
    result_url = url_for("quizzes.review_page", attempt_id=attempt.id)
    services.finish_if_overdue(attempt)
    if attempt.state != IN_PROGRESS:
        # 200, not an error status: the request must commit the close it may just have made.
        return jsonify(saved=0, finished=True, seconds_left=0, redirect=result_url)
    slots = services.answer_slots(attempt)
    answers = responses_from_form(request.form, {s.position: s for s in slots})
    try:
        saved = services.save_answers(attempt, answers, slots)
    except AnswerError as error:
        return jsonify(saved=0, message=str(error), field=error.field), 422
    except AttemptError:
        services.finish_if_overdue(attempt)
        return jsonify(saved=0, finished=True, seconds_left=0, redirect=result_url)
    return jsonify(saved=saved, finished=False, seconds_left=services.seconds_left(attempt))


@bp.get("/attempts/<int:attempt_id>/submit")
@login_required
def submit_page(attempt_id: int):
    """Confirm before submitting: which questions are still unanswered."""
    attempt = _own_attempt(attempt_id)
    closed = _closed(attempt)
    if closed:
        return closed
    return render_template("quizzes/attempts/confirm.html", **_attempt_context(attempt, 1))


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int):
    """Submit and grade (idempotent: a second submit shows the same result)."""
    attempt = _own_attempt(attempt_id)
    closed = _closed(attempt)
    if closed:
        return closed
    services.submit(attempt)
    flash(_("Your attempt is submitted."), "success")
    return redirect(url_for("quizzes.review_page", attempt_id=attempt_id))


# --- Result, review and hand grading ------------------------------------------------------------


@bp.get("/attempts/<int:attempt_id>/review")
@login_required
def review_page(attempt_id: int):
    """The result, and as much review as the policy gives (staff in scope: all of it)."""
    attempt = db.session.get(Attempt, attempt_id)
    owner = attempt is not None and attempt.user_id == current_user.id
    require(owner or (attempt is not None and can_view_attempt(current_user, attempt)))
    services.finish_if_overdue(attempt)
    if owner and attempt.state == IN_PROGRESS:
        return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id))
    quiz = attempt.quiz
    at = services.now()
    data = review(quiz, attempt, staff=not owner, at=at)
    retry_number = None  # 「再次作答」: the number of the next attempt, when one may start now
    if owner and services.open_attempt(quiz.id, current_user.id) is None:
        used = services.attempts_used(quiz.id, current_user.id)
        if _why_not(quiz, used, at) is None:
            retry_number = used + 1
    return render_template(
        "quizzes/attempts/review.html", attempt=attempt, quiz=quiz, data=data, owner=owner,
        retry_number=retry_number,
        member=None if owner else db.session.get(User, attempt.user_id),
        numbers=_numbers(list(attempt.slots)),
        can_grade=not owner and attempt.state == FINISHED
        and can_grade_attempt(current_user, attempt))


@bp.post("/attempts/<int:attempt_id>/slots/<int:position>/grade")
@login_required
def grade(attempt_id: int, position: int):
    """A hand mark (0..the question's mark) and comment for one question of a finished
    attempt; the attempt's totals and the module's completion follow."""
    attempt = db.session.get(Attempt, attempt_id)
    require(attempt is not None and can_view_attempt(current_user, attempt))
    require_role(can_grade_attempt(current_user, attempt))
    slot = next((s for s in attempt.slots
                 if s.position == position and s.qtype != DESCRIPTION), None)
    require(slot is not None)
    back = url_for("quizzes.review_page", attempt_id=attempt.id, _anchor=f"q{position}")
    mark = parse_number(request.form.get("mark", ""))
    if mark is None or not math.isfinite(mark) or not 0 <= mark <= slot.mark:
        flash(_("Enter a mark between 0 and %(max)s.", max=f"{slot.mark:g}"), "danger")
        return redirect(back)
    comment = request.form.get("comment", "").strip()[:MAX_COMMENT]
    try:
        services.grade_by_hand(slot, mark / slot.mark if slot.mark else 0.0, comment,
                               current_user.id)
    except AttemptError as error:
        flash(str(error), "danger")
        return redirect(back)
    record("quiz.grade", {"quiz": attempt.quiz.title, "position": position,
                         "mark": f"{mark:g}/{slot.mark:g}"},
           target=attempt, details={"position": position, "mark": mark, "max": slot.mark,
                                    "member_id": attempt.user_id})
    flash(_("The mark is saved."), "success")
    return redirect(back)


@bp.get("/quizzes/<int:quiz_id>/grading")
@login_required
def grading(quiz_id: int):
    """Finished attempts in my scope waiting for a hand mark (admins: every member's)."""
    require_role(is_admin(current_user) or is_leader(current_user))
    quiz = _quiz_for_member(quiz_id)
    query = (select(Attempt, User.display_name, User.username)
             .join(User, User.id == Attempt.user_id)
             .where(Attempt.quiz_id == quiz.id, Attempt.state == FINISHED,
                    Attempt.needs_grading.is_(True))
             .order_by(Attempt.finished_at, Attempt.id))
    if not is_admin(current_user):
        in_scope = select(Membership.user_id).where(
            Membership.unit_id.in_(scope_unit_ids(current_user)))
        # Leaders do not grade themselves (quizzes.permissions.can_grade_attempt).
        query = query.where(Attempt.user_id.in_(in_scope), Attempt.user_id != current_user.id)
    return render_template("quizzes/attempts/grading.html", quiz=quiz,
                           rows=db.session.execute(query).all())
