"""In-app notifications: replies, @mentions, moderation of my posts, study reminders.

A notification is written in the same transaction as what caused it. `kind` says what happened;
`message` and `params` are what it says, put into words in the reader's language when it is read
(learning/messages.py), `url` is where it leads.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from learning.dbtypes import UTCDateTime, utcnow
from learning.extensions import db
from learning.messages import notice_text

KINDS = ("reply", "mention", "moderation", "reminder", "report")


class Notification(db.Model):
    """One notification for one user; unread while `read_at` is NULL."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("kind IN ('reply', 'mention', 'moderation', 'reminder', 'report')",
                        name="kind"),
        # The unread count in the navigation bar on every page: one index-only lookup.
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A key of learning.messages.NOTICES and its parameters, never words in one language.
    message: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def text(self) -> str:
        """The one-line summary, in the current request's language."""
        return notice_text(self.message, self.params)
