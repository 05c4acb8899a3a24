"""API: courses and modules: read what the caller may view; admins create and update.

Markdown goes in, the sanitised HTML is rendered at save (the same services as the pages).
"""

from flask import url_for
from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from courses.catalog import services
from courses.models import COMPLETION_RULES, Attachment, Course, Module
from courses.permissions import (
    can_author,
    can_view_course,
    can_view_module,
    viewable_courses_select,
    viewable_modules,
)
from learning.api import api_blueprint, api_requires
from learning.extensions import db
from learning.markup import MAX_SOURCE_CHARS
from learning.permissions import require

blp = api_blueprint("api_catalog", __name__, "Courses and modules")


# --- schemas --------------------------------------------------------------------------------


class AttachmentSchema(Schema):
    id = fields.Integer()
    name = fields.String(attribute="original_name")
    content_type = fields.String()
    size_bytes = fields.Integer()
    sha256 = fields.String()
    duration_seconds = fields.Float(allow_none=True, metadata={
        "description": "audio and video: seconds, read from the file at upload"})
    url = fields.Method("_url")

    def _url(self, attachment):
        return url_for("catalog.file", attachment_id=attachment.id,
                       name=attachment.original_name)


class ModuleSummarySchema(Schema):
    id = fields.Integer()
    course_id = fields.Integer()
    title = fields.String()
    position = fields.Integer()
    estimated_minutes = fields.Integer()
    completion_rule = fields.String(metadata={"enum": list(COMPLETION_RULES)})
    min_posts = fields.Integer()
    watch_percent = fields.Integer(allow_none=True, metadata={
        "description": "the watched rules' share of the video; null: the site's default"})
    published = fields.Boolean()
    updated_at = fields.DateTime()


class ModuleSchema(ModuleSummarySchema):
    body_html = fields.String(metadata={"description": "sanitised HTML, rendered at save"})
    body_md = fields.Method("_body_md", metadata={"description": "Markdown source (authors only)"})
    attachments = fields.List(fields.Nested(AttachmentSchema))

    def _body_md(self, module):
        return module.body_md if can_author(current_user) else None


class CourseSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    summary = fields.String()
    published = fields.Boolean()
    position = fields.Integer()
    cover_url = fields.String(allow_none=True)
    updated_at = fields.DateTime()


class CourseDetailSchema(CourseSchema):
    modules = fields.List(fields.Nested(ModuleSummarySchema))


class CourseInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    summary = fields.String(load_default=None, validate=validate.Length(max=2000))
    published = fields.Boolean(load_default=None)
    position = fields.Integer(load_default=None, validate=validate.Range(min=0, max=10000))


class CoursePatchSchema(CourseInSchema):
    title = fields.String(load_default=None, validate=validate.Length(min=1, max=200))


class ModuleInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body_md = fields.String(load_default=None, validate=validate.Length(max=MAX_SOURCE_CHARS),
                            metadata={"description": "Markdown; sanitised HTML is rendered"})
    estimated_minutes = fields.Integer(load_default=None, validate=validate.Range(min=1, max=600))
    completion_rule = fields.String(load_default=None, validate=validate.OneOf(COMPLETION_RULES))
    min_posts = fields.Integer(load_default=None, validate=validate.Range(min=0, max=100))
    watch_percent = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100))
    published = fields.Boolean(load_default=None)
    position = fields.Integer(load_default=None, validate=validate.Range(min=0, max=10000))


class ModulePatchSchema(ModuleInSchema):
    title = fields.String(load_default=None, validate=validate.Length(min=1, max=200))


# --- helpers --------------------------------------------------------------------------------


def _covers(course_ids) -> dict[int, Attachment]:
    if not course_ids:
        return {}
    return {a.course_id: a for a in db.session.scalars(select(Attachment).where(
        Attachment.course_id.in_(course_ids), Attachment.purpose == "cover"))}


def _course_body(course: Course, cover: Attachment | None) -> dict:
    return {
        "id": course.id, "title": course.title, "summary": course.summary,
        "published": course.published, "position": course.position,
        "updated_at": course.updated_at,
        "cover_url": url_for("catalog.file", attachment_id=cover.id, name=cover.original_name)
        if cover else None,
    }


def _refuse(error: services.CatalogError):
    abort(422, message=str(error), errors={"json": {error.field: [str(error)]}})


def _drop_none(args: dict) -> dict:
    return {k: v for k, v in args.items() if v is not None}


def _load_course(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    require(course is not None and can_view_course(current_user, course))
    return course


def _load_module(module_id: int) -> Module:
    module = db.session.scalar(select(Module).where(Module.id == module_id).options(
        joinedload(Module.course), selectinload(Module.attachments)))
    require(module is not None and can_view_module(current_user, module))
    return module


# --- endpoints ------------------------------------------------------------------------------


@blp.get("/courses")
@blp.response(200, CourseSchema(many=True))
def list_courses():
    """The courses the caller may view: admins all, leaders published ones, members theirs."""
    courses = db.session.scalars(viewable_courses_select(current_user)
                                 .order_by(Course.position, Course.id)).all()
    covers = _covers([c.id for c in courses])
    return [_course_body(c, covers.get(c.id)) for c in courses]


@blp.post("/courses")
@api_requires(can_author)
@blp.arguments(CourseInSchema)
@blp.response(201, CourseSchema)
def create_course(args):
    """Create a course (admins). A draft unless `published` is true."""
    try:
        course = services.create_course(actor=current_user, **_drop_none(args))
    except services.CatalogError as error:
        _refuse(error)
    return _course_body(course, None)


@blp.get("/courses/<int:course_id>")
@blp.response(200, CourseDetailSchema)
def get_course(course_id: int):
    """A course with the modules the caller may view."""
    course = _load_course(course_id)
    body = _course_body(course, _covers([course.id]).get(course.id))
    body["modules"] = viewable_modules(current_user, course)
    return body


@blp.patch("/courses/<int:course_id>")
@api_requires(can_author)
@blp.arguments(CoursePatchSchema)
@blp.response(200, CourseSchema)
def update_course(args, course_id: int):
    """Change a course's title, summary, order or published flag (admins)."""
    course = _load_course(course_id)
    try:
        services.update_course(course, actor=current_user, **_drop_none(args))
    except services.CatalogError as error:
        _refuse(error)
    return _course_body(course, _covers([course.id]).get(course.id))


@blp.post("/courses/<int:course_id>/modules")
@api_requires(can_author)
@blp.arguments(ModuleInSchema)
@blp.response(201, ModuleSchema)
def create_module(args, course_id: int):
    """Add a module to a course (admins): Markdown in, sanitised HTML rendered at save."""
    course = _load_course(course_id)
    try:
        module = services.create_module(course, actor=current_user, **_drop_none(args))
    except services.CatalogError as error:
        _refuse(error)
    return module


@blp.get("/modules/<int:module_id>")
@blp.response(200, ModuleSchema)
def get_module(module_id: int):
    """A module's metadata, its sanitised HTML body and its attachments."""
    return _load_module(module_id)


@blp.patch("/modules/<int:module_id>")
@api_requires(can_author)
@blp.arguments(ModulePatchSchema)
@blp.response(200, ModuleSchema)
def update_module(args, module_id: int):
    """Change a module (admins); a changed title or body keeps the old version as a revision."""
    module = _load_module(module_id)
    try:
        services.update_module(module, actor=current_user, **_drop_none(args))
    except services.CatalogError as error:
        _refuse(error)
    return module
