"""The figures of a completion report: counts, rates, ranks, member rows and the 未学名单.

Everything is counted in the database for one assignment at one unit of the viewer's scope;
no function loops over members to count, and each runs a constant number of queries (one
more if the assignment's unit is not loaded yet: the live roster starts from its path).

Decisions (issue 6):

* **Roster.** The same people `courses.study.services.roster_select` freezes at close and
  `assignments_for_user_select` shows the assignment to: every active account with a
  membership (member or leader) at or below the assigned unit, counted once, in the
  lowest-numbered unit of its memberships there. Counting only "member" memberships would make
  a period's figures jump when it closes. A closed period uses its frozen roster
  (AssignmentMember) and the unit stored with it, whatever happened since: later transfers and
  deactivations change nothing (deactivated accounts are left out when the roster is frozen).
* **Status** is exactly `my_study()`'s: completed = every module in scope done by the due time;
  late = all done but the last after the due time, or not all done once the due time passed
  (`at`) or the period closed; in progress = something opened or done; else not started. The
  modules in scope are the assignment's module, or the course's published modules now.
  Completions are counted whenever they happened (as in my_study); `at` only moves the clock
  that decides whether the due time has passed.
* **Rate** = completed (on time) / roster, the 学习率 reported upward by the due date. Members
  who finished late are in `late` (and counted apart in `late_completed`), not in the rate.
  A unit with an empty roster has no rate and no rank.
* **Rank** among siblings by rate, highest first; equal rates share a rank and the next rank
  skips (1, 1, 3), as in 并列第一.
* **未学名单** = members who have not done every module (whenever), so members who finished
  late are not chased again; the group heading names the active leaders of that very unit.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import aliased

from courses.models import Assignment, AssignmentMember, Module, Progress
from courses.study.services import now, roster_select
from learning.accounts.models import User
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit


@dataclass
class UnitFigures:
    """One row of the report: a unit's roster and how far it got."""

    unit_id: int
    name: str
    roster: int = 0
    completed: int = 0
    in_progress: int = 0
    not_started: int = 0
    late: int = 0
    late_completed: int = 0  # of `late`: finished, but after the due time
    rank: int | None = None

    @property
    def rate(self) -> float | None:
        """Completed on time / roster (None for an empty roster)."""
        return self.completed / self.roster if self.roster else None

    def _add(self, other: "UnitFigures") -> None:
        for name in ("roster", "completed", "in_progress", "not_started", "late",
                     "late_completed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class UnitReport:
    """The report at a unit: its own totals and one row per child unit, in tree order."""

    unit: UnitFigures
    children: list[UnitFigures] = field(default_factory=list)


@dataclass
class MemberRow:
    """One member of the roster: where they are counted and how far they got."""

    user_id: int
    name: str
    unit_id: int
    unit_name: str
    status: str
    done: int
    total: int
    last_completed_at: datetime | None
    last_via: str | None


@dataclass
class NotCompletedGroup:
    """The 未学名单 of one unit, with the names of the unit's leaders to chase them."""

    unit_id: int
    unit_name: str
    leaders: list[str]
    members: list[MemberRow]


# --- the shared query ----------------------------------------------------------------------


def _module_ids(assignment: Assignment):
    """SELECT of the module ids the assignment counts (as my_study counts them)."""
    if assignment.module_id is not None:
        return select(Module.id).where(Module.id == assignment.module_id)
    return select(Module.id).where(Module.course_id == assignment.course_id,
                                   Module.published.is_(True))


def _roster(assignment: Assignment):
    """Subquery (user_id, unit_id): the frozen roster if closed, else the live one."""
    if assignment.closed_at is not None:
        return (select(AssignmentMember.user_id, AssignmentMember.unit_id)
                .where(AssignmentMember.assignment_id == assignment.id)
                .subquery("roster"))
    live = roster_select(assignment.id, assignment.unit).subquery("live")
    _, user_id, unit_id = live.c
    return select(user_id.label("user_id"), unit_id.label("unit_id")).subquery("roster")


def _per_member(assignment: Assignment, unit: OrgUnit, at: datetime | None):
    """Subquery: one row per roster member at or below `unit`, with counts and status.

    Columns: user_id, unit_id, unit_path, done, total, last_at, complete, status.
    """
    at = at or now()
    roster = _roster(assignment)
    modules = _module_ids(assignment)
    total = select(func.count()).select_from(modules.subquery()).scalar_subquery()
    touched = case((Progress.completed_at.is_not(None), 1),
                   (Progress.first_opened_at.is_not(None), 1),
                   (Progress.seconds_spent > 0, 1), else_=0)
    counts = (
        select(roster.c.user_id, roster.c.unit_id, OrgUnit.path.label("unit_path"),
               func.count(Progress.completed_at).label("done"),
               func.max(Progress.completed_at).label("last_at"),
               func.coalesce(func.max(touched), 0).label("opened"))
        .select_from(roster)
        .join(OrgUnit, OrgUnit.id == roster.c.unit_id)
        .outerjoin(Progress, and_(Progress.user_id == roster.c.user_id,
                                  Progress.module_id.in_(modules)))
        .where(OrgUnit.path.like(unit.path + "%"))
        .group_by(roster.c.user_id, roster.c.unit_id, OrgUnit.path)
        .subquery("counts")
    )
    complete = and_(total > 0, counts.c.done == total)
    past = at > assignment.due_at or assignment.closed_at is not None
    whens = [(and_(complete, counts.c.last_at > assignment.due_at), literal("late")),
             (complete, literal("completed"))]
    if past:  # the due time has passed or the period closed: whoever is not done is late
        status = case(*whens, else_=literal("late"))
    else:
        status = case(*whens, (counts.c.opened > 0, literal("in_progress")),
                      else_=literal("not_started"))
    return select(counts.c.user_id, counts.c.unit_id, counts.c.unit_path, counts.c.done,
                  total.label("total"), counts.c.last_at,
                  complete.label("complete"), status.label("status")).subquery("members")


# --- the report ----------------------------------------------------------------------------


def _ranked(rows: list[UnitFigures]) -> None:
    """Rank rows by rate, highest first; equal rates share a rank (1, 1, 3)."""
    rated = sorted((r for r in rows if r.roster),
                   key=lambda r: Fraction(r.completed, r.roster), reverse=True)
    previous, rank = None, 0
    for position, row in enumerate(rated, start=1):
        rate = Fraction(row.completed, row.roster)
        if rate != previous:
            rank, previous = position, rate
        row.rank = rank


def unit_report(assignment: Assignment, unit: OrgUnit, at: datetime | None = None
                ) -> UnitReport:
    """The unit's totals and a row per child unit with ranks among siblings (2 queries)."""
    children = db.session.execute(
        select(OrgUnit.id, OrgUnit.name).where(OrgUnit.parent_id == unit.id)
        .order_by(OrgUnit.position, OrgUnit.name, OrgUnit.id)).all()
    members = _per_member(assignment, unit, at)
    child = aliased(OrgUnit)

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    grouped = db.session.execute(
        select(child.id.label("child_id"), func.count().label("roster"),
               count(members.c.status == "completed"), count(members.c.status == "in_progress"),
               count(members.c.status == "not_started"), count(members.c.status == "late"),
               count(and_(members.c.status == "late", members.c.complete)))
        .select_from(members)
        .outerjoin(child, and_(child.parent_id == unit.id,
                               members.c.unit_path.like(child.path + "%")))
        .group_by(child.id)).all()
    rows = {c.id: UnitFigures(c.id, c.name) for c in children}
    total = UnitFigures(unit.id, unit.name)
    for child_id, *figures in grouped:
        group = UnitFigures(child_id or unit.id, "", *figures)
        total._add(group)
        if child_id in rows:
            rows[child_id]._add(group)
    _ranked(list(rows.values()))
    return UnitReport(total, list(rows.values()))


def _member_select(assignment: Assignment, unit: OrgUnit, at: datetime | None):
    members = _per_member(assignment, unit, at)
    last_via = (
        select(Progress.completed_via)
        .where(Progress.user_id == members.c.user_id,
               Progress.module_id.in_(_module_ids(assignment)),
               Progress.completed_at.is_not(None))
        .order_by(Progress.completed_at.desc(), Progress.module_id.desc())
        .limit(1).correlate(members).scalar_subquery())
    return (
        select(members.c.user_id, User.display_name, members.c.unit_id, OrgUnit.name,
               members.c.status, members.c.done, members.c.total, members.c.last_at,
               last_via, members.c.complete)
        .select_from(members)
        .join(User, User.id == members.c.user_id)
        .join(OrgUnit, OrgUnit.id == members.c.unit_id)
        .order_by(members.c.unit_path, User.display_name, members.c.user_id)
    ), members


def member_rows(assignment: Assignment, unit: OrgUnit, at: datetime | None = None
                ) -> list[MemberRow]:
    """Every roster member at or below `unit`, in tree order then by name (1 query)."""
    query, _ = _member_select(assignment, unit, at)
    return [MemberRow(*row[:9]) for row in db.session.execute(query)]


def not_completed(assignment: Assignment, unit: OrgUnit, at: datetime | None = None
                  ) -> list[NotCompletedGroup]:
    """未学名单: roster members at or below `unit` who have not done every module, grouped by
    the unit they are counted in, with that unit's leaders (2 queries)."""
    query, members = _member_select(assignment, unit, at)
    rows = [MemberRow(*row[:9]) for row in db.session.execute(
        query.where(members.c.complete.is_not(True)))]
    if not rows:
        return []
    leaders: dict[int, list[str]] = defaultdict(list)
    for unit_id, name in db.session.execute(
            select(Membership.unit_id, User.display_name)
            .join(User, User.id == Membership.user_id)
            .where(Membership.role == "leader", User.active.is_(True),
                   Membership.unit_id.in_({r.unit_id for r in rows}))
            .order_by(User.display_name, User.id)):
        leaders[unit_id].append(name)
    groups: dict[int, NotCompletedGroup] = {}
    for row in rows:  # already in tree order: grouping, not counting
        if row.unit_id not in groups:
            groups[row.unit_id] = NotCompletedGroup(row.unit_id, row.unit_name,
                                                    leaders[row.unit_id], [])
        groups[row.unit_id].members.append(row)
    return list(groups.values())
