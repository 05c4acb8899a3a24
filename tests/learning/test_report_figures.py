"""The report figures against an independent computation on a generated organisation.

The expected figures are computed here in plain Python from the data the test generated (who
is where, who completed what, when and how), never by calling learning.reports.figures or my_study.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import update

from courses import progress
from courses.models import Assignment, Module, Progress
from learning.accounts.models import User
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit
from learning.reports.figures import member_rows, not_completed, unit_report

STATUS_FIELDS = ("completed", "in_progress", "not_started", "late")


@dataclass
class Person:
    user_id: int
    name: str
    memberships: dict[int, str]  # unit_id -> role
    active: bool = True
    done: dict[int, tuple] = field(default_factory=dict)  # module_id -> (at, via)
    touched: set[int] = field(default_factory=set)


class World:
    """The generated organisation and everything the test did to it, kept in plain Python."""

    def __init__(self):
        self.units: dict[int, OrgUnit] = {}
        self.people: dict[int, Person] = {}

    def add_unit(self, unit):
        self.units[unit.id] = unit
        return unit

    def add_person(self, user, memberships):
        self.people[user.id] = Person(user.id, user.display_name, dict(memberships))
        return self.people[user.id]

    # --- the independent computation ---

    def roster(self, root: OrgUnit) -> dict[int, int]:
        """user_id -> the unit counted in: active, a *member* membership at or below the
        assigned unit (leading counts for nothing), the deepest of those, of two equally deep
        the lower id (the documented rule)."""
        result = {}
        for person in self.people.values():
            inside = [u for u, role in person.memberships.items()
                      if role == "member" and self.units[u].path.startswith(root.path)]
            if person.active and inside:
                result[person.user_id] = min(
                    inside, key=lambda u: (-self.units[u].path.count("/"), u))
        return result

    def status(self, person: Person, past: bool) -> tuple[str, int, object, object]:
        mine = {m: self.done_at(person, m) for m in self.module_ids}
        done = {m: v for m, v in mine.items() if v is not None}
        last = max(done.values(), key=lambda v: v[0]) if done else (None, None)
        if len(done) == len(self.module_ids):
            state = "late" if last[0] > self.due else "completed"
        elif past:
            state = "late"
        elif done or person.touched & set(self.module_ids):
            state = "in_progress"
        else:
            state = "not_started"
        return state, len(done), last[0], last[1]

    def done_at(self, person, module_id):
        return person.done.get(module_id)

    def expected_report(self, roster: dict[int, int], unit: OrgUnit, past: bool):
        def row_of(prefix):
            row = dict.fromkeys(("roster", *STATUS_FIELDS, "late_completed"), 0)
            for user_id, unit_id in roster.items():
                if not self.units[unit_id].path.startswith(prefix):
                    continue
                state, done, _, _ = self.status(self.people[user_id], past)
                row["roster"] += 1
                row[state] += 1
                if state == "late" and done == len(self.module_ids):
                    row["late_completed"] += 1
            return row

        children = [u for u in self.units.values() if u.parent_id == unit.id]
        rows = {c.id: row_of(c.path) for c in children}
        # The members counted in the unit itself: all but the children's (a path of its own).
        direct = {key: row_of(unit.path)[key] - sum(r[key] for r in rows.values())
                  for key in row_of(unit.path)}
        direct = direct if children and direct["roster"] else None
        for row in [*rows.values(), *([direct] if direct else [])]:
            row["rate"] = row["completed"] / row["roster"] if row["roster"] else None
        for row in rows.values():  # competition ranking: 1 + siblings strictly better
            row["rank"] = None if row["rate"] is None else 1 + sum(
                1 for other in rows.values()
                if other["rate"] is not None
                and other["completed"] * row["roster"] > row["completed"] * other["roster"])
        return row_of(unit.path), rows, direct

    def expected_members(self, roster, unit, past):
        result = {}
        for user_id, unit_id in roster.items():
            if self.units[unit_id].path.startswith(unit.path):
                state, done, last_at, via = self.status(self.people[user_id], past)
                result[user_id] = (self.people[user_id].name, unit_id,
                                   self.units[unit_id].name, state, done,
                                   len(self.module_ids), last_at, via)
        return result

    def expected_not_completed(self, roster, unit):
        groups = defaultdict(set)
        for user_id, unit_id in roster.items():
            person = self.people[user_id]
            done = [m for m in self.module_ids if m in person.done]
            if self.units[unit_id].path.startswith(unit.path) and \
                    len(done) < len(self.module_ids):
                groups[unit_id].add(user_id)
        return {u: (self.units[u].name, self.leaders_of(u), ids) for u, ids in groups.items()}

    def leaders_of(self, unit_id):
        return sorted(p.name for p in self.people.values()
                      if p.active and p.memberships.get(unit_id) == "leader")


# group name -> (members, members completing on time); one of G31's on-time members is
# deactivated and one of G21's moves to G22, which makes ties at both levels (see the guard).
GROUPS = {("第1团支部", "第1学习小组"): (11, 5), ("第1团支部", "第2学习小组"): (10, 5),
          ("第2团支部", "第1学习小组"): (10, 6), ("第2团支部", "第2学习小组"): (10, 4),
          ("第3团支部", "第1学习小组"): (11, 3), ("第3团支部", "第2学习小组"): (12, 8)}
OTHER_KINDS = ("late", "late_offline", "partial", "opened", "seconds", "none", "unpublished")


@pytest.fixture
def world(app, make_unit, make_user, make_course, make_assignment):
    rng = random.Random(6)
    w = World()
    w.committee = w.add_unit(make_unit("测试团委", kind="committee"))
    branches, groups = {}, {}
    for (branch_name, group_name) in GROUPS:
        if branch_name not in branches:
            branches[branch_name] = w.add_unit(make_unit(branch_name, w.committee,
                                                         kind="branch"))
        groups[branch_name, group_name] = w.add_unit(
            make_unit(group_name, branches[branch_name], kind="group"))
    w.branches, w.groups = list(branches.values()), groups
    outside = w.add_unit(make_unit("外单位团委", kind="committee"))

    course = make_course("专题", modules=3, rule="confirm")
    w.module_ids = course.module_ids
    w.assignment = make_assignment(course, w.committee, starts_in_days=-10, due_in_days=1)
    w.due = w.assignment.due_at
    with app.app_context():  # a fourth, unpublished module: progress on it never counts
        hidden = Module(course_id=course.id, title="草稿", position=9, published=False)
        db.session.add(hidden)
        db.session.commit()
        hidden_id = hidden.id

    plan = []  # (person, kind)
    serial = iter(range(1, 1000))
    for key, (size, on_time) in GROUPS.items():
        kinds = ["ontime" if i % 2 else "offline" for i in range(on_time)]
        kinds += [OTHER_KINDS[i % len(OTHER_KINDS)] for i in range(size - on_time)]
        rng.shuffle(kinds)
        for kind in kinds:
            user = make_user(f"m{next(serial):03d}", name=f"成员{len(plan) + 1:03d}",
                             units=[(groups[key], "member")])
            plan.append((w.add_person(user, {groups[key].id: "member"}), kind))
    b1, b2, b3 = w.branches
    g11 = groups["第1团支部", "第1学习小组"]
    g12 = groups["第1团支部", "第2学习小组"]
    g21 = groups["第2团支部", "第1学习小组"]
    g31, g32 = groups["第3团支部", "第1学习小组"], groups["第3团支部", "第2学习小组"]
    # Who counts where (issue 17): leading puts nobody on a roster; B1's secretary is also a
    # member of G12 and is counted there. Members directly in a branch or the committee count
    # in that unit itself (the 直属成员 rows); a member of B2 and of G21 counts in G21, the
    # deeper unit, though B2's id is lower; a member of two groups in the lower-numbered one.
    for name, memberships, kind in (
            ("书记", {w.committee.id: "leader"}, "ontime"),
            ("支书一", {b1.id: "leader", g12.id: "member"}, "none"),
            ("支书二", {b2.id: "leader"}, "partial"),
            ("支书三", {b3.id: "leader"}, "none"),
            ("组长一", {g11.id: "leader"}, "none"),
            ("委员", {b1.id: "member"}, "ontime"),
            ("干事", {w.committee.id: "member"}, "partial"),
            ("双重", {b2.id: "member", g21.id: "member"}, "ontime"),
            ("同深", {g32.id: "member", g31.id: "member"}, "ontime"),
            ("外人", {outside.id: "member"}, "ontime")):
        user = make_user(name=name, units=[(w.units[u], r) for u, r in memberships.items()])
        plan.append((w.add_person(user, memberships), kind))

    with app.app_context():
        for person, kind in plan:
            _study(person, kind, w, rng, hidden_id)
        db.session.commit()
        # a deactivated member (with completions) and a transfer inside branch 2
        g21, g22 = groups["第2团支部", "第1学习小组"], groups["第2团支部", "第2学习小组"]
        gone = next(p for p, k in plan if k == "ontime" and
                    groups["第3团支部", "第1学习小组"].id in p.memberships)
        moved = next(p for p, k in plan if k == "ontime" and g21.id in p.memberships)
        db.session.execute(update(User).where(User.id == gone.user_id).values(active=False))
        _transfer(w, moved, g21, g22)
        db.session.commit()
        gone.active = False
    w.plan = plan
    return w


def _transfer(w, person, source, target):
    db.session.execute(update(Membership).where(Membership.user_id == person.user_id,
                                                Membership.unit_id == source.id)
                       .values(unit_id=target.id))
    person.memberships[target.id] = person.memberships.pop(source.id)


def _study(person, kind, w, rng, hidden_id):
    """Write the progress of one person as `kind` says and note it in the plain-Python world."""
    due, mods = w.due, w.module_ids

    def done(module_id, at, via):
        progress.complete(person.user_id, module_id, via, at=at)
        person.done[module_id] = (at, via)

    before = due - timedelta(days=5, minutes=rng.randint(0, 3000))
    if kind == "ontime":
        for i, m in enumerate(mods):
            done(m, before + timedelta(hours=i), "confirm")
    elif kind == "offline":  # one offline lesson covers all three modules at once
        for m in mods:
            done(m, before, "offline")
    elif kind == "late":
        done(mods[0], before, "confirm")
        done(mods[1], before + timedelta(hours=1), "confirm")
        done(mods[2], due + timedelta(hours=rng.randint(1, 48)), "reading")
    elif kind == "late_offline":
        for m in mods:
            done(m, due + timedelta(days=2), "offline")
    elif kind == "partial":
        for i in range(rng.randint(1, 2)):
            done(mods[i], before + timedelta(hours=i), "confirm")
    elif kind in ("opened", "seconds"):
        progress.ensure_rows([person.user_id], [mods[1]])
        values = ({"first_opened_at": before} if kind == "opened" else {"seconds_spent": 90})
        db.session.execute(update(Progress).where(Progress.user_id == person.user_id,
                                                  Progress.module_id == mods[1])
                           .values(**values))
        # Written directly here; the app's own writes refresh the rollup themselves.
        progress.refresh_rollups([person.user_id], module_ids=[mods[1]])
        person.touched.add(mods[1])
    elif kind == "unpublished":  # done the draft module only, by quiz, after everything
        progress.complete(person.user_id, hidden_id, "quiz", at=due + timedelta(days=9))
        person.touched.add(hidden_id)


def _loaded(unit_id, assignment_id):
    db.session.expire_all()
    return db.session.get(Assignment, assignment_id), db.session.get(OrgUnit, unit_id)


def _as_dicts(report):
    def one(row):
        return {"roster": row.roster, "completed": row.completed,
                "in_progress": row.in_progress, "not_started": row.not_started,
                "late": row.late, "late_completed": row.late_completed}

    children = {r.unit_id: {**one(r), "rate": r.rate, "rank": r.rank} for r in report.children}
    direct = report.direct and {**one(report.direct), "rate": report.direct.rate}
    return one(report.unit), children, direct


def _check(w, roster, unit, past, at=None):
    """Compare all three functions with the independent figures at `unit`."""
    assignment, unit_obj = _loaded(unit.id, w.assignment.id)
    report = unit_report(assignment, unit_obj, at=at)
    want_total, want_children, want_direct = w.expected_report(roster, unit, past)
    got_total, got_children, got_direct = _as_dicts(report)
    assert got_total == want_total
    assert got_children == want_children
    assert got_direct == want_direct
    shown = [*got_children.values(), *([got_direct] if got_direct else [])]
    for key in got_total if shown else ():  # the rows add up to the totals
        assert got_total[key] == sum(row[key] for row in shown)
    assert [r.unit_id for r in report.children] == sorted(
        want_children, key=lambda i: (w.units[i].position, w.units[i].name, i))
    assert report.unit.roster == sum(1 for u in roster.values()
                                     if w.units[u].path.startswith(unit.path))

    rows = member_rows(assignment, unit_obj, at=at)
    got = {r.user_id: (r.name, r.unit_id, r.unit_name, r.status, r.done, r.total,
                       r.last_completed_at, r.last_via) for r in rows}
    assert got == w.expected_members(roster, unit, past)
    paths = [w.units[r.unit_id].path for r in rows]
    assert paths == sorted(paths)  # tree order

    groups = not_completed(assignment, unit_obj, at=at)
    got = {g.unit_id: (g.unit_name, g.leaders, {m.user_id for m in g.members}) for g in groups}
    assert got == w.expected_not_completed(roster, unit)
    assert all(m.unit_id == g.unit_id and m.status != "completed"
               for g in groups for m in g.members)
    return report


def report_counts_where(w, roster) -> dict[str, str]:
    """name -> the unit the report counts them in, for the people with a special place."""
    rows = member_rows(*_loaded(w.committee.id, w.assignment.id))
    special = {"支书一", "委员", "干事", "双重", "同深"}
    got = {r.name: r.unit_name for r in rows if r.name in special}
    assert got == {w.people[u].name: w.units[unit].name for u, unit in roster.items()
                   if w.people[u].name in special}  # as computed here
    return got


def _agrees_with_my_study(rows, assignment_id, at=None):
    """A cross-check, not the expectation: each member's status is the one 「我的学习」 shows."""
    from courses.study.services import my_study

    for row in rows:
        item = next(i for i in my_study(db.session.get(User, row.user_id), at=at)
                    if i.assignment.id == assignment_id)
        assert (item.status, item.completed, item.total) == (row.status, row.done, row.total)


def test_open_report_matches_an_independent_computation(app, world):
    w = world
    roster = w.roster(w.committee)
    # members, less the deactivated, plus 支书一 (a member of G12), 委员, 干事, 双重 and 同深;
    # no leader who only leads
    assert len(roster) == 64 - 1 + 5
    with app.app_context():
        where = report_counts_where(w, roster)
    assert where == {"支书一": "第2学习小组", "委员": "第1团支部",
                                              "干事": "测试团委", "双重": "第1学习小组",
                                              "同深": "第1学习小组"}
    with app.app_context():
        report = _check(w, roster, w.committee, past=False)
        for unit in [*w.branches, *w.groups.values()]:
            _check(w, roster, unit, past=False)
        _agrees_with_my_study(member_rows(*_loaded(w.committee.id, w.assignment.id)),
                              w.assignment.id)
    # the data exercises every status, offline and late completions, and ties in the ranks
    statuses = {s: getattr(report.unit, s) for s in STATUS_FIELDS}
    assert all(statuses.values()), statuses
    assert report.unit.late_completed == report.unit.late  # nobody is late yet but finishers
    ranks = [r.rank for r in report.children]
    assert sorted(ranks) == [1, 2, 2], ranks
    with app.app_context():
        b1 = unit_report(*_loaded(w.branches[0].id, w.assignment.id))
    assert [r.rank for r in b1.children] == [1, 1]
    assert b1.children[0].rate == b1.children[1].rate == 5 / 11
    assert b1.direct.roster == 1 and b1.direct.rank is None  # 委员
    assert report.direct.roster == 1  # 干事, directly in the committee


def test_at_after_the_due_time_turns_not_completed_into_late(app, world):
    w = world
    at = w.due + timedelta(days=2)
    roster = w.roster(w.committee)
    with app.app_context():
        before = unit_report(*_loaded(w.committee.id, w.assignment.id))
        report = _check(w, roster, w.committee, past=True, at=at)
        _check(w, roster, w.branches[1], past=True, at=at)
        _agrees_with_my_study(member_rows(*_loaded(w.committee.id, w.assignment.id), at=at),
                              w.assignment.id, at=at)
    assert report.unit.in_progress == report.unit.not_started == 0
    assert report.unit.late == before.unit.late + before.unit.in_progress + \
        before.unit.not_started
    assert report.unit.completed == before.unit.completed  # the rate does not move


def test_closed_period_uses_the_frozen_roster(app, world):
    from courses.study.services import close_assignment

    w = world
    frozen = w.roster(w.committee)  # who is where when the period closes
    with app.app_context():
        close_assignment(db.session.get(Assignment, w.assignment.id),
                         at=w.due + timedelta(hours=1))
        db.session.commit()
        first = [_check(w, frozen, unit, past=True)
                 for unit in (w.committee, *w.branches)]
        # after the close: a member moves to another branch, one is deactivated, one joins
        mover = next(p for p, k in w.plan if k == "ontime" and
                     w.groups["第1团支部", "第1学习小组"].id in p.memberships)
        _transfer(w, mover, w.groups["第1团支部", "第1学习小组"],
                  w.groups["第3团支部", "第2学习小组"])
        quitter = next(p for p, k in w.plan if k == "none" and p.active)
        db.session.execute(update(User).where(User.id == quitter.user_id).values(active=False))
        newcomer = User(username="newcomer", display_name="新人", password_hash="x")
        db.session.add(newcomer)
        db.session.flush()
        db.session.add(Membership(user_id=newcomer.id,
                                  unit_id=w.groups["第2团支部", "第1学习小组"].id))
        db.session.commit()
        assert w.roster(w.committee) != frozen  # the live tree did change
        again = [_check(w, frozen, unit, past=True) for unit in (w.committee, *w.branches)]
        assert again == first
        _agrees_with_my_study(member_rows(*_loaded(w.committee.id, w.assignment.id)),
                              w.assignment.id)
        # the mover is still counted in their old group
        rows = member_rows(*_loaded(w.committee.id, w.assignment.id))
        assert {r.user_id: r.unit_id for r in rows}[mover.user_id] == \
            w.groups["第1团支部", "第1学习小组"].id


def test_each_figure_takes_a_constant_number_of_queries(app, world, query_counter):
    from courses.study.services import close_assignment

    w = world
    units = (w.committee, w.branches[2], w.groups["第3团支部", "第2学习小组"])

    def measure():
        counts = {}
        for unit in units:
            for fn in (unit_report, member_rows, not_completed):
                assignment, unit_obj = _loaded(unit.id, w.assignment.id)
                assert assignment.unit.path  # a view loads it with the assignment
                with query_counter() as statements:
                    fn(assignment, unit_obj)
                counts.setdefault(fn.__name__, set()).add(len(statements))
        return counts

    with app.app_context():
        live = measure()
        close_assignment(db.session.get(Assignment, w.assignment.id))
        db.session.commit()
        closed = measure()
    # member_rows: the module count, the rows, and the 补录 marks of the rows listed
    # not_completed: the same three, and the period's watching (video modules) in one more
    assert live == closed == {"unit_report": {3}, "member_rows": {3}, "not_completed": {4}}, \
        (live, closed)


def test_the_statements_are_built_once_for_each_shape_of_report(app, world):
    """Reports of other units and other periods of the same kind reuse the statements built
    for the first one (building them cost more than running them); only the values differ."""
    from learning.reports import figures

    w = world
    with app.app_context():
        unit_report(*_loaded(w.branches[0].id, w.assignment.id))
        member_rows(*_loaded(w.branches[0].id, w.assignment.id), limit=5)
        built = (figures._by_child_select.cache_info().misses,
                 figures._member_query.cache_info().misses)
        for branch in w.branches[1:]:
            first = unit_report(*_loaded(branch.id, w.assignment.id))
            rows = member_rows(*_loaded(branch.id, w.assignment.id), limit=5)
            assert first.unit.roster and rows  # real figures, not a cached answer
            assert {r.unit_id for r in rows} <= {u.id for u in w.units.values()
                                                 if u.path.startswith(branch.path)}
        assert (figures._by_child_select.cache_info().misses,
                figures._member_query.cache_info().misses) == built


def test_member_details_are_each_listed_members_own_on_every_page(app, world, make_course):
    """Each member row's best quiz score and post count (and the not-passed list built on the
    same rows) are the member's own, over the quizzes and threads of the modules in scope,
    whichever page lists them: the page is cut first and the details are looked up for its
    rows (learning/reports/figures.py). Expected values are counted here in Python."""
    from datetime import UTC, datetime

    from courses.discussions.models import Post, Thread
    from learning.reports.figures import member_row, not_passed
    from quizzes.models import Attempt, Quiz

    w, rng = world, random.Random(11)
    other = make_course("别的专题", modules=1, rule="confirm")
    best, posts = {}, defaultdict(int)
    when = datetime(2026, 1, 5, tzinfo=UTC)
    with app.app_context():
        course_id = db.session.get(Module, w.module_ids[0]).course_id
        quiz = Quiz(course_id=course_id, module_id=w.module_ids[0], title="测验", pass_mark=60.0)
        elsewhere = Quiz(course_id=other.id, module_id=other.module_ids[0], title="别处测验")
        thread = Thread(module_id=w.module_ids[1], title="讨论")
        far = Thread(module_id=other.module_ids[0], title="别处讨论")
        db.session.add_all([quiz, elsewhere, thread, far])
        db.session.flush()
        for user_id in sorted(w.people):
            for number in range(1, rng.randint(0, 3) + 1):
                state = rng.choice(["finished", "finished", "in_progress"])
                percent = rng.choice([20.0, 55.0, 75.0, 100.0]) if state == "finished" else None
                db.session.add(Attempt(quiz_id=quiz.id, user_id=user_id, number=number,
                                       state=state, percent=percent))
                if percent is not None:
                    best[user_id] = max(best.get(user_id, 0.0), percent)
            db.session.add(Attempt(quiz_id=elsewhere.id, user_id=user_id, number=1,
                                   state="finished", percent=99.0))
            for _ in range(rng.randint(0, 3)):
                gone = rng.choice([None, None, "deleted", "hidden"])
                db.session.add(Post(thread_id=thread.id, author_id=user_id, body_md="学",
                                    body_html="<p>学</p>",
                                    deleted_at=when if gone == "deleted" else None,
                                    hidden_at=when if gone == "hidden" else None))
                posts[user_id] += gone is None
            db.session.add(Post(thread_id=far.id, author_id=user_id, body_md="别",
                                body_html="<p>别</p>"))
        db.session.commit()

        assignment, unit = _loaded(w.committee.id, w.assignment.id)
        everyone = member_rows(assignment, unit)
        pages = [member_rows(assignment, unit, limit=7, offset=start)
                 for start in range(0, len(everyone), 7)]
        assert [r.user_id for page in pages for r in page] == [r.user_id for r in everyone]
        assert len(everyone) == len(w.roster(w.committee)) > 20
        for row in [r for page in pages for r in page] + everyone:
            assert (row.best_score, row.posts) == (best.get(row.user_id), posts[row.user_id])
        for row in everyone[::9]:
            assert member_row(assignment, unit, row.user_id) == row

        failing = not_passed(assignment, unit)
        assert [q.quiz_id for q in failing] == [quiz.id]
        listed = [m for group in failing[0].groups for m in group.members]
        assert {m.user_id for m in listed} == {
            r.user_id for r in everyone if best.get(r.user_id, 0.0) < 60.0}
        assert all((m.best_score, m.posts) == (best.get(m.user_id), posts[m.user_id])
                   for m in listed)


def test_a_module_period_and_a_date_range_add_up(app, world, make_assignment):
    """A module-only period is counted from its progress rows; a range sums the periods."""
    from courses.models import Course
    from learning.reports.figures import range_report

    w = world
    with app.app_context():
        course = db.session.get(Course, db.session.get(Module, w.module_ids[0]).course_id)
    second = w.module_ids[1]
    module_period = make_assignment(course, w.branches[0], module_id=second, title="第2期",
                                    starts_in_days=-10, due_in_days=-2)
    with app.app_context():
        # Independently: the module period counts one module and its own due time.
        whole_ids, whole_due = w.module_ids, w.due
        w.module_ids, w.due = [second], db.session.get(Assignment, module_period.id).due_at
        branch = w.branches[0]
        roster = w.roster(branch)
        past = True  # due two days ago: whoever has not done it is late
        want_total, want_children, want_direct = w.expected_report(roster, branch, past)
        report = unit_report(*_loaded(branch.id, module_period.id))
        assert _as_dicts(report) == (want_total, want_children, want_direct)
        w.module_ids, w.due = whole_ids, whole_due

        # The committee's range: both periods add up, each member once per period.
        committee = db.session.get(OrgUnit, w.committee.id)
        periods = [db.session.get(Assignment, w.assignment.id),
                   db.session.get(Assignment, module_period.id)]
        summed, trend = range_report(periods, committee)
        one = [unit_report(p, committee) for p in periods]
        for name in ("roster", "completed", "in_progress", "not_started", "late",
                     "late_completed"):
            assert getattr(summed.unit, name) == sum(getattr(r.unit, name) for r in one)
            for i, child in enumerate(summed.children):
                assert getattr(child, name) == sum(getattr(r.children[i], name) for r in one)
        assert [p.figures.roster for p in trend] == [r.unit.roster for r in one]
        assert [p.figures.completed for p in trend] == [r.unit.completed for r in one]
        assert one[1].unit.roster == want_total["roster"]  # only the branch is assigned
