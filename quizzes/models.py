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
    String,
    Table,
    Text,
    UniqueConstraint,
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
