"""API: Assignments with study periods, 「我的学习」, the module page and reading progress.

Same services and policies as the pages. Reading time is measured by the server: the heartbeat
and complete endpoints read nothing from the request body.
"""

from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from courses.catalog.api import AttachmentSchema
from courses.models import COMPLETION_RULES, Assignment, Course, Module
from courses.permissions import (
    can_assign,
    can_manage_assignment,
    can_view_assignment,
    can_view_module,
)
from courses.study import services
from learning.api import api_blueprint, api_requires
from learning.extensions import db
from learning.orgs.models import OrgUnit
from learning.permissions import can_view_unit, is_admin, is_leader

blp = api_blueprint("api_study", __name__, "Assignments, my study and progress")


class StudyProgressSchema(Schema):
    first_opened_at = fields.DateTime(allow_none=True)
    last_seen_at = fields.DateTime(allow_none=True)
    seconds_spent = fields.Integer(metadata={"description": "reading time credited by the server"})
    completed_at = fields.DateTime(allow_none=True)
    completed_via = fields.String(allow_none=True)


class AssignmentSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    course_id = fields.Integer()
    course_title = fields.String()
    module_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer()
    starts_at = fields.DateTime()
    due_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class MyStudyAssignmentSchema(AssignmentSchema):
    status = fields.String(metadata={"enum": list(services.STATUSES)})
    current = fields.Boolean(metadata={"description": "open and not yet due"})
    modules_total = fields.Integer()
    modules_completed = fields.Integer()
    module_ids = fields.List(fields.Integer())


class StudyModuleSchema(Schema):
    id = fields.Integer()
    course_id = fields.Integer()
    title = fields.String()
    body_html = fields.String(metadata={"description": "sanitised HTML, rendered at save time"})
    estimated_minutes = fields.Integer()
    completion_rule = fields.String(metadata={"enum": list(COMPLETION_RULES)})
    required_seconds = fields.Integer(allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema))
    previous_module_id = fields.Integer(allow_none=True)
    next_module_id = fields.Integer(allow_none=True)
    progress = fields.Nested(StudyProgressSchema)


class StudyCompleteResultSchema(Schema):
    completed = fields.Boolean()
    newly_completed = fields.Boolean()
    remaining_seconds = fields.Integer()
    message = fields.String()
    progress = fields.Nested(StudyProgressSchema)


class AssignmentCreateSchema(Schema):
    course_id = fields.Integer(required=True)
    module_id = fields.Integer(load_default=None, allow_none=True)
    unit_id = fields.Integer(required=True)
    title = fields.String(load_default="", validate=validate.Length(max=100))
    starts_at = fields.AwareDateTime(required=True,
                                     metadata={"example": "2025-03-01T08:00:00+08:00"})
    due_at = fields.AwareDateTime(required=True)


class AssignmentExtendSchema(Schema):
    due_at = fields.AwareDateTime(required=True, metadata={
        "description": "the new due time, later than the current one"})


def _assignment_body(a: Assignment) -> dict:
    return {"id": a.id, "title": a.title, "course_id": a.course_id,
            "course_title": a.course.title, "module_id": a.module_id, "unit_id": a.unit_id,
            "starts_at": a.starts_at, "due_at": a.due_at, "closed_at": a.closed_at}


def _load_module(module_id: int) -> Module:
    module = services.load_module(module_id)
    if module is None or not can_view_module(current_user, module):
        abort(404)
    return module


@blp.get("/study/assignments")
@blp.response(200, MyStudyAssignmentSchema(many=True))
def my_assignments():
    """My assignments (current and past) with status and progress counts."""
    return [{**_assignment_body(i.assignment), "status": i.status, "current": i.current,
             "modules_total": i.total, "modules_completed": i.completed,
             "module_ids": i.module_ids} for i in services.my_study(current_user)]


@blp.get("/study/modules/<int:module_id>")
@blp.response(200, StudyModuleSchema)
def module_content(module_id: int):
    """A module's content and my progress; opening it counts as a visit."""
    module = _load_module(module_id)
    row = services.record_visit(current_user, module)
    prev_mod, next_mod = services.neighbours(
        current_user, module, is_admin(current_user) or is_leader(current_user))
    return {
        "id": module.id, "course_id": module.course_id, "title": module.title,
        "body_html": module.body_html, "estimated_minutes": module.estimated_minutes,
        "completion_rule": module.completion_rule,
        "required_seconds": (services.required_seconds(module)
                             if module.completion_rule == "reading" else None),
        "attachments": module.attachments,
        "previous_module_id": prev_mod.id if prev_mod else None,
        "next_module_id": next_mod.id if next_mod else None,
        "progress": row,
    }


@blp.post("/study/modules/<int:module_id>/heartbeat")
@blp.response(200, StudyProgressSchema)
def heartbeat(module_id: int):
    """Still reading: the server credits the time since my last request (capped)."""
    return services.heartbeat(current_user, _load_module(module_id))


@blp.post("/study/modules/<int:module_id>/complete")
@blp.response(200, StudyCompleteResultSchema)
def complete(module_id: int):
    """Confirm a module: completes it if its rule allows (completed=false says why not)."""
    result = services.confirm(current_user, _load_module(module_id))
    return {"completed": result.completed, "newly_completed": result.newly,
            "remaining_seconds": max(0, result.remaining_seconds),
            "message": result.message, "progress": result.progress}


@blp.post("/assignments")
@api_requires(lambda user: is_admin(user) or is_leader(user))
@blp.arguments(AssignmentCreateSchema)
@blp.response(201, AssignmentSchema)
@blp.alt_response(409, description="the same study is already assigned to the unit for an "
                  "overlapping open period (errors.existing_assignment_id names it)")
def create_assignment(args):
    """Assign a published course (or one module) to a unit in my scope (admins: any unit).

    The same course (or module) assigned to the same unit for an overlapping open period is
    refused with 409: extend that period instead (POST /assignments/<id>/extend)."""
    unit = db.session.get(OrgUnit, args["unit_id"])
    if unit is None or not can_view_unit(current_user, unit):
        abort(404, message="No such unit in your scope.")
    if not can_assign(current_user, unit):
        abort(403)
    course = db.session.get(Course, args["course_id"])
    if course is None:
        abort(422, errors={"json": {"course_id": ["No such course."]}})
    module = None
    if args["module_id"] is not None:
        module = db.session.get(Module, args["module_id"])
        if module is None:
            abort(422, errors={"json": {"module_id": ["No such module."]}})
    try:
        assignment = services.create_assignment(
            actor=current_user, course=course, unit=unit, module=module, title=args["title"],
            starts_at=args["starts_at"], due_at=args["due_at"])
    except services.DuplicateAssignment as error:
        abort(409, message=str(error), errors={"json": {"course_id": [str(error)]},
                                               "existing_assignment_id": error.existing.id})
    except services.AssignmentError as error:
        abort(422, message=str(error),
              errors={"json": {error.field_name or "course_id": [str(error)]}})
    return _assignment_body(assignment)


@blp.post("/assignments/<int:assignment_id>/extend")
@api_requires(lambda user: is_admin(user) or is_leader(user))
@blp.arguments(AssignmentExtendSchema)
@blp.response(200, AssignmentSchema)
def extend_assignment(args, assignment_id: int):
    """Give an open study period a later due time (a closed one is frozen: 422)."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not can_view_assignment(current_user, assignment):
        abort(404)
    if not can_manage_assignment(current_user, assignment):
        abort(403)
    try:
        services.extend_assignment(assignment, args["due_at"], actor=current_user)
    except services.AssignmentError as error:
        abort(422, message=str(error), errors={"json": {"due_at": [str(error)]}})
    return _assignment_body(assignment)


@blp.post("/assignments/<int:assignment_id>/close")
@blp.response(200, AssignmentSchema)
@blp.alt_response(409, description="the period was already closed")
def close_assignment(assignment_id: int):
    """Close a study period by hand and freeze its roster."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not can_view_assignment(current_user, assignment):
        abort(404)
    if not can_manage_assignment(current_user, assignment):
        abort(403)
    if not services.close_assignment(assignment, actor=current_user):
        abort(409, message="This period was already closed.")
    db.session.refresh(assignment)
    return _assignment_body(assignment)
