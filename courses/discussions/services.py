"""Discussions: open threads, post and reply, edit and delete, moderate, report, read markers,
and the "posts" completion rule.

Every rule lives here (who may do what is asked of discussions.permissions, re-exported below);
pages and the API only load, call and render. Services flush, never commit: the request commits
once (learning/transactions.py). Every time comes from `now()` (tests move the clock).

Counting: `Thread.post_count` and `last_post_at` describe the *visible* posts. A post changes
state with one guarded UPDATE (`... WHERE hidden_at IS NULL AND deleted_at IS NULL`), so of two
simultaneous hides (or a hide and a delete) only one finds the post visible, and the thread's
count moves by exactly the change: `post_count = post_count + delta`, never a value computed in
Python. A notification is written in the same transaction as the post that caused it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from functools import cache

from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, delete, false, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager

from courses import progress
from courses.discussions import permissions
from courses.discussions.models import (
    KINDS,
    SCOPES,
    Post,
    PostMention,
    PostReport,
    PostRevision,
    Thread,
    ThreadRead,
)
from courses.discussions.permissions import (  # noqa: F401  (re-exported: the services' interface)
    authors_in_scope,
    belongs_to_unit,
    can_delete_post,
    can_moderate,
    can_moderate_post,
    can_open_lesson_topic,
    can_pin,
    can_post,
    can_report_post,
    can_start_thread,
    can_view_reports,
    can_view_thread,
    moderatable_post_ids,
    thread_module,
    thread_unit,
)
from courses.models import Course, Module
from courses.permissions import can_view_module
from learning.accounts.models import User
from learning.audit.services import record
from learning.dbtypes import utcnow
from learning.extensions import db
from learning.markup import render_markdown, show_mentions, stored_html
from learning.notifications.services import notify
from learning.orgs.models import Membership, OrgUnit
from learning.permissions import is_admin, is_leader, led_unit_ids_select, scope_unit_ids

TITLE_MAX = 200
REASON_MAX = 500
MAX_MENTIONS = 20  # a post naming more people notifies the first twenty
# The quote above a reply: the start of the post it answers, the same on pages and in the API.
QUOTE_CHARS = 120

# "@name" not preceded by an ASCII letter, digit, "_", ".", "-" or "@" (so an e-mail address is
# no mention, while "请@张三" is); usernames are [\w.@-]{2,64}, but a mention stops at "@".
# Chinese text has no spaces, so "@张三你好" is matched against every prefix of "张三你好" and
# the longest username wins.
_MENTION = re.compile(r"(?<![A-Za-z0-9_.@-])@([\w.\-]{2,64})")


def now() -> datetime:
    """The server's clock (UTC); the one time source of this module (tests monkeypatch it)."""
    return utcnow()


class DiscussionError(ValueError):
    """A request the discussion rules refuse: `status` 422 (bad input, `field` says where),
    403 (not allowed, e.g. someone else's post) or 409 (the thread is locked, already done)."""

    def __init__(self, message: str, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.field = field
        self.status = status


# --- settings and input ----------------------------------------------------------------------


def max_chars() -> int:
    """The longest post accepted (DISCUSSION_MAX_CHARS)."""
    return int(current_app.config.get("DISCUSSION_MAX_CHARS", 10_000))


def can_edit_post(user, post: Post) -> bool:
    """Its author, within DISCUSSION_EDIT_MINUTES, while shown and the thread open."""
    return permissions.can_edit_post(user, post, now())


def within_edit_window(post: Post) -> bool:
    """The post is still young enough for its author to edit (the page shows the button)."""
    return permissions.within_edit_window(post, now())


def _clean_body(body: str | None) -> str:
    text = (body or "").strip()
    if not text:
        raise DiscussionError(_("Write something before posting."), "body")
    limit = max_chars()
    if len(text) > limit:
        raise DiscussionError(
            _("A post may be at most %(limit)d characters long; this one has %(count)d.",
              limit=limit, count=len(text)), "body")
    return text


def _clean_title(title: str | None) -> str:
    text = " ".join((title or "").split())
    if not text:
        raise DiscussionError(_("Give the thread a title."), "title")
    if len(text) > TITLE_MAX:
        raise DiscussionError(
            _("A title may be at most %(limit)d characters long.", limit=TITLE_MAX), "title")
    return text


def _clean_reason(reason: str | None, *, required: bool = True) -> str:
    text = " ".join((reason or "").split())
    if required and not text:
        raise DiscussionError(_("Say why."), "reason")
    if len(text) > REASON_MAX:
        raise DiscussionError(
            _("A reason may be at most %(limit)d characters long.", limit=REASON_MAX), "reason")
    return text


def post_url(post: Post) -> str:
    """Where a notification about a post leads: /posts/<id> redirects to the thread page that
    holds it (a long thread has several), at the post."""
    return f"/posts/{post.id}"


def _notify(user_ids, message: str, params: dict, url: str, actor_id: int | None) -> int:
    """A notification stored as a message key (learning/messages.py): read in each reader's
    language."""
    return notify(list(user_ids), message, params, url=url, actor_id=actor_id)


# --- reading ---------------------------------------------------------------------------------


def group_unit_ids_select(user_id):
    """SELECT of the ids of the units whose group threads the user `user_id` (not an admin:
    admins read every group) may read: units at or above a unit the user belongs to (any role),
    and units at or below one they lead. `user_id` is a number or a bind parameter."""
    target, mine = aliased(OrgUnit), aliased(OrgUnit)
    belongs = (
        select(target.id)
        .join(mine, mine.path.like(target.path + "%"))
        .join(Membership, Membership.unit_id == mine.id)
        .where(Membership.user_id == user_id)
    )
    return belongs.union(led_unit_ids_select(user_id))


def _may_read_group_of(user_id):
    """The condition on Thread for a non-admin who may view the module: module-wide threads,
    and group threads of the units of group_unit_ids_select."""
    return or_(Thread.scope == "module", Thread.unit_id.in_(group_unit_ids_select(user_id)))


def visible_threads_select(user, module: Module):
    """SELECT of the threads of `module` that `user` may see, pinned first, newest activity
    first (the list form of can_view_thread)."""
    query = (select(Thread).where(Thread.module_id == module.id)
             .order_by(Thread.pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc()))
    if is_admin(user):
        return query
    if not getattr(user, "is_authenticated", False) or not can_view_module(user, module):
        return query.where(false())
    return query.where(_may_read_group_of(user.id))


def latest_threads(user, module: Module, limit: int) -> tuple[list[Thread], int, set[int]]:
    """The module page's card in one query: the `limit` threads of visible_threads_select
    with the newest activity, how many there are, and which of them are unread (as
    unread_thread_ids says)."""
    everything = is_admin(user)
    if not everything and not (getattr(user, "is_authenticated", False)
                               and can_view_module(user, module)):
        return [], 0, set()
    rows = db.session.execute(_latest_threads_select(everything),
                              {"user_id": user.id, "module_id": module.id, "limit": limit}).all()
    return ([row.Thread for row in rows], rows[0].total if rows else 0,
            {row.Thread.id for row in rows if row.unread})


@cache
def _latest_threads_select(everything: bool):
    """latest_threads' statement (bind parameters user_id, module_id, limit), built once per
    process: its construction and cache key cost more than running it. The count is a window
    over every visible thread, taken before LIMIT; at most one read marker per user and thread
    (its primary key), so the outer join adds no rows."""
    read = aliased(ThreadRead)
    user_id = bindparam("user_id")
    query = (
        select(Thread, func.count().over().label("total"),
               or_(read.read_at.is_(None), read.read_at < Thread.last_post_at).label("unread"))
        .outerjoin(read, and_(read.thread_id == Thread.id, read.user_id == user_id))
        .where(Thread.module_id == bindparam("module_id"))
        .order_by(Thread.last_post_at.desc(), Thread.id.desc())
        .limit(bindparam("limit")))
    return query if everything else query.where(_may_read_group_of(user_id))


def load_thread(thread_id: int, reader=None) -> Thread | None:
    """A thread with its module, the module's course and the thread's unit, in one query:
    what can_view_thread reads first (kept for thread_module and thread_unit). With `reader`,
    their read marker comes along, for mark_read."""
    reader_id = getattr(reader, "id", None)
    row = db.session.execute(_thread_select(),
                             {"thread_id": thread_id, "reader_id": reader_id}).first()
    if row is None:
        return None
    permissions.keep_loaded(row.Module, row.OrgUnit)
    if reader_id is not None:
        _known_read_at()[(reader_id, thread_id)] = row.read_at
    return row.Thread


@cache
def _thread_select():
    """load_thread's statement (bind parameters thread_id, reader_id), built once per process.
    At most one read marker per user and thread (its primary key)."""
    return (select(Thread, Module, OrgUnit, ThreadRead.read_at)
            .join(Module, Module.id == Thread.module_id)
            .join(Module.course).options(contains_eager(Module.course))
            .outerjoin(OrgUnit, OrgUnit.id == Thread.unit_id)
            .outerjoin(ThreadRead, and_(ThreadRead.thread_id == Thread.id,
                                        ThreadRead.user_id == bindparam("reader_id")))
            .where(Thread.id == bindparam("thread_id")))


def _known_read_at() -> dict:
    """{(user id, thread id): read_at or None} of the markers load_thread read this request."""
    return g.setdefault("_discussion_read_at", {}) if has_request_context() else {}


def visible_posts_count(thread: Thread) -> int:
    """Counted afresh (tests compare it with the stored post_count)."""
    return db.session.scalar(select(func.count()).select_from(Post).where(
        Post.thread_id == thread.id, Post.deleted_at.is_(None), Post.hidden_at.is_(None)))


def mark_read(user, thread: Thread, at: datetime | None = None) -> None:
    """Remember that `user` has read `thread` up to now (one upsert, safe when repeated).

    Reading a thread again with nothing new in it writes nothing: when load_thread brought the
    marker along this request and it is already at or past the thread's last post, unread
    markers (which compare the two) would not change, only the time would.
    """
    if at is None:
        known = _known_read_at().get((user.id, thread.id))
        if known is not None and thread.last_post_at is not None \
                and known >= thread.last_post_at:
            return
    at = at or now()
    db.session.execute(_mark_read_upsert(db.session.get_bind().dialect.name),
                       {"user_id": user.id, "thread_id": thread.id, "read_at": at})


@cache
def _mark_read_upsert(dialect: str):
    """mark_read's upsert for the dialect (bind parameters user_id, thread_id, read_at), built
    once per process: every thread page runs it."""
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ThreadRead)
    statement = insert.values(user_id=bindparam("user_id"), thread_id=bindparam("thread_id"),
                              read_at=bindparam("read_at"))
    return statement.on_conflict_do_update(
        index_elements=["user_id", "thread_id"], set_={"read_at": statement.excluded.read_at})


def unread_thread_ids(user, thread_ids) -> set[int]:
    """Which of the threads have posts `user` has not read (never opened, or newer posts)."""
    ids = list(set(thread_ids))
    if not ids:
        return set()
    read = aliased(ThreadRead)
    return set(db.session.scalars(
        select(Thread.id)
        .outerjoin(read, and_(read.thread_id == Thread.id, read.user_id == user.id))
        .where(Thread.id.in_(ids),
               or_(read.read_at.is_(None), read.read_at < Thread.last_post_at))))


# --- writing ---------------------------------------------------------------------------------


def create_thread(user, module: Module, title: str, body: str, scope: str = "module",
                  unit: OrgUnit | None = None, kind: str = "discussion",
                  pinned: bool = False) -> Thread:
    """Open a thread with its first post. Group threads: in a unit the user belongs to, leads
    or is above; a 「小组学习话题」 (lesson_topic) is opened, pinned, by the unit's leaders."""
    if scope not in SCOPES:
        raise DiscussionError(_("Choose where the thread is open: the module or a group."),
                              "scope")
    if kind not in KINDS:
        raise DiscussionError(_("Unknown kind of thread."), "kind")
    title = _clean_title(title)
    body = _clean_body(body)
    if scope == "module" and unit is not None:
        raise DiscussionError(_("A module-wide thread belongs to no group."), "unit_id")
    if scope == "group" and unit is None:
        raise DiscussionError(_("Choose the study group the thread is for."), "unit_id")
    if not can_start_thread(user, module, unit):
        raise DiscussionError(_("You may not open a thread here."),
                              "unit_id" if unit is not None else None, status=403)
    if kind == "lesson_topic":
        if scope != "group":
            raise DiscussionError(_("A group lesson topic is kept inside one group."), "scope")
        if not can_open_lesson_topic(user, unit):
            raise DiscussionError(_("Only the group's leaders open a lesson topic."), "kind",
                                  status=403)
        pinned = True
    at = now()
    thread = Thread(module_id=module.id, scope=scope, unit_id=unit.id if unit else None,
                    kind=kind, title=title, author_id=user.id, pinned=False, locked=False,
                    created_at=at, last_post_at=at, post_count=0)
    if pinned and kind == "discussion" and not can_pin(user, thread):
        raise DiscussionError(_("You may not pin threads here."), "pinned", status=403)
    thread.pinned = pinned
    db.session.add(thread)
    db.session.flush()
    add_post(user, thread, body)
    return thread


def add_post(user, thread: Thread, body: str, parent: Post | None = None) -> Post:
    """Post in a thread (a reply when `parent` is given): counts, read marker, notifications
    of the parent's author and of @mentioned readers, and the "posts" completion rule."""
    if not can_view_thread(user, thread):
        raise DiscussionError(_("You may not post in this thread."), status=403)
    if thread.locked and not can_moderate(user, thread):
        raise DiscussionError(_("This thread is locked: no new posts."), status=409)
    if parent is not None:
        if parent.thread_id != thread.id:
            raise DiscussionError(_("The post you reply to is not in this thread."),
                                  "parent_id")
        if not parent.visible:
            raise DiscussionError(_("The post you reply to is no longer shown."), "parent_id")
    body = _clean_body(body)
    at = now()
    post = Post(thread_id=thread.id, author_id=user.id,
                parent_id=parent.id if parent is not None else None, body_md=body,
                body_html=str(render_markdown(body)), created_at=at, hidden_reason="")
    db.session.add(post)
    db.session.flush()
    _recount(thread, +1)
    mark_read(user, thread, at)

    notified = set()
    parent_author = (db.session.get(User, parent.author_id)
                     if parent is not None and parent.author_id not in (None, user.id) else None)
    if parent_author is not None and parent_author.active and can_view_thread(parent_author,
                                                                                thread):
        _notify([parent_author.id], "post.reply",
                {"name": user.display_name, "thread": thread.title}, post_url(post), user.id)
        notified.add(parent_author.id)
    _save_mentions(user, thread, post, body, skip=notified)
    module = thread_module(thread)
    if module is not None:
        check_completion(user.id, module)
    return post


def edit_post(user, post: Post, body: str) -> Post:
    """Change one's own post within the edit window; the earlier text is kept as a revision
    (for moderators). People newly @mentioned are notified."""
    thread = post.thread
    if post.author_id != user.id or not can_view_thread(user, thread):
        raise DiscussionError(_("You can only edit your own posts."), status=403)
    if not post.visible:
        raise DiscussionError(_("This post is no longer shown and cannot be edited."),
                              status=403)
    if not permissions.within_edit_window(post, now()):
        raise DiscussionError(
            _("Posts can be edited for %(minutes)d minutes after posting; that time has passed.",
              minutes=permissions.edit_minutes()), status=403)
    if thread.locked and not can_moderate(user, thread):
        raise DiscussionError(_("This thread is locked: posts cannot be changed."), status=409)
    body = _clean_body(body)
    if body == post.body_md:
        return post
    old = post.body_md
    at = now()
    db.session.add(PostRevision(post_id=post.id, body_md=old, created_at=at))
    post.body_md = body
    post.body_html = str(render_markdown(body))
    post.edited_at = at
    db.session.flush()
    _trim_revisions(post.id)
    already = {u.id for u in mentioned_users(old)} | {user.id}
    _save_mentions(user, thread, post, body, skip=already)
    return post


def revisions_kept() -> int:
    """How many earlier texts of a post are kept (DISCUSSION_REVISIONS_KEPT, at least 2)."""
    return max(2, int(current_app.config.get("DISCUSSION_REVISIONS_KEPT", 10)))


def _trim_revisions(post_id: int) -> None:
    """Keep the post's first revision (the text as posted, which is what a moderator needs when
    an author edits an insult away) and the latest revisions_kept() - 1; drop the ones between,
    so that editing a long post over and over cannot grow its history without bound."""
    ids = db.session.scalars(
        select(PostRevision.id).where(PostRevision.post_id == post_id)
        .order_by(PostRevision.created_at, PostRevision.id)).all()
    keep = revisions_kept()
    if len(ids) > keep:
        db.session.execute(delete(PostRevision).where(
            PostRevision.id.in_(ids[1 : len(ids) - keep + 1])))


def delete_post(user, post: Post) -> None:
    """Delete one's own post: gone for readers, kept (with its text) for moderators."""
    if post.author_id != user.id or not can_view_thread(user, post.thread):
        raise DiscussionError(_("You can only delete your own posts."), status=403)
    if post.deleted_at is not None:
        return  # deleted already (a double tap)
    at = now()
    if _set_post(post, {"deleted_at": at}, Post.deleted_at.is_(None), Post.hidden_at.is_(None)):
        _recount(post.thread, -1)
    else:
        _set_post(post, {"deleted_at": at}, Post.deleted_at.is_(None))


def hide_post(moderator, post: Post, reason: str) -> bool:
    """Hide a post with a reason (shown to its author); closes its open reports as "hidden".
    False when it was hidden already."""
    if not can_moderate_post(moderator, post):
        raise DiscussionError(_("You may not moderate this post."), status=403)
    reason = _clean_reason(reason)
    at = now()
    values = {"hidden_at": at, "hidden_by_id": moderator.id, "hidden_reason": reason}
    was_visible = _set_post(post, values, Post.hidden_at.is_(None), Post.deleted_at.is_(None))
    if not was_visible and not _set_post(post, values, Post.hidden_at.is_(None)):
        return False
    if was_visible:
        _recount(post.thread, -1)
    _close_reports(post, moderator, "hidden", at)
    thread = post.thread
    _notify([post.author_id] if post.author_id else [], "post.hidden",
            {"thread": thread.title, "reason": reason}, post_url(post), moderator.id)
    record("discussion.hide", {"thread": thread.title, "reason": reason}, target=post,
           actor=moderator, details={"thread_id": thread.id, "reason": reason})
    return True


def unhide_post(moderator, post: Post) -> bool:
    """Show a hidden post again (its author is told); False when it was not hidden."""
    if not can_moderate_post(moderator, post):
        raise DiscussionError(_("You may not moderate this post."), status=403)
    values = {"hidden_at": None, "hidden_by_id": None, "hidden_reason": ""}
    now_visible = _set_post(post, values, Post.hidden_at.is_not(None), Post.deleted_at.is_(None))
    if not now_visible and not _set_post(post, values, Post.hidden_at.is_not(None)):
        return False
    thread = post.thread
    if now_visible:
        _recount(thread, +1)
    _notify([post.author_id] if post.author_id else [], "post.shown",
            {"thread": thread.title}, post_url(post), moderator.id)
    record("discussion.unhide", {"thread": thread.title}, target=post,
           actor=moderator, details={"thread_id": thread.id})
    module = thread_module(thread)
    if now_visible and module is not None and post.author_id is not None:
        check_completion(post.author_id, module)
    return True


def set_locked(moderator, thread: Thread, locked: bool) -> None:
    """Lock (no new posts but the moderators') or unlock a thread."""
    if not can_moderate(moderator, thread):
        raise DiscussionError(_("You may not moderate this thread."), status=403)
    if thread.locked != locked:
        thread.locked = locked
        db.session.flush()
        record("discussion.lock" if locked else "discussion.unlock", {"thread": thread.title},
               target=thread, actor=moderator)


def set_pinned(moderator, thread: Thread, pinned: bool) -> None:
    """Pin a thread to the top of its module's list, or unpin it (see can_pin)."""
    if not can_pin(moderator, thread):
        raise DiscussionError(_("You may not pin this thread."), status=403)
    if thread.pinned != pinned:
        thread.pinned = pinned
        db.session.flush()
        record("discussion.pin" if pinned else "discussion.unpin", {"thread": thread.title},
               target=thread, actor=moderator)


# --- reports ---------------------------------------------------------------------------------


def report_post(user, post: Post, reason: str) -> PostReport:
    """Report a post to the moderators in scope (queued, and they are notified)."""
    if not can_view_thread(user, post.thread):
        raise DiscussionError(_("You may not report this post."), status=403)
    if post.author_id == user.id:
        raise DiscussionError(_("You cannot report your own post."), status=403)
    if not post.visible:
        raise DiscussionError(_("This post is no longer shown."), status=409)
    reason = _clean_reason(reason)
    report = PostReport(post_id=post.id, reporter_id=user.id, reason=reason, created_at=now(),
                        resolution="")
    try:
        with db.session.begin_nested():
            db.session.add(report)
    except IntegrityError:
        # The same member reporting the same post twice (maybe in two simultaneous requests).
        raise DiscussionError(_("You have already reported this post."), status=409) from None
    thread = post.thread
    _notify(_moderator_ids(post), "post.reported", {"thread": thread.title, "reason": reason},
            post_url(post), user.id)
    return report


def _moderator_ids(post: Post) -> list[int]:
    """The leaders who moderate a post (admins watch the whole queue instead)."""
    thread = post.thread
    leads = aliased(OrgUnit)
    leaders = (select(Membership.user_id).join(leads, leads.id == Membership.unit_id)
               .where(Membership.role == "leader").distinct())
    if thread.scope == "group":
        unit = thread_unit(thread)
        if unit is None:
            return []
        leaders = leaders.where(literal(unit.path).like(leads.path + "%"))
    else:
        if post.author_id is None:
            return []
        theirs = aliased(OrgUnit)
        mine = aliased(Membership)
        leaders = leaders.where(
            select(mine.id).join(theirs, theirs.id == mine.unit_id)
            .where(mine.user_id == post.author_id, theirs.path.like(leads.path + "%"))
            .exists())
    return list(db.session.scalars(leaders.limit(50)))


def reports_queue_select(user):
    """SELECT of the unresolved reports of posts `user` may moderate, oldest first."""
    query = (select(PostReport).join(Post, Post.id == PostReport.post_id)
             .join(Thread, Thread.id == Post.thread_id)
             .where(PostReport.resolved_at.is_(None))
             .order_by(PostReport.created_at, PostReport.id))
    if is_admin(user):
        return query
    if not getattr(user, "is_authenticated", False) or not is_leader(user):
        return query.where(false())
    in_scope = scope_unit_ids(user)
    people = select(Membership.user_id).where(Membership.unit_id.in_(in_scope))
    return (query.join(Module, Module.id == Thread.module_id)
            .join(Course, Course.id == Module.course_id)
            .where(Module.published.is_(True), Course.published.is_(True),
                   or_(and_(Thread.scope == "group", Thread.unit_id.in_(in_scope)),
                       and_(Thread.scope == "module", Post.author_id.in_(people)))))


def resolve_report(moderator, report: PostReport, hide: bool, reason: str = "") -> PostReport:
    """Decide a report: hide the post (every open report of it closes as "hidden") or dismiss
    them all ("dismissed")."""
    post = report.post
    if not can_moderate_post(moderator, post):
        raise DiscussionError(_("You may not moderate this post."), status=403)
    if report.resolved_at is not None:
        raise DiscussionError(_("This report was resolved already."), status=409)
    if hide:
        reason = _clean_reason(reason, required=False) or report.reason
        if not hide_post(moderator, post, reason):
            _close_reports(post, moderator, "hidden", now())
    else:
        _close_reports(post, moderator, "dismissed", now())
        record("discussion.dismiss", {"thread": post.thread.title}, target=post,
               actor=moderator, details={"thread_id": post.thread_id})
    db.session.refresh(report)
    return report


def _close_reports(post: Post, moderator, resolution: str, at: datetime) -> None:
    db.session.execute(
        update(PostReport)
        .where(PostReport.post_id == post.id, PostReport.resolved_at.is_(None))
        .values(resolved_at=at, resolved_by_id=moderator.id, resolution=resolution)
        .execution_options(synchronize_session=False))
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, PostReport) and obj.post_id == post.id:
            db.session.expire(obj)


# --- counts and completion -------------------------------------------------------------------


def _set_post(post: Post, values: dict, *guards) -> bool:
    """One guarded UPDATE of a post's state; True when the guards held (it changed)."""
    result = db.session.execute(
        update(Post).where(Post.id == post.id, *guards).values(**values)
        .execution_options(synchronize_session=False))
    db.session.expire(post)
    return result.rowcount == 1


def _recount(thread: Thread, delta: int) -> None:
    """Move the thread's count of visible posts by `delta` and set last_post_at to its newest
    visible post (its creation time when there is none)."""
    newest = (select(func.max(Post.created_at))
              .where(Post.thread_id == Thread.id, Post.deleted_at.is_(None),
                     Post.hidden_at.is_(None))
              .scalar_subquery())
    db.session.execute(
        update(Thread).where(Thread.id == thread.id)
        .values(post_count=Thread.post_count + delta,
                last_post_at=func.coalesce(newest, Thread.created_at))
        .execution_options(synchronize_session=False))
    db.session.expire(thread, ["post_count", "last_post_at"])


def posts_count(user_id: int, module_id: int) -> int:
    """Visible posts by the member in the module's threads (both scopes)."""
    return db.session.scalar(
        select(func.count()).select_from(Post).join(Thread, Thread.id == Post.thread_id)
        .where(Thread.module_id == module_id, Post.author_id == user_id,
               Post.deleted_at.is_(None), Post.hidden_at.is_(None)))


def check_completion(user_id: int, module: Module) -> bool:
    """Complete the module via "posts" once the member has `min_posts` visible posts in its
    discussion (rule "posts" only; completion, once reached, stays). True if this completed it."""
    if module.completion_rule != "posts" or user_id is None:
        return False
    if posts_count(user_id, module.id) < max(module.min_posts, 1):
        return False
    return progress.complete(user_id, module.id, "posts", at=now())


# --- mentions --------------------------------------------------------------------------------


def mentioned_users(text: str) -> list[User]:
    """The active users named as @username in `text` (at most MAX_MENTIONS), in one query."""
    tokens = []
    for match in _MENTION.finditer(text or ""):
        token = unicodedata.normalize("NFKC", match.group(1)).lower().rstrip(".-")
        if len(token) >= 2 and token not in tokens:
            tokens.append(token)
    tokens = tokens[:MAX_MENTIONS]
    if not tokens:
        return []
    # An ASCII name ends at a space or punctuation; a Chinese one may run into the next word.
    candidates = {token[:n] for token in tokens
                  for n in ([len(token)] if token.isascii() else range(2, len(token) + 1))}
    found = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_(candidates), User.active.is_(True)))}
    users: list[User] = []
    for token in tokens:
        for n in ([len(token)] if token.isascii() else range(len(token), 1, -1)):
            user = found.get(token[:n])
            if user is not None:
                if user not in users:
                    users.append(user)
                break
    return users


def _save_mentions(author, thread: Thread, post: Post, body: str, skip: set) -> None:
    """Keep the ids of the @mentioned users who may read the thread (the page shows their
    current names) and notify those not in `skip`; nobody else learns the thread exists."""
    readers = [u for u in mentioned_users(body) if can_view_thread(u, thread)]
    db.session.execute(delete(PostMention).where(PostMention.post_id == post.id))
    if readers:
        db.session.add_all(PostMention(post_id=post.id, user_id=u.id) for u in readers)
        db.session.flush()
    told = [u.id for u in readers if u.id not in skip and u.id != author.id]
    if told:
        _notify(told, "post.mention", {"name": author.display_name, "thread": thread.title},
                post_url(post), author.id)


def mention_names(posts) -> dict[int, dict[str, str]]:
    """{post id: {username: current display name}} of the people the posts mention, in one
    query, and none when no post has an "@" in it (most pages)."""
    ids = [p.id for p in posts if "@" in (p.body_html or "")]
    if not ids:
        return {}
    found: dict[int, dict[str, str]] = {}
    for row in db.session.execute(
            select(PostMention.post_id, User.username, User.display_name)
            .join(User, User.id == PostMention.user_id)
            .where(PostMention.post_id.in_(ids))):
        found.setdefault(row.post_id, {})[row.username.lower()] = row.display_name
    return found


def post_html(post: Post, names: dict[int, dict[str, str]]):
    """A post's stored HTML with its mentions showing current names (`names` from
    mention_names)."""
    return show_mentions(post.body_html, names.get(post.id, {}))


# --- the people a mention may name -----------------------------------------------------------

MENTION_CANDIDATES = 40  # looked at per lookup (each is checked against the thread)
MENTION_SHOWN = 8  # offered to the writer


def mention_candidates(user, thread: Thread, prefix: str) -> list[dict]:
    """Up to MENTION_SHOWN active people (the writer aside) who may read `thread` whose display
    name or username starts with or contains `prefix` (starts-with first): id, name, username,
    and the name of their deepest unit when two offered share a display name. A group thread
    offers only its group's people (members of the unit or below, leaders of it or above)."""
    text = " ".join((prefix or "").split())[:64]
    if not text or not can_view_thread(user, thread):
        return []
    query = (select(User)
             .where(User.active.is_(True),
                    or_(User.display_name.icontains(text, autoescape=True),
                        User.username.icontains(text, autoescape=True)))
             .order_by(or_(User.display_name.istartswith(text, autoescape=True),
                           User.username.istartswith(text, autoescape=True)).desc(),
                       User.display_name, User.id)
             .limit(MENTION_CANDIDATES))
    unit = thread_unit(thread)
    if unit is not None:
        query = query.where(select(Membership.id).join(OrgUnit, OrgUnit.id == Membership.unit_id)
                            .where(Membership.user_id == User.id,
                                   or_(OrgUnit.path.startswith(unit.path, autoescape=True),
                                       and_(Membership.role == "leader",
                                            literal(unit.path).like(OrgUnit.path + "%"))))
                            .exists())
    people: list[User] = []
    for person in db.session.scalars(query):  # stop checking once enough are found
        if person.id != user.id and can_view_thread(person, thread):
            people.append(person)
            if len(people) == MENTION_SHOWN:
                break
    counts: dict[str, int] = {}
    for person in people:
        counts[person.display_name] = counts.get(person.display_name, 0) + 1
    repeated = [p.id for p in people if counts[p.display_name] > 1]
    units = _deepest_unit_names(repeated)
    return [{"id": p.id, "name": p.display_name, "username": p.username,
             "unit": units.get(p.id) if counts[p.display_name] > 1 else None} for p in people]


def _deepest_unit_names(user_ids: list[int]) -> dict[int, str]:
    """{user id: name of the deepest unit they are a member of}, in one query."""
    if not user_ids:
        return {}
    names: dict[int, tuple[int, str]] = {}
    for row in db.session.execute(
            select(Membership.user_id, OrgUnit.depth, OrgUnit.name)
            .join(OrgUnit, OrgUnit.id == Membership.unit_id)
            .where(Membership.user_id.in_(user_ids), Membership.role == "member")):
        if row.user_id not in names or row.depth > names[row.user_id][0]:
            names[row.user_id] = (row.depth, row.name)
    return {user_id: name for user_id, (_, name) in names.items()}


def quote_excerpt(post: Post) -> str:
    """The start of a post as plain text (whitespace collapsed, at most QUOTE_CHARS with the
    ellipsis), for the quote above a reply; read from the stored HTML, nothing re-rendered."""
    text = " ".join(stored_html(post.body_html).striptags().split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rstrip() + "…"


def display_names(user_ids) -> dict[int, str]:
    """{user id: display name} for the given ids, in one query (for lists of posts)."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(_display_names_select(), {"ids": list(ids)}).all())


@cache
def _display_names_select():
    """display_names' statement (an expanding bind parameter `ids`), built once per process."""
    return select(User.id, User.display_name).where(
        User.id.in_(bindparam("ids", expanding=True)))


def unit_names(unit_ids) -> dict[int, str]:
    """{unit id: name} for the given ids, in one query (the groups of group threads)."""
    ids = {i for i in unit_ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(
        select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(ids))).all())
