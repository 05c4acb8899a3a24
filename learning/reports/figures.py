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

from sqlalchemy import and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from courses.discussions.models import Post, Thread
from courses.models import Assignment, AssignmentMember, CourseProgress, Module, Progress
from courses.study.services import now, roster_select
from learning.accounts.models import User
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit
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
    status: str  # completed | late | in_progress | not_started
    done: int
    total: int
    last_completed_at: datetime | None
    last_via: str | None  # reading | confirm | quiz | offline | posts
    username: str = ""
    best_score: float | None = None  # best finished quiz attempt in scope, in %
    posts: int = 0  # visible posts in the threads of the modules in scope


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


@dataclass
class QuizNotPassed:
    """The members of a unit's roster who have not passed one quiz of the assignment."""

    quiz_id: int
    title: str
    pass_mark: float
    groups: list[NotCompletedGroup]


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


def _totals(assignments: list[Assignment]) -> dict[int, int]:
    """How many modules each assignment counts (1 query for all of them)."""
    courses = {a.course_id for a in assignments if a.module_id is None}
    published = dict(db.session.execute(
        select(Module.course_id, func.count()).where(Module.course_id.in_(courses),
                                                    Module.published.is_(True))
        .group_by(Module.course_id)).all()) if courses else {}
    return {a.id: 1 if a.module_id is not None else published.get(a.course_id, 0)
            for a in assignments}


def _per_member(assignment: Assignment, unit: OrgUnit, at: datetime | None,
                total: int | None = None):
    """SELECT of one row per roster member at or below `unit`, with counts and status.

    Columns: assignment_id, user_id, unit_id, done, total, last_at, complete, status.
    """
    at = at or now()
    roster = _roster(assignment)
    # A number, not a subquery: SQLite would evaluate the subquery in every CASE of every row.
    total = literal(_totals([assignment])[assignment.id] if total is None else total)
    if assignment.module_id is None:  # a course: the rollup row
        source = CourseProgress
        joined = and_(CourseProgress.user_id == roster.c.user_id,
                      CourseProgress.course_id == assignment.course_id)
        done = func.coalesce(CourseProgress.done, 0)
        last_at, opened = CourseProgress.last_completed_at, CourseProgress.opened.is_(True)
    else:  # one module: its progress row
        source = Progress
        joined = and_(Progress.user_id == roster.c.user_id,
                      Progress.module_id == assignment.module_id)
        done = case((Progress.completed_at.is_not(None), 1), else_=0)
        last_at = Progress.completed_at
        opened = or_(Progress.completed_at.is_not(None), Progress.first_opened_at.is_not(None),
                     Progress.seconds_spent > 0)
    complete = and_(total > 0, done == total)
    whens = [(and_(complete, last_at > assignment.due_at), literal("late")),
             (complete, literal("completed"))]
    if at > assignment.due_at or assignment.closed_at is not None:
        status = case(*whens, else_=literal("late"))  # past due: whoever is not done is late
    else:
        status = case(*whens, (opened, literal("in_progress")), else_=literal("not_started"))
    query = (
        select(literal(assignment.id).label("assignment_id"), roster.c.user_id,
               roster.c.unit_id, done.label("done"), total.label("total"),
               last_at.label("last_at"), complete.label("complete"), status.label("status"))
        .select_from(roster)
        .outerjoin(source, joined)
    )
    if assignment.unit.path.startswith(unit.path):
        return query  # the unit holds the whole roster: no need to look at the units
    return (query.join(OrgUnit, OrgUnit.id == roster.c.unit_id)
            .where(OrgUnit.path.like(unit.path + "%")))


def _members(assignments, unit: OrgUnit, at: datetime | None):
    """Subquery of _per_member rows of every assignment (a date range is their union)."""
    totals = _totals(assignments)
    selects = [_per_member(a, unit, at, totals[a.id]) for a in assignments]
    return (selects[0] if len(selects) == 1 else union_all(*selects)).subquery("members")


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


def _by_child(assignments: list[Assignment], unit: OrgUnit, at: datetime | None):
    """Rows (assignment_id, child_id or None for the unit itself, *FIGURES), one query.

    Members are first counted per assignment and per unit they are counted in (a few hundred
    groups even for 10,000 members); only those groups are mapped to the child units by path.
    """
    members = _members(assignments, unit, at)
    grouped = _by_status(members, members.c.assignment_id, members.c.unit_id)
    counted, child = aliased(OrgUnit), aliased(OrgUnit)
    return db.session.execute(
        select(grouped.c.assignment_id, child.id, *_counts(grouped))
        .select_from(grouped)
        .join(counted, counted.id == grouped.c.unit_id)
        .outerjoin(child, and_(child.parent_id == unit.id, counted.path.like(child.path + "%")))
        .group_by(grouped.c.assignment_id, child.id)).all()


def range_report(assignments: Assignment | list[Assignment], unit: OrgUnit,
                 at: datetime | None = None) -> tuple[UnitReport, list[Period]]:
    """The unit's report over the assignments, and each assignment's totals (3 queries).

    Several assignments (a date range) add up: each member counts once per assignment, and
    the rate is completed member-assignments over the roster of all of them. Children are
    ranked among siblings; periods come in the order given.
    """
    if isinstance(assignments, Assignment):
        assignments = [assignments]
    children = db.session.execute(
        select(OrgUnit.id, OrgUnit.name).where(OrgUnit.parent_id == unit.id)
        .order_by(OrgUnit.position, OrgUnit.name, OrgUnit.id)).all()
    rows = {c.id: UnitFigures(c.id, c.name) for c in children}
    total = UnitFigures(unit.id, unit.name)
    periods = {a.id: UnitFigures(unit.id, unit.name) for a in assignments}
    for assignment_id, child_id, *figures in (
            _by_child(assignments, unit, at) if assignments else ()):
        group = UnitFigures(child_id or unit.id, "", *(int(f or 0) for f in figures))
        total._add(group)
        periods[assignment_id]._add(group)
        if child_id in rows:
            rows[child_id]._add(group)
    _ranked(list(rows.values()))
    return (UnitReport(total, list(rows.values())),
            [Period(a.id, periods[a.id]) for a in assignments])


def unit_report(assignments: Assignment | list[Assignment], unit: OrgUnit,
                at: datetime | None = None) -> UnitReport:
    """The unit's totals and a row per child unit with ranks among siblings (3 queries)."""
    return range_report(assignments, unit, at)[0]


def trend(assignments: list[Assignment], unit: OrgUnit, at: datetime | None = None
          ) -> list[Period]:
    """Each assignment's totals at `unit`, in the order given (3 queries for all of them)."""
    return range_report(assignments, unit, at)[1]


# --- members -------------------------------------------------------------------------------


def _quiz_ids(assignment: Assignment):
    return select(Quiz.id).where(Quiz.module_id.in_(_module_ids(assignment)))


def _member_select(assignment: Assignment, unit: OrgUnit, at: datetime | None):
    members = _per_member(assignment, unit, at).subquery("members")
    last_via = (
        select(Progress.completed_via)
        .where(Progress.user_id == members.c.user_id,
               Progress.module_id.in_(_module_ids(assignment)),
               Progress.completed_at.is_not(None))
        .order_by(Progress.completed_at.desc(), Progress.module_id.desc())
        .limit(1).correlate(members).scalar_subquery())
    best = (select(Attempt.user_id, func.max(Attempt.percent).label("best"))
            .where(Attempt.quiz_id.in_(_quiz_ids(assignment)), Attempt.state == "finished")
            .group_by(Attempt.user_id).subquery("best"))
    posts = (select(Post.author_id, func.count().label("posts"))
             .join(Thread, Thread.id == Post.thread_id)
             .where(Thread.module_id.in_(_module_ids(assignment)),
                    Post.deleted_at.is_(None), Post.hidden_at.is_(None))
             .group_by(Post.author_id).subquery("posts"))
    query = (
        select(members.c.user_id, User.display_name, members.c.unit_id, OrgUnit.name,
               members.c.status, members.c.done, members.c.total, members.c.last_at,
               last_via, User.username, best.c.best, func.coalesce(posts.c.posts, 0))
        .select_from(members)
        .join(User, User.id == members.c.user_id)
        .join(OrgUnit, OrgUnit.id == members.c.unit_id)
        .outerjoin(best, best.c.user_id == members.c.user_id)
        .outerjoin(posts, posts.c.author_id == members.c.user_id)
        .order_by(OrgUnit.path, User.display_name, members.c.user_id)
    )
    return query, members


def member_rows(assignment: Assignment, unit: OrgUnit, at: datetime | None = None, *,
                status: str | None = None, limit: int | None = None, offset: int = 0
                ) -> list[MemberRow]:
    """Roster members at or below `unit` in tree order then by name, optionally of one
    status and one page (2 queries)."""
    query, members = _member_select(assignment, unit, at)
    if status:
        query = query.where(members.c.status == status)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return [MemberRow(*row) for row in db.session.execute(query)]


def member_row(assignment: Assignment, unit: OrgUnit, user_id: int,
               at: datetime | None = None) -> MemberRow | None:
    """One member's row, or None when they are not on the roster at or below `unit`."""
    query, members = _member_select(assignment, unit, at)
    row = db.session.execute(query.where(members.c.user_id == user_id)).first()
    return MemberRow(*row) if row else None


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
    the unit they are counted in, with that unit's leaders (3 queries)."""
    query, members = _member_select(assignment, unit, at)
    rows = [MemberRow(*row) for row in db.session.execute(
        query.where(members.c.complete.is_not(True)))]
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
    quizzes = db.session.execute(
        select(Quiz.id, Quiz.title, Quiz.pass_mark).where(Quiz.id.in_(_quiz_ids(assignment)))
        .order_by(Quiz.id)).all()
    if not quizzes:
        return []
    query, members = _member_select(assignment, unit, at)
    grades, quiz = _grades(), aliased(Quiz)
    passed = (select(grades.c.user_id)
              .where(grades.c.quiz_id == quiz.id, grades.c.user_id == members.c.user_id,
                     grades.c.grade >= quiz.pass_mark - 1e-9).exists())
    by_quiz: dict[int, list[MemberRow]] = defaultdict(list)
    for *row, quiz_id in db.session.execute(
            query.add_columns(quiz.id).join(quiz, quiz.id.in_([q.id for q in quizzes]))
            .where(~passed)):
        by_quiz[quiz_id].append(MemberRow(*row))
    leaders = _leaders({r.unit_id for rows in by_quiz.values() for r in rows})
    return [QuizNotPassed(q.id, q.title, q.pass_mark, _grouped(by_quiz[q.id], leaders))
            for q in quizzes if by_quiz[q.id]]


def member_modules(assignment: Assignment, user_id: int) -> list[ModuleLine]:
    """The member's line for each module the assignment counts, in course order (1 query)."""
    modules = _module_ids(assignment).subquery("scope")
    attempts = (select(Quiz.module_id, func.max(Attempt.percent).label("best"),
                       func.count(Attempt.id).label("attempts"))
                .join(Attempt, and_(Attempt.quiz_id == Quiz.id, Attempt.user_id == user_id,
                                    Attempt.state == "finished"))
                .group_by(Quiz.module_id).subquery("attempts"))
    posts = (select(Thread.module_id, func.count(Post.id).label("posts"))
             .join(Post, and_(Post.thread_id == Thread.id, Post.author_id == user_id,
                              Post.deleted_at.is_(None), Post.hidden_at.is_(None)))
             .group_by(Thread.module_id).subquery("posts"))
    opened = or_(Progress.completed_at.is_not(None), Progress.first_opened_at.is_not(None),
                 Progress.seconds_spent > 0)
    rows = db.session.execute(
        select(Module.id, Module.title, func.coalesce(opened, False), Progress.completed_at,
               Progress.completed_via, attempts.c.best,
               func.coalesce(attempts.c.attempts, 0), func.coalesce(posts.c.posts, 0))
        .join(modules, modules.c.id == Module.id)
        .outerjoin(Progress, and_(Progress.module_id == Module.id, Progress.user_id == user_id))
        .outerjoin(attempts, attempts.c.module_id == Module.id)
        .outerjoin(posts, posts.c.module_id == Module.id)
        .order_by(Module.position, Module.id)).all()
    return [ModuleLine(module_id, title, bool(opened_), done_at, via,
                       done_at is not None and done_at > assignment.due_at, best, tries, n)
            for module_id, title, opened_, done_at, via, best, tries, n in rows]
