"""Threads, posts, their edit history, reports of posts, and what each member has read.

A thread belongs to a module and has a scope: "module" (everyone who may view the module) or
"group" (kept inside one study group: its members, its leaders and the leaders above, admins).
Posts are Markdown, stored with HTML rendered once by learning.markup. Deleting or hiding a post
keeps it for moderators; `Thread.post_count` and `last_post_at` count visible posts only and are
updated in the same transaction as the post.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.dbtypes import UTCDateTime, utcnow
from learning.extensions import db

SCOPES = ("module", "group")
KINDS = ("discussion", "lesson_topic")  # a leader's pinned 「小组学习话题」 with a prompt


class Thread(db.Model):
    """A discussion thread on a module, module-wide or inside one study group."""

    __tablename__ = "threads"
    __table_args__ = (
        CheckConstraint("scope IN ('module', 'group')", name="scope"),
        CheckConstraint("kind IN ('discussion', 'lesson_topic')", name="kind"),
        CheckConstraint("(scope = 'group') = (unit_id IS NOT NULL)", name="group_has_unit"),
        Index("ix_threads_module_activity", "module_id", "pinned", "last_post_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(8), default="module")
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="discussion")
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pinned: Mapped[bool] = mapped_column(default=False)
    locked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_post_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    post_count: Mapped[int] = mapped_column(default=0)


class Post(db.Model):
    """One post; `parent_id` is the post it replies to (quoted above the reply)."""

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_thread_created", "thread_id", "created_at"),
        Index("ix_posts_author_thread", "author_id", "thread_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # by its author
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # by a moderator
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str] = mapped_column(String(500), default="")

    thread: Mapped[Thread] = relationship()
    parent: Mapped["Post | None"] = relationship(remote_side="Post.id")

    @property
    def visible(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None


class PostMention(db.Model):
    """A reader named in a post as @username: the id is kept, so the page shows the person's
    current display name (discussions.services.mention_names)."""

    __tablename__ = "post_mentions"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"),
                                         primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)


class PostRevision(db.Model):
    """An earlier text of an edited post, for moderators."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    body_md: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostReport(db.Model):
    """A member's report of a post, queued for the leaders in scope until resolved."""

    __tablename__ = "post_reports"
    __table_args__ = (UniqueConstraint("post_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str] = mapped_column(String(16), default="")  # hidden | dismissed

    post: Mapped[Post] = relationship()


class ThreadRead(db.Model):
    """How far a member has read a thread: unread markers compare with last_post_at."""

    __tablename__ = "thread_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"),
                                           primary_key=True, index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
