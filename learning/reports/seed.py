"""A realistic organisation for benchmarks.

    flask --app wsgi bench seed --members 10000 --modules 20


What it builds, in one transaction, with bulk INSERTs (a 10,000-member tree takes seconds):

* a tree 团委 > 团总支 > 团支部 > 学习小组 sized from --members (about 50 members a group), a
  leader in every unit;
* a published course of --modules reading modules, assigned to the whole tree for an open
  period due in a week, and one closed period per earlier week (module by module) with their
  rosters frozen, so the trend has points;
* progress drawn per group and member: some groups keen, some slow; keen members finish, the
  others stop after some modules; completions by reading, quiz, offline lesson and
  confirmation, some after the due time; members who opened a module and stopped; a few
  transfers (a second membership) and deactivated accounts.

Every account's password is BENCH_PASSWORD (hashed once). The generator refuses to run twice
into one database: it is for empty benchmark databases, not for the demo or production.
"""

import random
from datetime import timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import func, insert, select

from courses import progress
from courses.models import Assignment, AssignmentMember, Course, Module, Progress
from courses.study.services import roster_select
from learning.accounts import services as accounts
from learning.accounts.models import User
from learning.dbtypes import utcnow
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit

bench_cli = AppGroup("bench", help="Benchmark data.")

BENCH_PASSWORD = "bench-pass-2026"  # noqa: S105 - printed for benchmarks on purpose
COURSE_TITLE = "压测专题"
GROUP_SIZE = 50
GROUPS_PER_BRANCH = 4
BRANCHES_PER_GENERAL = 5
CHUNK = 2000
VIA = ["reading"] * 6 + ["quiz"] * 2 + ["offline", "confirm"]


@bench_cli.command("seed")
@click.option("--members", default=10_000, show_default=True, help="How many members.")
@click.option("--modules", default=20, show_default=True, help="Modules in the course.")
@click.option("--seed", "seed_value", default=2026, show_default=True, help="Random seed.")
def seed_command(members: int, modules: int, seed_value: int) -> None:
    """Fill an empty database with a generated organisation, course, periods and progress."""
    if db.session.scalar(select(Course.id).where(Course.title == COURSE_TITLE)):
        raise click.ClickException("This database already holds the benchmark data.")
    counts = seed(members, modules, random.Random(seed_value))  # noqa: S311 - not for secrets
    db.session.commit()
    click.echo(", ".join(f"{value} {name}" for name, value in counts.items()))
    click.echo(f"Logins: admin b-admin, leader b-leader-1 (the committee), members b00001 ...; "
               f"password {BENCH_PASSWORD}")


def _chunks(rows: list[dict]):
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def _bulk(table, rows: list[dict]) -> None:
    for chunk in _chunks(rows):
        db.session.execute(insert(table), chunk)


def _tree(members: int) -> tuple[OrgUnit, list[OrgUnit], list[OrgUnit]]:
    """The units, created one by one (the path holds the id); returns root, all, groups."""
    groups_needed = max(1, -(-members // GROUP_SIZE))
    branches_needed = -(-groups_needed // GROUPS_PER_BRANCH)
    generals = -(-branches_needed // BRANCHES_PER_GENERAL)
    root = _unit("压测团委", "committee", None)
    units, groups = [root], []
    for g in range(1, generals + 1):
        general = _unit(f"第{g}团总支", "general_branch", root, g)
        units.append(general)
        for b in range(1, BRANCHES_PER_GENERAL + 1):
            if len(groups) >= groups_needed:
                break
            branch = _unit(f"第{b}团支部", "branch", general, b)
            units.append(branch)
            for s in range(1, GROUPS_PER_BRANCH + 1):
                if len(groups) >= groups_needed:
                    break
                group = _unit(f"第{s}学习小组", "group", branch, s)
                units.append(group)
                groups.append(group)
    return root, units, groups


def _unit(name: str, kind: str, parent: OrgUnit | None, position: int = 0) -> OrgUnit:
    unit = OrgUnit(name=name, kind=kind, parent_id=parent.id if parent else None,
                   depth=parent.depth + 1 if parent else 0, position=position)
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def seed(members: int, modules: int, rng: random.Random) -> dict[str, int]:
    """Build everything (flushes, never commits); returns what was made, by name."""
    now = utcnow()
    password = accounts.hash_password(BENCH_PASSWORD)
    root, units, groups = _tree(members)
    db.session.flush()

    people = [{"username": f"b{i:05d}", "display_name": f"成员{i:05d}", "password_hash": password,
               "active": rng.random() > 0.01, "is_admin": False, "must_change_password": False,
               "session_version": 1, "created_at": now} for i in range(1, members + 1)]
    people += [{"username": f"b-leader-{n}", "display_name": f"{unit.name}书记{n}",
                "password_hash": password, "active": True, "is_admin": False,
                "must_change_password": False, "session_version": 1, "created_at": now}
               for n, unit in enumerate(units, start=1)]
    people.append({"username": "b-admin", "display_name": "压测管理员", "password_hash": password,
                   "active": True, "is_admin": True, "must_change_password": False,
                   "session_version": 1, "created_at": now})
    _bulk(User.__table__, people)
    ids = dict(db.session.execute(
        select(User.username, User.id).where(User.username.like("b%"))).all())

    memberships, member_ids, keenness = [], [], {}
    for i in range(1, members + 1):
        group = groups[(i - 1) // GROUP_SIZE % len(groups)]
        user_id = ids[f"b{i:05d}"]
        member_ids.append(user_id)
        memberships.append({"user_id": user_id, "unit_id": group.id, "role": "member",
                            "created_at": now})
        if rng.random() < 0.01:  # transferred: a second membership in another group
            other = rng.choice(groups)
            if other.id != group.id:
                memberships.append({"user_id": user_id, "unit_id": other.id,
                                    "role": "member", "created_at": now})
        # Groups differ (a keen group, a slow one), and members within a group.
        keenness[user_id] = (0.3 + 0.6 * ((group.id * 7919) % 100) / 100) * rng.uniform(0.8, 1.1)
    memberships += [{"user_id": ids[f"b-leader-{n}"], "unit_id": unit.id, "role": "leader",
                     "created_at": now} for n, unit in enumerate(units, start=1)]
    _bulk(Membership.__table__, memberships)

    course = Course(title=COURSE_TITLE, summary="压测用的专题。", published=True)
    db.session.add(course)
    db.session.flush()
    module_rows = [Module(course_id=course.id, title=f"第{n}单元", body_md="压测正文。",
                          body_html="<p>压测正文。</p>", estimated_minutes=5, position=n,
                          completion_rule="reading", published=True)
                   for n in range(1, modules + 1)]
    db.session.add_all(module_rows)
    db.session.flush()

    weeks = min(4, modules)
    periods = []
    for w in range(weeks):  # one closed period per earlier week, a module each
        due = now - timedelta(weeks=weeks - w)
        periods.append((Assignment(course_id=course.id, module_id=module_rows[w].id,
                                   unit_id=root.id, title=f"第{w + 1}期", created_by_id=None,
                                   starts_at=due - timedelta(days=7), due_at=due), due))
    current = Assignment(course_id=course.id, unit_id=root.id, title="本期学习",
                         starts_at=now - timedelta(days=7), due_at=now + timedelta(days=7))
    db.session.add_all([a for a, _ in periods] + [current])
    db.session.flush()

    rows = []
    for user_id in member_ids:
        # Keen members finish the course; the others stop somewhere, having opened the next.
        reached = modules if rng.random() < keenness[user_id] else rng.randrange(modules)
        for n, module in enumerate(module_rows[:reached + 1]):
            due = periods[n][1] if n < weeks else current.due_at
            opened = now - timedelta(days=7 * (weeks - min(n, weeks)) + 3,
                                     minutes=rng.randrange(600))
            row = {"user_id": user_id, "module_id": module.id, "first_opened_at": opened,
                   "last_seen_at": opened, "seconds_spent": 60, "completed_at": None,
                   "completed_via": None}
            if n < reached:
                at = min(now, due - timedelta(hours=rng.randrange(1, 72)))
                if rng.random() < 0.05:  # finished after the due time
                    at = min(now, due + timedelta(hours=rng.randrange(1, 48)))
                row.update(first_opened_at=min(opened, at), last_seen_at=at,
                           seconds_spent=300, completed_at=at, completed_via=rng.choice(VIA))
            elif rng.random() < 0.5:  # never opened the next one
                continue
            rows.append(row)
    _bulk(Progress.__table__, rows)
    progress.rebuild_rollups(course.id)

    for assignment, _due in periods:  # closed: freeze the roster as closing does
        db.session.execute(insert(AssignmentMember).from_select(
            ["assignment_id", "user_id", "unit_id"], roster_select(assignment.id, root)))
        assignment.closed_at = assignment.due_at
    db.session.flush()
    return {"units": len(units), "members": members,
            "memberships": db.session.scalar(select(func.count()).select_from(Membership)),
            "modules": modules, "progress rows": len(rows), "periods": len(periods) + 1}
