"""API: discussion threads on modules: list, open, read (paginated), post, reply, edit, delete,
report, and moderation (hide, unhide, lock, pin, the report queue).

The same services and rules as the pages (discussions.services). Load, then authorise: a thread
the caller may not see answers 404 like a missing one; an action the caller may not take on a
thread they do see answers 403, before the body is read. Hidden and deleted posts stay in the
thread as placeholders without their text; the moderators of a post see its text, the reason and
its edit history. Posting (threads, replies and edits together) is rate-limited per user by
DISCUSSION_POST_LIMIT; only accepted ones count.
"""

from functools import wraps

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from courses.discussions import services
from courses.discussions.models import KINDS, SCOPES, Post, PostReport, PostRevision, Thread
from courses.models import Module
from courses.permissions import can_view_module
from learning.api import api_blueprint, api_requires
from learning.extensions import db, limiter
from learning.orgs.models import OrgUnit

blp = api_blueprint("api_discussions", __name__,
                    "Discussion threads on modules: posts, replies, moderation")

POST_STATES = ("visible", "hidden", "deleted")


# --- schemas --------------------------------------------------------------------------------


class ThreadSchema(Schema):
    id = fields.Integer()
    module_id = fields.Integer()
    scope = fields.String(metadata={"enum": list(SCOPES),
                                    "description": "module: everyone who studies the module; "
                                    "group: one unit's people only"})
    unit_id = fields.Integer(allow_none=True, metadata={"description": "group threads"})
    unit_name = fields.String(allow_none=True)
    kind = fields.String(metadata={"enum": list(KINDS),
                                   "description": "lesson_topic: a leader's group lesson topic"})
    title = fields.String()
    author_id = fields.Integer(allow_none=True)
    author_name = fields.String(allow_none=True)
    pinned = fields.Boolean()
    locked = fields.Boolean()
    created_at = fields.DateTime()
    last_post_at = fields.DateTime(metadata={"description": "newest visible post"})
    post_count = fields.Integer(metadata={"description": "visible posts"})
    unread = fields.Boolean(metadata={"description": "posts I have not read yet"})


class ThreadCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1,
                                                                  max=services.TITLE_MAX))
    body = fields.String(required=True, metadata={"description": "the first post, Markdown"})
    scope = fields.String(load_default="module", validate=validate.OneOf(SCOPES))
    unit_id = fields.Integer(load_default=None, allow_none=True,
                             metadata={"description": "the group of a group thread"})
    kind = fields.String(load_default="discussion", validate=validate.OneOf(KINDS),
                         metadata={"description": "lesson_topic: by the group's leaders, "
                                   "always pinned"})
    pinned = fields.Boolean(load_default=False, metadata={"description": "moderators only"})


class ParentSchema(Schema):
    id = fields.Integer()
    author_name = fields.String(allow_none=True)
    shown = fields.Boolean(metadata={"description": "false: hidden or deleted (no excerpt)"})
    excerpt = fields.String(allow_none=True, metadata={"description": "plain text, for the "
                                                       "quote above the reply"})


class RevisionSchema(Schema):
    body_md = fields.String()
    created_at = fields.DateTime(metadata={"description": "when this text was replaced"})


class PostSchema(Schema):
    id = fields.Integer()
    thread_id = fields.Integer()
    author_id = fields.Integer(allow_none=True)
    author_name = fields.String(allow_none=True)
    parent_id = fields.Integer(allow_none=True)
    parent = fields.Nested(ParentSchema, allow_none=True,
                           metadata={"description": "the post this one replies to"})
    created_at = fields.DateTime()
    edited_at = fields.DateTime(allow_none=True)
    state = fields.String(metadata={"enum": list(POST_STATES)})
    body_html = fields.String(allow_none=True, metadata={
        "description": "sanitised HTML, @mentions showing the person's current name; null for "
        "a hidden or deleted post unless I moderate it"})
    body_md = fields.String(allow_none=True, metadata={
        "description": "the Markdown source: for its author (to edit) and its moderators"})
    hidden_at = fields.DateTime(allow_none=True)
    deleted_at = fields.DateTime(allow_none=True)
    hidden_reason = fields.String(allow_none=True, metadata={
        "description": "why a moderator hid the post (shown to every reader)"})
    hidden_by_id = fields.Integer(allow_none=True, metadata={"description": "moderators only"})
    revisions = fields.List(fields.Nested(RevisionSchema), allow_none=True, metadata={
        "description": "earlier texts, oldest first: moderators only (null otherwise)"})
    can_edit = fields.Boolean()
    can_delete = fields.Boolean()
    can_report = fields.Boolean()
    can_moderate = fields.Boolean()


class ThreadDetailSchema(Schema):
    thread = fields.Nested(ThreadSchema)
    can_post = fields.Boolean()
    can_moderate = fields.Boolean(metadata={"description": "lock, unlock"})
    can_pin = fields.Boolean(metadata={"description": "pin, unpin"})
    posts = fields.List(fields.Nested(PostSchema), metadata={"description": "oldest first"})
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer(metadata={"description": "posts, placeholders included"})
    pages = fields.Integer()


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PostCreateSchema(Schema):
    body = fields.String(required=True, metadata={"description": "Markdown"})
    parent_id = fields.Integer(load_default=None, allow_none=True,
                               metadata={"description": "the post replied to (same thread)"})


class PostEditSchema(Schema):
    body = fields.String(required=True, metadata={"description": "Markdown"})


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1,
                                                                   max=services.REASON_MAX))


class ReportCreatedSchema(Schema):
    id = fields.Integer()
    post_id = fields.Integer()
    reason = fields.String()
    created_at = fields.DateTime()


class ReportSchema(Schema):
    id = fields.Integer()
    post_id = fields.Integer()
    thread_id = fields.Integer()
    thread_title = fields.String()
    module_id = fields.Integer()
    reporter_id = fields.Integer(allow_none=True)
    reporter_name = fields.String(allow_none=True)
    reason = fields.String()
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    resolved_by_id = fields.Integer(allow_none=True)
    resolution = fields.String(metadata={"enum": ["", "hidden", "dismissed"]})
    post = fields.Nested(PostSchema)


class ResolveSchema(Schema):
    hide = fields.Boolean(required=True, metadata={"description": "true: hide the post; "
                                                   "false: dismiss its reports"})
    reason = fields.String(load_default="", validate=validate.Length(max=services.REASON_MAX),
                           metadata={"description": "shown to the author; default: the "
                                     "report's reason"})


# --- helpers --------------------------------------------------------------------------------


def _poster_key() -> str:
    """Rate-limit key: the signed-in user (an empty key skips the limit; anonymous gets 401)."""
    user_id = getattr(current_user, "id", None)
    return f"discussion-poster:{user_id}" if user_id is not None else ""


def _accepted(response) -> bool:
    return response.status_code < 400


# Threads, replies and edits share one budget per user (an edit stores a text as a post does);
# refused ones (422, 409) cost nothing, nor does opening the edit page (GET).
post_limit = limiter.shared_limit(
    lambda: current_app.config.get("DISCUSSION_POST_LIMIT", "10 per minute"),
    scope="discussion-posts", key_func=_poster_key, deduct_when=_accepted,
    exempt_when=lambda: request.method == "GET",
    error_message=lambda: _("You are posting too fast. Please wait a minute and try again."))


def _refuse(error: services.DiscussionError):
    if error.field:
        abort(error.status, message=str(error), errors={"json": {error.field: [str(error)]}})
    abort(error.status, message=str(error))


def _module_or_404(module_id: int) -> Module:
    module = db.session.get(Module, module_id)
    if module is None or not can_view_module(current_user, module):
        abort(404)
    return module


def _thread_or_404(thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None or not services.can_view_thread(current_user, thread):
        abort(404)
    return thread


def _post_or_404(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or not services.can_view_thread(current_user, post.thread):
        abort(404)
    return post


def _report_or_404(report_id: int) -> PostReport:
    report = db.session.get(PostReport, report_id)
    if report is None or not services.can_moderate_post(current_user, report.post):
        abort(404)
    return report


def module_viewers_only(view):
    """404 unless the caller may view the module; before the body is read, so that a stranger
    learns nothing from a validation error."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        _module_or_404(kwargs["module_id"])
        return view(*args, **kwargs)

    return wrapper


def thread_viewers_only(view):
    """404 unless the caller may see the thread; before the body is read."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        _thread_or_404(kwargs["thread_id"])
        return view(*args, **kwargs)

    return wrapper


def post_authors_only(view):
    """404 unless the caller sees the post's thread, 403 unless the post is theirs."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        post = _post_or_404(kwargs["post_id"])
        if post.author_id != current_user.id:
            abort(403, message=_("You can only change your own posts."))
        return view(*args, **kwargs)

    return wrapper


def not_authors(view):
    """404 unless the caller sees the post's thread, 403 for its author (reporting)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        post = _post_or_404(kwargs["post_id"])
        if post.author_id == current_user.id:
            abort(403, message=_("You cannot report your own post."))
        return view(*args, **kwargs)

    return wrapper


def report_moderators_only(view):
    """404 unless the caller moderates the reported post; before the body is read."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        _report_or_404(kwargs["report_id"])
        return view(*args, **kwargs)

    return wrapper


def thread_policy(policy):
    """404 unless the caller sees the thread, 403 unless `policy(user, thread)`."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            thread = _thread_or_404(kwargs["thread_id"])
            if not policy(current_user, thread):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def post_moderators_only(view):
    """404 unless the caller sees the post's thread, 403 unless they moderate the post."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        post = _post_or_404(kwargs["post_id"])
        if not services.can_moderate_post(current_user, post):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _thread_body(thread: Thread, names: dict, unit_names: dict, unread: bool) -> dict:
    return {
        "id": thread.id, "module_id": thread.module_id, "scope": thread.scope,
        "unit_id": thread.unit_id, "unit_name": unit_names.get(thread.unit_id),
        "kind": thread.kind, "title": thread.title, "author_id": thread.author_id,
        "author_name": names.get(thread.author_id), "pinned": thread.pinned,
        "locked": thread.locked, "created_at": thread.created_at,
        "last_post_at": thread.last_post_at, "post_count": thread.post_count, "unread": unread,
    }


def _one_thread(thread: Thread, names: dict | None = None) -> dict:
    unit = services.thread_unit(thread)
    names = names if names is not None else services.display_names([thread.author_id])
    return _thread_body(thread, names, {unit.id: unit.name} if unit else {}, False)


def _state(post: Post) -> str:
    if post.deleted_at is not None:
        return "deleted"
    return "hidden" if post.hidden_at is not None else "visible"



class _Viewer:
    """What the caller may see and do with a page of posts, worked out in a constant number of
    queries: `moderates` holds the ids of the posts they moderate (text, reason, history)."""

    def __init__(self, posts: list[Post], moderates: set[int], thread_moderator: bool,
                 extra_names=()):
        self.user = current_user
        self.moderates = moderates
        self.thread_moderator = thread_moderator
        parents = [p.parent for p in posts if p.parent_id is not None and p.parent is not None]
        self.names = services.display_names(
            [p.author_id for p in posts] + [p.author_id for p in parents] + list(extra_names))
        self.mentions = services.mention_names(
            [p for p in posts if p.visible or p.id in moderates])
        self.revisions: dict[int, list] = {}
        if moderates:
            for rev in db.session.scalars(
                    select(PostRevision).where(PostRevision.post_id.in_(moderates))
                    .order_by(PostRevision.created_at, PostRevision.id)):
                self.revisions.setdefault(rev.post_id, []).append(rev)

    @classmethod
    def of_thread(cls, thread: Thread, posts: list[Post]) -> "_Viewer":
        return cls(posts, services.moderatable_post_ids(current_user, thread, posts),
                   services.can_moderate(current_user, thread), extra_names=[thread.author_id])

    def post(self, post: Post) -> dict:
        state = _state(post)
        moderates = post.id in self.moderates
        own = post.author_id is not None and post.author_id == self.user.id
        shown = state == "visible" or moderates
        parent = None
        if post.parent_id is not None and post.parent is not None:
            parent_shown = post.parent.visible
            parent = {"id": post.parent.id, "author_name": self.names.get(post.parent.author_id),
                      "shown": parent_shown,
                      "excerpt": services.quote_excerpt(post.parent)
                      if parent_shown or post.parent.id in self.moderates else None}
        open_thread = not post.thread.locked or self.thread_moderator
        return {
            "id": post.id, "thread_id": post.thread_id, "author_id": post.author_id,
            "author_name": self.names.get(post.author_id), "parent_id": post.parent_id,
            "parent": parent, "created_at": post.created_at, "edited_at": post.edited_at,
            "state": state,
            "body_html": str(services.post_html(post, self.mentions)) if shown else None,
            "body_md": post.body_md if moderates or (own and state == "visible") else None,
            "hidden_at": post.hidden_at, "deleted_at": post.deleted_at,
            # Readers see why a post was hidden (the thread page says it too), not its text.
            "hidden_reason": post.hidden_reason if post.hidden_at is not None else None,
            "hidden_by_id": post.hidden_by_id if moderates else None,
            "revisions": [{"body_md": r.body_md, "created_at": r.created_at}
                          for r in self.revisions.get(post.id, [])] if moderates else None,
            "can_edit": own and state == "visible" and open_thread
            and services.within_edit_window(post),
            "can_delete": own and state != "deleted",
            "can_report": not own and state == "visible",
            "can_moderate": moderates,
        }


def _post_body(post: Post) -> dict:
    return _Viewer.of_thread(post.thread, [post]).post(post)


def _report_body(report: PostReport, viewer: _Viewer) -> dict:
    post = report.post
    return {
        "id": report.id, "post_id": report.post_id, "thread_id": post.thread_id,
        "thread_title": post.thread.title, "module_id": post.thread.module_id,
        "reporter_id": report.reporter_id, "reporter_name": viewer.names.get(report.reporter_id),
        "reason": report.reason, "created_at": report.created_at,
        "resolved_at": report.resolved_at, "resolved_by_id": report.resolved_by_id,
        "resolution": report.resolution, "post": viewer.post(post),
    }


# --- threads --------------------------------------------------------------------------------


@blp.get("/modules/<int:module_id>/threads")
@blp.response(200, ThreadSchema(many=True))
@blp.paginate(page_size=20, max_page_size=100)
def list_threads(module_id: int, pagination_parameters):
    """The threads of a module I may see: pinned first, then newest activity first; each with
    its count of visible posts and whether it has posts I have not read."""
    module = _module_or_404(module_id)
    page = db.paginate(services.visible_threads_select(current_user, module),
                       page=pagination_parameters.page,
                       per_page=pagination_parameters.page_size, error_out=False)
    pagination_parameters.item_count = page.total
    threads = page.items
    unread = services.unread_thread_ids(current_user, [t.id for t in threads])
    names = services.display_names(t.author_id for t in threads)
    units = services.unit_names(t.unit_id for t in threads)
    return [_thread_body(t, names, units, t.id in unread) for t in threads]


@blp.post("/modules/<int:module_id>/threads")
@post_limit
@module_viewers_only
@blp.arguments(ThreadCreateSchema)
@blp.response(201, ThreadSchema)
@blp.alt_response(429, description="posting too fast (DISCUSSION_POST_LIMIT)")
def create_thread(args, module_id: int):
    """Open a thread with its first post: module-wide, or inside a group (`scope` "group" and
    the group's `unit_id`); a leader's group lesson topic is `kind` "lesson_topic" (pinned)."""
    module = _module_or_404(module_id)
    unit = None
    if args["unit_id"] is not None:
        unit = db.session.get(OrgUnit, args["unit_id"])
        if unit is None:
            message = _("No such study group.")
            abort(422, message=message, errors={"json": {"unit_id": [message]}})
    try:
        thread = services.create_thread(
            current_user, module, args["title"], args["body"], scope=args["scope"], unit=unit,
            kind=args["kind"], pinned=args["pinned"])
    except services.DiscussionError as error:
        _refuse(error)
    return _one_thread(thread)


@blp.get("/threads/<int:thread_id>")
@blp.arguments(PageArgs, location="query")
@blp.response(200, ThreadDetailSchema)
def get_thread(args, thread_id: int):
    """A thread and one page of its posts, oldest first (hidden and deleted posts as
    placeholders); opening it marks the thread read."""
    thread = _thread_or_404(thread_id)
    query = (select(Post).where(Post.thread_id == thread.id)
             .options(joinedload(Post.parent))
             .order_by(Post.created_at, Post.id))
    page = db.paginate(query, page=args["page"], per_page=args["page_size"], error_out=False)
    viewer = _Viewer.of_thread(thread, page.items)
    body = {
        "thread": _one_thread(thread, viewer.names),
        "can_post": services.can_post(current_user, thread),
        "can_moderate": viewer.thread_moderator,
        "can_pin": services.can_pin(current_user, thread),
        "posts": [viewer.post(post) for post in page.items],
        "page": page.page, "page_size": page.per_page, "total": page.total,
        "pages": page.pages,
    }
    services.mark_read(current_user, thread)
    return body


@blp.post("/threads/<int:thread_id>/posts")
@post_limit
@thread_viewers_only
@blp.arguments(PostCreateSchema)
@blp.response(201, PostSchema)
@blp.alt_response(409, description="the thread is locked")
@blp.alt_response(429, description="posting too fast (DISCUSSION_POST_LIMIT)")
def reply(args, thread_id: int):
    """Post in a thread; with `parent_id`, as a reply to that post (its author is notified)."""
    thread = _thread_or_404(thread_id)
    parent = None
    if args["parent_id"] is not None:
        parent = db.session.get(Post, args["parent_id"])
        if parent is None or parent.thread_id != thread.id:
            message = _("The post you reply to is not in this thread.")
            abort(422, message=message, errors={"json": {"parent_id": [message]}})
    try:
        post = services.add_post(current_user, thread, args["body"], parent)
    except services.DiscussionError as error:
        _refuse(error)
    return _post_body(post)


@blp.post("/threads/<int:thread_id>/lock")
@thread_policy(services.can_moderate)
@blp.response(200, ThreadSchema)
def lock(thread_id: int):
    """Lock a thread: only its moderators may post in it."""
    return _thread_action(thread_id, services.set_locked, True)


@blp.post("/threads/<int:thread_id>/unlock")
@thread_policy(services.can_moderate)
@blp.response(200, ThreadSchema)
def unlock(thread_id: int):
    """Open a locked thread again."""
    return _thread_action(thread_id, services.set_locked, False)


@blp.post("/threads/<int:thread_id>/pin")
@thread_policy(services.can_pin)
@blp.response(200, ThreadSchema)
def pin(thread_id: int):
    """Pin a thread to the top of its module's list: group threads by their moderators,
    module-wide threads (read in every branch) by admins."""
    return _thread_action(thread_id, services.set_pinned, True)


@blp.post("/threads/<int:thread_id>/unpin")
@thread_policy(services.can_pin)
@blp.response(200, ThreadSchema)
def unpin(thread_id: int):
    """Unpin a thread."""
    return _thread_action(thread_id, services.set_pinned, False)


def _thread_action(thread_id: int, action, value: bool) -> dict:
    thread = _thread_or_404(thread_id)
    try:
        action(current_user, thread, value)
    except services.DiscussionError as error:
        _refuse(error)
    return _one_thread(thread)


# --- posts ----------------------------------------------------------------------------------


@blp.patch("/posts/<int:post_id>")
@post_limit
@post_authors_only
@blp.arguments(PostEditSchema)
@blp.response(200, PostSchema)
@blp.alt_response(403, description="not my post, or the edit window has passed")
@blp.alt_response(409, description="the thread is locked")
@blp.alt_response(429, description="posting too fast (DISCUSSION_POST_LIMIT, edits included)")
def edit_post(args, post_id: int):
    """Edit my post within DISCUSSION_EDIT_MINUTES; the earlier text is kept for moderators."""
    post = _post_or_404(post_id)
    try:
        services.edit_post(current_user, post, args["body"])
    except services.DiscussionError as error:
        _refuse(error)
    return _post_body(post)


@blp.delete("/posts/<int:post_id>")
@post_authors_only
@blp.response(200, PostSchema)
@blp.alt_response(403, description="not my post")
def delete_post(post_id: int):
    """Delete my post: readers see a placeholder; moderators still see its text."""
    post = _post_or_404(post_id)
    try:
        services.delete_post(current_user, post)
    except services.DiscussionError as error:
        _refuse(error)
    return _post_body(post)


@blp.post("/posts/<int:post_id>/report")
@not_authors
@blp.arguments(ReasonSchema)
@blp.response(201, ReportCreatedSchema)
@blp.alt_response(409, description="already reported by me, or no longer shown")
def report(args, post_id: int):
    """Report a post to its moderators, saying why."""
    post = _post_or_404(post_id)
    try:
        made = services.report_post(current_user, post, args["reason"])
    except services.DiscussionError as error:
        _refuse(error)
    return made


@blp.post("/posts/<int:post_id>/hide")
@post_moderators_only
@blp.arguments(ReasonSchema)
@blp.response(200, PostSchema)
def hide(args, post_id: int):
    """Hide a post with a reason (its author is told); its open reports close as hidden."""
    post = db.session.get(Post, post_id)
    try:
        services.hide_post(current_user, post, args["reason"])
    except services.DiscussionError as error:
        _refuse(error)
    return _post_body(post)


@blp.post("/posts/<int:post_id>/unhide")
@post_moderators_only
@blp.response(200, PostSchema)
def unhide(post_id: int):
    """Show a hidden post again (its author is told)."""
    post = db.session.get(Post, post_id)
    try:
        services.unhide_post(current_user, post)
    except services.DiscussionError as error:
        _refuse(error)
    return _post_body(post)


# --- the report queue -----------------------------------------------------------------------


@blp.get("/discussion-reports")
@api_requires(services.can_view_reports)
@blp.response(200, ReportSchema(many=True))
@blp.paginate(page_size=20, max_page_size=100)
def reports_queue(pagination_parameters):
    """Unresolved reports of the posts I moderate (leaders: their scope; admins: all),
    oldest first, each with the post as its moderators see it."""
    query = services.reports_queue_select(current_user).options(
        joinedload(PostReport.post).joinedload(Post.thread),
        joinedload(PostReport.post).joinedload(Post.parent))
    page = db.paginate(query, page=pagination_parameters.page,
                       per_page=pagination_parameters.page_size, error_out=False)
    pagination_parameters.item_count = page.total
    # Every post in my queue is one I moderate (reports_queue_select is the list form of
    # can_moderate_post), so the page needs no per-report permission queries.
    posts = [item.post for item in page.items]
    viewer = _Viewer(posts, {p.id for p in posts}, thread_moderator=False,
                     extra_names=[item.reporter_id for item in page.items])
    return [_report_body(item, viewer) for item in page.items]


@blp.post("/discussion-reports/<int:report_id>/resolve")
@api_requires(services.can_view_reports)
@report_moderators_only
@blp.arguments(ResolveSchema)
@blp.response(200, ReportSchema)
@blp.alt_response(409, description="resolved already")
def resolve(args, report_id: int):
    """Decide a report: hide the post (`hide` true, with an optional `reason` for its author)
    or dismiss the post's reports."""
    made = _report_or_404(report_id)
    try:
        services.resolve_report(current_user, made, args["hide"], args["reason"])
    except services.DiscussionError as error:
        _refuse(error)
    post = made.post
    viewer = _Viewer([post], services.moderatable_post_ids(current_user, post.thread, [post]),
                     services.can_moderate(current_user, post.thread),
                     extra_names=[made.reporter_id])
    return _report_body(made, viewer)
