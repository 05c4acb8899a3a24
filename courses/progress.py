"""Progress writes shared by reading, offline lessons and quizzes.

Completion is idempotent and safe under concurrent requests: one INSERT ... ON CONFLICT
(user, module) DO UPDATE ... WHERE completed_at IS NULL creates the row completed, or completes
the existing one if it is not yet, so whoever comes second changes nothing and completed_at
never moves.
"""

from collections.abc import Iterable
from datetime import datetime
from functools import cache

from sqlalchemy import and_, bindparam, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from courses.models import COMPLETED_VIA, CourseProgress, Module, Progress
from learning.dbtypes import utcnow
from learning.extensions import db


def _insert(model=Progress):
    return _dialect_insert(db.session.get_bind().dialect.name, model)


def _dialect_insert(dialect: str, target):
    """An INSERT of `target` that knows ON CONFLICT in this dialect."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(target)


def ensure_rows(user_ids: Iterable[int], module_ids: Iterable[int]) -> None:
    """Make sure a progress row exists for every (user, module) pair, without duplicates."""
    rows = [{"user_id": u, "module_id": m, "seconds_spent": 0}
            for u in set(user_ids) for m in set(module_ids)]
    if rows:
        db.session.execute(_insert().values(rows).on_conflict_do_nothing(
            index_elements=["user_id", "module_id"]))


def get(user_id: int, module_id: int) -> Progress | None:
    return db.session.scalar(
        select(Progress).where(Progress.user_id == user_id, Progress.module_id == module_id))


def complete(user_id: int, module_id: int, via: str, at: datetime | None = None) -> bool:
    """Mark a module complete for a member; True if this call completed it (first time)."""
    return complete_many([user_id], [module_id], via, at) == 1


def complete_many(user_ids: Iterable[int], module_ids: Iterable[int], via: str,
                  at: datetime | None = None) -> int:
    """Complete every (user, module) pair not yet complete; returns how many were completed."""
    if via not in COMPLETED_VIA:
        raise ValueError(f"unknown completion path {via!r}")
    user_ids, module_ids = sorted(set(user_ids)), sorted(set(module_ids))
    if not user_ids or not module_ids:
        return 0
    now = at or utcnow()
    # RETURNING names the rows this statement completed: inserted, or updated because they
    # were not complete yet (a row already complete fails the WHERE and is not returned).
    completed = len(db.session.execute(_complete_statement(), [
        {"user_id": u, "module_id": m, "seconds_spent": 0, "completed_at": now,
         "completed_via": via} for u in user_ids for m in module_ids]).all())
    if completed:
        refresh_rollups(user_ids, module_ids=module_ids)
    db.session.expire_all()
    return completed


def _complete_statement():
    return _complete_for(db.session.get_bind().dialect.name)


@cache
def _complete_for(dialect: str):
    """The upsert of complete_many, built once per process (parameters: the row's columns)."""
    table = Progress.__table__
    upsert = _dialect_insert(dialect, table)
    return upsert.on_conflict_do_update(
        index_elements=["user_id", "module_id"],
        set_={"completed_at": upsert.excluded.completed_at,
              "completed_via": upsert.excluded.completed_via},
        where=table.c.completed_at.is_(None),
    ).returning(table.c.id)


# --- the CourseProgress rollup --------------------------------------------------------------


def _course_ids(module_ids: Iterable[int]) -> list[int]:
    return list(db.session.scalars(_course_ids_select(), {"module_ids": list(module_ids)}))


@cache
def _course_ids_select():
    return (select(Module.course_id).where(Module.id.in_(bindparam("module_ids", expanding=True)))
            .distinct())


def refresh_rollups(user_ids: Iterable[int], *, module_ids: Iterable[int] = (),
                    course_ids: Iterable[int] = ()) -> None:
    """Recount the rollup rows of these members in the courses of these modules (or courses).

    The rows are created if missing and locked, in key order, by one INSERT ... ON CONFLICT
    DO UPDATE (a conflicting row is locked as an UPDATE locks it) before they are recounted by
    a fresh statement: of two transactions completing modules of one member at once, the
    second waits for the first to commit and then counts both, so the rollup can never miss a
    completion. SQLite serialises writers, so there the lock is only a formality.
    """
    user_ids = sorted(set(user_ids))
    courses = sorted(set(course_ids) | set(_course_ids(module_ids) if module_ids else ()))
    if not user_ids or not courses:
        return
    db.session.execute(_lock_rollups_statement(), [
        {"user_id": u, "course_id": c, "done": 0, "opened": False}
        for u in user_ids for c in courses])
    db.session.execute(_recount_members_statement(),
                       {"user_ids": user_ids, "course_ids": courses})


def _lock_rollups_statement():
    return _lock_rollups_for(db.session.get_bind().dialect.name)


@cache
def _lock_rollups_for(dialect: str):
    """INSERT of missing rollup rows that locks the existing ones (their `done` set to itself);
    executed with the rows in key order."""
    table = CourseProgress.__table__
    upsert = _dialect_insert(dialect, table)
    return upsert.on_conflict_do_update(index_elements=["user_id", "course_id"],
                                        set_={"done": table.c.done})


@cache
def _recount_members_statement():
    """_recount of the rollup rows of some members in some courses (expanding bind parameters
    `user_ids`, `course_ids`), built once per process."""
    return _recount_update(and_(
        CourseProgress.user_id.in_(bindparam("user_ids", expanding=True)),
        CourseProgress.course_id.in_(bindparam("course_ids", expanding=True))))


def rebuild_rollups(course_id: int) -> None:
    """Recount the course's rollup for everyone with progress in it (after a module is
    published or withdrawn, or after progress was written in bulk)."""
    db.session.execute(_insert(CourseProgress).from_select(
        ["user_id", "course_id", "done", "opened"],
        select(Progress.user_id, literal(course_id), literal(0), literal(False))
        .join(Module, Module.id == Progress.module_id)
        .where(Module.course_id == course_id).distinct()
    ).on_conflict_do_nothing(index_elements=["user_id", "course_id"]))
    _recount(CourseProgress.course_id == course_id)


def _recount(rows) -> None:
    db.session.execute(select(CourseProgress.user_id).where(rows)
                       .order_by(CourseProgress.user_id, CourseProgress.course_id)
                       .with_for_update())
    db.session.execute(_recount_update(rows))


def _recount_update(rows):
    """The UPDATE that recounts the rollup `rows` from the progress rows."""
    def of_member(*conditions):
        return (select(Progress).join(Module, Module.id == Progress.module_id)
                .where(Progress.user_id == CourseProgress.user_id,
                       Module.course_id == CourseProgress.course_id,
                       Module.published.is_(True), *conditions))

    done = of_member().with_only_columns(func.count(Progress.completed_at))
    last = of_member().with_only_columns(func.max(Progress.completed_at))
    opened = of_member(Progress.completed_at.is_not(None)
                       | Progress.first_opened_at.is_not(None)
                       | (Progress.seconds_spent > 0)).exists()
    return (update(CourseProgress).where(rows)
            .values(done=done.scalar_subquery(), last_completed_at=last.scalar_subquery(),
                    opened=opened)
            .execution_options(synchronize_session=False))
