"""Progress writes shared by reading, offline lessons and quizzes.

Completion is idempotent and safe under concurrent requests: the row is created with an
INSERT ... ON CONFLICT DO NOTHING against the (user, module) unique constraint, and completed
with one UPDATE ... WHERE completed_at IS NULL, so whoever comes second changes nothing and
completed_at never moves.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from courses.models import COMPLETED_VIA, CourseProgress, Module, Progress
from learning.dbtypes import utcnow
from learning.extensions import db


def _insert(model=Progress):
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


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
    user_ids, module_ids = list(set(user_ids)), list(set(module_ids))
    if not user_ids or not module_ids:
        return 0
    ensure_rows(user_ids, module_ids)
    now = at or utcnow()
    result = db.session.execute(
        update(Progress)
        .where(and_(Progress.user_id.in_(user_ids), Progress.module_id.in_(module_ids),
                    Progress.completed_at.is_(None)))
        .values(completed_at=now, completed_via=via)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        refresh_rollups(user_ids, module_ids=module_ids)
    db.session.expire_all()
    return result.rowcount


# --- the CourseProgress rollup --------------------------------------------------------------


def _course_ids(module_ids: Iterable[int]) -> list[int]:
    return list(db.session.scalars(
        select(Module.course_id).where(Module.id.in_(list(module_ids))).distinct()))


def refresh_rollups(user_ids: Iterable[int], *, module_ids: Iterable[int] = (),
                    course_ids: Iterable[int] = ()) -> None:
    """Recount the rollup rows of these members in the courses of these modules (or courses).

    The rows are created if missing and locked (FOR UPDATE, in key order) before they are
    recounted by a fresh statement: of two transactions completing modules of one member at
    once, the second waits for the first to commit and then counts both, so the rollup can
    never miss a completion. SQLite serialises writers, so there is nothing to lock.
    """
    user_ids = sorted(set(user_ids))
    courses = sorted(set(course_ids) | set(_course_ids(module_ids) if module_ids else ()))
    if not user_ids or not courses:
        return
    db.session.execute(_insert(CourseProgress).values(
        [{"user_id": u, "course_id": c, "done": 0, "opened": False}
         for u in user_ids for c in courses]).on_conflict_do_nothing(
        index_elements=["user_id", "course_id"]))
    _recount(and_(CourseProgress.user_id.in_(user_ids), CourseProgress.course_id.in_(courses)))


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
    db.session.execute(
        update(CourseProgress).where(rows)
        .values(done=done.scalar_subquery(), last_completed_at=last.scalar_subquery(),
                opened=opened)
        .execution_options(synchronize_session=False))
