"""Files held for a short while between two requests of one admin.

A roster file waits here between its dry run and "apply"; the generated initial passwords wait
here until their one download. Rows live in the database (not a worker's memory or disk) so any
app server behind the load balancer can serve the next request.
"""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, LargeBinary, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from learning.dbtypes import UTCDateTime, utcnow
from learning.extensions import db
from learning.uploads import MAX_FILE_NAME

LIFETIME = timedelta(hours=1)


class StagedFile(db.Model):
    """A file kept for its owner for up to an hour, addressed by an unguessable token."""

    __tablename__ = "staged_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(MAX_FILE_NAME))  # checked by its uploader
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def stage(owner_id: int, purpose: str, filename: str, content: bytes) -> StagedFile:
    """Keep `content` for its owner; also sweeps expired files."""
    now = utcnow()
    db.session.execute(delete(StagedFile).where(StagedFile.expires_at < now))
    staged = StagedFile(
        token=secrets.token_urlsafe(32),
        owner_id=owner_id,
        purpose=purpose,
        filename=filename,
        content=content,
        expires_at=now + LIFETIME,
    )
    db.session.add(staged)
    db.session.flush()
    return staged


def find(token: str, owner_id: int, purpose: str) -> StagedFile | None:
    """The owner's unexpired file for this purpose, or None (also for someone else's token)."""
    staged = db.session.scalar(
        select(StagedFile).where(
            StagedFile.token == token,
            StagedFile.owner_id == owner_id,
            StagedFile.purpose == purpose,
        )
    )
    if staged is None or staged.expires_at < utcnow():
        return None
    return staged


def discard(staged: StagedFile) -> None:
    """Forget a staged file (after it was applied or downloaded once)."""
    db.session.delete(staged)
