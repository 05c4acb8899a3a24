"""API: attempts: start, read (never the answers), save answers, submit, result, hand grading.

The same services as the pages (quizzes.attempts.services). The server keeps every time: a
start reads only the attempt number it expects (a double tap resumes the same attempt), never a
start time or deadline. While an attempt is open its JSON holds what `public_slot` gives and,
through the schemas below, nothing else: no fractions, feedback, right answers or explanations.
An attempt is its member's: others get 404, except that leaders in scope and admins read its
result and grade it by hand.
"""

from functools import wraps

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort
from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from learning.api import api_blueprint
from learning.audit.services import record
from learning.extensions import db
from learning.permissions import require
from quizzes.attempts import services
from quizzes.attempts.review import review, review_level
from quizzes.authoring.api import load_quiz
from quizzes.grading import STATES
from quizzes.models import ATTEMPT_STATES, REVIEW_SHOWS, Attempt
from quizzes.permissions import can_grade_attempt, can_view_attempt

blp = api_blueprint("api_attempts", __name__, "Quiz attempts: take, save, submit, review")


# --- schemas --------------------------------------------------------------------------------
# Only the fields declared here are ever dumped: a safety net under public_slot and review.


class AttemptOptionSchema(Schema):
    id = fields.String()
    html = fields.String()


class PublicSlotSchema(Schema):
    slot = fields.Integer(metadata={"description": "the question's number in this attempt; "
                                    "answers are keyed by it"})
    type = fields.String()
    mark = fields.Float()
    stem_html = fields.String()
    response = fields.Dict(allow_none=True, metadata={"description": "my saved answer, shaped "
                                                      "by type (see quizzes/spec.py)"})
    options = fields.List(fields.Nested(AttemptOptionSchema),
                          metadata={"description": "single/multiple: in the frozen order"})
    # "items" is read from the key "matching_items": a dict's own .items() would otherwise be
    # dumped for every other question type (marshmallow falls back to attributes).
    items = fields.List(fields.Nested(AttemptOptionSchema), attribute="matching_items",
                        data_key="items", metadata={"description": "matching"})
    choices = fields.List(fields.String(), metadata={"description": "matching"})


class AttemptSchema(Schema):
    id = fields.Integer()
    quiz_id = fields.Integer()
    number = fields.Integer()
    state = fields.String(metadata={"enum": list(ATTEMPT_STATES)})
    started_at = fields.DateTime()
    deadline_at = fields.DateTime(allow_none=True, metadata={"description": "null: untimed"})
    finished_at = fields.DateTime(allow_none=True)
    seconds_left = fields.Integer(allow_none=True, metadata={"description": "null: untimed"})
    layout = fields.String(metadata={"description": "one question per page, or all"})
    questions = fields.List(fields.Nested(PublicSlotSchema))


class AttemptSummarySchema(Schema):
    id = fields.Integer()
    number = fields.Integer()
    state = fields.String(metadata={"enum": list(ATTEMPT_STATES)})
    started_at = fields.DateTime()
    deadline_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    score = fields.Float(allow_none=True, metadata={"description": "null while the review "
                                                    "policy keeps it back"})
    max_score = fields.Float(allow_none=True)
    percent = fields.Float(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    needs_grading = fields.Boolean(allow_none=True)


class ReviewFeedbackSchema(Schema):
    id = fields.String(allow_none=True)
    text = fields.String()
    html = fields.String()


class ReviewSlotSchema(PublicSlotSchema):
    state = fields.String(metadata={"enum": list(STATES), "description": "level rightwrong+"})
    fraction = fields.Float(allow_none=True)
    score = fields.Float(allow_none=True)
    comment = fields.String(metadata={"description": "the hand grader's"})
    right_answer = fields.Dict(metadata={"description": "level answers+, in the response's "
                                         "shape"})
    feedback = fields.List(fields.Nested(ReviewFeedbackSchema),
                           metadata={"description": "level explanations"})
    general_feedback_html = fields.String(metadata={"description": "level explanations"})


class AttemptReviewSchema(Schema):
    level = fields.String(metadata={"enum": list(REVIEW_SHOWS)})
    score = fields.Float(allow_none=True)
    max_score = fields.Float()
    percent = fields.Float(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    needs_grading = fields.Boolean()
    slots = fields.List(fields.Nested(ReviewSlotSchema))


class AttemptResultSchema(Schema):
    attempt_id = fields.Integer()
    quiz_id = fields.Integer()
    number = fields.Integer()
    state = fields.String(metadata={"enum": list(ATTEMPT_STATES)})
    finished_at = fields.DateTime(allow_none=True)
    review = fields.Nested(AttemptReviewSchema, allow_none=True,
                           metadata={"description": "null when the review policy gives none "
                                     "(yet), or while the attempt is open"})


class AttemptStartSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # a start time or deadline sent along is ignored, never read

    number = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1),
                            metadata={"description": "the attempt number I expect to start: "
                                      "sending it again returns the same attempt"})


ANSWERS_DOC = {"description": '{"<slot>": response}, each shaped by its question type '
                              "(quizzes/spec.py); null or {} clears an answer"}


class AnswersSchema(Schema):
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                          load_default=dict, metadata=ANSWERS_DOC)


class AttemptSubmitSchema(Schema):
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                          load_default=None, metadata=ANSWERS_DOC)


class AnswersSavedSchema(Schema):
    saved = fields.Integer()
    seconds_left = fields.Integer(allow_none=True)


class HandGradeSchema(Schema):
    mark = fields.Float(required=True, metadata={"description": "0 to the question's mark"})
    comment = fields.String(load_default="", validate=validate.Length(max=5000))


# --- helpers --------------------------------------------------------------------------------


def _slot_view(view: dict) -> dict:
    """A slot's view with its matching items under the key the schemas read."""
    if "items" in view:
        view = {**view, "matching_items": view["items"]}
        del view["items"]
    return view


def _seconds_left(attempt: Attempt) -> int | None:
    """None when untimed; 0 once finished (the clock no longer runs for it)."""
    if attempt.deadline_at is not None and attempt.state == services.FINISHED:
        return 0
    return services.seconds_left(attempt)


def _attempt_body(attempt: Attempt) -> dict:
    return {
        "id": attempt.id, "quiz_id": attempt.quiz_id, "number": attempt.number,
        "state": attempt.state, "started_at": attempt.started_at,
        "deadline_at": attempt.deadline_at, "finished_at": attempt.finished_at,
        "seconds_left": _seconds_left(attempt), "layout": attempt.quiz.layout,
        "questions": [_slot_view(services.public_slot(slot)) for slot in attempt.slots],
    }


def _result_body(attempt: Attempt) -> dict:
    staff = attempt.user_id != current_user.id
    shown = review(attempt.quiz, attempt, staff=staff, at=services.now())
    if shown is not None:
        shown = {**shown, "slots": [_slot_view(view) for view in shown["slots"]]}
    return {
        "attempt_id": attempt.id, "quiz_id": attempt.quiz_id, "number": attempt.number,
        "state": attempt.state, "finished_at": attempt.finished_at, "review": shown,
    }


def _summary(attempt: Attempt) -> dict:
    body = {"id": attempt.id, "number": attempt.number, "state": attempt.state,
            "started_at": attempt.started_at, "deadline_at": attempt.deadline_at,
            "finished_at": attempt.finished_at, "score": None, "max_score": None,
            "percent": None, "passed": None, "needs_grading": None}
    if review_level(attempt.quiz, attempt, staff=False, at=services.now()) is not None:
        body.update(score=attempt.score, max_score=attempt.max_score, percent=attempt.percent,
                    passed=attempt.passed, needs_grading=attempt.needs_grading)
    return body


def _own_attempt(attempt_id: int) -> Attempt:
    """My attempt (closed first if its time ran out); anyone else's looks missing."""
    attempt = db.session.get(Attempt, attempt_id)
    require(attempt is not None and attempt.user_id == current_user.id)
    services.finish_if_overdue(attempt)
    return attempt


def owner_only(view):
    """404 unless the attempt is the caller's; checked before the body is parsed, so that a
    stranger learns nothing from a validation error (the view loads it again from the session's
    identity map, for free)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        attempt = db.session.get(Attempt, kwargs["attempt_id"])
        require(attempt is not None and attempt.user_id == current_user.id)
        return view(*args, **kwargs)

    return wrapper


def graders_only(view):
    """404 unless the caller may see the attempt, 403 unless they may grade it; before the
    body is parsed."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        attempt = db.session.get(Attempt, kwargs["attempt_id"])
        require(attempt is not None and can_view_attempt(current_user, attempt))
        if not can_grade_attempt(current_user, attempt):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _refuse(error: services.AttemptError):
    """AnswerError: 422 naming the question; any other AttemptError: 409 saying why."""
    if isinstance(error, services.AnswerError):
        where = error.field or "answers"
        abort(422, message=str(error), errors={"json": {"answers": {where: [str(error)]}}})
    abort(409, message=str(error))


# --- endpoints ------------------------------------------------------------------------------


@blp.post("/quizzes/<int:quiz_id>/attempts")
@blp.arguments(AttemptStartSchema)
@blp.response(201, AttemptSchema)
@blp.alt_response(409, description="closed, no questions, or no attempts left (message says)")
def start(args, quiz_id: int):
    """Start my next attempt (finishing one still open), or return attempt `number` if it was
    started already. Times and questions are fixed by the server."""
    quiz = load_quiz(quiz_id)
    try:
        attempt = services.start_attempt(quiz, current_user.id, args["number"])
    except services.AttemptError as error:
        _refuse(error)
    return _attempt_body(attempt)


@blp.get("/quizzes/<int:quiz_id>/attempts")
@blp.response(200, AttemptSummarySchema(many=True))
def history(quiz_id: int):
    """My attempts at a quiz, oldest first; scores as the review policy allows."""
    quiz = load_quiz(quiz_id)
    mine = db.session.scalars(select(Attempt).where(
        Attempt.quiz_id == quiz.id, Attempt.user_id == current_user.id)
        .options(selectinload(Attempt.slots)).order_by(Attempt.number)).all()
    for attempt in mine:
        services.finish_if_overdue(attempt)
    return [_summary(attempt) for attempt in mine]


@blp.get("/attempts/<int:attempt_id>")
@blp.response(200, AttemptSchema)
def get_attempt(attempt_id: int):
    """My attempt: state, deadline, seconds left and its questions with my saved answers, in
    the frozen order; never which answers are right."""
    return _attempt_body(_own_attempt(attempt_id))


@blp.route("/attempts/<int:attempt_id>/answers", methods=["PUT", "PATCH"])
@owner_only
@blp.arguments(AnswersSchema)
@blp.response(200, AnswersSavedSchema)
@blp.alt_response(409, description="the attempt is finished or its time is up")
def save_answers(args, attempt_id: int):
    """Save answers `{"<slot>": response}` of my open attempt, all or none: an answer to a
    question outside the attempt, or one that does not fit its question, is a 422 naming it."""
    attempt = _own_attempt(attempt_id)
    try:
        saved = services.save_answers(attempt, args["answers"])
    except services.AttemptError as error:
        _refuse(error)
    return {"saved": saved, "seconds_left": _seconds_left(attempt)}


@blp.post("/attempts/<int:attempt_id>/submit")
@owner_only
@blp.arguments(AttemptSubmitSchema)
@blp.response(200, AttemptResultSchema)
def submit(args, attempt_id: int):
    """Save the last answers (while time allows) and finish my attempt; a second submit
    returns the same result. The result's review follows the quiz's review policy."""
    attempt = _own_attempt(attempt_id)
    try:
        services.submit(attempt, args["answers"])
    except services.AnswerError as error:
        _refuse(error)
    except services.AttemptError:
        # Saving the answers sent along was refused: a simultaneous submit (a double tap, a
        # retry on a bad line) finished the attempt first, or its time ran out in between.
        # Those answers come too late either way; submit what was saved, as a second submit
        # does, so every submit of one attempt answers 200 with the one result.
        services.submit(attempt)
    return _result_body(attempt)


@blp.get("/attempts/<int:attempt_id>/result")
@blp.response(200, AttemptResultSchema)
def result(attempt_id: int):
    """An attempt's result and review, as the review policy allows its member; leaders in
    scope and admins see the full review."""
    attempt = db.session.get(Attempt, attempt_id)
    require(attempt is not None and can_view_attempt(current_user, attempt))
    services.finish_if_overdue(attempt)
    return _result_body(attempt)


@blp.post("/attempts/<int:attempt_id>/slots/<int:position>/grade")
@graders_only
@blp.arguments(HandGradeSchema)
@blp.response(200, AttemptResultSchema)
@blp.alt_response(409, description="the attempt is not finished")
def grade(args, attempt_id: int, position: int):
    """Mark one question of a finished attempt by hand (essays; or correct any mark): leaders
    in scope and admins, never the member themself."""
    attempt = db.session.get(Attempt, attempt_id)
    slot = next((s for s in attempt.slots if s.position == position), None)
    require(slot is not None)
    if slot.mark <= 0:
        message = _("This question carries no mark.")
        abort(422, message=message, errors={"json": {"mark": [message]}})
    try:
        services.grade_by_hand(slot, args["mark"] / slot.mark, args["comment"], current_user.id)
    except services.AttemptError as error:
        if isinstance(error, services.AnswerError):
            abort(422, message=str(error), errors={"json": {error.field: [str(error)]}})
        _refuse(error)
    record("quiz.grade", {"quiz": attempt.quiz.title, "position": position,
                         "mark": f"{args['mark']:g}/{slot.mark:g}"},
           target=attempt, details={"mark": args["mark"], "position": position})
    return _result_body(attempt)
