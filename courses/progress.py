"""Progress writes shared by reading, offline lessons and quizzes.

Completion is idempotent and safe under concurrent requests: the row is created with an
INSERT ... ON CONFLICT DO NOTHING against the (user, module) unique constraint, and completed
with one UPDATE ... WHERE completed_at IS NULL, so whoever comes second changes nothing and
completed_at never moves.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from courses.models import COMPLETED_VIA, Progress
from learning.dbtypes import utcnow
from learning.extensions import db


def _insert():
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Progress)


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
    db.session.expire_all()
    return result.rowcount
