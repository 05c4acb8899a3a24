"""Weekly series (每周一期): a course's modules released one a week, each a numbered period."""

from datetime import date, datetime, time

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courses.models import Assignment, Course, Module
from learning.dbtypes import UTCDateTime, utcnow
from learning.extensions import db


class Series(db.Model):
    """A course (or a chosen list of its modules) released to a unit one module per release day.

    Release days are the chosen weekdays (`weekdays`: digits, 0 = Monday) from `starts_on` on,
    except the skipped ones (`skipped`: ISO dates "2026-10-05" or weeks "2026-W41"). Each
    release day's period runs from `start_time` that day to `due_time` `due_days` days later,
    local time (the site time zone); e.g. Monday 00:00 to Sunday 22:00 is weekdays "0",
    due_days 6, due_time 22:00. Periods are numbered from `first_number` (第N期).
    """

    __tablename__ = "series"
    __table_args__ = (
        CheckConstraint("due_days >= 0 AND due_days <= 60", name="due_days"),
        CheckConstraint("first_number >= 1", name="first_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"),
                                           index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"),
                                         index=True)
    weekdays: Mapped[str] = mapped_column(String(7), default="0")
    starts_on: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time, default=time(0, 0))
    due_days: Mapped[int] = mapped_column(default=6)
    due_time: Mapped[time] = mapped_column(Time, default=time(22, 0))
    first_number: Mapped[int] = mapped_column(default=1)
    skipped: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A paused series creates no period (the scheduled command and the button alike).
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()
    unit: Mapped["OrgUnit"] = relationship()  # noqa: F821
    # Empty: the course's published modules in course order.
    chosen: Mapped[list["SeriesModule"]] = relationship(
        order_by="SeriesModule.position", cascade="all, delete-orphan")
    periods: Mapped[list["SeriesPeriod"]] = relationship(
        order_by="SeriesPeriod.number", cascade="all, delete-orphan", back_populates="series")


class SeriesModule(db.Model):
    """One module of a series' chosen list, in release order."""

    __tablename__ = "series_modules"
    __table_args__ = (UniqueConstraint("series_id", "module_id"),)

    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"),
                                           primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="RESTRICT"),
                                           index=True)

    module: Mapped[Module] = relationship()


class SeriesPeriod(db.Model):
    """Period N of a series: the Assignment of one module released on one day.

    The unique (series_id, number) and (series_id, module_id) make creating a period
    idempotent: of two schedulers creating the same period at once, one fails and rolls back
    its savepoint (courses.series.services).
    """

    __tablename__ = "series_periods"
    __table_args__ = (UniqueConstraint("series_id", "number"),
                      UniqueConstraint("series_id", "module_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    number: Mapped[int]
    release_on: Mapped[date] = mapped_column(Date)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="RESTRICT"),
                                           index=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), unique=True)

    series: Mapped[Series] = relationship(back_populates="periods")
    assignment: Mapped[Assignment] = relationship()
    module: Mapped[Module] = relationship()
