"""Pages: a module's discussion threads, a thread with its posts, posting, and moderation.

- /modules/<id>/threads               the threads I may see (pinned, then newest activity);
                                      POST: open a thread (module-wide, in a group, or a
                                      leader's pinned group lesson topic)
- /threads/<id>[?page=n&reply_to=p]   the posts, oldest first, 30 a page; the reply form
- /threads/<id>/posts                 POST: post, or reply to `parent_id`
- /threads/<id>/lock|unlock|pin|unpin POST: moderators
- /threads/<id>/mentions?q=...        JSON: the people a mention may name (the reply box's @)
- /posts/<id>                         a post's place: its thread at the right page
- /posts/<id>/edit                    my post, within the edit window
- /posts/<id>/delete|report|hide|unhide   POST
- /discussion-reports                 the report queue (leaders: their scope; admins: all)
- /discussion-reports/<id>/resolve    POST: hide the reported post, or dismiss

Load, then authorise: a thread (or post) the user may not see is a 404 like a missing one; an
action on one they see but may not take is a 403. The rules themselves are
discussions.services'. Replies show a short quote of the post they answer, so the list stays
flat, which reads best on a phone. Posting (threads, replies and edits, pages and API
together) is rate-limited per user by DISCUSSION_POST_LIMIT; the mention lookup, asked as the
writer types, by DISCUSSION_LOOKUP_LIMIT.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from courses.discussions import services
from courses.discussions.api import post_limit
from courses.discussions.forms import EditForm, PostForm, ReasonForm, ResolveForm, ThreadForm
from courses.discussions.models import Post, PostReport, PostRevision, Thread
from courses.discussions.permissions import edit_minutes
from courses.models import Module
from courses.permissions import can_view_module
from learning.accounts.forms import ConfirmForm
from learning.bounds import page_arg
from learning.extensions import db, limiter
from learning.i18n import short_datetime
from learning.orgs.models import Membership, OrgUnit
from learning.permissions import require, require_role, scope_unit_ids

bp = Blueprint("discussions", __name__,
               template_folder=str(Path(__file__).parents[1] / "templates"))

THREADS_PER_PAGE = 20
POSTS_PER_PAGE = 30
REPORTS_PER_PAGE = 20
UNIT_CHOICES_MAX = 300  # a committee leader's select of groups stays a usable size


# --- loading and authorising ---------------------------------------------------------------


def _module_or_404(module_id: int) -> Module:
    module = db.session.get(Module, module_id)
    require(module is not None and can_view_module(current_user, module))
    return module


def _thread_or_404(thread_id: int, *, reading: bool = False) -> Thread:
    thread = services.load_thread(thread_id, current_user if reading else None)
    require(thread is not None and services.can_view_thread(current_user, thread))
    return thread


def _post_or_404(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    require(post is not None and services.can_view_thread(current_user, post.thread))
    return post


def _refused(error: services.DiscussionError) -> None:
    """Tell the user why an action was refused. Nothing of it may be stored: the answer is a
    redirect (which commits), so whatever the service flushed before refusing is dropped."""
    db.session.rollback()
    flash(str(error), "warning")


def _page_of(post: Post) -> int:
    """The page of its thread that shows `post` (posts are listed oldest first)."""
    before = db.session.scalar(
        select(func.count()).select_from(Post).where(
            Post.thread_id == post.thread_id,
            or_(Post.created_at < post.created_at,
                and_(Post.created_at == post.created_at, Post.id < post.id))))
    return before // POSTS_PER_PAGE + 1


def _at_post(post: Post):
    """A redirect to the post in its thread, on the page that shows it."""
    page = _page_of(post)
    return redirect(url_for("discussions.thread_page", thread_id=post.thread_id,
                            page=page if page > 1 else None, _anchor=f"post-{post.id}"))


# --- the module's threads ------------------------------------------------------------------


def _where_choices(form: ThreadForm) -> None:
    """Where a thread may be opened: module-wide, in one of my groups (the units I belong to
    and, for leaders and admins, the groups in their scope), and, for the units I lead, a
    pinned group lesson topic. Two queries whatever the size of the tree."""
    mine = select(Membership.unit_id).where(Membership.user_id == current_user.id)
    units = list(db.session.scalars(
        select(OrgUnit).where(or_(OrgUnit.id.in_(mine),
                                  and_(OrgUnit.kind == "group",
                                       OrgUnit.id.in_(scope_unit_ids(current_user)))))
        .order_by(OrgUnit.path).limit(UNIT_CHOICES_MAX)))
    parents = services.unit_names(unit.parent_id for unit in units)

    def label(unit: OrgUnit) -> str:
        parent = parents.get(unit.parent_id)
        return f"{parent}/{unit.name}" if parent else unit.name

    choices = [("module", _("Everyone studying this module"))]
    choices += [(f"group-{unit.id}", _("Only %(name)s", name=label(unit)))
                for unit in units]
    choices += [(f"topic-{unit.id}", _("Group lesson topic for %(name)s (pinned)",
                                       name=label(unit)))
                for unit in units if services.can_open_lesson_topic(current_user, unit)]
    form.where.choices = choices


def _render_threads(module: Module, form: ThreadForm, status: int = 200, error: str = ""):
    page = db.paginate(services.visible_threads_select(current_user, module),
                       page=request.args.get("page", 1, type=page_arg),
                       per_page=THREADS_PER_PAGE,
                       error_out=False)
    threads = page.items
    return render_template(
        "courses/discussions/threads.html", module=module, page=page, threads=threads,
        unread_ids=services.unread_thread_ids(current_user, [t.id for t in threads]),
        names=services.display_names(t.author_id for t in threads),
        units=services.unit_names(t.unit_id for t in threads),
        form=form, error=error,
        can_start=services.can_start_thread(current_user, module)), status


@bp.get("/modules/<int:module_id>/threads")
@login_required
def thread_list(module_id: int):
    """The module's threads I may see, pinned first, then newest activity; the new-thread form."""
    module = _module_or_404(module_id)
    form = ThreadForm()
    _where_choices(form)
    return _render_threads(module, form)


@bp.post("/modules/<int:module_id>/threads")
@post_limit
@login_required
def create_thread(module_id: int):
    """Open a thread with its first post."""
    module = _module_or_404(module_id)
    form = ThreadForm()
    _where_choices(form)
    if not form.validate_on_submit():
        return _render_threads(module, form, 422)
    where, _dash, unit_id = form.where.data.partition("-")
    unit = db.session.get(OrgUnit, int(unit_id)) if unit_id else None  # one of the choices
    try:
        thread = services.create_thread(
            current_user, module, form.title.data, form.body.data,
            scope="module" if unit is None else "group", unit=unit,
            kind="lesson_topic" if where == "topic" else "discussion")
    except services.DiscussionError as error:
        field = {"title": form.title, "body": form.body}.get(error.field, form.where)
        field.errors = [*field.errors, str(error)]
        return _render_threads(module, form, error.status)
    flash(_("Your thread is open."), "success")
    return redirect(url_for("discussions.thread_page", thread_id=thread.id))


# --- a thread ------------------------------------------------------------------------------


class _Links:
    """The links of a page's posts. url_for costs about 50 µs and a page of 30 posts needs up
    to four links each, so each kind of link is built once, with a stand-in for the post id
    that each post then puts its own id in place of."""

    _STAND_IN = 987_654_321_987_654_321  # no real id, nor any part of the page's other ids

    def __init__(self, thread: Thread, page_number: int):
        self._endpoints = {
            "reply": ("discussions.thread_page",
                      {"thread_id": thread.id, "page": page_number if page_number > 1 else None,
                       "_anchor": "reply"}, "reply_to"),
            "post": ("discussions.post_link", {}, "post_id"),
            "edit": ("discussions.edit_post", {}, "post_id"),
            "delete": ("discussions.delete_post", {}, "post_id"),
            "report": ("discussions.report_post", {}, "post_id"),
            "hide": ("discussions.hide_post", {}, "post_id"),
            "unhide": ("discussions.unhide_post", {}, "post_id"),
        }
        self._patterns: dict[str, str] = {}

    def __call__(self, kind: str, post_id: int) -> str:
        pattern = self._patterns.get(kind)
        if pattern is None:
            endpoint, values, id_name = self._endpoints[kind]
            pattern = self._patterns[kind] = url_for(
                endpoint, **values, **{id_name: self._STAND_IN})
        return pattern.replace(str(self._STAND_IN), str(post_id))


class _PostView:
    """One post as the current user may see it (text, placeholder, actions, links, times),
    worked out for a whole page in a constant number of queries."""

    def __init__(self, post: Post, *, user_id: int, names: dict, moderates: bool,
                 revisions: list, open_thread: bool, can_post: bool, on_page: set[int],
                 parent_moderated: bool, links: _Links, when, mentions: dict):
        own = post.author_id is not None and post.author_id == user_id
        visible = post.visible
        self.post = post
        self.id = post.id
        self.author = names.get(post.author_id) or _("(former member)")
        self.created_iso = post.created_at.isoformat()
        self.created = when(post.created_at)
        self.edited = when(post.edited_at) if post.edited_at else None
        self.deleted = post.deleted_at is not None
        self.hidden = post.hidden_at is not None
        self.moderates = moderates
        self.show_text = visible or moderates
        self.body = services.post_html(post, mentions) if self.show_text else None
        self.revisions = revisions if moderates else []
        self.hidden_by = names.get(post.hidden_by_id) if moderates else None
        self.can_edit = (own and visible and open_thread
                         and services.within_edit_window(post))
        self.can_delete = own and not self.deleted
        self.can_report = not own and visible
        self.reply_url = links("reply", post.id) if can_post and visible else None
        self.edit_url = links("edit", post.id) if self.can_edit else None
        self.delete_url = links("delete", post.id) if self.can_delete else None
        self.report_url = links("report", post.id) if self.can_report else None
        self.moderate_url = None  # hide, or show again
        if moderates and not self.deleted:
            self.moderate_url = links("unhide" if self.hidden else "hide", post.id)
        self.quote = None
        parent = post.parent if post.parent_id is not None else None
        if parent is not None:
            shown = parent.visible or parent_moderated
            self.quote = {
                "id": parent.id,
                "author": names.get(parent.author_id) or _("(former member)"),
                "text": services.quote_excerpt(parent) if shown else None,
                "href": f"#post-{parent.id}" if parent.id in on_page
                else links("post", parent.id),
            }


class _PostsPage(Pagination):
    """A page of a thread's posts, oldest first, with the posts they quote: db.paginate's
    result, from one statement built once per process (building a SELECT and its cache key
    costs more than SQLite takes to run it). The total comes with the page, as a window count;
    only a page past the end counts separately."""

    def _query_items(self) -> list[Post]:
        rows = db.session.execute(_posts_page_select(), {
            "thread_id": self._query_args["thread_id"], "limit": self.per_page,
            "offset": self._query_offset}).unique().all()
        self._total = rows[0].total if rows else None
        return [row.Post for row in rows]

    def _query_count(self) -> int:
        if self._total is not None:
            return self._total
        return db.session.scalar(_posts_count_select(),
                                 {"thread_id": self._query_args["thread_id"]})


@cache
def _posts_page_select():
    """_PostsPage's items, with the thread's total (bind parameters thread_id, limit, offset)."""
    return (select(Post, func.count().over().label("total"))
            .where(Post.thread_id == bindparam("thread_id"))
            .options(joinedload(Post.parent))
            .order_by(Post.created_at, Post.id)
            .limit(bindparam("limit")).offset(bindparam("offset")))


@cache
def _posts_count_select():
    """_PostsPage's count for a page past the end (bind parameter thread_id)."""
    return select(func.count()).select_from(Post).where(Post.thread_id == bindparam("thread_id"))


def _render_thread(thread: Thread, form: PostForm, *, page_number: int | None = None,
                   status: int = 200):
    user = current_user._get_current_object()  # the proxy costs a lookup on every use
    page_number = page_number or request.args.get("page", 1, type=page_arg)
    page = _PostsPage(page=page_number, per_page=POSTS_PER_PAGE, error_out=False,
                      thread_id=thread.id)
    posts = page.items
    thread_moderator = services.can_moderate(user, thread)
    can_post = services.can_post(user, thread)
    # The post being answered (a reply link, or a form sent back with an error).
    replying_to = None
    if can_post and (form.parent_id.data or "").isdigit():
        candidate = db.session.get(Post, int(form.parent_id.data))
        if candidate is not None and candidate.thread_id == thread.id and candidate.visible:
            replying_to = candidate
    if replying_to is None:
        form.parent_id.data = ""
    parents = [p.parent for p in posts if p.parent_id is not None and p.parent is not None]
    moderates = services.moderatable_post_ids(user, thread, posts + parents)
    names = services.display_names([p.author_id for p in posts] + [p.author_id for p in parents]
                   + [p.hidden_by_id for p in posts if p.id in moderates]
                   + [getattr(replying_to, "author_id", None), thread.author_id])
    revisions: dict[int, list] = {}
    shown_ids = [p.id for p in posts if p.id in moderates]
    if shown_ids:
        for revision in db.session.scalars(
                select(PostRevision).where(PostRevision.post_id.in_(shown_ids))
                .order_by(PostRevision.created_at, PostRevision.id)):
            revisions.setdefault(revision.post_id, []).append(revision)
    on_page = {p.id for p in posts}
    open_thread = not thread.locked or thread_moderator
    links, when = _Links(thread, page.page), short_datetime
    mentions = services.mention_names([p for p in posts if p.visible or p.id in moderates])
    views = [_PostView(p, user_id=user.id, names=names, moderates=p.id in moderates,
                       revisions=revisions.get(p.id, []), open_thread=open_thread,
                       can_post=can_post, on_page=on_page,
                       parent_moderated=p.parent_id in moderates, links=links, when=when,
                       mentions=mentions)
             for p in posts]
    reply_quote = None
    if replying_to is not None:
        reply_quote = {"id": replying_to.id,
                       "author": names.get(replying_to.author_id) or _("(former member)"),
                       "text": services.quote_excerpt(replying_to)}
    module = db.session.get(Module, thread.module_id)
    unit = db.session.get(OrgUnit, thread.unit_id) if thread.unit_id is not None else None
    return render_template(
        "courses/discussions/thread.html", thread=thread, module=module, unit=unit, page=page,
        posts=views, form=form, reply_quote=reply_quote, can_post=can_post,
        thread_moderator=thread_moderator, author_name=names.get(thread.author_id),
        may_pin=thread_moderator and services.can_pin(user, thread),
        edit_minutes=edit_minutes()), status


@bp.get("/threads/<int:thread_id>")
@login_required
def thread_page(thread_id: int):
    """The posts of a thread, oldest first, with quotes, placeholders and actions; opening it
    marks it read."""
    thread = _thread_or_404(thread_id, reading=True)
    form = PostForm()
    form.parent_id.data = request.args.get("reply_to", "")
    response = _render_thread(thread, form)
    services.mark_read(current_user, thread)
    return response


@bp.post("/threads/<int:thread_id>/posts")
@post_limit
@login_required
def reply(thread_id: int):
    """Post in a thread, as a reply to `parent_id` when given."""
    thread = _thread_or_404(thread_id)
    form = PostForm()
    page_number = request.args.get("page", type=page_arg)
    if not form.validate_on_submit():
        return _render_thread(thread, form, page_number=page_number, status=422)
    parent = None
    raw_parent = (form.parent_id.data or "").strip()
    try:
        if raw_parent:
            parent = db.session.get(Post, int(raw_parent)) if raw_parent.isdigit() else None
            if parent is None or parent.thread_id != thread.id:
                raise services.DiscussionError(
                    _("The post you reply to is not in this thread."), "parent_id")
        post = services.add_post(current_user, thread, form.body.data, parent)
    except services.DiscussionError as error:
        form.body.errors = [*form.body.errors, str(error)]
        return _render_thread(thread, form, page_number=page_number, status=error.status)
    flash(_("Posted."), "success")
    return _at_post(post)


def _reader_key() -> str:
    """Rate-limit key of the mention lookup: the signed-in reader."""
    return f"mention-lookup:{getattr(current_user, 'id', '')}"


# One budget per reader; the script asks once per pause in typing after an "@".
lookup_limit = limiter.shared_limit(
    lambda: current_app.config["DISCUSSION_LOOKUP_LIMIT"],
    scope="mention-lookup", key_func=_reader_key)


@bp.get("/threads/<int:thread_id>/mentions")
@lookup_limit
@login_required
def mention_candidates(thread_id: int):
    """JSON {"people": [{id, name, username, unit}]}: who an "@" + `q` may name in this
    thread (people who may read it; a group thread's group only); unit only for repeated
    names."""
    thread = _thread_or_404(thread_id)
    query = request.args.get("q", "")
    return jsonify(people=services.mention_candidates(current_user, thread, query))


@bp.get("/posts/<int:post_id>")
@login_required
def post_link(post_id: int):
    """Where a post is: its thread, at the page that shows it (links from quotes and lists)."""
    return _at_post(_post_or_404(post_id))


# --- my posts ------------------------------------------------------------------------------


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@post_limit
@login_required
def edit_post(post_id: int):
    """Edit my post within DISCUSSION_EDIT_MINUTES (the earlier text stays for moderators)."""
    post = _post_or_404(post_id)
    require_role(post.author_id == current_user.id)
    form = EditForm()
    status = 200
    if request.method == "GET":
        require_role(services.can_edit_post(current_user, post))
        form.body.data = post.body_md
    elif form.validate_on_submit():
        try:
            services.edit_post(current_user, post, form.body.data)
        except services.DiscussionError as error:
            form.body.errors = [*form.body.errors, str(error)]
            status = error.status
        else:
            flash(_("Your post is saved."), "success")
            return _at_post(post)
    else:
        status = 422
    deadline = post.created_at + timedelta(minutes=edit_minutes())
    return render_template("courses/discussions/edit.html", post=post, thread=post.thread,
                           form=form, deadline=deadline), status


@bp.post("/posts/<int:post_id>/delete")
@login_required
def delete_post(post_id: int):
    """Delete my post: readers see a placeholder, moderators still see its text."""
    post = _post_or_404(post_id)
    require_role(services.can_delete_post(current_user, post))
    if ConfirmForm().validate_on_submit():
        try:
            services.delete_post(current_user, post)
        except services.DiscussionError as error:
            _refused(error)
        else:
            flash(_("Your post is deleted."), "success")
    return _at_post(post)


@bp.post("/posts/<int:post_id>/report")
@login_required
def report_post(post_id: int):
    """Report someone else's post to its moderators, saying why."""
    post = _post_or_404(post_id)
    require_role(post.author_id != current_user.id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.report_post(current_user, post, form.reason.data)
        except services.DiscussionError as error:
            _refused(error)
        else:
            flash(_("Thank you. The moderators will look at the post."), "success")
    return _at_post(post)


# --- moderation ----------------------------------------------------------------------------


@bp.post("/posts/<int:post_id>/hide")
@login_required
def hide_post(post_id: int):
    """Hide a post with a reason (its author is told)."""
    post = _post_or_404(post_id)
    require_role(services.can_moderate_post(current_user, post))
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.hide_post(current_user, post, form.reason.data)
        except services.DiscussionError as error:
            _refused(error)
        else:
            flash(_("The post is hidden."), "success")
    return _at_post(post)


@bp.post("/posts/<int:post_id>/unhide")
@login_required
def unhide_post(post_id: int):
    """Show a hidden post again (its author is told)."""
    post = _post_or_404(post_id)
    require_role(services.can_moderate_post(current_user, post))
    if ConfirmForm().validate_on_submit():
        try:
            services.unhide_post(current_user, post)
        except services.DiscussionError as error:
            _refused(error)
        else:
            flash(_("The post is shown again."), "success")
    return _at_post(post)


def _thread_action(thread_id: int, action, value: bool, done: str, allowed=None):
    thread = _thread_or_404(thread_id)
    require_role((allowed or services.can_moderate)(current_user, thread))
    if ConfirmForm().validate_on_submit():
        try:
            action(current_user, thread, value)
        except services.DiscussionError as error:
            _refused(error)
        else:
            flash(done, "success")
    return redirect(url_for("discussions.thread_page", thread_id=thread_id))


@bp.post("/threads/<int:thread_id>/lock")
@login_required
def lock(thread_id: int):
    """Lock a thread: only its moderators may post in it."""
    return _thread_action(thread_id, services.set_locked, True, _("The thread is locked."))


@bp.post("/threads/<int:thread_id>/unlock")
@login_required
def unlock(thread_id: int):
    """Open a locked thread again."""
    return _thread_action(thread_id, services.set_locked, False, _("The thread is open again."))


@bp.post("/threads/<int:thread_id>/pin")
@login_required
def pin(thread_id: int):
    """Pin a thread to the top of its module's list."""
    return _thread_action(thread_id, services.set_pinned, True, _("The thread is pinned."),
                          services.can_pin)


@bp.post("/threads/<int:thread_id>/unpin")
@login_required
def unpin(thread_id: int):
    """Unpin a thread."""
    return _thread_action(thread_id, services.set_pinned, False, _("The thread is unpinned."),
                          services.can_pin)


# --- the report queue ----------------------------------------------------------------------


@bp.get("/discussion-reports")
@login_required
def reports():
    """Unresolved reports of the posts I moderate, oldest first, each with the post's text."""
    require_role(services.can_view_reports(current_user))
    query = services.reports_queue_select(current_user).options(
        joinedload(PostReport.post).joinedload(Post.thread))
    page = db.paginate(query, page=request.args.get("page", 1, type=page_arg),
                       per_page=REPORTS_PER_PAGE, error_out=False)
    items = page.items
    names = services.display_names(
        [r.reporter_id for r in items] + [r.post.author_id for r in items])
    modules = dict(db.session.execute(
        select(Module.id, Module.title).where(
            Module.id.in_({r.post.thread.module_id for r in items}))).all()) if items else {}
    return render_template("courses/discussions/reports.html", page=page, items=items, names=names,
                           modules=modules, form=ResolveForm())


@bp.post("/discussion-reports/<int:report_id>/resolve")
@login_required
def resolve_report(report_id: int):
    """Hide the reported post (with a reason for its author) or dismiss the report."""
    require_role(services.can_view_reports(current_user))
    report = db.session.get(PostReport, report_id)
    require(report is not None and services.can_moderate_post(current_user, report.post))
    form = ResolveForm()
    if form.validate_on_submit() and (form.hide.data or form.dismiss.data):
        try:
            services.resolve_report(current_user, report, bool(form.hide.data),
                                    form.reason.data or "")
        except services.DiscussionError as error:
            _refused(error)
        else:
            flash(_("The post is hidden.") if form.hide.data else _("The report is dismissed."),
                  "success")
    elif form.is_submitted():
        flash(_("Choose: hide the post, or dismiss the report."), "warning")
    return redirect(url_for("discussions.reports"))
