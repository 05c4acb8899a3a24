"""Question banks: banks, their nested categories, tags, and the questions themselves.

A question's answers live in `Question.data`, a JSON dict whose shape per type is the contract in
quizzes/spec.py; its display texts are stored twice, as typed and as HTML rendered once by
learning.markup when the question is imported or saved.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.dbtypes import UTCDateTime, utcnow
from learning.extensions import db
from quizzes.formats.questions import QTYPES, TEXT_FORMATS

CATEGORY_SEPARATOR = "/"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class QuestionBank(db.Model):
    """A named collection of questions (题库) that quizzes draw from."""

    __tablename__ = "question_banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    categories: Mapped[list["QuestionCategory"]] = relationship(
        back_populates="bank", cascade="all, delete-orphan", passive_deletes=True,
        order_by="QuestionCategory.path")
    questions: Mapped[list["Question"]] = relationship(
        back_populates="bank", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Question.id")


class QuestionCategory(db.Model):
    """A category of a bank, nested to any depth (党史 > 第一章).

    `path` is the names from the top joined by "/" (names never contain "/"): it makes a
    category findable by the path an import file gives in one query, and unique per bank even
    at the top level, where `parent_id` is NULL and the (bank, parent, name) constraint cannot
    tell two top-level categories apart.
    """

    __tablename__ = "question_categories"
    __table_args__ = (
        UniqueConstraint("bank_id", "parent_id", "name"),
        UniqueConstraint("bank_id", "path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_banks.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_categories.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    bank: Mapped[QuestionBank] = relationship(back_populates="categories")
    parent: Mapped["QuestionCategory | None"] = relationship(
        remote_side="QuestionCategory.id", back_populates="children")
    children: Mapped[list["QuestionCategory"]] = relationship(
        back_populates="parent", order_by="QuestionCategory.name", passive_deletes=True)


class QuestionTag(db.Model):
    """A free label on questions (e.g. 「团史」), shared by all banks."""

    __tablename__ = "question_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


question_tag_links = Table(
    "question_tag_links",
    db.metadata,
    Column("question_id", ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("question_tags.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Question(db.Model):
    """One question of a bank: its type, texts (source and rendered HTML) and answer data.

    `data` holds the answers in the shape quizzes/spec.py gives for `qtype`. `idnumber` is an
    optional identifier from the file (GIFT's `[id:...]`), unique within its bank; NULL when
    there is none.
    """

    __tablename__ = "questions"
    __table_args__ = (
        CheckConstraint(_in("qtype", QTYPES), name="qtype"),
        CheckConstraint(_in("stem_format", TEXT_FORMATS), name="stem_format"),
        UniqueConstraint("bank_id", "idnumber"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_banks.id", ondelete="CASCADE"),
                                         index=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_categories.id", ondelete="SET NULL"), index=True)
    qtype: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255), default="")
    stem: Mapped[str] = mapped_column(Text)
    stem_format: Mapped[str] = mapped_column(String(16), default="markdown")
    stem_html: Mapped[str] = mapped_column(Text, default="")  # from learning.markup, at save
    general_feedback: Mapped[str] = mapped_column(Text, default="")
    general_feedback_html: Mapped[str] = mapped_column(Text, default="")
    default_mark: Mapped[float] = mapped_column(Float, default=1.0)
    difficulty: Mapped[str] = mapped_column(String(16), default="")
    idnumber: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    bank: Mapped[QuestionBank] = relationship(back_populates="questions")
    category: Mapped[QuestionCategory | None] = relationship()
    tags: Mapped[list[QuestionTag]] = relationship(
        secondary=question_tag_links, order_by="QuestionTag.name")


# --- Quizzes -----------------------------------------------------------------------------------

SELECTIONS = ("fixed", "random")
LAYOUTS = ("one", "all")  # one question per page, or all on one page
REVIEW_WHEN = ("after_attempt", "after_close", "never")
# What a review shows, each level including the ones before it.
REVIEW_SHOWS = ("score", "rightwrong", "answers", "explanations")
ATTEMPT_STATES = ("in_progress", "finished")


class Quiz(db.Model):
    """A quiz: attached to one module (at most one per module) or standalone in a course.

    Questions are either a fixed list (`QuizQuestion`) or drawn at random for each attempt from
    categories (`QuizDraw`). Times are UTC; `time_limit_minutes` None means untimed;
    `attempts_allowed` 0 means unlimited; `pass_mark` is a percentage of the maximum.
    """

    __tablename__ = "quizzes"
    __table_args__ = (
        CheckConstraint(_in("selection", SELECTIONS), name="selection"),
        CheckConstraint(_in("layout", LAYOUTS), name="layout"),
        CheckConstraint(_in("review_when", REVIEW_WHEN), name="review_when"),
        CheckConstraint(_in("review_shows", REVIEW_SHOWS), name="review_shows"),
        CheckConstraint(_in("grading_method", ("highest", "last", "first", "average")),
                        name="grading_method"),
        CheckConstraint("attempts_allowed >= 0", name="attempts_allowed"),
        CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="pass_mark"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    module_id: Mapped[int | None] = mapped_column(
        ForeignKey("modules.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    intro_md: Mapped[str] = mapped_column(Text, default="")
    intro_html: Mapped[str] = mapped_column(Text, default="")
    selection: Mapped[str] = mapped_column(String(16), default="fixed")
    shuffle_questions: Mapped[bool] = mapped_column(default=False)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    layout: Mapped[str] = mapped_column(String(8), default="one")
    time_limit_minutes: Mapped[int | None] = mapped_column()
    attempts_allowed: Mapped[int] = mapped_column(default=0)
    grading_method: Mapped[str] = mapped_column(String(16), default="highest")
    pass_mark: Mapped[float] = mapped_column(Float, default=60.0)
    open_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_when: Mapped[str] = mapped_column(String(16), default="after_attempt")
    review_shows: Mapped[str] = mapped_column(String(16), default="explanations")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    questions: Mapped[list["QuizQuestion"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="QuizQuestion.position")
    draws: Mapped[list["QuizDraw"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="QuizDraw.id")


class QuizQuestion(db.Model):
    """A question of a fixed quiz, at its position and with its mark in this quiz."""

    __tablename__ = "quiz_questions"

    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"),
                                         primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"),
                                             primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)
    mark: Mapped[float] = mapped_column(Float, default=1.0)

    question: Mapped[Question] = relationship()


class QuizDraw(db.Model):
    """A random draw: `count` questions from a category (and, if chosen, its subcategories)."""

    __tablename__ = "quiz_draws"
    __table_args__ = (CheckConstraint("count > 0", name="count"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"),
                                         index=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("question_categories.id", ondelete="CASCADE"), index=True)
    count: Mapped[int] = mapped_column()
    include_subcategories: Mapped[bool] = mapped_column(default=True)

    category: Mapped[QuestionCategory] = relationship()


class Attempt(db.Model):
    """One member's attempt at a quiz.

    `number` counts a member's attempts at the quiz from 1; the unique (quiz, user, number)
    constraint is what keeps concurrent starts within the attempts allowed, and a start that
    names the number it expects is idempotent (a double tap resumes the same attempt).
    `deadline_at` is fixed by the server at start (start + limit, capped by the close time);
    `score`/`max_score` are marks, `percent` is None while an essay waits for a grader.
    """

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("quiz_id", "user_id", "number"),
        CheckConstraint(_in("state", ATTEMPT_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    state: Mapped[str] = mapped_column(String(16), default="in_progress", index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float, default=0.0)
    percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column()
    needs_grading: Mapped[bool] = mapped_column(default=False)

    quiz: Mapped[Quiz] = relationship()
    slots: Mapped[list["AttemptSlot"]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", passive_deletes=True,
        order_by="AttemptSlot.position")


class AttemptSlot(db.Model):
    """One question as frozen into an attempt, with the member's response and its grade.

    `snapshot` copies what the attempt needs of the question (type, texts, answer data) at start,
    so editing or deleting the bank's question changes neither an open attempt nor a past grade.
    `option_order` is the frozen display order of option ids (or matching choices).
    """

    __tablename__ = "quiz_attempt_slots"
    __table_args__ = (
        UniqueConstraint("attempt_id", "position"),
        # The statistics cache's version reads the latest hand grade of a quiz's attempts
        # (quizzes/reports/freshness.py): only hand-graded slots, a few among many.
        Index("ix_quiz_attempt_slots_hand_graded", "attempt_id", "graded_at",
              sqlite_where=text("graded_at IS NOT NULL"),
              postgresql_where=text("graded_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL"), index=True)
    qtype: Mapped[str] = mapped_column(String(16))
    mark: Mapped[float] = mapped_column(Float, default=1.0)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    option_order: Mapped[list[str]] = mapped_column(JSON, default=list)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fraction: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), default="unanswered")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")  # the hand grader's, for essays
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attempt: Mapped[Attempt] = relationship(back_populates="slots")
