"""The reminder log (催学): who reminded whom, when, for which assignment and unit."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.dbtypes import UTCDateTime, utcnow
from learning.extensions import db

reminder_recipients = Table(
    "reminder_recipients", db.metadata,
    Column("reminder_id", ForeignKey("reminders.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Reminder(db.Model):
    """A reminder a leader sent to the not-completed members of a unit for an assignment.

    Kept for the leaders above to see that it was sent; the recipients are the members who had
    not completed at that moment (each also got an in-app notification).
    """

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"),
                                         index=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    recipient_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    assignment = relationship("Assignment")
    unit = relationship("OrgUnit")
    sender = relationship("User")
