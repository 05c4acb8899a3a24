"""Writing courses and modules: create, update, publish, reorder, edit history, re-render.

Shared by the admin pages, the API and the CLI. Services flush, never commit (the request or
the CLI command commits once). Module HTML is rendered here, at save, by learning.markup.
"""

from flask_babel import gettext as _
from sqlalchemy import func, select

from courses import progress
from courses.models import COMPLETION_RULES, Course, Module, ModuleRevision
from courses.video.media import module_media
from learning.audit.services import record
from learning.extensions import db
from learning.markup import (
    MAX_BLOCK_LINES,
    MAX_LINES,
    MAX_MARKERS,
    MAX_SOURCE_CHARS,
    longest_block,
    render_markdown,
    too_dense,
)

COURSE_FIELDS = ("title", "summary", "published", "position")
MODULE_FIELDS = ("title", "body_md", "estimated_minutes", "completion_rule", "min_posts",
                 "watch_percent", "published", "position")


class CatalogError(ValueError):
    """A change was refused; `field` names the input it is about."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def render_body(body_md: str, module_id: int | None) -> str:
    """A module body's HTML: its Markdown, with references to its attachments by file name
    turned into players and images (courses.video.media), and a placeholder for the author
    where a referenced file is not attached."""
    return str(render_markdown(body_md or "", media=module_media(module_id),
                               missing=_("Attachment not found:")))


def refresh_body(module: Module) -> None:
    """Render a module's body again after its attachments changed (a player appears or goes)."""
    html = render_body(module.body_md, module.id)
    if html != module.body_html:
        module.body_html = html
        db.session.flush()


def rule_error(completion_rule: str, min_posts: int | None) -> str | None:
    """Why a completion rule and post count do not go together, or None."""
    if completion_rule not in COMPLETION_RULES:
        return _("Choose one of the completion rules.")
    if completion_rule == "posts" and not (min_posts or 0) >= 1:
        return _("The rule \"posts\" needs at least one post.")
    return None


def _check_module(values: dict) -> None:
    if not (values.get("title") or "").strip():
        raise CatalogError("title", _("A module needs a title."))
    dense = too_dense(values.get("body_md") or "")
    if dense == "chars":
        raise CatalogError("body_md", _("The body is longer than %(n)d characters.",
                                        n=MAX_SOURCE_CHARS))
    if dense == "lines":
        raise CatalogError("body_md", _("The body has more than %(n)d lines.", n=MAX_LINES))
    if dense == "markers":
        raise CatalogError("body_md", _(
            "The body has more than %(n)d Markdown marks (* _ # | = + > ` [ ] ! < ~ -); "
            "split it into several modules.", n=MAX_MARKERS))
    first, count = longest_block(values.get("body_md") or "")
    if count > MAX_BLOCK_LINES:
        raise CatalogError("body_md", _(
            "Lines %(first)d to %(last)d of the body have no blank line between them; at most "
            "%(n)d lines may follow each other. Put a blank line between paragraphs.",
            first=first, last=first + count - 1, n=MAX_BLOCK_LINES))
    message = rule_error(values["completion_rule"], values.get("min_posts"))
    if message:
        field = "completion_rule" if values["completion_rule"] not in COMPLETION_RULES \
            else "min_posts"
        raise CatalogError(field, message)


def create_course(*, actor, title: str, summary: str = "", published: bool = False,
                  position: int = 0) -> Course:
    """A new course (a draft unless `published`)."""
    if not (title or "").strip():
        raise CatalogError("title", _("A course needs a title."))
    course = Course(title=title.strip(), summary=summary or "", published=bool(published),
                    position=position or 0)
    db.session.add(course)
    db.session.flush()
    record("course.create", {"course": course.title}, target=course, actor=actor,
           details={"published": course.published})
    return course


def update_course(course: Course, *, actor, **changes) -> Course:
    """Change a course's title, summary, order or published flag (audited)."""
    changes = {k: v for k, v in changes.items() if k in COURSE_FIELDS and v is not None}
    if "title" in changes:
        if not changes["title"].strip():
            raise CatalogError("title", _("A course needs a title."))
        changes["title"] = changes["title"].strip()
    was_published = course.published
    changed = sorted(k for k, v in changes.items() if getattr(course, k) != v)
    for key in changed:
        setattr(course, key, changes[key])
    db.session.flush()
    if changed:
        record("course.update", {"course": course.title}, target=course, actor=actor,
               details={"fields": changed})
    if course.published != was_published:
        record("course.publish" if course.published else "course.unpublish",
               {"course": course.title},
               target=course, actor=actor)
    return course


def create_module(course: Course, *, actor, title: str, body_md: str = "",
                  estimated_minutes: int = 10, completion_rule: str = "reading",
                  min_posts: int = 0, watch_percent: int | None = None, published: bool = False,
                  position: int | None = None) -> Module:
    """A new module at the end of `course` (or at `position`), its HTML rendered now."""
    values = {"title": title, "body_md": body_md or "", "completion_rule": completion_rule,
              "min_posts": min_posts}
    _check_module(values)
    if position is None:
        last = db.session.scalar(select(func.max(Module.position))
                                 .where(Module.course_id == course.id))
        position = 0 if last is None else last + 1
    module = Module(course_id=course.id, title=title.strip(), body_md=body_md or "",
                    body_html=render_body(body_md, None),
                    estimated_minutes=estimated_minutes, completion_rule=completion_rule,
                    min_posts=min_posts or 0, watch_percent=watch_percent,
                    published=bool(published), position=position)
    db.session.add(module)
    db.session.flush()
    record("module.create", {"course": course.title, "module": module.title}, target=module,
           actor=actor,
           details={"course_id": course.id, "published": module.published})
    return module


def update_module(module: Module, *, actor, _action: str = "module.update", **changes) -> Module:
    """Change a module; a changed title or body keeps the previous version as a revision."""
    # watch_percent may be cleared (None: the site's default); the others stay when None.
    changes = {k: v for k, v in changes.items()
               if k in MODULE_FIELDS and (v is not None or k == "watch_percent")}
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    values = {f: changes.get(f, getattr(module, f)) for f in MODULE_FIELDS}
    _check_module(values)
    changed = sorted(k for k, v in changes.items() if getattr(module, k) != v)
    if not changed:
        return module
    if "title" in changed or "body_md" in changed:
        db.session.add(ModuleRevision(
            module_id=module.id, editor_id=getattr(actor, "id", None),
            editor_name=getattr(actor, "username", None) or "system",
            title=module.title, body_md=module.body_md))
    was_published = module.published
    for key in changed:
        setattr(module, key, changes[key])
    if "body_md" in changed:
        module.body_html = render_body(module.body_md, module.id)
    db.session.flush()
    record(_action, {"course": module.course.title, "module": module.title}, target=module,
           actor=actor,
           details={"fields": changed})
    if module.published != was_published:
        # The rollup counts published modules only: recount the course's members.
        progress.rebuild_rollups(module.course_id)
        record("module.publish" if module.published else "module.unpublish",
               {"module": module.title},
               target=module, actor=actor)
    return module


def restore_revision(module: Module, revision: ModuleRevision, *, actor) -> Module:
    """Make an earlier version current again; the version it replaces becomes a revision."""
    return update_module(module, actor=actor, _action="module.restore",
                         title=revision.title, body_md=revision.body_md)


def move_module(module: Module, direction: str) -> None:
    """Swap a module with its neighbour above ("up") or below ("down"), numbering 0..n-1."""
    siblings = list(db.session.scalars(select(Module).where(Module.course_id == module.course_id)
                                       .order_by(Module.position, Module.id)))
    index = siblings.index(module)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings):
        sibling.position = position
    db.session.flush()


def rerender_all() -> tuple[int, int]:
    """Re-render every module's stored HTML from its Markdown: (changed, total)."""
    changed = total = 0
    for module in db.session.scalars(select(Module).order_by(Module.id)):
        total += 1
        html = render_body(module.body_md, module.id)
        if html != module.body_html:
            module.body_html = html
            changed += 1
    db.session.flush()
    return changed, total
