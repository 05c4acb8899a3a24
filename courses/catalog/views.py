"""Pages: Authoring courses, modules and attachments (admins), and serving attachment files."""

from functools import wraps
from pathlib import Path

from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from courses.catalog import attachments, services
from courses.catalog.forms import CourseForm, ModuleForm, MoveForm, UploadForm
from courses.models import Attachment, Course, Module, ModuleRevision
from courses.permissions import can_author, can_view_course, can_view_module
from learning.accounts.forms import ConfirmForm
from learning.editor import preview_answer, preview_limit
from learning.extensions import db
from learning.i18n import moment_text
from learning.markup import render_markdown
from learning.permissions import require, require_role

bp = Blueprint("catalog", __name__, template_folder=str(Path(__file__).parents[1] / "templates"))

# Pages that take an upload may receive a body up to the attachment limit (MAX_CONTENT_LENGTH
# stays small everywhere else). Set before the CSRF check reads the form.
_UPLOAD_ENDPOINTS = {"catalog.course_new", "catalog.course_edit", "catalog.module_upload",
                     "catalog.module_insert_file"}


@bp.url_value_preprocessor
def _upload_limit(endpoint, _values):
    if endpoint in _UPLOAD_ENDPOINTS and request.method == "POST":
        request.max_content_length = attachments.max_bytes() + 1024 * 1024


def author_page(view):
    """Log-in required, then admins only (403 for everyone else)."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        require_role(can_author(current_user))
        return view(*args, **kwargs)

    return wrapper


def _field_error(form, error: services.CatalogError) -> None:
    field = getattr(form, error.field, None) or form.title
    field.errors = [*field.errors, str(error)]


def _store_cover(form, course: Course) -> bool:
    """Save the course form's cover image, if one was sent; False (with the error) if refused."""
    upload = form.cover.data
    if not upload or not getattr(upload, "filename", ""):
        return True
    try:
        attachments.replace_cover(upload, course=course, actor=current_user)
    except attachments.AttachmentError as error:
        form.cover.errors = [*form.cover.errors, str(error)]
        return False
    return True


# --- courses --------------------------------------------------------------------------------


@bp.get("/admin/courses/")
@author_page
def course_index():
    courses = db.session.scalars(select(Course).order_by(Course.position, Course.id)).all()
    counts = dict(db.session.execute(
        select(Module.course_id, func.count()).group_by(Module.course_id)).all())
    return render_template("courses/catalog/index.html", courses=courses, counts=counts)


@bp.route("/admin/courses/new", methods=["GET", "POST"])
@author_page
def course_new():
    form = CourseForm()
    if form.validate_on_submit():
        course = services.create_course(actor=current_user, title=form.title.data,
                                        summary=form.summary.data or "",
                                        published=form.published.data,
                                        position=form.position.data or 0)
        if _store_cover(form, course):
            flash(_("Course %(title)s created.", title=course.title), "success")
            return redirect(url_for("catalog.course_edit", course_id=course.id))
        db.session.rollback()
    return render_template("courses/catalog/course_form.html", form=form, course=None)


@bp.route("/admin/courses/<int:course_id>", methods=["GET", "POST"])
@author_page
def course_edit(course_id: int):
    course = db.session.scalar(select(Course).where(Course.id == course_id)
                               .options(selectinload(Course.modules)))
    require(course is not None)
    form = CourseForm(obj=course)
    if form.validate_on_submit():
        services.update_course(course, actor=current_user, title=form.title.data,
                               summary=form.summary.data or "", published=form.published.data,
                               position=form.position.data or 0)
        if _store_cover(form, course):
            flash(_("Course %(title)s saved.", title=course.title), "success")
            return redirect(url_for("catalog.course_edit", course_id=course.id))
        db.session.rollback()
        course = db.session.get(Course, course_id)
    cover = db.session.scalar(select(Attachment).where(
        Attachment.course_id == course_id, Attachment.purpose == "cover"))
    return render_template("courses/catalog/course_form.html", form=form, course=course,
                           modules=course.modules, cover=cover, move_form=MoveForm(),
                           confirm_form=ConfirmForm())


@bp.post("/admin/courses/<int:course_id>/cover/delete")
@author_page
def cover_delete(course_id: int):
    course = db.get_or_404(Course, course_id)
    if ConfirmForm().validate_on_submit():
        for cover in db.session.scalars(select(Attachment).where(
                Attachment.course_id == course.id, Attachment.purpose == "cover")):
            attachments.delete_attachment(cover, actor=current_user)
        flash(_("Cover image removed."), "success")
    return redirect(url_for("catalog.course_edit", course_id=course.id))


# --- modules --------------------------------------------------------------------------------


def _preview(form) -> str | None:
    """Rendered HTML of the form's body when the Preview button was pressed (nothing saved)."""
    if form.is_submitted() and form.preview.data:
        form.validate()
        return str(render_markdown(form.body_md.data or ""))
    return None


def _module_values(form) -> dict:
    return {"title": form.title.data, "body_md": form.body_md.data or "",
            "estimated_minutes": form.estimated_minutes.data,
            "completion_rule": form.completion_rule.data, "min_posts": form.min_posts.data or 0,
            "watch_percent": form.watch_percent.data, "published": form.published.data}


@bp.route("/admin/courses/<int:course_id>/modules/new", methods=["GET", "POST"])
@author_page
def module_new(course_id: int):
    course = db.get_or_404(Course, course_id)
    form = ModuleForm()
    preview = _preview(form)
    if preview is None and form.validate_on_submit():
        try:
            module = services.create_module(course, actor=current_user, **_module_values(form))
        except services.CatalogError as error:
            _field_error(form, error)
        else:
            flash(_("Module %(title)s created.", title=module.title), "success")
            return redirect(url_for("catalog.module_edit", module_id=module.id))
    return render_template("courses/catalog/module_form.html", form=form, course=course,
                           module=None, preview=preview)


def _load_module(module_id: int) -> Module:
    module = db.session.scalar(select(Module).where(Module.id == module_id)
                               .options(joinedload(Module.course),
                                        selectinload(Module.attachments)))
    require(module is not None)
    return module


@bp.route("/admin/modules/<int:module_id>", methods=["GET", "POST"])
@author_page
def module_edit(module_id: int):
    module = _load_module(module_id)
    form = ModuleForm(obj=module)
    preview = _preview(form)
    if preview is None and form.validate_on_submit():
        try:
            services.update_module(module, actor=current_user, **_module_values(form))
        except services.CatalogError as error:
            _field_error(form, error)
        else:
            flash(_("Module %(title)s saved.", title=module.title), "success")
            return redirect(url_for("catalog.module_edit", module_id=module.id))
    revisions = db.session.scalar(select(func.count()).where(
        ModuleRevision.module_id == module.id))
    return render_template("courses/catalog/module_form.html", form=form, course=module.course,
                           module=module, preview=preview, revisions=revisions,
                           upload_form=UploadForm(), confirm_form=ConfirmForm())


@bp.post("/admin/courses/<int:course_id>/preview")
@preview_limit
@author_page
def markup_preview(course_id: int):
    """The module editor's live preview: the posted body as saving would render it."""
    require(db.session.get(Course, course_id) is not None)
    return preview_answer(render_markdown)


@bp.post("/admin/modules/<int:module_id>/move")
@author_page
def module_move(module_id: int):
    module = db.get_or_404(Module, module_id)
    form = MoveForm()
    if form.validate_on_submit() and form.direction.data in ("up", "down"):
        services.move_module(module, form.direction.data)
    return redirect(url_for("catalog.course_edit", course_id=module.course_id))


@bp.get("/admin/modules/<int:module_id>/history")
@author_page
def module_history(module_id: int):
    module = _load_module(module_id)
    revisions = db.session.scalars(select(ModuleRevision)
                                   .where(ModuleRevision.module_id == module.id)
                                   .order_by(ModuleRevision.id.desc())).all()
    # Old versions are rendered here, for this admin page only: revisions store Markdown.
    rendered = {r.id: str(render_markdown(r.body_md)) for r in revisions}
    return render_template("courses/catalog/history.html", module=module, revisions=revisions,
                           rendered=rendered, confirm_form=ConfirmForm())


@bp.post("/admin/modules/<int:module_id>/history/<int:revision_id>/restore")
@author_page
def module_restore(module_id: int, revision_id: int):
    module = db.get_or_404(Module, module_id)
    revision = db.get_or_404(ModuleRevision, revision_id)
    require(revision.module_id == module.id)
    if ConfirmForm().validate_on_submit():
        services.restore_revision(module, revision, actor=current_user)
        flash(_("The version of %(when)s is current again.",
                when=moment_text(revision.created_at)), "success")
    return redirect(url_for("catalog.module_edit", module_id=module.id))


# --- attachments ----------------------------------------------------------------------------


@bp.post("/admin/modules/<int:module_id>/attachments")
@author_page
def module_upload(module_id: int):
    module = _load_module(module_id)
    form = UploadForm()
    if form.validate_on_submit():
        try:
            attachment = attachments.save_upload(form.file.data, course=module.course,
                                                 module=module, actor=current_user)
        except attachments.AttachmentError as error:
            flash(str(error), "danger")
            return redirect(url_for("catalog.module_edit", module_id=module.id))
        flash(_("%(name)s uploaded. Use it in the body as %(url)s.", name=attachment.original_name,
                url=url_for("catalog.file", attachment_id=attachment.id,
                            name=attachment.original_name)), "success")
    else:
        flash(_("Choose a file to upload."), "danger")
    return redirect(url_for("catalog.module_edit", module_id=module.id))


@bp.post("/admin/modules/<int:module_id>/attachments/insert")
@author_page
def module_insert_file(module_id: int):
    """The editor's "insert image or file": store the upload, answer the Markdown that shows it."""
    module = _load_module(module_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return jsonify(message=_("Choose a file to upload.")), 422
    try:
        attachment = attachments.save_upload(form.file.data, course=module.course,
                                             module=module, actor=current_user)
    except attachments.AttachmentError as error:
        return jsonify(message=str(error)), 422
    return jsonify(markdown=attachments.markdown_reference(attachment),
                   name=attachment.original_name, url=attachments.file_url(attachment),
                   message=_("%(name)s uploaded and inserted.", name=attachment.original_name))


@bp.post("/admin/attachments/<int:attachment_id>/delete")
@author_page
def attachment_delete(attachment_id: int):
    attachment = db.get_or_404(Attachment, attachment_id)
    module_id, course_id = attachment.module_id, attachment.course_id
    if ConfirmForm().validate_on_submit():
        name = attachment.original_name
        attachments.delete_attachment(attachment, actor=current_user)
        flash(_("%(name)s deleted.", name=name), "success")
    if module_id:
        return redirect(url_for("catalog.module_edit", module_id=module_id))
    return redirect(url_for("catalog.course_edit", course_id=course_id))


@bp.get("/files/<int:attachment_id>/<path:name>")
@login_required
def file(attachment_id: int, name: str):
    """An attachment's bytes, for people who may view its module (or its course, for a cover)."""
    attachment = db.session.get(Attachment, attachment_id)
    require(attachment is not None)
    if attachment.module_id is not None:
        require(can_view_module(current_user, db.session.get(Module, attachment.module_id)))
    else:
        require(can_view_course(current_user, db.session.get(Course, attachment.course_id)))
    path = attachments.attachment_path(attachment)
    require(path.is_file())
    response = send_file(path, mimetype=attachment.content_type, conditional=True,
                         download_name=attachment.original_name, etag=attachment.sha256,
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    response.cache_control.public = False
    return response
