"""API: weekly series CRUD and "create the next period now"; same services and policies as the
pages. Days and times are local to the site's time zone (BABEL_DEFAULT_TIMEZONE)."""

from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from courses.models import Course
from courses.series import services
from courses.series.permissions import can_list_series, can_manage_series, series_unit_ids
from learning.api import api_blueprint, api_requires
from learning.extensions import db
from learning.orgs.models import OrgUnit
from learning.permissions import can_manage_unit, can_view_unit

blp = api_blueprint("api_series", __name__, "Weekly series")

WEEKDAY = fields.Integer(validate=validate.Range(min=0, max=6))


class SeriesPeriodSchema(Schema):
    number = fields.Integer(metadata={"description": "第N期"})
    release_on = fields.Date()
    module_id = fields.Integer()
    assignment_id = fields.Integer()
    title = fields.String()
    starts_at = fields.DateTime()
    due_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    state = fields.String(metadata={"enum": ["upcoming", "open", "due", "closed"]})


class SeriesSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    course_id = fields.Integer()
    unit_id = fields.Integer()
    module_ids = fields.List(fields.Integer(), metadata={
        "description": "the chosen modules in release order; empty: the course's published "
                       "modules in course order"})
    weekdays = fields.List(fields.Integer(), metadata={"description": "0 = Monday … 6 = Sunday"})
    starts_on = fields.Date()
    start_time = fields.Time()
    due_days = fields.Integer()
    due_time = fields.Time()
    first_number = fields.Integer()
    skipped = fields.List(fields.String(), metadata={
        "description": "skipped release days (2026-10-05) and weeks (2026-W41)"})
    active = fields.Boolean()
    periods = fields.List(fields.Nested(SeriesPeriodSchema))


class SeriesChangeSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=80))
    module_ids = fields.List(fields.Integer(), validate=validate.Length(max=500))
    weekdays = fields.List(WEEKDAY, validate=validate.Length(min=1, max=7))
    starts_on = fields.Date()
    start_time = fields.Time(metadata={"example": "00:00:00"})
    due_days = fields.Integer(validate=validate.Range(min=0, max=60))
    due_time = fields.Time(metadata={"example": "22:00:00"})
    first_number = fields.Integer(validate=validate.Range(min=1, max=100_000))
    skipped = fields.List(fields.String(validate=validate.Length(max=40)),
                          validate=validate.Length(max=services.MAX_SKIPPED))
    active = fields.Boolean()


class SeriesCreateSchema(SeriesChangeSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=80))
    course_id = fields.Integer(required=True)
    unit_id = fields.Integer(required=True)
    starts_on = fields.Date(required=True)


def series_body(series) -> dict:
    """The series as the API shows it (periods with their assignments' times and state)."""
    return {
        "id": series.id, "title": series.title, "course_id": series.course_id,
        "unit_id": series.unit_id, "module_ids": [c.module_id for c in series.chosen],
        "weekdays": [int(d) for d in series.weekdays], "starts_on": series.starts_on,
        "start_time": series.start_time, "due_days": series.due_days,
        "due_time": series.due_time, "first_number": series.first_number,
        "skipped": list(series.skipped or []), "active": series.active,
        "periods": [period_body(p) for p in series.periods],
    }


def period_body(period) -> dict:
    """One period as the API shows it: its assignment's title, times and state."""
    a = period.assignment
    return {"number": period.number, "release_on": period.release_on,
            "module_id": period.module_id, "assignment_id": period.assignment_id,
            "title": a.title, "starts_at": a.starts_at, "due_at": a.due_at,
            "closed_at": a.closed_at, "state": services.period_state(period)}


def _refused(error: services.SeriesError):
    abort(422, message=str(error), errors={"json": {error.field_name or "title": [str(error)]}})


def _manageable(series_id: int):
    series = services.get_series_or_404(series_id, current_user)
    if not can_manage_series(current_user, series):
        abort(403)
    return series


@blp.get("/series")
@api_requires(can_list_series)
@blp.response(200, SeriesSchema(many=True))
def list_series():
    """The series of the units in my scope (admins: all), newest first."""
    return [series_body(s) for s in services.series_in_scope(series_unit_ids(current_user))]


@blp.post("/series")
@api_requires(can_list_series)
@blp.arguments(SeriesCreateSchema)
@blp.response(201, SeriesSchema)
def create_series(args):
    """Create a series for a unit in my scope: a published course (or chosen modules of it)
    released one module per release day as periods 第N期 of the unit."""
    unit = db.session.get(OrgUnit, args.pop("unit_id"))
    if unit is None or not can_view_unit(current_user, unit):
        abort(404, message="No such unit in your scope.")
    if not can_manage_unit(current_user, unit):
        abort(403)
    course = db.session.get(Course, args.pop("course_id"))
    if course is None:
        abort(422, errors={"json": {"course_id": ["No such course."]}})
    try:
        series = services.create_series(
            services.SeriesInput(course_id=course.id, unit_id=unit.id, **args),
            actor=current_user, unit=unit, course=course)
    except services.SeriesError as error:
        _refused(error)
    return series_body(services.load_series(series.id))


@blp.get("/series/<int:series_id>")
@api_requires(can_list_series)
@blp.response(200, SeriesSchema)
def get_series(series_id: int):
    """A series with its periods."""
    return series_body(services.get_series_or_404(series_id, current_user))


@blp.patch("/series/<int:series_id>")
@api_requires(can_list_series)
@blp.arguments(SeriesChangeSchema)
@blp.response(200, SeriesSchema)
def update_series(args, series_id: int):
    """Change a series; only the periods not created yet follow. The first release day, first
    number and modules are fixed once a period exists (422)."""
    series = _manageable(series_id)
    try:
        services.update_series(series, actor=current_user, **args)
    except services.SeriesError as error:
        _refused(error)
    db.session.expire_all()
    return series_body(services.load_series(series_id))


@blp.delete("/series/<int:series_id>")
@api_requires(can_list_series)
@blp.response(204)
def delete_series(series_id: int):
    """Delete a series; its periods stay as assignments with their figures."""
    services.delete_series(_manageable(series_id), actor=current_user)


@blp.post("/series/<int:series_id>/periods")
@api_requires(can_list_series)
@blp.response(201, SeriesPeriodSchema)
@blp.alt_response(409, description="nothing left to release")
def release_next(series_id: int):
    """Create the next period now, whatever its release day (the scheduled run creates it
    SERIES_AHEAD_DAYS ahead); 422 when the assignment is refused, naming why."""
    series = _manageable(series_id)
    try:
        period = services.create_next_period(series, actor=current_user)
    except services.SeriesError as error:
        _refused(error)
    if period is None:
        abort(409, message="Nothing left to release: every module of the series has its period.")
    return period_body(period)
