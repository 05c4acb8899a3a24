"""Audit entries: who did what to which object, and when."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from learning.dbtypes import UTCDateTime, utcnow
from learning.extensions import db
from learning.messages import audit_label, audit_sentence


class AuditEntry(db.Model):
    """One admin or leader action (roster import, role change, password reset, deletion ...)."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Kept as text too, so the entry still says who acted after that account is gone.
    actor_name: Mapped[str] = mapped_column(String(64))
    # A key of learning.messages.AUDIT_ACTIONS; with `params` it reads as a sentence in the
    # reader's language (what was acted on, named as it was then).
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[int | None]
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))

    @property
    def summary(self) -> str:
        """What happened, as a sentence in the current request's language."""
        return audit_sentence(self.action, self.params, self.actor_name)

    @property
    def label(self) -> str:
        """The action's name in the current request's language."""
        return audit_label(self.action)
