"""API: quizzes: the ones I may take, one quiz with my attempts and grade; admins create quizzes,
change their settings, their fixed questions and their random draws.

The same services as the pages (quizzes.authoring.services); a refused setting is a 422 naming
its field. Members never see which bank questions a quiz uses: that is for its managers.
"""

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, fields, validate
from sqlalchemy import false, func, or_, select
from sqlalchemy.exc import IntegrityError

from courses.models import Assignment, Course, Module
from courses.permissions import assignments_for_user_select
from learning.api import api_blueprint, api_requires
from learning.audit.services import record
from learning.extensions import db
from learning.markup import MAX_SOURCE_CHARS
from learning.permissions import is_admin, is_leader, require
from quizzes.attempts import services as attempts
from quizzes.authoring import services
from quizzes.grading import GRADING_METHODS
from quizzes.models import (
    LAYOUTS,
    REVIEW_SHOWS,
    REVIEW_WHEN,
    SELECTIONS,
    Attempt,
    Quiz,
    QuizDraw,
    QuizQuestion,
)
from quizzes.permissions import can_manage_quizzes, can_take_quiz

blp = api_blueprint("api_quizzes", __name__, "Quizzes and their settings")


# --- schemas --------------------------------------------------------------------------------


class QuizSummarySchema(Schema):
    id = fields.Integer()
    title = fields.String()
    course_id = fields.Integer()
    course_title = fields.String()
    module_id = fields.Integer(allow_none=True, metadata={"description": "null: standalone"})
    module_title = fields.String(allow_none=True)
    is_open = fields.Boolean(metadata={"description": "within its open and close times now"})
    open_at = fields.DateTime(allow_none=True)
    close_at = fields.DateTime(allow_none=True)
    time_limit_minutes = fields.Integer(allow_none=True, metadata={"description": "null: none"})
    attempts_allowed = fields.Integer(metadata={"description": "0: unlimited"})
    question_count = fields.Integer(metadata={"description": "questions per attempt"})
    attempts_used = fields.Integer(metadata={"description": "my attempts so far"})


class MyGradeSchema(Schema):
    percent = fields.Float(allow_none=True, metadata={
        "description": "by the grading method; null before a graded attempt, or while the "
                       "review policy keeps scores back"})
    passed = fields.Boolean()
    attempts = fields.Integer(metadata={"description": "finished attempts"})
    pending = fields.Integer(metadata={"description": "finished attempts awaiting a grader"})


class QuizQuestionSchema(Schema):
    question_id = fields.Integer()
    position = fields.Integer()
    mark = fields.Float()


class QuizDrawSchema(Schema):
    category_id = fields.Integer()
    category_path = fields.String()
    count = fields.Integer()
    include_subcategories = fields.Boolean()


class QuizSetupSchema(Schema):
    intro_md = fields.String()
    selection = fields.String(metadata={"enum": list(SELECTIONS)})
    shuffle_questions = fields.Boolean()
    shuffle_options = fields.Boolean()
    questions = fields.List(fields.Nested(QuizQuestionSchema))
    draws = fields.List(fields.Nested(QuizDrawSchema))


class QuizSchema(QuizSummarySchema):
    intro_html = fields.String(metadata={"description": "sanitised HTML, rendered at save"})
    layout = fields.String(metadata={"enum": list(LAYOUTS)})
    grading_method = fields.String(metadata={"enum": list(GRADING_METHODS)})
    pass_mark = fields.Float(metadata={"description": "percent"})
    review_when = fields.String(metadata={"enum": list(REVIEW_WHEN)})
    review_shows = fields.String(metadata={"enum": list(REVIEW_SHOWS)})
    attempts_left = fields.Integer(allow_none=True, metadata={"description": "null: unlimited"})
    open_attempt_id = fields.Integer(allow_none=True, metadata={"description": "my attempt "
                                                                "in progress"})
    grade = fields.Nested(MyGradeSchema)
    setup = fields.Nested(QuizSetupSchema, allow_none=True,
                          metadata={"description": "for quiz managers only; null otherwise"})


class QuizSettingsSchema(Schema):
    """Settings a PATCH may change; a setting left out keeps its value."""

    title = fields.String(validate=validate.Length(max=200))
    intro_md = fields.String(validate=validate.Length(max=MAX_SOURCE_CHARS),
                             metadata={"description": "Markdown; sanitised HTML is rendered"})
    selection = fields.String(metadata={"enum": list(SELECTIONS)})
    shuffle_questions = fields.Boolean()
    shuffle_options = fields.Boolean()
    layout = fields.String(metadata={"enum": list(LAYOUTS)})
    time_limit_minutes = fields.Integer(allow_none=True, metadata={"description": "null: none"})
    attempts_allowed = fields.Integer(metadata={"description": "0: unlimited"})
    grading_method = fields.String(metadata={"enum": list(GRADING_METHODS)})
    pass_mark = fields.Float(metadata={"description": "percent, 0 to 100"})
    open_at = fields.AwareDateTime(allow_none=True,
                                   metadata={"example": "2025-03-01T08:00:00+08:00"})
    close_at = fields.AwareDateTime(allow_none=True)
    review_when = fields.String(metadata={"enum": list(REVIEW_WHEN)})
    review_shows = fields.String(metadata={"enum": list(REVIEW_SHOWS)})


class QuizCreateSchema(QuizSettingsSchema):
    course_id = fields.Integer(required=True)
    module_id = fields.Integer(load_default=None, allow_none=True,
                               metadata={"description": "a module of the course; null: "
                                         "standalone"})
    title = fields.String(required=True, validate=validate.Length(max=200))


class QuestionChoiceSchema(Schema):
    question_id = fields.Integer(required=True)
    mark = fields.Float(load_default=None, allow_none=True,
                        metadata={"description": "null: the question's default mark"})


class QuizQuestionsInSchema(Schema):
    questions = fields.List(fields.Nested(QuestionChoiceSchema), required=True,
                            validate=validate.Length(max=500), metadata={"description": "in order"})


class DrawInSchema(Schema):
    category_id = fields.Integer(required=True)
    count = fields.Integer(required=True)
    include_subcategories = fields.Boolean(load_default=True)


class QuizDrawsInSchema(Schema):
    draws = fields.List(fields.Nested(DrawInSchema), required=True,
                        validate=validate.Length(max=100))


# --- who may take what ------------------------------------------------------------------------


def takeable_quizzes_select(user):
    """SELECT of the quizzes `user` may take: the list form of can_take_quiz, in one query.

    A module's quiz follows can_view_module, a standalone quiz can_view_course: published
    course (and module), then leaders see them all, members those an assignment of theirs
    covers (a whole-course assignment, or one of the quiz's module; any for a standalone quiz).
    """
    query = (select(Quiz).join(Course, Course.id == Quiz.course_id)
             .outerjoin(Module, Module.id == Quiz.module_id))
    if is_admin(user):
        return query
    if not getattr(user, "is_authenticated", False):
        return query.where(false())
    query = query.where(Course.published.is_(True),
                        or_(Quiz.module_id.is_(None), Module.published.is_(True)))
    if is_leader(user):
        return query
    covering = assignments_for_user_select(user).with_only_columns(Assignment.id).where(
        Assignment.course_id == Quiz.course_id,
        or_(Quiz.module_id.is_(None), Assignment.module_id.is_(None),
            Assignment.module_id == Quiz.module_id))
    return query.where(covering.exists())


# --- helpers --------------------------------------------------------------------------------


def _question_counts(quizzes: list[Quiz]) -> dict[int, int]:
    """Questions per attempt of each quiz, in two queries whatever the number of quizzes."""
    ids = [quiz.id for quiz in quizzes]
    if not ids:
        return {}
    fixed = dict(db.session.execute(
        select(QuizQuestion.quiz_id, func.count()).where(QuizQuestion.quiz_id.in_(ids))
        .group_by(QuizQuestion.quiz_id)).all())
    drawn = dict(db.session.execute(
        select(QuizDraw.quiz_id, func.sum(QuizDraw.count)).where(QuizDraw.quiz_id.in_(ids))
        .group_by(QuizDraw.quiz_id)).all())
    return {quiz.id: int((fixed if quiz.selection == "fixed" else drawn).get(quiz.id) or 0)
            for quiz in quizzes}


def _attempts_used(quiz_ids: list[int], user_id: int) -> dict[int, int]:
    if not quiz_ids:
        return {}
    return dict(db.session.execute(
        select(Attempt.quiz_id, func.max(Attempt.number))
        .where(Attempt.quiz_id.in_(quiz_ids), Attempt.user_id == user_id)
        .group_by(Attempt.quiz_id)).all())


def _summary(quiz: Quiz, course: Course, module: Module | None, count: int, used: int) -> dict:
    return {
        "id": quiz.id, "title": quiz.title, "course_id": quiz.course_id,
        "course_title": course.title, "module_id": quiz.module_id,
        "module_title": module.title if module is not None else None,
        "is_open": attempts.is_open(quiz), "open_at": quiz.open_at, "close_at": quiz.close_at,
        "time_limit_minutes": quiz.time_limit_minutes,
        "attempts_allowed": quiz.attempts_allowed, "question_count": count,
        "attempts_used": used,
    }


def grade_visible(quiz: Quiz) -> bool:
    """Whether the review policy lets a member see scores now (every review level shows the
    score; "never" shows none, "after close" none before the close)."""
    if quiz.review_when == "after_attempt":
        return True
    return quiz.review_when == "after_close" and quiz.close_at is not None \
        and attempts.now() >= quiz.close_at


def _setup(quiz: Quiz) -> dict:
    return {
        "intro_md": quiz.intro_md, "selection": quiz.selection,
        "shuffle_questions": quiz.shuffle_questions, "shuffle_options": quiz.shuffle_options,
        "questions": [{"question_id": link.question_id, "position": link.position,
                       "mark": link.mark} for link in quiz.questions],
        "draws": [{"category_id": draw.category_id, "category_path": draw.category.path,
                   "count": draw.count, "include_subcategories": draw.include_subcategories}
                  for draw in quiz.draws],
    }


def quiz_body(quiz: Quiz) -> dict:
    """One quiz as the caller sees it: settings, my attempts and grade, and (managers) setup."""
    user_id = current_user.id
    course = db.session.get(Course, quiz.course_id)
    module = db.session.get(Module, quiz.module_id) if quiz.module_id else None
    used = attempts.attempts_used(quiz.id, user_id)
    current = attempts.open_attempt(quiz.id, user_id)  # closes one that ran out first
    grade = attempts.member_grade(quiz, user_id)
    body = _summary(quiz, course, module, services.question_count(quiz), used)
    body.update({
        "intro_html": quiz.intro_html, "layout": quiz.layout,
        "grading_method": quiz.grading_method, "pass_mark": quiz.pass_mark,
        "review_when": quiz.review_when, "review_shows": quiz.review_shows,
        "attempts_left": max(0, quiz.attempts_allowed - used) if quiz.attempts_allowed
        else None,
        "open_attempt_id": current.id if current is not None else None,
        "grade": {"percent": grade.percent if grade_visible(quiz) else None,
                  "passed": grade.passed, "attempts": grade.attempts, "pending": grade.pending},
        "setup": _setup(quiz) if can_manage_quizzes(current_user) else None,
    })
    return body


def load_quiz(quiz_id: int) -> Quiz:
    """The quiz if the caller may take it (admins: any), else 404."""
    quiz = db.session.get(Quiz, quiz_id)
    require(quiz is not None and can_take_quiz(current_user, quiz))
    return quiz


def _refuse(error: services.QuizSettingsError):
    abort(422, message=str(error), errors={"json": {error.field: [str(error)]}})


def _managed_quiz(quiz_id: int) -> Quiz:
    return db.get_or_404(Quiz, quiz_id)


# --- endpoints ------------------------------------------------------------------------------


@blp.get("/quizzes")
@blp.response(200, QuizSummarySchema(many=True))
def list_quizzes():
    """The quizzes I may take (admins: all), with my attempts used so far."""
    rows = db.session.execute(
        takeable_quizzes_select(current_user).add_columns(Course, Module)
        .order_by(Course.position, Course.id, Quiz.module_id.is_(None), Module.position,
                  Quiz.id)).all()
    quizzes = [row[0] for row in rows]
    counts = _question_counts(quizzes)
    used = _attempts_used([quiz.id for quiz in quizzes], current_user.id)
    return [_summary(quiz, course, module, counts[quiz.id], used.get(quiz.id, 0))
            for quiz, course, module in rows]


@blp.post("/quizzes")
@api_requires(can_manage_quizzes)
@blp.arguments(QuizCreateSchema)
@blp.response(201, QuizSchema)
def create_quiz(args):
    """Create a quiz in a course, on one of its modules (at most one per module) or standalone
    (admins). Add its questions with PUT .../questions or .../draws."""
    if db.session.get(Course, args["course_id"]) is None:
        abort(422, message=_("No such course."),
              errors={"json": {"course_id": [_("No such course.")]}})
    course_id, module_id = args.pop("course_id"), args.pop("module_id")
    try:
        quiz = services.create_quiz(course_id, module_id, **args)
    except services.QuizSettingsError as error:
        _refuse(error)
    except IntegrityError:  # another admin gave the module its quiz at the same moment
        db.session.rollback()
        message = _("This module has a quiz already.")
        abort(422, message=message, errors={"json": {"module_id": [message]}})
    record("quiz.create", {"quiz": quiz.title}, target=quiz, details={"api": True})
    return quiz_body(quiz)


@blp.get("/quizzes/<int:quiz_id>")
@blp.response(200, QuizSchema)
def get_quiz(quiz_id: int):
    """A quiz I may take: its settings, questions per attempt, my attempts used and left, my
    attempt in progress and my grade (its percentage as the review policy allows)."""
    return quiz_body(load_quiz(quiz_id))


@blp.patch("/quizzes/<int:quiz_id>")
@api_requires(can_manage_quizzes)
@blp.arguments(QuizSettingsSchema)
@blp.response(200, QuizSchema)
def update_quiz(args, quiz_id: int):
    """Change a quiz's settings (admins); settings left out keep their values. Attempts
    already started keep their questions and deadline."""
    quiz = _managed_quiz(quiz_id)
    try:
        services.update_quiz(quiz, **args)
    except services.QuizSettingsError as error:
        _refuse(error)
    record("quiz.update", {"quiz": quiz.title}, target=quiz, details={"fields": sorted(args)})
    return quiz_body(quiz)


@blp.put("/quizzes/<int:quiz_id>/questions")
@api_requires(can_manage_quizzes)
@blp.arguments(QuizQuestionsInSchema)
@blp.response(200, QuizSchema)
def set_questions(args, quiz_id: int):
    """Replace the fixed questions of a quiz, in order, each with its mark (admins)."""
    quiz = _managed_quiz(quiz_id)
    try:
        services.set_questions(quiz, [(q["question_id"], q["mark"]) for q in args["questions"]])
    except services.QuizSettingsError as error:
        _refuse(error)
    record("quiz.questions", {"quiz": quiz.title}, target=quiz,
           details={"questions": len(args["questions"])})
    return quiz_body(quiz)


@blp.put("/quizzes/<int:quiz_id>/draws")
@api_requires(can_manage_quizzes)
@blp.arguments(QuizDrawsInSchema)
@blp.response(200, QuizSchema)
def set_draws(args, quiz_id: int):
    """Replace the random draws of a quiz: how many questions from which category (admins)."""
    quiz = _managed_quiz(quiz_id)
    draws = [(d["category_id"], d["count"], d["include_subcategories"]) for d in args["draws"]]
    try:
        services.set_draws(quiz, draws)
    except services.QuizSettingsError as error:
        _refuse(error)
    record("quiz.draws", {"quiz": quiz.title}, target=quiz, details={"draws": len(draws)})
    return quiz_body(quiz)
