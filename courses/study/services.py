"""Assignments (study periods), 「我的学习」 and reading progress: the writes and the rules.

Services flush, never commit (learning/transactions.py commits once per request). Every time
comes from `now()` on the server, so tests can move the clock and clients cannot.
"""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, insert, literal, select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from courses import progress
from courses.models import Assignment, AssignmentMember, Course, Module, Progress
from courses.permissions import (
    assigned_module_ids,
    assignments_for_user_select,
    forget_assignments,
    viewable_modules,
)
from learning.accounts.models import User
from learning.audit.services import record
from learning.dbtypes import utcnow
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit

STATUSES = ("not_started", "in_progress", "completed", "late")


def now() -> datetime:
    """The server's clock (UTC); the one time source of this module (tests monkeypatch it)."""
    return utcnow()


class AssignmentError(ValueError):
    """An assignment that cannot be created or closed as asked; the message says why."""

    def __init__(self, message: str, field_name: str | None = None):
        super().__init__(message)
        self.field_name = field_name


# --- assignments -------------------------------------------------------------------------


def assignment_label(assignment: Assignment) -> str:
    """How a message names a period: 「第12期（专题 · 单元）」, or the course (and module)."""
    what = assignment.course.title
    if assignment.module is not None:
        what = f"{what} · {assignment.module.title}"
    if not assignment.title:
        return f"「{what}」"
    return _("「%(title)s」 (%(what)s)", title=assignment.title, what=what)


class DuplicateAssignment(AssignmentError):
    """The same study is already assigned to the unit for an overlapping open period."""

    def __init__(self, existing: Assignment):
        super().__init__(_(
            "%(period)s is already assigned to %(unit)s from %(starts)s to %(due)s and is still "
            "open: extend its due time instead of assigning it again.",
            period=assignment_label(existing), unit=existing.unit.name,
            starts=format_datetime(existing.starts_at, "yyyy-MM-dd HH:mm"),
            due=format_datetime(existing.due_at, "yyyy-MM-dd HH:mm")), "course_id")
        self.existing = existing


def open_duplicate(course: Course, module: Module | None, unit: OrgUnit, starts_at: datetime,
                   due_at: datetime) -> Assignment | None:
    """An open assignment of the same course (or the same module) to the same unit whose
    period overlaps [starts_at, due_at): creating another would count the same study twice."""
    # Lock the unit's row first: of two leaders assigning the same study at once, the second
    # waits and then finds the first one's assignment (PostgreSQL; SQLite has one writer).
    db.session.execute(select(OrgUnit.id).where(OrgUnit.id == unit.id).with_for_update())
    same_module = (Assignment.module_id.is_(None) if module is None
                   else Assignment.module_id == module.id)
    return db.session.scalar(
        select(Assignment)
        .options(joinedload(Assignment.unit), joinedload(Assignment.course),
                 joinedload(Assignment.module))
        .where(Assignment.course_id == course.id, same_module, Assignment.unit_id == unit.id,
               Assignment.closed_at.is_(None), Assignment.starts_at < due_at,
               Assignment.due_at > starts_at)
        .order_by(Assignment.starts_at, Assignment.id).limit(1))


def create_assignment(*, actor, course: Course, unit: OrgUnit, starts_at: datetime,
                      due_at: datetime, title: str = "", module: Module | None = None
                      ) -> Assignment:
    """Assign a published course (or one of its modules) to a unit for a period, audited.

    The caller has checked `can_assign(actor, unit)`. The same study assigned to the same unit
    for an overlapping open period is refused (DuplicateAssignment names it): extend that one.
    """
    if not course.published:
        raise AssignmentError(_("Only a published course can be assigned."), "course_id")
    if module is not None and (module.course_id != course.id or not module.published):
        raise AssignmentError(_("Choose a published module of this course."), "module_id")
    if starts_at.tzinfo is None or due_at.tzinfo is None:
        raise AssignmentError(_("Give the start and due times with a time zone."), "starts_at")
    if due_at <= starts_at:
        raise AssignmentError(_("The due time must be after the start time."), "due_at")
    existing = open_duplicate(course, module, unit, starts_at, due_at)
    if existing is not None:
        raise DuplicateAssignment(existing)
    assignment = Assignment(course_id=course.id, module_id=module.id if module else None,
                            unit_id=unit.id, title=(title or "").strip()[:100],
                            starts_at=starts_at, due_at=due_at,
                            created_by_id=getattr(actor, "id", None), created_at=now())
    db.session.add(assignment)
    db.session.flush()
    forget_assignments()
    what = f"{course.title} / {module.title}" if module else course.title
    record("assignment.create", {"title": what, "unit": unit.name}, target=assignment,
           actor=actor, details={"course_id": course.id, "module_id": assignment.module_id,
                                 "unit_id": unit.id, "title": assignment.title,
                                 "starts_at": starts_at.isoformat(),
                                 "due_at": due_at.isoformat()})
    return assignment


def extend_assignment(assignment: Assignment, due_at: datetime, *, actor) -> Assignment:
    """Move an open period's due time later, audited. A closed period is frozen, and an earlier
    due time would make members late after the fact: both are refused.

    The caller has checked `can_manage_assignment(actor, assignment)`.
    """
    if due_at.tzinfo is None:
        raise AssignmentError(_("Give the start and due times with a time zone."), "due_at")
    before = assignment.due_at
    if due_at <= before:
        raise AssignmentError(_("The new due time must be after the current one (%(due)s).",
                                due=format_datetime(before, "yyyy-MM-dd HH:mm")), "due_at")
    # Conditional UPDATE: a close that wins the race leaves the period closed, not extended.
    won = db.session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.closed_at.is_(None))
        .values(due_at=due_at)
        .execution_options(synchronize_session=False)).rowcount
    if not won:
        raise AssignmentError(_("This period is closed: its roster and figures are frozen."),
                              "due_at")
    db.session.expire(assignment)
    forget_assignments()
    record("assignment.extend", {"title": assignment.title or assignment.course.title,
                                 "due": due_at.isoformat()}, target=assignment,
           actor=actor, details={"due_at": [before.isoformat(), due_at.isoformat()]})
    return assignment


def roster_select(assignment_id: int, unit: OrgUnit, users=None):
    """SELECT (assignment_id, user_id, unit_id) of everyone on the roster at or below `unit` now.

    The roster is every active account with a *member* membership in the unit or a unit below
    it: leading a unit does not put a person on its roster (a leader who is also a member
    somewhere is counted there). Someone with several member memberships in the subtree is
    counted once, in the deepest of those units (of two at the same depth, the older unit),
    so the leader of a study group finds every member of the group in its report. Deactivated
    accounts are left out (they can no longer study). `users`, a SELECT of user ids, narrows
    the roster to those people (a report of one sub-unit) without changing where they count.
    """
    deepest = func.row_number().over(partition_by=Membership.user_id,
                                      order_by=(OrgUnit.depth.desc(), OrgUnit.id))
    ranked = (
        select(Membership.user_id, Membership.unit_id, deepest.label("n"))
        .join(OrgUnit, OrgUnit.id == Membership.unit_id)
        .join(User, User.id == Membership.user_id)
        .where(OrgUnit.path.like(unit.path + "%"), Membership.role == "member",
               User.active.is_(True))
    )
    if users is not None:
        ranked = ranked.where(Membership.user_id.in_(users))
    ranked = ranked.subquery("ranked")
    return select(literal(assignment_id), ranked.c.user_id, ranked.c.unit_id).where(
        ranked.c.n == 1)


def close_assignment(assignment: Assignment, *, actor=None, at: datetime | None = None) -> bool:
    """Close the period and freeze its roster in one INSERT ... SELECT; False if already closed."""
    at = at or now()
    # Conditional UPDATE: of two concurrent closes only one wins and freezes the roster.
    won = db.session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.closed_at.is_(None))
        .values(closed_at=at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        return False
    db.session.execute(
        insert(AssignmentMember).from_select(
            ["assignment_id", "user_id", "unit_id"],
            roster_select(assignment.id, assignment.unit)))
    db.session.expire(assignment)
    forget_assignments()
    frozen = db.session.scalar(select(func.count()).where(
        AssignmentMember.assignment_id == assignment.id))
    record("assignment.close", {"title": assignment.title or assignment.course.title,
                                "count": frozen},
           target=assignment, actor=actor, details={"frozen": frozen, "by_hand": actor is not None})
    return True


def close_due(at: datetime | None = None) -> list[int]:
    """Close every open assignment whose due time has passed; returns their ids."""
    at = at or now()
    due = db.session.scalars(
        select(Assignment).options(joinedload(Assignment.unit))
        .where(Assignment.closed_at.is_(None), Assignment.due_at <= at)
        .order_by(Assignment.id)).all()
    return [a.id for a in due if close_assignment(a, at=at)]


def assignments_in_scope(scope_ids) -> list[Assignment]:
    """Assignments to units in a leader's scope (a SELECT of unit ids), newest first."""
    return db.session.scalars(
        select(Assignment)
        .options(joinedload(Assignment.course), joinedload(Assignment.module),
                 joinedload(Assignment.unit))
        .where(Assignment.unit_id.in_(scope_ids))
        .order_by(Assignment.due_at.desc(), Assignment.id.desc())).all()


def assignments_above(user_id: int, scope_ids) -> list[Assignment]:
    """Periods assigned to a unit above those the user leads and outside their scope (a SELECT
    of unit ids), newest first: what the level above set for their units, which a group
    leader follows but does not manage."""
    led = (select(OrgUnit.path).join(Membership, Membership.unit_id == OrgUnit.id)
           .where(Membership.user_id == user_id, Membership.role == "leader").subquery("led"))
    above = (select(Assignment.id).join(OrgUnit, OrgUnit.id == Assignment.unit_id)
             .join(led, led.c.path.like(OrgUnit.path + "%") & (led.c.path != OrgUnit.path)))
    return db.session.scalars(
        select(Assignment)
        .options(joinedload(Assignment.course), joinedload(Assignment.module),
                 joinedload(Assignment.unit))
        .where(Assignment.id.in_(above), Assignment.unit_id.not_in(scope_ids))
        .order_by(Assignment.due_at.desc(), Assignment.id.desc())).all()


# --- 「我的学习」 -------------------------------------------------------------------------


@dataclass
class StudyItem:
    """One assignment as the member sees it: counts, status and where to continue."""

    assignment: Assignment
    total: int
    completed: int
    status: str
    current: bool
    next_module_id: int | None = None
    module_ids: list[int] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return int(100 * self.completed / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        """Every module in scope is done (on time or late): nothing left to study."""
        return self.completed >= self.total


def my_study(user, at: datetime | None = None) -> list[StudyItem]:
    """The assignments that apply to `user`, with status and progress, in 4 queries.

    Status: completed (every module in scope done by the due time), late (completed after the
    due time, or not complete and the due time passed), in progress (something opened or
    done), not started.
    """
    at = at or now()
    assignments = db.session.scalars(
        assignments_for_user_select(user)
        .options(joinedload(Assignment.course), joinedload(Assignment.module))
        .order_by(Assignment.due_at, Assignment.id)).unique().all()
    course_ids = {a.course_id for a in assignments}
    modules: dict[int, list[int]] = {}
    states: dict[int, Progress] = {}
    if course_ids:
        for course_id, module_id in db.session.execute(
                select(Module.course_id, Module.id)
                .where(Module.course_id.in_(course_ids), Module.published.is_(True))
                .order_by(Module.position, Module.id)):
            modules.setdefault(course_id, []).append(module_id)
        states = {p.module_id: p for p in db.session.scalars(
            select(Progress).join(Module, Module.id == Progress.module_id)
            .where(Progress.user_id == user.id, Module.course_id.in_(course_ids)))}
    items = []
    for a in assignments:
        ids = [a.module_id] if a.module_id else modules.get(a.course_id, [])
        mine = [states[i] for i in ids if i in states]
        done = [p for p in mine if p.completed_at is not None]
        opened = any(p.first_opened_at or p.seconds_spent or p.completed_at for p in mine)
        complete = bool(ids) and len(done) == len(ids)
        if complete:
            last = max(p.completed_at for p in done)
            status = "late" if last > a.due_at else "completed"
        elif at > a.due_at or a.closed_at is not None:
            status = "late"
        elif opened:
            status = "in_progress"
        else:
            status = "not_started"
        current = a.closed_at is None and at <= a.due_at
        todo = [i for i in ids if i not in {p.module_id for p in done}]
        items.append(StudyItem(a, len(ids), len(done), status, current,
                               todo[0] if todo else (ids[0] if ids else None), ids))
    return items


@dataclass
class OutlineLine:
    """One module of a course page: the module, and when the member completed it (or None)."""

    module: Module
    completed_at: datetime | None


def course_outline(user, course: Course) -> list[OutlineLine]:
    """The modules of `course` the user may open, in order, each with its completion (at most
    three queries: the modules, the assigned ones for a member, the member's progress)."""
    modules = viewable_modules(user, course)
    done = {row.module_id: row.completed_at for row in db.session.execute(
        select(Progress.module_id, Progress.completed_at)
        .where(Progress.user_id == user.id,
               Progress.module_id.in_([m.id for m in modules])))} if modules else {}
    return [OutlineLine(m, done.get(m.id)) for m in modules]


# --- the module page and reading ---------------------------------------------------------


def load_module(module_id: int) -> Module | None:
    """A module with its course and attachments, in one query plus one for the attachments."""
    return db.session.scalar(_module_select(), {"module_id": module_id})


@cache
def _module_select():
    """load_module's statement (bind parameter module_id), built once per process: with its
    loader options, building it and its cache key costs more than running it."""
    return (select(Module).where(Module.id == bindparam("module_id"))
            .options(joinedload(Module.course), selectinload(Module.attachments)))


def neighbours(user, module: Module, viewable_all: bool) -> tuple:
    """Previous and next published module the user may open, as (id, title) rows or None.

    Members with only module assignments in this course see just those modules (one query,
    and the request's assigned_module_ids, which the permission check has already loaded).
    """
    allowed = None
    if not viewable_all:
        covered = assigned_module_ids(user, module.course_id)
        allowed = None if None in covered else covered
    rows = [r for r in db.session.execute(
        select(Module.id, Module.title)
        .where(Module.course_id == module.course_id, Module.published.is_(True))
        .order_by(Module.position, Module.id)).all()
        if allowed is None or r.id in allowed or r.id == module.id]
    ids = [r.id for r in rows]
    if module.id not in ids:
        return None, None
    i = ids.index(module.id)
    return (rows[i - 1] if i > 0 else None), (rows[i + 1] if i + 1 < len(rows) else None)


def _credit(user_id: int, module_id: int, *, opened: bool) -> Progress:
    """Record a request of the member on the module and credit the capped gap since the last.

    The gap is measured between server times only. The UPDATE is conditional on the
    last_seen_at we read, so two concurrent requests cannot both credit the same gap. Two
    statements when the row exists (every visit after the first): read it, update it.
    """
    at = now()
    row = _progress_row(user_id, module_id)
    if row is None:
        progress.ensure_rows([user_id], [module_id])
        row = _progress_row(user_id, module_id)
    cap = int(current_app.config["READING_MAX_GAP_SECONDS"])
    gap = 0
    if row.last_seen_at is not None:
        gap = max(0, min(cap, int((at - row.last_seen_at).total_seconds())))
    opening = opened and row.first_opened_at is None
    values = {"row_id": row.id, "at": at, "gap": gap}
    if row.last_seen_at is not None:
        values["seen"] = row.last_seen_at
    won = db.session.execute(_credit_update(row.last_seen_at is None, opening), values).rowcount
    if opening:  # the reports count this member as started now
        progress.refresh_rollups([user_id], module_ids=[module_id])
    if won == 1:
        # Every write of seconds_spent moves last_seen_at, so the row we read (matched by the
        # condition) plus our change is what is stored now: no need to read it back.
        stored = _as_stored(at)
        set_committed_value(row, "last_seen_at", stored)
        set_committed_value(row, "seconds_spent", row.seconds_spent + gap)
        if opening:
            set_committed_value(row, "first_opened_at", stored)
    else:  # another request credited the gap first: show what it stored
        db.session.refresh(row)
    return row


@cache
def _credit_update(never_seen: bool, opening: bool):
    """_credit's UPDATE (bind parameters row_id, seen, at, gap): last seen now, the gap
    credited, first opened now when `opening`; only if last_seen_at is still what we read
    (NULL when `never_seen`). Built once per process for each of the four shapes."""
    at = bindparam("at")
    values = {"last_seen_at": at, "seconds_spent": Progress.seconds_spent + bindparam("gap")}
    if opening:
        values["first_opened_at"] = at
    unchanged = (Progress.last_seen_at.is_(None) if never_seen
                 else Progress.last_seen_at == bindparam("seen"))
    return (update(Progress).where(Progress.id == bindparam("row_id"), unchanged)
            .values(**values).execution_options(synchronize_session=False))


def _progress_row(user_id: int, module_id: int) -> Progress | None:
    """The member's row for the module, read afresh even if the session already holds it."""
    return db.session.scalar(_progress_select(), {"user_id": user_id, "module_id": module_id})


@cache
def _progress_select():
    """_progress_row's statement (bind parameters user_id, module_id), built once per process."""
    return (select(Progress).where(Progress.user_id == bindparam("user_id"),
                                   Progress.module_id == bindparam("module_id"))
            .execution_options(populate_existing=True))


def _as_stored(at: datetime) -> datetime:
    """A time as a UTCDateTime column hands it back: aware, in UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def record_visit(user, module: Module) -> Progress:
    """The module page was opened: first opened (once), last seen, and the credited gap."""
    return _credit(user.id, module.id, opened=True)


def heartbeat(user, module: Module) -> Progress:
    """The open page says it is still there (every ~45 s); the server credits the capped gap."""
    return _credit(user.id, module.id, opened=True)


def required_seconds(module: Module) -> int:
    """Seconds of server-credited time a "reading" module needs before confirmation."""
    share = float(current_app.config["READING_MIN_SHARE"])
    return math.ceil(share * module.estimated_minutes * 60)


@dataclass
class ConfirmResult:
    """What a confirmation did: completed now, already complete, or refused with a reason."""

    completed: bool
    newly: bool = False
    remaining_seconds: int = 0
    message: str = ""
    progress: Progress | None = None

    @property
    def remaining_minutes(self) -> int:
        return math.ceil(self.remaining_seconds / 60)


def confirm(user, module: Module) -> ConfirmResult:
    """The member says they have studied the module: complete it if the module's rule allows."""
    row = _credit(user.id, module.id, opened=True)
    if row.completed_at is not None:
        return ConfirmResult(True, False, message=_("You have already completed this module."),
                             progress=row)
    rule = module.completion_rule
    if rule == "confirm":
        newly = progress.complete(user.id, module.id, "confirm", at=now())
    elif rule == "reading":
        remaining = required_seconds(module) - row.seconds_spent
        if remaining > 0:
            result = ConfirmResult(False, remaining_seconds=remaining, progress=row)
            result.message = _("Please keep reading: about %(n)d more minute(s) before you can "
                               "confirm this module.", n=result.remaining_minutes)
            return result
        newly = progress.complete(user.id, module.id, "reading", at=now())
    elif rule == "quiz":
        return ConfirmResult(False, message=_("This module is completed by passing its quiz."),
                             progress=row)
    else:
        return ConfirmResult(False, message=_("This module is completed by taking part in its "
                                              "discussion."), progress=row)
    row = progress.get(user.id, module.id)
    return ConfirmResult(True, newly, message=_("Module completed."), progress=row)
