"""Courses, modules and everything a member's study is counted with."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.dbtypes import UTCDateTime, utcnow
from learning.extensions import db

COMPLETION_RULES = ("reading", "confirm", "quiz", "posts", "watched", "watched_quiz")
COMPLETED_VIA = ("reading", "confirm", "quiz", "offline", "posts", "watched")


class Course(db.Model):
    """A titled series of modules (专题), e.g. 「绽放战疫青春·坚定制度自信」."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    modules: Mapped[list["Module"]] = relationship(
        back_populates="course", order_by="(Module.position, Module.id)",
        cascade="all, delete-orphan")
    cover: Mapped["Attachment | None"] = relationship(
        primaryjoin="and_(Attachment.course_id == Course.id, Attachment.purpose == 'cover')",
        viewonly=True, uselist=False)


class Module(db.Model):
    """A unit of study (学习单元): a Markdown body rendered once at save, and a completion rule.

    Rules: "reading" completes when the member confirms after spending a share of the estimated
    time on it (measured by the server); "confirm" completes on confirmation at once; "quiz" when
    its quiz is passed; "posts" when the member wrote `min_posts` posts in its discussion;
    "watched" when the member has played `watch_percent` (or VIDEO_WATCHED_PERCENT) of its
    video, as the server measured it (courses.video); "watched_quiz" when that and its quiz
    is passed.
    """

    __tablename__ = "modules"
    __table_args__ = (
        CheckConstraint("completion_rule IN ('reading', 'confirm', 'quiz', 'posts', 'watched', "
                        "'watched_quiz')", name="completion_rule"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")  # from learning.markup, at save
    estimated_minutes: Mapped[int] = mapped_column(default=10)
    position: Mapped[int] = mapped_column(default=0)
    completion_rule: Mapped[str] = mapped_column(String(16), default="reading")
    min_posts: Mapped[int] = mapped_column(default=0)
    # The watched rules' share of the video, in percent; None: VIDEO_WATCHED_PERCENT.
    watch_percent: Mapped[int | None] = mapped_column()
    published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(back_populates="modules")
    attachments: Mapped[list["Attachment"]] = relationship(
        primaryjoin="and_(Attachment.module_id == Module.id, Attachment.purpose == 'module')",
        order_by="Attachment.id", viewonly=True)


class ModuleRevision(db.Model):
    """A previous version of a module's title and body: who replaced it and when."""

    __tablename__ = "module_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"),
                                           index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    editor_name: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text)


class Attachment(db.Model):
    """A file served from our own server: a module's image, PDF, audio or video, or a cover."""

    __tablename__ = "attachments"
    __table_args__ = (CheckConstraint("purpose IN ('module', 'cover')", name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"),
                                                  index=True)
    purpose: Mapped[str] = mapped_column(String(16), default="module")
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # Seconds of an audio or video file, read from it at upload (courses.video.media).
    duration_seconds: Mapped[float | None] = mapped_column()
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(db.Model):
    """A course or one module assigned to a unit (and everyone below it) for a study period."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"),
                                           index=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="RESTRICT"),
                                                  index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"),
                                         index=True)
    title: Mapped[str] = mapped_column(String(100), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Set when the period is closed (at due time or by hand); the roster is frozen then.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship()
    module: Mapped[Module | None] = relationship()
    unit: Mapped["OrgUnit"] = relationship()  # noqa: F821


class AssignmentMember(db.Model):
    """The frozen roster of a closed assignment: who was assigned, and in which unit."""

    __tablename__ = "assignment_members"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"),
                                         index=True)


class Progress(db.Model):
    """One member's progress on one module; at most one row per pair (a unique constraint)."""

    __tablename__ = "progress"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id"),
        CheckConstraint(
            "completed_via IS NULL OR completed_via IN "
            "('reading', 'confirm', 'quiz', 'offline', 'posts', 'watched')",
            name="completed_via"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"),
                                           index=True)
    first_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reading time credited by the server from the gaps between the member's own requests.
    seconds_spent: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_via: Mapped[str | None] = mapped_column(String(10))



class CourseProgress(db.Model):
    """A rollup of one member's progress in one course, for reports at scale.

    Counts the course's published modules only, as 「我的学习」 does. Written by
    `courses.progress` in the same transaction as every Progress write that changes it, and
    rebuilt for a course when its set of published modules changes; never edited elsewhere.
    A report over 10,000 members then reads one row per member instead of one per module.
    """

    __tablename__ = "course_progress"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           primary_key=True, index=True)
    done: Mapped[int] = mapped_column(default=0)  # published modules completed
    # Any published module opened, read for a while or done (「我的学习」's "in progress").
    opened: Mapped[bool] = mapped_column(default=False)
    last_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

offline_lesson_modules = Table(
    "offline_lesson_modules", db.metadata,
    Column("lesson_id", ForeignKey("offline_lessons.id", ondelete="CASCADE"), primary_key=True),
    Column("module_id", ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True),
)
offline_lesson_attendees = Table(
    "offline_lesson_attendees", db.metadata,
    Column("lesson_id", ForeignKey("offline_lessons.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class OfflineLesson(db.Model):
    """An offline group lesson (线下学习) a leader recorded: when, where, what, who attended."""

    __tablename__ = "offline_lessons"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"),
                                         index=True)
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped["OrgUnit"] = relationship()  # noqa: F821
    modules: Mapped[list[Module]] = relationship(secondary=offline_lesson_modules)
    attendees: Mapped[list["User"]] = relationship(secondary=offline_lesson_attendees)  # noqa: F821


class OfflineLateEntry(db.Model):
    """补录: an offline lesson entered for a member after the due time of an open period that
    counts one of its modules, so the member's row in that period's report says so."""

    __tablename__ = "offline_late_entries"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("offline_lessons.id", ondelete="CASCADE"), primary_key=True, index=True)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfflineLessonRevision(db.Model):
    """The state of an offline lesson record before a correction, and who corrected it."""

    __tablename__ = "offline_lesson_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("offline_lessons.id", ondelete="CASCADE"),
                                           index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    editor_name: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
