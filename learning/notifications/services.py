"""Writing and reading notifications: notify, unread count, the newest first, mark read.

Callers (discussions, reminders) call `notify` inside their own transaction, so a notification
exists exactly when what caused it does. Like every service here it flushes, never commits.

No e-mail: accounts have no e-mail address (learning/accounts/models.py), so the notification
centre and the unread count in the navigation are the only delivery; nothing here depends on
an outside service.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, insert, literal, select, update

from learning.accounts.models import User
from learning.dbtypes import UTCDateTime, utcnow
from learning.extensions import db
from learning.messages import NOTICES
from learning.notifications.models import Notification
from learning.security import is_safe_redirect

URL_MAX = 500  # the column's length


def notify(user_ids: Iterable[int], message: str, params: dict[str, Any], url: str = "",
           actor_id: int | None = None) -> int:
    """Notify each active user in `user_ids` once (never the actor); returns how many.

    `message` is a key of learning.messages.NOTICES (which also gives the notification's kind)
    and `params` fills its sentence: each reader reads it in their own language.
    One INSERT ... SELECT writes them all, so the number of statements does not grow with the
    number of people notified, and inactive or unknown ids are dropped by the database.
    """
    if message not in NOTICES or message == "legacy":
        raise ValueError(f"unknown notification message {message!r}")
    kind = NOTICES[message].kind
    params = {name: value if isinstance(value, int | float) or value is None else str(value)
              for name, value in params.items()}
    url = url or ""
    # A notification only ever leads somewhere on this site (checked again when it is opened).
    if url and (len(url) > URL_MAX or not is_safe_redirect(url)):
        raise ValueError(f"a notification url must be a local path, not {url!r}")
    ids = {int(user_id) for user_id in user_ids if user_id is not None}
    ids.discard(actor_id)
    if not ids:
        return 0
    db.session.flush()
    recipients = (
        select(User.id, literal(kind), literal(actor_id, Notification.actor_id.type),
               literal(message), literal(params, Notification.params.type), literal(url),
               literal(utcnow(), UTCDateTime()))
        .where(User.id.in_(ids), User.active.is_(True))
    )
    # RETURNING rather than rowcount: an ORM-run INSERT ... SELECT reports -1 on PostgreSQL.
    written = db.session.scalars(
        insert(Notification).from_select(
            ["user_id", "kind", "actor_id", "message", "params", "url", "created_at"],
            recipients)
        .returning(Notification.id)).all()
    return len(written)


def unread_count(user_id: int) -> int:
    """How many of the user's notifications are unread (one COUNT on the unread index)."""
    return db.session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def recent_select(user_id: int, unread_only: bool = False) -> Select:
    """The user's notifications, newest first (a SELECT to paginate)."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.created_at.desc(), Notification.id.desc())


def mark_read(user_id: int, ids: Iterable[int] | None = None) -> int:
    """Mark the user's unread notifications read (all, or those of `ids`); returns how many.

    Ids of other people's notifications are ignored: the user id is part of the WHERE clause.
    """
    statement = (update(Notification)
                 .where(Notification.user_id == user_id, Notification.read_at.is_(None))
                 .values(read_at=utcnow())
                 .execution_options(synchronize_session="fetch"))
    if ids is not None:
        wanted = {int(i) for i in ids}
        if not wanted:
            return 0
        statement = statement.where(Notification.id.in_(wanted))
    db.session.flush()
    return db.session.execute(statement).rowcount
