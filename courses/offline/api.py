"""API: Offline group lessons recorded by leaders (same services and rules as the pages)."""

from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, fields

from courses.models import OfflineLesson
from courses.offline import services
from courses.permissions import can_correct_offline, can_list_offline_lessons, can_record_offline
from learning.api import api_blueprint, api_requires
from learning.extensions import db
from learning.orgs.models import OrgUnit

blp = api_blueprint("api_offline", __name__, "Offline group lessons")


class LessonSchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    unit_name = fields.String()
    held_on = fields.Date()
    place = fields.String()
    topic = fields.String()
    notes = fields.String()
    module_ids = fields.List(fields.Integer())
    attendee_ids = fields.List(fields.Integer())
    recorded_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    revisions = fields.Integer(metadata={"description": "number of corrections"})


class LessonPatchSchema(Schema):
    """The fields as read; their rules are the service's (courses/offline/services.py), so the
    API reports every problem at once, in the same words as the page."""

    held_on = fields.Date(metadata={
        "description": "not in the future, at most OFFLINE_BACKDATE_DAYS days back"})
    place = fields.String(metadata={"description": f"1 to {services.PLACE_MAX} characters"})
    topic = fields.String(metadata={"description": f"at most {services.TOPIC_MAX} characters"})
    notes = fields.String(metadata={"description": f"at most {services.NOTES_MAX} characters"})
    module_ids = fields.List(fields.Integer(), metadata={"description": "at least one"})
    attendee_ids = fields.List(fields.Integer(), metadata={"description": "at least one"})


class LessonCreateSchema(LessonPatchSchema):
    unit_id = fields.Integer(required=True)
    held_on = fields.Date(required=True)
    place = fields.String(required=True)
    module_ids = fields.List(fields.Integer(), required=True)
    attendee_ids = fields.List(fields.Integer(), required=True)


class LessonListArgs(Schema):
    unit_id = fields.Integer(metadata={"description": "only this unit's lessons"})


def _body(lesson: OfflineLesson, revision_count: int = 0) -> dict:
    return {"id": lesson.id, "unit_id": lesson.unit_id, "unit_name": lesson.unit.name,
            "held_on": lesson.held_on, "place": lesson.place, "topic": lesson.topic,
            "notes": lesson.notes, "module_ids": sorted(m.id for m in lesson.modules),
            "attendee_ids": sorted(u.id for u in lesson.attendees),
            "recorded_by_id": lesson.recorded_by_id, "created_at": lesson.created_at,
            "updated_at": lesson.updated_at, "revisions": revision_count}


def _refuse(error: services.OfflineError):
    db.session.rollback()
    abort(422, message=str(error), errors={"json": error.errors})


def _lesson_or_404(lesson_id: int) -> OfflineLesson:
    lesson = db.session.get(OfflineLesson, lesson_id)
    if lesson is None or not can_correct_offline(current_user, lesson):
        abort(404)
    return lesson


@blp.post("/offline-lessons")
@api_requires(can_list_offline_lessons)
@blp.arguments(LessonCreateSchema)
@blp.response(201, LessonSchema)
def create_lesson(args):
    """Record an offline lesson for a unit in the caller's scope; completes its modules for the
    attendees (offline). A unit outside the scope answers 404 like a missing one."""
    unit = db.session.get(OrgUnit, args["unit_id"])
    if unit is None or not can_record_offline(current_user, unit):
        abort(404, message="No such unit in your scope.")
    data = services.LessonInput(
        held_on=args["held_on"], place=args["place"], topic=args.get("topic", ""),
        notes=args.get("notes", ""), module_ids=args["module_ids"],
        attendee_ids=args["attendee_ids"])
    try:
        lesson = services.record_lesson(unit, data, current_user)
    except services.OfflineError as error:
        _refuse(error)
    return _body(lesson)


@blp.get("/offline-lessons")
@api_requires(can_list_offline_lessons)
@blp.arguments(LessonListArgs, location="query")
@blp.response(200, LessonSchema(many=True))
@blp.paginate()
def list_lessons(args, pagination_parameters):
    """Lessons of the units in the caller's scope, newest first (paginated)."""
    query = services.lessons_in_scope_select(current_user)
    if args.get("unit_id"):
        query = query.where(OfflineLesson.unit_id == args["unit_id"])
    page = db.paginate(query, page=pagination_parameters.page,
                       per_page=pagination_parameters.page_size, error_out=False)
    pagination_parameters.item_count = page.total
    counts = services.revision_counts([lesson.id for lesson in page.items])
    return [_body(lesson, counts.get(lesson.id, 0)) for lesson in page.items]


@blp.get("/offline-lessons/<int:lesson_id>")
@api_requires(can_list_offline_lessons)
@blp.response(200, LessonSchema)
def get_lesson(lesson_id: int):
    """One lesson record in the caller's scope."""
    lesson = _lesson_or_404(lesson_id)
    return _body(lesson, services.revision_counts([lesson.id]).get(lesson.id, 0))


@blp.patch("/offline-lessons/<int:lesson_id>")
@api_requires(can_list_offline_lessons)
@blp.arguments(LessonPatchSchema)
@blp.response(200, LessonSchema)
def correct_lesson(args, lesson_id: int):
    """Correct a lesson (fields left out keep their value); the previous state is kept as a
    revision and completions follow the correction rule of courses/offline/services.py."""
    lesson = _lesson_or_404(lesson_id)
    data = services.LessonInput(
        held_on=args.get("held_on", lesson.held_on), place=args.get("place", lesson.place),
        topic=args.get("topic", lesson.topic), notes=args.get("notes", lesson.notes),
        module_ids=args.get("module_ids", [m.id for m in lesson.modules]),
        attendee_ids=args.get("attendee_ids", [u.id for u in lesson.attendees]))
    try:
        services.correct_lesson(lesson, data, current_user)
    except services.OfflineError as error:
        _refuse(error)
    return _body(lesson, services.revision_counts([lesson.id]).get(lesson.id, 0))
