"""Quiz settings: create and change quizzes, their fixed questions and their random draws.

Services flush, never commit. Each refusal is a QuizSettingsError naming the field, so pages
and the API show it where it belongs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from courses.models import Module
from learning.extensions import db
from learning.markup import render_markdown
from quizzes.formats.questions import DESCRIPTION
from quizzes.grading import GRADING_METHODS
from quizzes.models import (
    LAYOUTS,
    REVIEW_SHOWS,
    REVIEW_WHEN,
    SELECTIONS,
    Question,
    QuestionCategory,
    Quiz,
    QuizDraw,
    QuizQuestion,
)

SETTINGS = ("title", "intro_md", "selection", "shuffle_questions", "shuffle_options", "layout",
            "time_limit_minutes", "attempts_allowed", "grading_method", "pass_mark", "open_at",
            "close_at", "review_when", "review_shows")
_CHOICES = {"selection": SELECTIONS, "layout": LAYOUTS, "review_when": REVIEW_WHEN,
            "review_shows": REVIEW_SHOWS, "grading_method": GRADING_METHODS}


class QuizSettingsError(ValueError):
    """Settings that cannot be saved; `field` names the setting."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def create_quiz(course_id: int, module_id: int | None = None, **settings: Any) -> Quiz:
    """A new quiz in a course, attached to one of its modules or standalone."""
    if module_id is not None:
        module = db.session.get(Module, module_id)
        if module is None or module.course_id != course_id:
            raise QuizSettingsError(_("The module is not part of this course."), "module_id")
        if db.session.scalar(select(Quiz.id).where(Quiz.module_id == module_id)) is not None:
            raise QuizSettingsError(_("This module has a quiz already."), "module_id")
    quiz = Quiz(course_id=course_id, module_id=module_id, title="")
    update_quiz(quiz, **settings)
    db.session.add(quiz)
    db.session.flush()
    return quiz


def update_quiz(quiz: Quiz, **settings: Any) -> Quiz:
    """Change the given settings (others keep their values), checked together."""
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise QuizSettingsError(_("Unknown setting."), sorted(unknown)[0])
    values = {name: getattr(quiz, name) for name in SETTINGS}
    values.update(settings)
    _check(values)
    for name, value in settings.items():
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(UTC)  # as stored, so the object reads back the same
        setattr(quiz, name, value)
    if "intro_md" in settings:
        quiz.intro_html = render_markdown(quiz.intro_md or "")
    db.session.flush()
    return quiz


def _check(values: dict[str, Any]) -> None:
    if not (values.get("title") or "").strip():
        raise QuizSettingsError(_("A quiz needs a title."), "title")
    if len(values["title"]) > 200:
        raise QuizSettingsError(_("At most 200 characters."), "title")
    for name, allowed in _CHOICES.items():
        if values.get(name) is not None and values[name] not in allowed:
            raise QuizSettingsError(_("Not a valid choice."), name)
    limit = values.get("time_limit_minutes")
    if limit is not None and not 1 <= limit <= 24 * 60:
        raise QuizSettingsError(_("The time limit is 1 to 1440 minutes, or none."),
                                "time_limit_minutes")
    if values.get("attempts_allowed") is not None and values["attempts_allowed"] < 0:
        raise QuizSettingsError(_("Attempts allowed is 0 (unlimited) or more."),
                                "attempts_allowed")
    if values.get("pass_mark") is not None and not 0 <= values["pass_mark"] <= 100:
        raise QuizSettingsError(_("The pass mark is a percentage from 0 to 100."), "pass_mark")
    if values.get("open_at") and values.get("close_at") and \
            values["close_at"] <= values["open_at"]:
        raise QuizSettingsError(_("The quiz must close after it opens."), "close_at")


def set_questions(quiz: Quiz, questions: Iterable[tuple[int, float | None]]) -> None:
    """The fixed questions, in order, each with its mark in this quiz (None: its default).

    Every pair is checked before the list is touched, so a refusal leaves the quiz as it was.
    """
    pairs = list(questions)
    ids = [question_id for question_id, _mark in pairs]
    if len(set(ids)) != len(ids):
        raise QuizSettingsError(_("A question can be in a quiz only once."), "questions")
    found = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))}
    for question_id, mark in pairs:
        if question_id not in found:
            raise QuizSettingsError(_("Question %(id)s does not exist.", id=question_id),
                                    "questions")
        if mark is not None and mark < 0:
            raise QuizSettingsError(_("A mark cannot be negative."), "questions")
    quiz.questions.clear()
    db.session.flush()
    for position, (question_id, mark) in enumerate(pairs, start=1):
        quiz.questions.append(QuizQuestion(
            question_id=question_id, position=position,
            mark=found[question_id].default_mark if mark is None else mark))
    db.session.flush()


def set_draws(quiz: Quiz, draws: Iterable[tuple[int, int, bool]]) -> None:
    """The random draws: (category id, how many, include subcategories), each checked against
    the questions the category holds now, less those the draws before it may take (an attempt
    never gets a question twice, so overlapping draws share their questions).

    Every draw is checked before the list is touched, so a refusal leaves the quiz as it was.
    """
    wanted = list(draws)
    earlier: list[tuple[set[int], int]] = []  # pool and count of each draw checked so far
    for category_id, count, include_sub in wanted:
        category = db.session.get(QuestionCategory, category_id)
        if category is None:
            raise QuizSettingsError(_("Category %(id)s does not exist.", id=category_id), "draws")
        if count < 1:
            raise QuizSettingsError(_("Draw at least one question."), "draws")
        pool = set(db.session.scalars(
            draw_pool(category, include_sub).with_only_columns(Question.id)))
        # At worst the draws before take all they can from this pool, never more than it shares
        # with them: an attempt's start (quizzes.attempts.services.draw_slots) then still finds
        # enough.
        shared = pool & set().union(*(ids for ids, _count in earlier))
        taken = min(len(shared), sum(min(n, len(pool & ids)) for ids, n in earlier))
        if count > len(pool) - taken:
            if taken:
                raise QuizSettingsError(
                    _("Category %(name)s has only %(have)d questions that the draws before it "
                      "cannot take.", name=category.path, have=len(pool) - taken), "draws")
            raise QuizSettingsError(
                _("Category %(name)s has only %(have)d questions.", name=category.path,
                  have=len(pool)), "draws")
        earlier.append((pool, count))
    quiz.draws.clear()
    db.session.flush()
    for category_id, count, include_sub in wanted:
        quiz.draws.append(QuizDraw(category_id=category_id, count=count,
                                   include_subcategories=include_sub))
    db.session.flush()


def draw_pool(category: QuestionCategory, include_subcategories: bool):
    """SELECT of the gradable questions a draw from this category chooses from."""
    query = select(Question).join(QuestionCategory, Question.category_id == QuestionCategory.id) \
        .where(QuestionCategory.bank_id == category.bank_id, Question.qtype != DESCRIPTION)
    if include_subcategories:
        return query.where(or_(QuestionCategory.id == category.id,
                               QuestionCategory.path.startswith(category.path + "/")))
    return query.where(QuestionCategory.id == category.id)


def available_in(category: QuestionCategory, include_subcategories: bool) -> int:
    """How many questions a draw from this category can choose from."""
    pool = draw_pool(category, include_subcategories).subquery()
    return db.session.scalar(select(func.count()).select_from(pool))


def question_count(quiz: Quiz) -> int:
    """Questions per attempt."""
    if quiz.selection == "fixed":
        return len(quiz.questions)
    return sum(draw.count for draw in quiz.draws)


def quizzes_using(*, question_ids=None, category_ids=None) -> list[str]:
    """Titles of the quizzes that hold any of these questions or draw from these categories.

    Deleting such a question or category would silently take it out of the quiz (the links
    cascade), so the bank pages refuse and name the quizzes instead.
    """
    conditions = []
    if question_ids is not None:
        conditions.append(Quiz.id.in_(select(QuizQuestion.quiz_id).where(
            QuizQuestion.question_id.in_(question_ids))))
    if category_ids is not None:
        conditions.append(Quiz.id.in_(select(QuizDraw.quiz_id).where(
            QuizDraw.category_id.in_(category_ids))))
    if not conditions:
        return []
    return list(db.session.scalars(select(Quiz.title).where(or_(*conditions)).order_by(Quiz.id)))
