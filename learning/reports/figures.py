"""The figures of a completion report: counts, rates, ranks, member rows and the 未学名单.

Everything is counted in the database for one assignment (or several: a date range) at one
unit of the viewer's scope; no function loops over members to count, and each runs a constant
number of queries (one more if the assignment's unit is not loaded yet: the live roster starts
from its path).

Speed at scale: a course assignment reads the CourseProgress rollup (one row per member and
course, kept by courses.progress in the same transaction as every progress write), a module
assignment the one Progress row per member; members are first grouped by the unit they are
counted in and only those few groups are mapped to the child units, so the whole-tree report
of 10,000 members is a GROUP BY over 10,000 rows, not 200,000.

Decisions (issue 6):

* **Roster** (issue 17). The same people `courses.study.services.roster_select` freezes at
  close and `assignments_for_user_select` shows the assignment to: every active account with
  a *member* membership at or below the assigned unit, counted once, in the deepest unit of
  those memberships. Leading a unit puts nobody on its roster; a leader who is also a member
  somewhere is counted there. A closed period uses its frozen roster (AssignmentMember) and
  the unit stored with it, whatever happened since: later transfers and deactivations change
  nothing (accounts deactivated before the close are left out when the roster is frozen).
* **Rows add up.** A unit's report has a row per child unit and, when people are counted in
  the unit itself, a row of its direct members (直属成员), so the rows sum to the totals.
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
from functools import cache, lru_cache
from typing import NamedTuple

from flask import g, has_request_context
from sqlalchemy import Integer, String, and_, bindparam, case, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from courses.discussions.models import Post, Thread
from courses.models import (
    Assignment,
    AssignmentMember,
    CourseProgress,
    Module,
    OfflineLateEntry,
    Progress,
)
from courses.study.services import now, roster_select
from learning.accounts.models import User
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit
from learning.reports import watching
from quizzes.models import Attempt, Quiz


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
    direct: bool = False  # the members counted in the unit itself, not a child unit

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
    """The report at a unit: its own totals, one row per child unit in tree order, and the
    members counted in the unit itself (直属成员) when it has child units and such members.

    The rows add up to the totals: children + direct = unit, figure by figure.
    """

    unit: UnitFigures
    children: list[UnitFigures] = field(default_factory=list)
    direct: UnitFigures | None = None  # not ranked: it is not a unit among its siblings

    @property
    def rows(self) -> list[UnitFigures]:
        """The rows printed above the totals: the child units, then the direct members."""
        return [*self.children, self.direct] if self.direct else list(self.children)


@dataclass
class MemberRow:
    """One member of the roster: where they are counted and how far they got."""

    user_id: int
    name: str
    unit_id: int
    unit_name: str
    status: str  # completed | late | in_progress | not_started
    done: int
    total: int
    last_completed_at: datetime | None
    last_via: str | None  # reading | confirm | quiz | offline | posts
    username: str = ""
    best_score: float | None = None  # best finished quiz attempt in scope, in %
    posts: int = 0  # visible posts in the threads of the modules in scope
    # Only in a not-passed list, about that one quiz: the member's grade by its grading method
    # (the figure compared with the pass mark; None when ungraded) and finished attempts.
    quiz_score: float | None = None
    quiz_attempts: int = 0
    # 补录: an offline lesson was entered for the member after the due time (courses.offline).
    entered_late: bool = False
    # Only in the 未学名单: what is missing of the first video module not done
    # (learning.reports.watching: not_watched | not_finished | not_answered), else None.
    watching: str | None = None


@dataclass
class Period:
    """One assignment's figures at a unit: a point of the trend."""

    assignment_id: int
    figures: UnitFigures


@dataclass
class NotCompletedGroup:
    """The 未学名单 of one unit, with the names of the unit's leaders to chase them."""

    unit_id: int
    unit_name: str
    leaders: list[str]
    members: list[MemberRow]


@dataclass
class ModuleLine:
    """One module of an assignment for one member: done when and how, quiz and posts."""

    module_id: int
    title: str
    opened: bool
    completed_at: datetime | None
    via: str | None
    late: bool
    best_score: float | None  # the module's quiz, best finished attempt, in %
    attempts: int
    posts: int
    rule: str = "reading"  # the module's completion rule (Module.completion_rule)
    min_posts: int = 0  # what the "posts" rule asks
    pass_mark: float | None = None  # the module's quiz's (the lowest if several); None: no quiz


@dataclass
class QuizNotPassed:
    """The members of a unit's roster who have not passed one quiz of the assignment."""

    quiz_id: int
    title: str
    pass_mark: float
    groups: list[NotCompletedGroup]


# --- the shared query ----------------------------------------------------------------------
#
# The statements are built once per process for each shape of query (see _Shape), with the
# figures that vary (the assignment, its course or module, the due time, the unit's path) as
# bind parameters: putting a report's statements together and computing their cache keys cost
# more than running them (as courses/permissions.py and courses/study/services.py do too).


class _Shape(NamedTuple):
    """What changes the SQL of an assignment's roster query; the rest goes in as parameters."""

    closed: bool  # the frozen roster, else the live one
    module: bool  # one module's Progress row, else the course's CourseProgress rollup
    past_due: bool  # whoever is not done is late
    below: bool  # the report's unit is below the assigned one: only its part of the roster


def _shape(assignment: Assignment, unit: OrgUnit, at: datetime | None) -> _Shape:
    closed = assignment.closed_at is not None
    return _Shape(closed, assignment.module_id is not None,
                  (at or now()) > assignment.due_at or closed,
                  not assignment.unit.path.startswith(unit.path))


def _param(name: str, n: int, type_=Integer):
    """The bind parameter `name` of the n-th assignment of a statement."""
    return bindparam(f"{name}_{n}", type_=type_)


def _params(assignment: Assignment, unit: OrgUnit, total: int, n: int = 0) -> dict:
    """The values of the n-th assignment's bind parameters (and the unit's)."""
    return {f"assignment_id_{n}": assignment.id, f"course_id_{n}": assignment.course_id,
            f"module_id_{n}": assignment.module_id, f"total_{n}": total,
            f"due_at_{n}": assignment.due_at, f"assigned_path_{n}": assignment.unit.path,
            "unit_path": unit.path + "%"}


_UNIT_PATH = bindparam("unit_path", type_=String)  # the report's unit path + "%"


class _PathOf(NamedTuple):
    """Stands in for a unit in roster_select: its path is a bind parameter, not a value."""

    path: object


def _module_ids(module: bool, n: int = 0):
    """SELECT of the module ids an assignment of one module (else of a course) counts, as
    my_study counts them."""
    if module:
        return select(Module.id).where(Module.id == _param("module_id", n))
    return select(Module.id).where(Module.course_id == _param("course_id", n),
                                   Module.published.is_(True))


def _roster(shape: _Shape, n: int = 0):
    """Subquery (user_id, unit_id): the frozen roster if closed, else the live one."""
    if shape.closed:
        return (select(AssignmentMember.user_id, AssignmentMember.unit_id)
                .where(AssignmentMember.assignment_id == _param("assignment_id", n))
                .subquery("roster"))
    users = None
    if shape.below:
        # Only people with a membership at or below the report's unit can be counted there:
        # looking up their memberships first spares ranking the whole assigned tree (the
        # province's roster for one branch's report). Each is still counted in the deepest
        # unit of all their memberships under the assigned unit, as at close.
        here, units = aliased(Membership), aliased(OrgUnit)
        users = select(here.user_id).where(here.unit_id.in_(
            select(units.id).where(units.path.like(_UNIT_PATH))))
    live = roster_select(0, _PathOf(_param("assigned_path", n, String)), users)
    _, user_id, unit_id = live.subquery("live").c
    return select(user_id.label("user_id"), unit_id.label("unit_id")).subquery("roster")


def _totals(assignments: list[Assignment]) -> dict[int, int]:
    """How many modules each assignment counts (1 query for all of them, once a request)."""
    memo = g.setdefault("_report_module_totals", {}) if has_request_context() else {}
    courses = {a.course_id for a in assignments
               if a.module_id is None and a.course_id not in memo}
    if courses:
        memo.update(dict.fromkeys(courses, 0))
        memo.update(db.session.execute(_published_counts(), {"course_ids": list(courses)}).all())
    return {a.id: 1 if a.module_id is not None else memo[a.course_id] for a in assignments}


@cache
def _published_counts():
    """(course_id, published modules) for the courses `course_ids` (bind parameter)."""
    return (select(Module.course_id, func.count())
            .where(Module.course_id.in_(bindparam("course_ids", expanding=True)),
                   Module.published.is_(True))
            .group_by(Module.course_id))


@lru_cache(maxsize=256)
def _per_member(shape: _Shape, n: int = 0):
    """SELECT of one row per roster member at or below the unit, with counts and status.

    Columns: assignment_id, user_id, unit_id, done, total, last_at, complete, status.
    """
    roster = _roster(shape, n)
    # A parameter, not a subquery: SQLite would evaluate it in every CASE of every row.
    total = _param("total", n)
    if not shape.module:  # a course: the rollup row
        source = CourseProgress
        joined = and_(CourseProgress.user_id == roster.c.user_id,
                      CourseProgress.course_id == _param("course_id", n))
        done = func.coalesce(CourseProgress.done, 0)
        last_at, opened = CourseProgress.last_completed_at, CourseProgress.opened.is_(True)
    else:  # one module: its progress row
        source = Progress
        joined = and_(Progress.user_id == roster.c.user_id,
                      Progress.module_id == _param("module_id", n))
        done = case((Progress.completed_at.is_not(None), 1), else_=0)
        last_at = Progress.completed_at
        opened = or_(Progress.completed_at.is_not(None), Progress.first_opened_at.is_not(None),
                     Progress.seconds_spent > 0)
    complete = and_(total > 0, done == total)
    due_at = _param("due_at", n, Assignment.due_at.type)
    whens = [(and_(complete, last_at > due_at), literal("late")),
             (complete, literal("completed"))]
    if shape.past_due:
        status = case(*whens, else_=literal("late"))  # past due: whoever is not done is late
    else:
        status = case(*whens, (opened, literal("in_progress")), else_=literal("not_started"))
    query = (
        select(_param("assignment_id", n).label("assignment_id"), roster.c.user_id,
               roster.c.unit_id, done.label("done"), total.label("total"),
               last_at.label("last_at"), complete.label("complete"), status.label("status"))
        .select_from(roster)
        .outerjoin(source, joined)
    )
    if not shape.below:
        return query  # the unit holds the whole roster: no need to look at the units
    return (query.join(OrgUnit, OrgUnit.id == roster.c.unit_id)
            .where(OrgUnit.path.like(_UNIT_PATH)))


def _by_status(members, *keys):
    """Subquery: how many `members` per `keys`, status and complete (a few rows per unit).

    Counting per status first evaluates each member's status once; summing CASEs over the
    members instead would repeat the whole status expression in every sum, row by row.
    """
    return (select(*keys, members.c.status, members.c.complete, func.count().label("n"))
            .group_by(*keys, members.c.status, members.c.complete).subquery("by_status"))


def _counts(grouped):
    """The six figures summed over rows of `_by_status`."""

    def count(condition):
        return func.coalesce(func.sum(case((condition, grouped.c.n), else_=0)), 0)

    status = grouped.c.status
    return (func.coalesce(func.sum(grouped.c.n), 0), count(status == "completed"),
            count(status == "in_progress"), count(status == "not_started"),
            count(status == "late"), count(and_(status == "late", grouped.c.complete)))


FIGURES = ("roster", "completed", "in_progress", "not_started", "late", "late_completed")


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


@lru_cache(maxsize=128)
def _by_child_select(shapes: tuple[_Shape, ...]):
    """Rows (assignment_id, child_id or None for the unit itself, *FIGURES) for assignments
    of these shapes at the unit `unit_id` (bind parameters of _params, one set per assignment).

    Members are first counted per assignment and per unit they are counted in (a few hundred
    groups even for 10,000 members); only those groups are mapped to the child units by path.
    A date range is the union of its assignments' rows.
    """
    selects = [_per_member(shape, n) for n, shape in enumerate(shapes)]
    members = (selects[0] if len(selects) == 1 else union_all(*selects)).subquery("members")
    grouped = _by_status(members, members.c.assignment_id, members.c.unit_id)
    counted, child = aliased(OrgUnit), aliased(OrgUnit)
    return (select(grouped.c.assignment_id, child.id, *_counts(grouped))
            .select_from(grouped)
            .join(counted, counted.id == grouped.c.unit_id)
            .outerjoin(child, and_(child.parent_id == bindparam("unit_id"),
                                   counted.path.like(child.path + "%")))
            .group_by(grouped.c.assignment_id, child.id))


@cache
def _children_select():
    """The child units (id, name) of the unit `unit_id`, in tree order."""
    return (select(OrgUnit.id, OrgUnit.name).where(OrgUnit.parent_id == bindparam("unit_id"))
            .order_by(OrgUnit.position, OrgUnit.name, OrgUnit.id))


def range_report(assignments: Assignment | list[Assignment], unit: OrgUnit,
                 at: datetime | None = None) -> tuple[UnitReport, list[Period]]:
    """The unit's report over the assignments, and each assignment's totals (3 queries).

    Several assignments (a date range) add up: each member counts once per assignment, and
    the rate is completed member-assignments over the roster of all of them. Children are
    ranked among siblings; periods come in the order given.
    """
    if isinstance(assignments, Assignment):
        assignments = [assignments]
    children = db.session.execute(_children_select(), {"unit_id": unit.id}).all()
    rows = {c.id: UnitFigures(c.id, c.name) for c in children}
    total = UnitFigures(unit.id, unit.name)
    periods = {a.id: UnitFigures(unit.id, unit.name) for a in assignments}
    grouped = ()
    if assignments:
        totals = _totals(assignments)
        params = {"unit_id": unit.id}
        for n, assignment in enumerate(assignments):
            params |= _params(assignment, unit, totals[assignment.id], n)
        grouped = db.session.execute(
            _by_child_select(tuple(_shape(a, unit, at) for a in assignments)), params)
    direct = UnitFigures(unit.id, unit.name, direct=True)
    for assignment_id, child_id, *figures in grouped:
        group = UnitFigures(child_id or unit.id, "", *(int(f or 0) for f in figures))
        total._add(group)
        periods[assignment_id]._add(group)
        rows.get(child_id, direct)._add(group)
    _ranked(list(rows.values()))
    # A leaf unit's members are all direct: its totals say it; a row of its own adds nothing.
    report = UnitReport(total, list(rows.values()), direct if rows and direct.roster else None)
    return report, [Period(a.id, periods[a.id]) for a in assignments]


def unit_report(assignments: Assignment | list[Assignment], unit: OrgUnit,
                at: datetime | None = None) -> UnitReport:
    """The unit's totals and a row per child unit with ranks among siblings (3 queries)."""
    return range_report(assignments, unit, at)[0]


def trend(assignments: list[Assignment], unit: OrgUnit, at: datetime | None = None
          ) -> list[Period]:
    """Each assignment's totals at `unit`, in the order given (3 queries for all of them)."""
    return range_report(assignments, unit, at)[1]


# --- members -------------------------------------------------------------------------------


def _quiz_ids(module: bool):
    return select(Quiz.id).where(Quiz.module_id.in_(_module_ids(module)))


@cache
def _member_select(shape: _Shape):
    """SELECT of the roster's members at or below the unit with where they are counted and
    how far they got (unordered: add conditions, order and a page, then _member_details), and
    the subquery of _per_member it reads."""
    members = _per_member(shape).subquery("members")
    query = (
        select(members.c.user_id, User.display_name, members.c.unit_id,
               OrgUnit.name.label("unit_name"), members.c.status, members.c.done,
               members.c.total, members.c.last_at, User.username, OrgUnit.path)
        .select_from(members)
        .join(User, User.id == members.c.user_id)
        .join(OrgUnit, OrgUnit.id == members.c.unit_id)
    )
    return query, members


def _member_order(query):
    """The member rows' order: tree order of the unit they are counted in, then by name."""
    columns = query.selected_columns
    return columns.path, columns.display_name, columns.user_id


def _member_details(base, shape: _Shape, *extra: str):
    """MemberRow's fields (then the `extra` columns of `base`) for the rows `base` selects, in
    member order. The way of the last completion, the best quiz score and the post count are
    looked up for those rows only, by index: a page of 50 costs 50 lookups, not a pass over
    the roster, every attempt at the quiz and every post in the course's threads."""
    rows = base.subquery("rows")
    modules = _module_ids(shape.module)
    last_via = (select(Progress.completed_via)
                .where(Progress.user_id == rows.c.user_id, Progress.module_id.in_(modules),
                       Progress.completed_at.is_not(None))
                .order_by(Progress.completed_at.desc(), Progress.module_id.desc())
                .limit(1).scalar_subquery())
    best = (select(func.max(Attempt.percent))
            .where(Attempt.user_id == rows.c.user_id,
                   Attempt.quiz_id.in_(_quiz_ids(shape.module)), Attempt.state == "finished")
            .scalar_subquery())
    posts = (select(func.count()).select_from(Post).join(Thread, Thread.id == Post.thread_id)
             .where(Post.author_id == rows.c.user_id, Thread.module_id.in_(modules),
                    Post.deleted_at.is_(None), Post.hidden_at.is_(None))
             .scalar_subquery())
    return (select(rows.c.user_id, rows.c.display_name, rows.c.unit_id, rows.c.unit_name,
                   rows.c.status, rows.c.done, rows.c.total, rows.c.last_at, last_via,
                   rows.c.username, best, posts, *(rows.c[name] for name in extra))
            .order_by(rows.c.path, rows.c.display_name, rows.c.user_id))


@cache
def _member_query(shape: _Shape, status: bool = False, paged: bool = False,
                  one: bool = False, incomplete: bool = False):
    """The member rows of _member_select narrowed to the bind parameters `status`, `limit`
    and `offset`, `user_id`, or to the members who have not done every module."""
    query, members = _member_select(shape)
    if status:
        query = query.where(members.c.status == bindparam("status", type_=String))
    if one:
        query = query.where(members.c.user_id == bindparam("user_id", type_=Integer))
    if incomplete:
        query = query.where(members.c.complete.is_not(True))
    if paged:  # the page is cut before the details are looked up
        query = (query.order_by(*_member_order(query))
                 .limit(bindparam("limit", type_=Integer))
                 .offset(bindparam("offset", type_=Integer)))
    return _member_details(query, shape)


def _member_params(assignment: Assignment, unit: OrgUnit, at: datetime | None):
    """The shape of the member query and its parameters."""
    return (_shape(assignment, unit, at),
            _params(assignment, unit, _totals([assignment])[assignment.id]))


def member_rows(assignment: Assignment, unit: OrgUnit, at: datetime | None = None, *,
                status: str | None = None, limit: int | None = None, offset: int = 0
                ) -> list[MemberRow]:
    """Roster members at or below `unit` in tree order then by name, optionally of one
    status and one page (2 queries, 1 after the report's figures in the same request)."""
    shape, params = _member_params(assignment, unit, at)
    query = _member_query(shape, status=bool(status), paged=limit is not None)
    params |= {"status": status, "limit": limit, "offset": offset}
    return _entered_late(assignment, [MemberRow(*row) for row in db.session.execute(query,
                                                                                  params)])


def member_row(assignment: Assignment, unit: OrgUnit, user_id: int,
               at: datetime | None = None) -> MemberRow | None:
    """One member's row, or None when they are not on the roster at or below `unit`."""
    shape, params = _member_params(assignment, unit, at)
    row = db.session.execute(_member_query(shape, one=True),
                             params | {"user_id": user_id}).first()
    return _entered_late(assignment, [MemberRow(*row)])[0] if row else None


def _entered_late(assignment: Assignment, rows: list[MemberRow]) -> list[MemberRow]:
    """Mark the rows of members an offline lesson was entered for after the due time (补录),
    by the marks courses.offline stores (1 query when there are rows)."""
    if rows:
        late = set(db.session.scalars(select(OfflineLateEntry.user_id).where(
            OfflineLateEntry.assignment_id == assignment.id,
            OfflineLateEntry.user_id.in_([row.user_id for row in rows]))))
        for row in rows:
            row.entered_late = row.user_id in late
    return rows


def _leaders(unit_ids: set[int]) -> dict[int, list[str]]:
    """The names of the active leaders of each of these units (1 query)."""
    leaders: dict[int, list[str]] = defaultdict(list)
    if unit_ids:
        for unit_id, name in db.session.execute(
                select(Membership.unit_id, User.display_name)
                .join(User, User.id == Membership.user_id)
                .where(Membership.role == "leader", User.active.is_(True),
                       Membership.unit_id.in_(unit_ids))
                .order_by(User.display_name, User.id)):
            leaders[unit_id].append(name)
    return leaders


def _grouped(rows: list[MemberRow], leaders: dict[int, list[str]]) -> list[NotCompletedGroup]:
    """Rows (in tree order) grouped by the unit they are counted in, with its leaders."""
    groups: dict[int, NotCompletedGroup] = {}
    for row in rows:  # already in tree order: grouping, not counting
        if row.unit_id not in groups:
            groups[row.unit_id] = NotCompletedGroup(row.unit_id, row.unit_name,
                                                    leaders.get(row.unit_id, []), [])
        groups[row.unit_id].members.append(row)
    return list(groups.values())


def not_completed(assignment: Assignment, unit: OrgUnit, at: datetime | None = None
                  ) -> list[NotCompletedGroup]:
    """未学名单: roster members at or below `unit` who have not done every module, grouped by
    the unit they are counted in, with that unit's leaders, and what is missing of their video
    modules (3 queries; up to 5 more when the assignment has video modules)."""
    shape, params = _member_params(assignment, unit, at)
    rows = [MemberRow(*row) for row in db.session.execute(
        _member_query(shape, incomplete=True), params)]
    watching.mark_missing(assignment, rows)
    return _grouped(rows, _leaders({r.unit_id for r in rows}) if rows else {})


def _grades():
    """Subquery (quiz_id, user_id, grade): each member's grade by the quiz's grading method,
    over finished attempts with a score, as quizzes.attempts.services.member_grade computes it."""
    scored = and_(Attempt.state == "finished", Attempt.percent.is_not(None))
    spans = (select(Attempt.quiz_id, Attempt.user_id,
                    func.max(Attempt.percent).label("highest"),
                    func.avg(Attempt.percent).label("average"),
                    func.min(Attempt.number).label("first_no"),
                    func.max(Attempt.number).label("last_no"))
             .where(scored).group_by(Attempt.quiz_id, Attempt.user_id).subquery("spans"))
    first, last = aliased(Attempt), aliased(Attempt)
    grade = case((Quiz.grading_method == "highest", spans.c.highest),
                 (Quiz.grading_method == "average", spans.c.average),
                 (Quiz.grading_method == "first", first.percent), else_=last.percent)
    return (select(spans.c.quiz_id, spans.c.user_id, grade.label("grade"))
            .join(Quiz, Quiz.id == spans.c.quiz_id)
            .join(first, and_(first.quiz_id == spans.c.quiz_id,
                              first.user_id == spans.c.user_id,
                              first.number == spans.c.first_no))
            .join(last, and_(last.quiz_id == spans.c.quiz_id, last.user_id == spans.c.user_id,
                             last.number == spans.c.last_no))
            .subquery("grades"))


def not_passed(assignment: Assignment, unit: OrgUnit, at: datetime | None = None
               ) -> list[QuizNotPassed]:
    """For each quiz of the assignment's modules, the roster members at or below `unit` whose
    grade is below its pass mark or who have none, grouped by unit (at most 4 queries)."""
    shape, params = _member_params(assignment, unit, at)
    quizzes = db.session.execute(
        select(Quiz.id, Quiz.title, Quiz.pass_mark).where(Quiz.id.in_(_quiz_ids(shape.module)))
        .order_by(Quiz.id), params).all()
    if not quizzes:
        return []
    query, members = _member_select(shape)
    grades, quiz = _grades(), aliased(Quiz)
    passed = (select(grades.c.user_id)
              .where(grades.c.quiz_id == quiz.id, grades.c.user_id == members.c.user_id,
                     grades.c.grade >= quiz.pass_mark - 1e-9).exists())
    # The score beside a name is the member's own on that very quiz, not their best over the
    # period's quizzes: it says why they are on this quiz's list.
    score = (select(grades.c.grade)
             .where(grades.c.quiz_id == quiz.id, grades.c.user_id == members.c.user_id)
             .scalar_subquery())
    tries = (select(func.count()).select_from(Attempt)
             .where(Attempt.quiz_id == quiz.id, Attempt.user_id == members.c.user_id,
                    Attempt.state == "finished")
             .scalar_subquery())
    by_quiz: dict[int, list[MemberRow]] = defaultdict(list)
    failing = (query.add_columns(quiz.id.label("quiz_id"), score.label("quiz_score"),
                                 tries.label("quiz_attempts"))
               .join(quiz, quiz.id.in_([q.id for q in quizzes])).where(~passed))
    for *row, quiz_id, quiz_score, attempts in db.session.execute(
            _member_details(failing, shape, "quiz_id", "quiz_score", "quiz_attempts"), params):
        by_quiz[quiz_id].append(MemberRow(
            *row, quiz_score=None if quiz_score is None else round(float(quiz_score), 2),
            quiz_attempts=attempts))
    leaders = _leaders({r.unit_id for rows in by_quiz.values() for r in rows})
    return [QuizNotPassed(q.id, q.title, q.pass_mark, _grouped(by_quiz[q.id], leaders))
            for q in quizzes if by_quiz[q.id]]


def member_modules(assignment: Assignment, user_id: int) -> list[ModuleLine]:
    """The member's line for each module the assignment counts, in course order (1 query)."""
    module = assignment.module_id is not None
    modules = _module_ids(module).subquery("scope")
    attempts = (select(Quiz.module_id, func.max(Attempt.percent).label("best"),
                       func.count(Attempt.id).label("attempts"))
                .join(Attempt, and_(Attempt.quiz_id == Quiz.id, Attempt.user_id == user_id,
                                    Attempt.state == "finished"))
                .group_by(Quiz.module_id).subquery("attempts"))
    marks = (select(Quiz.module_id, func.min(Quiz.pass_mark).label("pass_mark"))
             .group_by(Quiz.module_id).subquery("marks"))
    posts = (select(Thread.module_id, func.count(Post.id).label("posts"))
             .join(Post, and_(Post.thread_id == Thread.id, Post.author_id == user_id,
                              Post.deleted_at.is_(None), Post.hidden_at.is_(None)))
             .group_by(Thread.module_id).subquery("posts"))
    opened = or_(Progress.completed_at.is_not(None), Progress.first_opened_at.is_not(None),
                 Progress.seconds_spent > 0)
    rows = db.session.execute(
        select(Module.id, Module.title, func.coalesce(opened, False), Progress.completed_at,
               Progress.completed_via, attempts.c.best,
               func.coalesce(attempts.c.attempts, 0), func.coalesce(posts.c.posts, 0),
               Module.completion_rule, Module.min_posts, marks.c.pass_mark)
        .join(modules, modules.c.id == Module.id)
        .outerjoin(Progress, and_(Progress.module_id == Module.id, Progress.user_id == user_id))
        .outerjoin(attempts, attempts.c.module_id == Module.id)
        .outerjoin(posts, posts.c.module_id == Module.id)
        .outerjoin(marks, marks.c.module_id == Module.id)
        .order_by(Module.position, Module.id),
        {"module_id_0": assignment.module_id, "course_id_0": assignment.course_id}).all()
    return [ModuleLine(module_id, title, bool(opened_), done_at, via,
                       done_at is not None and done_at > assignment.due_at, best, tries, n,
                       rule, min_posts or 0, mark)
            for module_id, title, opened_, done_at, via, best, tries, n, rule, min_posts, mark
            in rows]
