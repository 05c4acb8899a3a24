"""Weekly series: the schedule, the periods it creates, and the series' writes.

A series releases the next module of its queue on each release day as period N (第N期): an
Assignment made by `courses.study.services.create_assignment`, so the rule refusing the same
study for an overlapping open period applies to series periods too, and closing at the due
time is the assignments' own `close_due` (a conditional UPDATE). Periods are created in order
and only from what is stored (the last period's number and day), never recomputed from the
calendar, so editing the skipped days or the weekdays only moves the periods not yet created.

Safe from cron on several servers at once: the series row is locked while its periods are
created (PostgreSQL; SQLite has one writer), and the unique (series_id, number) and
(series_id, module_id) of SeriesPeriod are the backstop: a runner that loses the race rolls
back its savepoint and creates nothing. Services flush, never commit.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from courses.models import Course, Module
from courses.series.models import Series, SeriesModule, SeriesPeriod
from courses.study import services as study
from learning.audit.services import record
from learning.extensions import db
from learning.orgs.models import OrgUnit

WEEKDAY_NAMES = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                 _l("Saturday"), _l("Sunday"))
DEFAULT_START, DEFAULT_DUE = time(0, 0), time(22, 0)  # Monday 00:00 to Sunday 22:00
MAX_SKIPPED = 200
MAX_SEARCH_DAYS = 3 * 366  # a schedule whose next release day is further off has none
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class SeriesError(ValueError):
    """A series that cannot be saved, or a period that cannot be created; says why and where."""

    def __init__(self, message: str, field_name: str | None = None):
        super().__init__(message)
        self.field_name = field_name


def zone() -> ZoneInfo:
    """The site's time zone, in which release days and times are meant."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def today(at: datetime | None = None) -> date:
    """The site's date at `at` (default now)."""
    return (at or study.now()).astimezone(zone()).date()


# --- the schedule (pure) -------------------------------------------------------------------


def parse_weekdays(value) -> str:
    """Weekdays as stored ("024": Monday, Wednesday, Friday) from digits 0-6 or a list of them."""
    items = list(value) if not isinstance(value, str) else list(value.replace(",", ""))
    try:
        days = sorted({int(item) for item in items if str(item).strip()})
    except ValueError:
        days = [-1]
    if not days or any(d < 0 or d > 6 for d in days):
        raise SeriesError(_("Choose at least one weekday (0 = Monday … 6 = Sunday)."),
                          "weekdays")
    return "".join(str(d) for d in days)


def weekday_names(weekdays: str) -> list[str]:
    """The stored weekdays ("024") as names in the reader's language."""
    return [str(WEEKDAY_NAMES[int(d)]) for d in weekdays]


def parse_skipped(entries) -> list[str]:
    """Skipped release days as stored: ISO dates ("2026-10-05", that day) or ISO weeks
    ("2026-W41", every release day of that Monday-to-Sunday week), sorted, each once.

    Accepts a list or text with one entry per line (commas and spaces also separate)."""
    if isinstance(entries, str):
        entries = re.split(r"[\s,，；;]+", entries)
    kept = set()
    for raw in entries or ():
        entry = str(raw).strip().upper()
        if not entry:
            continue
        week = _WEEK.match(entry)
        try:
            if week:
                date.fromisocalendar(int(week[1]), int(week[2]), 1)
            else:
                entry = date.fromisoformat(entry).isoformat()
        except ValueError:
            raise SeriesError(_("“%(entry)s” is neither a date like 2026-10-05 nor a week like "
                                "2026-W41.", entry=str(raw).strip()[:40]), "skipped") from None
        kept.add(entry)
    if len(kept) > MAX_SKIPPED:
        raise SeriesError(_("At most %(n)d skipped days or weeks.", n=MAX_SKIPPED), "skipped")
    return sorted(kept)


def is_skipped(skipped: list[str], day: date) -> bool:
    """Whether `day` is a skipped day or lies in a skipped week."""
    year, week, _weekday = day.isocalendar()
    return day.isoformat() in skipped or f"{year}-W{week:02d}" in skipped


def next_release_day(series: Series, after: date | None) -> date | None:
    """The first release day after `after` (from `starts_on` when None): a chosen weekday on
    or after starts_on that is not skipped; None if there is none within three years."""
    day = series.starts_on if after is None else max(after + timedelta(days=1), series.starts_on)
    skipped = series.skipped or []
    for _step in range(MAX_SEARCH_DAYS):
        if str(day.weekday()) in series.weekdays and not is_skipped(skipped, day):
            return day
        day += timedelta(days=1)
    return None


def period_times(series: Series, day: date) -> tuple[datetime, datetime]:
    """(starts_at, due_at) of the period released on `day`, aware, in the site's time zone."""
    tz = zone()
    starts_at = datetime.combine(day, series.start_time, tzinfo=tz)
    due_at = datetime.combine(day + timedelta(days=series.due_days), series.due_time, tzinfo=tz)
    return starts_at, due_at


def period_title(series: Series, number: int) -> str:
    """The stored title of period N: 「青年大学习 第12期」 (data, like a leader's own titles)."""
    return f"{series.title} 第{number}期"[:100]


# --- what comes next ------------------------------------------------------------------------


@dataclass
class Plan:
    """The next period a series would create: its number, release day, module and times."""

    number: int
    day: date
    module: Module
    starts_at: datetime
    due_at: datetime


def module_queue(series: Series) -> list[Module]:
    """The modules in release order: the chosen list, else the course's published modules."""
    if series.chosen:
        return [chosen.module for chosen in series.chosen]
    return list(db.session.scalars(
        select(Module).where(Module.course_id == series.course_id, Module.published.is_(True))
        .order_by(Module.position, Module.id)))


def next_plan(series: Series) -> Plan | None:
    """The next period from what is stored now (the last period's number and day, the modules
    already released); None when the queue is used up or no release day is left."""
    last = db.session.execute(
        select(SeriesPeriod.number, SeriesPeriod.release_on)
        .where(SeriesPeriod.series_id == series.id)
        .order_by(SeriesPeriod.number.desc()).limit(1)).first()
    released = set(db.session.scalars(
        select(SeriesPeriod.module_id).where(SeriesPeriod.series_id == series.id)))
    module = next((m for m in module_queue(series) if m.id not in released), None)
    if module is None:
        return None
    day = next_release_day(series, last.release_on if last else None)
    if day is None:
        return None
    starts_at, due_at = period_times(series, day)
    return Plan(last.number + 1 if last else series.first_number, day, module, starts_at, due_at)


def create_next_period(series: Series, *, actor=None, plan: Plan | None = None
                       ) -> SeriesPeriod | None:
    """Create the next period (its Assignment and its SeriesPeriod row) now, whatever its day.

    None when there is nothing left to release or another runner created this very period
    first. Raises SeriesError when the assignment is refused (the module is unpublished, or
    the same module is assigned to the unit by hand for an overlapping open period).
    """
    plan = plan or next_plan(series)
    if plan is None:
        return None
    try:
        with db.session.begin_nested():
            assignment = study.create_assignment(
                actor=actor, course=series.course, unit=series.unit, module=plan.module,
                title=period_title(series, plan.number), starts_at=plan.starts_at,
                due_at=plan.due_at)
            period = SeriesPeriod(series_id=series.id, number=plan.number, release_on=plan.day,
                                  module_id=plan.module.id, assignment_id=assignment.id)
            db.session.add(period)
            db.session.flush()
    except study.DuplicateAssignment as error:
        if _period_exists(series.id, plan.number):
            return None  # another runner created it and committed while we waited
        raise SeriesError(_("Period %(n)d could not be created: %(why)s", n=plan.number,
                            why=str(error)), "periods") from error
    except study.AssignmentError as error:
        raise SeriesError(_("Period %(n)d could not be created: %(why)s", n=plan.number,
                            why=str(error)), "periods") from error
    except IntegrityError:
        return None  # (series_id, number) or (series_id, module_id) taken by another runner
    return period


def _period_exists(series_id: int, number: int) -> bool:
    return db.session.scalar(select(func.count()).where(
        SeriesPeriod.series_id == series_id, SeriesPeriod.number == number)) > 0


def ahead_days() -> float:
    """How long before its start a period is created by the scheduled run (SERIES_AHEAD_DAYS)."""
    return float(current_app.config["SERIES_AHEAD_DAYS"])


def advance(series_id: int, at: datetime | None = None) -> list[SeriesPeriod]:
    """Create every period of the series that starts by `at` + SERIES_AHEAD_DAYS, in order.

    Locks the series row first, so a second runner waits and then finds the periods made;
    a paused series creates nothing. Raises SeriesError as create_next_period does.
    """
    at = at or study.now()
    series = db.session.scalar(
        select(Series).where(Series.id == series_id)
        .options(joinedload(Series.course), joinedload(Series.unit),
                 selectinload(Series.chosen).joinedload(SeriesModule.module))
        .with_for_update(of=Series).execution_options(populate_existing=True))
    if series is None or not series.active:
        return []
    horizon = at + timedelta(days=ahead_days())
    created = []
    while (plan := next_plan(series)) is not None and plan.starts_at <= horizon:
        period = create_next_period(series, plan=plan)
        if period is None:
            break  # another runner is at it
        created.append(period)
    return created


def active_series_ids() -> list[int]:
    """Ids of the series the scheduled run looks at."""
    return list(db.session.scalars(select(Series.id).where(Series.active.is_(True))
                                   .order_by(Series.id)))


# --- creating and changing series ----------------------------------------------------------


@dataclass
class SeriesInput:
    """What a form or an API request gives for a series (times local to the site)."""

    title: str
    course_id: int
    unit_id: int
    starts_on: date
    weekdays: str | list = "0"
    start_time: time = time(0, 0)
    due_days: int = 6
    due_time: time = time(22, 0)
    first_number: int = 1
    skipped: str | list = ()
    module_ids: list[int] | None = None
    active: bool = True


def _check_times(start_time: time, due_days: int, due_time: time) -> None:
    if not 0 <= due_days <= 60:
        raise SeriesError(_("The due day must be 0 to 60 days after the release day."),
                          "due_days")
    if due_days == 0 and due_time <= start_time:
        raise SeriesError(_("The due time must be after the start time."), "due_time")


def _chosen_modules(course: Course, module_ids) -> list[Module]:
    """The chosen modules in the order given: published modules of `course`, each once."""
    if not module_ids:
        return []
    if len(set(module_ids)) != len(module_ids):
        raise SeriesError(_("Each module can be released once in a series."), "module_ids")
    found = {m.id: m for m in db.session.scalars(select(Module).where(Module.id.in_(module_ids)))}
    for module_id in module_ids:
        module = found.get(module_id)
        if module is None or module.course_id != course.id or not module.published:
            raise SeriesError(_("Module %(id)s is not a published module of this course.",
                                id=module_id), "module_ids")
    return [found[i] for i in module_ids]


def create_series(data: SeriesInput, *, actor, unit: OrgUnit, course: Course,
                  at: datetime | None = None) -> Series:
    """Create a series for a unit (the caller checked can_manage_series_unit), audited.

    Refused: an unpublished course, a first release day in the past, a due time not after the
    start, bad weekdays or skipped days (each SeriesError names its field)."""
    title = (data.title or "").strip()
    if not title or len(title) > 80:
        raise SeriesError(_("Give the series a title of at most 80 characters."), "title")
    if not course.published:
        raise SeriesError(_("Only a published course can be released as a series."),
                          "course_id")
    if data.starts_on < today(at):
        raise SeriesError(_("The first release day cannot be in the past."), "starts_on")
    if not 1 <= data.first_number <= 100_000:
        raise SeriesError(_("The first period number must be from 1 to 100000."),
                          "first_number")
    _check_times(data.start_time, data.due_days, data.due_time)
    series = Series(
        title=title, course_id=course.id, unit_id=unit.id,
        weekdays=parse_weekdays(data.weekdays), starts_on=data.starts_on,
        start_time=data.start_time, due_days=data.due_days, due_time=data.due_time,
        first_number=data.first_number, skipped=parse_skipped(data.skipped),
        active=data.active, created_by_id=getattr(actor, "id", None))
    modules = _chosen_modules(course, data.module_ids)
    series.chosen = [SeriesModule(position=position, module_id=module.id, module=module)
                     for position, module in enumerate(modules)]
    db.session.add(series)
    db.session.flush()
    record("series.create", {"title": title, "unit": unit.name}, target=series, actor=actor,
           details={"course_id": course.id, "unit_id": unit.id,
                    "module_ids": [m.id for m in modules], "weekdays": series.weekdays,
                    "starts_on": data.starts_on.isoformat()})
    return series


# Changed at any time: they only shape the periods not created yet.
SCHEDULE_FIELDS = ("title", "weekdays", "start_time", "due_days", "due_time", "skipped",
                   "active")
# Fixed once a period exists: they decide what period 1 was.
START_FIELDS = ("starts_on", "first_number", "module_ids")


def update_series(series: Series, *, actor, at: datetime | None = None, **changes) -> Series:
    """Change a series, audited; only future periods follow (created ones stay as they are).

    The first release day, the first number and the module list are fixed once a period
    exists (they decided the periods already made)."""
    unknown = set(changes) - set(SCHEDULE_FIELDS) - set(START_FIELDS)
    if unknown:
        raise ValueError(f"unknown series fields {sorted(unknown)}")
    has_periods = db.session.scalar(select(func.count()).where(
        SeriesPeriod.series_id == series.id)) > 0
    before = {}
    for name in START_FIELDS:
        if name in changes and has_periods:
            current = ([c.module_id for c in series.chosen] if name == "module_ids"
                       else getattr(series, name))
            if changes[name] != current:
                raise SeriesError(_("This series has periods already: its first release day, "
                                    "first number and modules can no longer change."), name)
    if "title" in changes:
        title = (changes["title"] or "").strip()
        if not title or len(title) > 80:
            raise SeriesError(_("Give the series a title of at most 80 characters."), "title")
        changes["title"] = title
    if "weekdays" in changes:
        changes["weekdays"] = parse_weekdays(changes["weekdays"])
    if "skipped" in changes:
        changes["skipped"] = parse_skipped(changes["skipped"])
    if "starts_on" in changes and changes["starts_on"] != series.starts_on \
            and changes["starts_on"] < today(at):
        raise SeriesError(_("The first release day cannot be in the past."), "starts_on")
    if "first_number" in changes and not 1 <= changes["first_number"] <= 100_000:
        raise SeriesError(_("The first period number must be from 1 to 100000."),
                          "first_number")
    _check_times(changes.get("start_time", series.start_time),
                 changes.get("due_days", series.due_days),
                 changes.get("due_time", series.due_time))
    module_ids = changes.pop("module_ids", None)
    if module_ids is not None and not has_periods:
        modules = _chosen_modules(series.course, module_ids)
        db.session.execute(delete(SeriesModule).where(SeriesModule.series_id == series.id))
        db.session.expire(series, ["chosen"])
        for position, module in enumerate(modules):
            db.session.add(SeriesModule(series_id=series.id, position=position,
                                        module_id=module.id))
        before["module_ids"] = "changed"
    for name, value in changes.items():
        if getattr(series, name) != value:
            before[name] = str(getattr(series, name))
            setattr(series, name, value)
    db.session.flush()
    if before:
        record("series.update", {"title": series.title}, target=series, actor=actor,
               details={"changed": sorted(before)})
    return series


def delete_series(series: Series, *, actor) -> None:
    """Delete a series, audited; its periods stay as ordinary assignments with their figures."""
    record("series.delete", {"title": series.title}, target=series, actor=actor,
           details={"periods": len(series.periods)})
    db.session.delete(series)
    db.session.flush()


# --- reading -------------------------------------------------------------------------------


def load_series(series_id: int) -> Series | None:
    """A series with its course, unit, chosen modules and periods (with their assignments)."""
    return db.session.scalar(
        select(Series).where(Series.id == series_id)
        .options(joinedload(Series.course), joinedload(Series.unit),
                 selectinload(Series.chosen).joinedload(SeriesModule.module),
                 selectinload(Series.periods).joinedload(SeriesPeriod.assignment),
                 selectinload(Series.periods).joinedload(SeriesPeriod.module)))


def series_in_scope(scope_ids) -> list[Series]:
    """The series of the units in a scope (a SELECT of unit ids), newest first."""
    return list(db.session.scalars(
        select(Series).where(Series.unit_id.in_(scope_ids))
        .options(joinedload(Series.course), joinedload(Series.unit),
                 selectinload(Series.periods).joinedload(SeriesPeriod.assignment))
        .order_by(Series.created_at.desc(), Series.id.desc())))


def period_state(period: SeriesPeriod, at: datetime | None = None) -> str:
    """upcoming (not started), open, due (past due, not closed yet) or closed."""
    at = at or study.now()
    assignment = period.assignment
    if assignment.closed_at is not None:
        return "closed"
    if at < assignment.starts_at:
        return "upcoming"
    return "due" if at >= assignment.due_at else "open"


def get_series_or_404(series_id: int, user) -> Series:
    """The series if `user` may see it; 404 alike for a missing and a forbidden one."""
    from flask import abort

    from courses.series.permissions import can_view_series

    series = load_series(series_id)
    if series is None or not can_view_series(user, series):
        abort(404)
    return series
