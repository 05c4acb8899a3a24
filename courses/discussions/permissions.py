"""Who may read, write and moderate discussion threads.

The discussion companion of courses/permissions.py. A thread is seen by whoever may view its
module; a group thread only by the people of its unit: its members (of the unit or a unit below
it), its leaders and the leaders above it. Admins see and moderate everything.

Moderation follows the leader's subtree: a group thread is moderated by the leaders of its unit
and above; in a module-wide thread a leader moderates the posts (and the threads) written by
people of their own subtree, never those of another branch; pinning a module-wide thread (it
then tops the list in every branch) is for admins. The time-dependent rule (the edit
window) takes the time as an argument: discussions.services binds it to its clock.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app, g, has_request_context
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from courses.discussions.models import Post, Thread
from courses.models import Module
from courses.permissions import can_view_module
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit
from learning.permissions import (
    can_view_unit,
    is_admin,
    is_leader,
    led_paths,
    scope_unit_ids,
)


def _authenticated(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "active", True))


def _request_cache() -> dict:
    return g.setdefault("_discussion_cache", {}) if has_request_context() else {}


def _kept(key, load):
    """Load once per request and hold on to it: the session's identity map keeps objects only
    weakly, and one page asks for the same module and unit many times."""
    cache = _request_cache()
    if key not in cache:
        cache[key] = load()
    return cache[key]


def thread_module(thread: Thread) -> Module | None:
    """The module a thread belongs to, with its course (can_view_module reads both), loaded
    once per request."""
    return _kept(("module", thread.module_id), lambda: db.session.get(
        Module, thread.module_id, options=[joinedload(Module.course)]))


def keep_loaded(module: Module, unit: OrgUnit | None) -> None:
    """Hand thread_module and thread_unit what services.load_thread loaded with a thread."""
    cache = _request_cache()
    cache[("module", module.id)] = module
    if unit is not None:
        cache[("unit", unit.id)] = unit


def thread_unit(thread: Thread) -> OrgUnit | None:
    """The unit of a group thread; None for a module-wide one."""
    if thread.unit_id is None:
        return None
    return _kept(("unit", thread.unit_id), lambda: db.session.get(OrgUnit, thread.unit_id))


def belongs_to_unit(user, unit: OrgUnit) -> bool:
    """The user is one of the unit's people: a member of it or of a unit below it, or a leader
    of it or of a unit above it."""
    if not _authenticated(user):
        return False
    if any(unit.path.startswith(path) for path in led_paths(user)):
        return True
    below = db.session.scalar(
        select(Membership.id).join(OrgUnit, OrgUnit.id == Membership.unit_id)
        .where(Membership.user_id == user.id, OrgUnit.path.like(unit.path + "%")).limit(1))
    return below is not None


def can_start_thread(user, module: Module, unit: OrgUnit | None = None) -> bool:
    """Whoever may view the module opens module-wide threads; group threads are opened by the
    unit's people (see belongs_to_unit); admins anywhere."""
    if not _authenticated(user) or module is None or not can_view_module(user, module):
        return False
    return unit is None or is_admin(user) or belongs_to_unit(user, unit)


def can_open_lesson_topic(user, unit: OrgUnit | None) -> bool:
    """A pinned 「小组学习话题」 is opened by the leaders of the unit (or above) and admins."""
    return unit is not None and _authenticated(user) and can_view_unit(user, unit)


def can_view_thread(user, thread: Thread) -> bool:
    """Module threads: whoever may view the module; group threads: also one of the unit's
    people; admins all."""
    if not _authenticated(user):
        return False
    if is_admin(user):
        return True
    if thread.id is None:  # not saved yet (a thread being opened)
        return _can_view_thread(user, thread)
    return _kept(("view", user.id, thread.id), lambda: _can_view_thread(user, thread))


def _can_view_thread(user, thread: Thread) -> bool:
    module = thread_module(thread)
    if module is None or not can_view_module(user, module):
        return False
    if thread.scope == "module":
        return True
    unit = thread_unit(thread)
    return unit is not None and belongs_to_unit(user, unit)


def authors_in_scope(user, author_ids: Iterable[int | None]) -> set[int]:
    """The ids among `author_ids` of people in the units `user` leads or below (one query;
    everyone for admins)."""
    ids = {i for i in author_ids if i is not None}
    if not ids or not _authenticated(user):
        return set()
    if is_admin(user):
        return ids
    if not is_leader(user):
        return set()
    return set(db.session.scalars(
        select(Membership.user_id).where(Membership.user_id.in_(ids),
                                         Membership.unit_id.in_(scope_unit_ids(user)))))


def can_moderate(user, thread: Thread, post: Post | None = None) -> bool:
    """Moderating a thread (lock, pin), or one of its posts when `post` is given (hide, unhide,
    read hidden text and edit history, resolve reports).

    Admins always. Group threads: the leaders of the unit and above. Module-wide threads: a
    leader who may view the module, for posts (or threads) whose author is in their subtree.
    """
    if not _authenticated(user):
        return False
    if is_admin(user):
        return True
    if not is_leader(user) or not can_view_thread(user, thread):
        return False
    if thread.scope == "group":
        unit = thread_unit(thread)
        return unit is not None and can_view_unit(user, unit)
    author_id = post.author_id if post is not None else thread.author_id
    return author_id is not None and author_id in authors_in_scope(user, [author_id])


def can_pin(user, thread: Thread) -> bool:
    """Pinning puts a thread above the others for everyone who reads the list: group threads
    by their moderators; module-wide threads, read across every branch, by admins only."""
    if thread.scope == "module":
        return is_admin(user)
    return can_moderate(user, thread)


def can_moderate_post(user, post: Post) -> bool:
    """Hide, unhide, see the hidden text and edit history of one post."""
    return can_moderate(user, post.thread, post)


def moderatable_post_ids(user, thread: Thread, posts: Iterable[Post]) -> set[int]:
    """Which of a thread's posts `user` may moderate, in at most one query (for a page)."""
    posts = list(posts)
    if not posts or not _authenticated(user):
        return set()
    if is_admin(user):
        return {p.id for p in posts}
    if not is_leader(user) or not can_view_thread(user, thread):
        return set()
    if thread.scope == "group":
        unit = thread_unit(thread)
        return {p.id for p in posts} if unit is not None and can_view_unit(user, unit) else set()
    authors = authors_in_scope(user, {p.author_id for p in posts})
    return {p.id for p in posts if p.author_id in authors}


def can_post(user, thread: Thread) -> bool:
    """Whoever may view the thread posts in it while it is open; moderators also when locked."""
    if not can_view_thread(user, thread):
        return False
    return not thread.locked or can_moderate(user, thread)


def edit_minutes() -> int:
    """How long after posting an author may edit (DISCUSSION_EDIT_MINUTES)."""
    return int(current_app.config.get("DISCUSSION_EDIT_MINUTES", 30))


def within_edit_window(post: Post, at: datetime) -> bool:
    """The post is still young enough for its author to edit."""
    return at <= post.created_at + timedelta(minutes=edit_minutes())


def can_edit_post(user, post: Post, at: datetime) -> bool:
    """Its author, within DISCUSSION_EDIT_MINUTES of posting, while it is shown and the thread
    is open (or the author moderates it)."""
    if not _authenticated(user) or post.author_id != user.id or not post.visible:
        return False
    if not within_edit_window(post, at) or not can_view_thread(user, post.thread):
        return False
    return not post.thread.locked or can_moderate(user, post.thread)


def can_delete_post(user, post: Post) -> bool:
    """Authors delete their own posts (kept for moderators) while they can see the thread."""
    return (_authenticated(user) and post.author_id == user.id and post.deleted_at is None
            and can_view_thread(user, post.thread))


def can_report_post(user, post: Post) -> bool:
    """Anyone who can see a shown post, other than its author, may report it."""
    return (_authenticated(user) and post.author_id != user.id and post.visible
            and can_view_thread(user, post.thread))


def can_view_reports(user) -> bool:
    """The report queue is for leaders (their scope) and admins."""
    return is_admin(user) or is_leader(user)
