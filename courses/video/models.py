"""What the server measured of a member's watching of a module's video."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from learning.dbtypes import UTCDateTime, utcnow
from learning.extensions import db


class VideoWatch(db.Model):
    """One member's watching of one module's video: credited stretches and the last heartbeat.

    Written only by courses.video.services.heartbeat, with a compare-and-set on `version` so
    that two heartbeats at once (two tabs, a retried request) are credited one after the other
    against the same wall clock, never both against the same anchor.
    """

    __tablename__ = "video_watches"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"),
                                           primary_key=True, index=True)
    # The video the stretches belong to; another video placed in the module starts afresh.
    attachment_id: Mapped[int | None] = mapped_column(
        ForeignKey("attachments.id", ondelete="SET NULL"), index=True)
    intervals: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[start, end], ...]
    watched_seconds: Mapped[float] = mapped_column(default=0.0)
    duration_seconds: Mapped[float | None] = mapped_column()
    position: Mapped[float | None] = mapped_column()  # last reported: where playing resumes
    playing: Mapped[bool] = mapped_column(default=False)
    beat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # server time of last beat
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
