"""API: completion reports, 未学名单, exports and reminders (same services as the pages).

Every endpoint is for leaders and admins: anyone else gets 403 before anything is loaded. A unit
outside the caller's subtree, or an assignment that does not concern the unit, is a 404 like a
missing one. Rates are fractions from 0 to 1 (null for an empty roster); quiz scores are
percents from 0 to 100. Dates in the query (`from`, `to`) are days in the site's time zone.
"""


from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from courses.models import Assignment
from courses.study.services import STATUSES, now
from learning.api import api_blueprint
from learning.errors import json_error
from learning.extensions import db
from learning.orgs.models import OrgUnit
from learning.orgs.services import unit_paths
from learning.permissions import can_remind, is_admin, is_leader, require
from learning.reports import exports, figures, overview, reminders, services
from learning.reports.models import Reminder
from learning.reports.services import (
    assignment_at_unit_or_404,
    concerns,
    date_range,
    export_download,
    report_units,
    target_rate,
    unit_or_404,
)

blp = api_blueprint("api_reports", __name__, "Completion reports, 未学名单, exports, reminders")

MAX_PER_PAGE = 200


@blp.before_request
def _leaders_only():
    # Runs after api_blueprint's log-in check (401 first): reports are for leaders and admins,
    # checked once here so that a new route cannot forget it.
    if not (is_admin(current_user) or is_leader(current_user)):
        return json_error(403)
    return None


# --- schemas -----------------------------------------------------------------------------------


class ReportUnitSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    path = fields.String(metadata={"description": "readable path, e.g. 团委/一支部/一组"})


class FiguresSchema(Schema):
    unit_id = fields.Integer()
    name = fields.String()
    roster = fields.Integer(metadata={"description": "members counted (frozen when closed)"})
    completed = fields.Integer(metadata={"description": "completed by the due time"})
    in_progress = fields.Integer()
    not_started = fields.Integer()
    late = fields.Integer(metadata={"description": "past due and not done, or done late"})
    late_completed = fields.Integer(metadata={"description": "of late: done after the due time"})
    rate = fields.Float(allow_none=True, metadata={
        "description": "completed / roster, 0 to 1; null for an empty roster"})
    rank = fields.Integer(allow_none=True, metadata={
        "description": "among siblings by rate, equal rates share a rank (1, 1, 3)"})
    direct = fields.Boolean(metadata={
        "description": "the members counted in the unit itself (直属成员), not a child unit"})


class ReportAssignmentSchema(Schema):
    id = fields.Integer()
    title = fields.String(metadata={"description": "course · module (period title)"})
    period_title = fields.String()
    course_id = fields.Integer()
    course_title = fields.String()
    module_id = fields.Integer(allow_none=True)
    module_title = fields.String(allow_none=True)
    unit_id = fields.Integer(metadata={"description": "the unit it was assigned to"})
    unit_name = fields.String()
    starts_at = fields.DateTime()
    due_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class PeriodSchema(Schema):
    assignment = fields.Nested(ReportAssignmentSchema)
    totals = fields.Nested(FiguresSchema, metadata={"description": "its figures at the unit"})
    course = fields.String(metadata={"description": "course · module when one was assigned"})
    unit_path = fields.String(metadata={"description": "the assigned unit, full path"})
    unit_label = fields.String(allow_none=True, metadata={
        "description": "assigned below the unit: its path from there; else null"})


class UnitOverviewSchema(Schema):
    unit = fields.Nested(ReportUnitSchema)
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    assignments = fields.List(fields.Nested(PeriodSchema), metadata={
        "description": "the unit's own periods due in the range (assigned to it or above it: "
                       "everyone counted here studies them), by due time; totals, children "
                       "and direct add up these only"})
    sub_unit_assignments = fields.List(fields.Nested(PeriodSchema), metadata={
        "description": "periods due in the range that units below assigned to their own "
                       "people: a different study, never added to totals or children"})
    totals = fields.Nested(FiguresSchema, metadata={"description": "all of them added up"})
    children = fields.List(fields.Nested(FiguresSchema), metadata={
        "description": "one row per child unit, all the assignments added up"})
    direct = fields.Nested(FiguresSchema, allow_none=True, metadata={
        "description": "the members counted in the unit itself (直属成员), all the assignments "
                       "added up; children and direct add up to totals"})
    target = fields.Float(metadata={"description": "the rate a unit should reach, 0 to 1"})
    generated_at = fields.DateTime()


class UnitReportSchema(Schema):
    assignment = fields.Nested(ReportAssignmentSchema)
    unit = fields.Nested(ReportUnitSchema)
    totals = fields.Nested(FiguresSchema)
    children = fields.List(fields.Nested(FiguresSchema), metadata={
        "description": "one row per child unit, in tree order"})
    direct = fields.Nested(FiguresSchema, allow_none=True, metadata={
        "description": "the members counted in the unit itself (直属成员) when it has child "
                       "units; children and direct add up to totals"})
    target = fields.Float(metadata={"description": "the rate a unit should reach, 0 to 1"})
    generated_at = fields.DateTime()


class MemberRowSchema(Schema):
    user_id = fields.Integer()
    name = fields.String()
    username = fields.String()
    unit_id = fields.Integer(metadata={"description": "the unit the member is counted in"})
    unit_name = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    done = fields.Integer(metadata={"description": "modules completed"})
    total = fields.Integer(metadata={"description": "modules the assignment counts"})
    last_completed_at = fields.DateTime(allow_none=True)
    last_via = fields.String(allow_none=True, metadata={
        "description": "reading | confirm | quiz | offline | posts"})
    best_score = fields.Float(allow_none=True, metadata={"description": "best quiz score, %"})
    posts = fields.Integer()
    entered_late = fields.Boolean(metadata={
        "description": "补录: an offline lesson was entered for the member after the due time"})
    watching = fields.String(allow_none=True, metadata={
        "enum": ["not_watched", "not_finished", "not_answered", None],
        "description": "in the 未学名单 only: what is missing of the first video module not "
                       "done: 未观看 not_watched, 未看完 not_finished, 未答题 not_answered"})


class PageArgs(Schema):
    """Which page of a list, and how long a page is."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageSchema(Schema):
    """Where a page of a list stands."""

    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


class MembersArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class MemberPageSchema(PageSchema):
    members = fields.List(fields.Nested(MemberRowSchema), metadata={
        "description": "in tree order, then by name"})


class ModuleLineSchema(Schema):
    module_id = fields.Integer()
    rule = fields.String(metadata={"description": "the module's completion rule",
                                   "enum": ["reading", "confirm", "quiz", "posts"]})
    reason = fields.String(metadata={
        "description": "how it was completed, or what its rule still asks, in the reader's "
                       "language (e.g. 测验 100% — 本单元需直接确认)"})
    title = fields.String()
    opened = fields.Boolean()
    completed_at = fields.DateTime(allow_none=True)
    via = fields.String(allow_none=True)
    late = fields.Boolean(metadata={"description": "completed after the due time"})
    best_score = fields.Float(allow_none=True, metadata={"description": "the module's quiz, %"})
    attempts = fields.Integer(metadata={"description": "finished quiz attempts"})
    posts = fields.Integer()


class MemberDetailSchema(Schema):
    assignment = fields.Nested(ReportAssignmentSchema)
    member = fields.Nested(MemberRowSchema)
    modules = fields.List(fields.Nested(ModuleLineSchema))


class NotCompletedGroupSchema(Schema):
    unit_id = fields.Integer()
    unit_name = fields.String()
    leaders = fields.List(fields.String(), metadata={"description": "the unit's leaders"})
    members = fields.List(fields.Nested(MemberRowSchema))


class NotPassedMemberSchema(MemberRowSchema):
    quiz_score = fields.Float(allow_none=True, metadata={
        "description": "the member's grade on this quiz by its grading method, %; null when "
                       "they finished no attempt (or it awaits hand grading)"})
    quiz_attempts = fields.Integer(metadata={"description": "finished attempts at this quiz"})


class NotPassedGroupSchema(NotCompletedGroupSchema):
    members = fields.List(fields.Nested(NotPassedMemberSchema))


class QuizNotPassedSchema(Schema):
    quiz_id = fields.Integer()
    title = fields.String()
    pass_mark = fields.Float(metadata={"description": "%"})
    groups = fields.List(fields.Nested(NotPassedGroupSchema))


class NotCompletedSchema(Schema):
    assignment = fields.Nested(ReportAssignmentSchema)
    unit = fields.Nested(ReportUnitSchema)
    count = fields.Integer(metadata={"description": "members who have not completed"})
    groups = fields.List(fields.Nested(NotCompletedGroupSchema), metadata={
        "description": "未学名单 by the unit the members are counted in"})
    not_passed = fields.List(fields.Nested(QuizNotPassedSchema), metadata={
        "description": "per quiz of the assignment, who has not passed it"})
    paste_text = fields.String(metadata={"description": "the 未学名单 to paste into a chat"})
    generated_at = fields.DateTime()


class CsvArgs(Schema):
    kind = fields.String(load_default="summary", validate=validate.OneOf(exports.KINDS))


class ReminderCreateSchema(Schema):
    message = fields.String(load_default="", metadata={
        "description": f"the sender's own words, at most {reminders.MESSAGE_MAX} characters"})


class ReminderSentSchema(Schema):
    id = fields.Integer()
    assignment_id = fields.Integer()
    unit_id = fields.Integer()
    message = fields.String()
    recipient_count = fields.Integer()
    created_at = fields.DateTime()
    paste_text = fields.String(metadata={"description": "the 未学名单 to paste into a chat"})


class ReminderLogArgs(PageArgs):
    unit_id = fields.Integer(load_default=None, metadata={
        "description": "only reminders about this unit and the units below it"})
    assignment_id = fields.Integer(load_default=None)


class ReminderLogSchema(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    sender_id = fields.Integer(allow_none=True)
    sender_name = fields.String(allow_none=True)
    unit_id = fields.Integer()
    unit_name = fields.String()
    assignment_id = fields.Integer()
    assignment_title = fields.String()
    message = fields.String()
    recipient_count = fields.Integer()
    recipients = fields.List(fields.String(), metadata={"description": "names"})


class ReminderPageSchema(PageSchema):
    reminders = fields.List(fields.Nested(ReminderLogSchema), metadata={
        "description": "newest first"})


class RangeArgs(Schema):
    date_from = fields.Date(data_key="from", load_default=None, metadata={
        "description": f"first due day (default: {services.DAYS_BACK} days ago)"})
    date_to = fields.Date(data_key="to", load_default=None, metadata={
        "description": f"last due day, included (default: in {services.DAYS_AHEAD} days)"})

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data["date_from"] and data["date_to"] and data["date_from"] > data["date_to"]:
            raise ValidationError(_("The end date is before the start date."), "to")


# --- helpers ------------------------------------------------------------------------------------


def _unit_body(unit: OrgUnit) -> dict:
    """A unit as ReportUnitSchema shows it (one query for the readable path)."""
    return {"id": unit.id, "name": unit.name, "path": unit_paths([unit])[unit.id]}


def _assignment_body(a: Assignment) -> dict:
    """An assignment as ReportAssignmentSchema shows it."""
    return {"id": a.id, "title": reminders.assignment_title(a), "period_title": a.title,
            "course_id": a.course_id, "course_title": a.course.title, "module_id": a.module_id,
            "module_title": a.module.title if a.module is not None else None,
            "unit_id": a.unit_id, "unit_name": a.unit.name, "starts_at": a.starts_at,
            "due_at": a.due_at, "closed_at": a.closed_at}



_DOWNLOAD = {"description": "an attachment; Content-Disposition carries a UTF-8 file name"}


# --- endpoints ----------------------------------------------------------------------------------


@blp.get("/reports/units")
@blp.response(200, ReportUnitSchema(many=True))
def report_start_units():
    """Where my reports start: the top units I lead (the roots for admins)."""
    units = report_units(current_user)
    paths = unit_paths(units)
    return [{"id": u.id, "name": u.name, "path": paths[u.id]} for u in units]


@blp.get("/reports/units/<int:unit_id>")
@blp.arguments(RangeArgs, location="query")
@blp.response(200, UnitOverviewSchema)
def unit_overview(args, unit_id: int):
    """The assignments due in a date range that concern a unit, each with its totals there:
    the unit's own periods with the child units' figures over them, and apart from them the
    periods its sub-units assigned themselves (as on the page)."""
    unit = unit_or_404(current_user, unit_id)
    first, last, start, end = date_range(args["date_from"], args["date_to"])
    found = overview.range_overview(unit, start, end)
    report = found.report

    def period(line: overview.PeriodLine) -> dict:
        return {"assignment": _assignment_body(line.assignment), "totals": line.figures,
                "course": line.course, "unit_path": line.unit_path,
                "unit_label": line.unit_label}

    return {"unit": _unit_body(unit), "date_from": first, "date_to": last,
            "assignments": [period(line) for line in found.own],
            "sub_unit_assignments": [period(line) for line in found.below],
            "totals": report.unit, "children": report.children, "direct": report.direct,
            "target": target_rate(), "generated_at": now()}


@blp.get("/reports/assignments/<int:assignment_id>/units/<int:unit_id>")
@blp.response(200, UnitReportSchema)
def assignment_report(assignment_id: int, unit_id: int):
    """An assignment's report at a unit: its totals and a ranked row per child unit."""
    assignment, unit = assignment_at_unit_or_404(current_user, assignment_id, unit_id)
    report = figures.unit_report(assignment, unit)
    return {"assignment": _assignment_body(assignment), "unit": _unit_body(unit),
            "totals": report.unit, "children": report.children, "direct": report.direct,
            "target": target_rate(), "generated_at": now()}


@blp.get("/reports/assignments/<int:assignment_id>/units/<int:unit_id>/members")
@blp.arguments(MembersArgs, location="query")
@blp.response(200, MemberPageSchema)
def report_members(args, assignment_id: int, unit_id: int):
    """The roster members at or below a unit with their progress (one page, optionally of
    one status)."""
    assignment, unit = assignment_at_unit_or_404(current_user, assignment_id, unit_id)
    status, page, per_page = args["status"], args["page"], args["per_page"]
    totals = figures.unit_report(assignment, unit).unit
    # A status is also the name of its count in the totals.
    total = getattr(totals, status) if status else totals.roster
    rows = figures.member_rows(assignment, unit, status=status, limit=per_page,
                               offset=(page - 1) * per_page)
    return {"members": rows, "page": page, "per_page": per_page, "total": total,
            "pages": -(-total // per_page)}


@blp.get("/reports/assignments/<int:assignment_id>/units/<int:unit_id>/members/<int:user_id>")
@blp.response(200, MemberDetailSchema)
def report_member(assignment_id: int, unit_id: int, user_id: int):
    """One member of the roster at or below a unit: their row and each module's progress."""
    assignment, unit = assignment_at_unit_or_404(current_user, assignment_id, unit_id)
    row = figures.member_row(assignment, unit, user_id)
    if row is None:
        abort(404)
    return {"assignment": _assignment_body(assignment), "member": row,
            "modules": [{**vars(line), "reason": exports.module_reason(line)}
                        for line in figures.member_modules(assignment, user_id)]}


@blp.get("/reports/assignments/<int:assignment_id>/units/<int:unit_id>/not-completed")
@blp.response(200, NotCompletedSchema)
def report_not_completed(assignment_id: int, unit_id: int):
    """未学名单: who has not completed, by unit with its leaders; who has not passed each
    quiz; and the list as text to paste into a chat group."""
    assignment, unit = assignment_at_unit_or_404(current_user, assignment_id, unit_id)
    moment = now()
    groups = figures.not_completed(assignment, unit, moment)
    return {"assignment": _assignment_body(assignment), "unit": _unit_body(unit),
            "count": sum(len(g.members) for g in groups), "groups": groups,
            "not_passed": figures.not_passed(assignment, unit, moment),
            "paste_text": reminders.paste_text(assignment, unit, groups, moment),
            "generated_at": moment}


@blp.get("/reports/assignments/<int:assignment_id>/units/<int:unit_id>/export.xlsx")
@blp.doc(responses={"200": {**_DOWNLOAD, "content": {
    services.XLSX_MIME: {"schema": {"type": "string", "format": "binary"}}}}})
def export_xlsx(assignment_id: int, unit_id: int):
    """The report as an XLSX workbook: summary by unit, members and 未学名单."""
    assignment, unit = assignment_at_unit_or_404(current_user, assignment_id, unit_id)
    return export_download(assignment, unit, current_user._get_current_object())


@blp.get("/reports/assignments/<int:assignment_id>/units/<int:unit_id>/export.csv")
@blp.arguments(CsvArgs, location="query")
@blp.doc(responses={"200": {**_DOWNLOAD, "content": {
    "text/csv": {"schema": {"type": "string", "format": "binary"}}}}})
def export_csv(args, assignment_id: int, unit_id: int):
    """One table of the report as CSV (UTF-8 with BOM, for Excel): summary, members or
    not_completed."""
    assignment, unit = assignment_at_unit_or_404(current_user, assignment_id, unit_id)
    return export_download(assignment, unit, current_user._get_current_object(), args["kind"])


@blp.post("/reports/assignments/<int:assignment_id>/units/<int:unit_id>/reminders")
@blp.arguments(ReminderCreateSchema)
@blp.response(201, ReminderSentSchema)
@blp.alt_response(409, description="the period is closed, or everyone has completed")
@blp.alt_response(429, description="this unit was reminded too recently")
def send_reminder(args, assignment_id: int, unit_id: int):
    """Remind the members at or below a unit who have not completed the assignment (an in-app
    notification each), logged for the leaders above; with the text to paste into a chat."""
    assignment, unit = assignment_at_unit_or_404(current_user, assignment_id, unit_id)
    if not can_remind(current_user, unit):
        abort(403)
    sender = current_user._get_current_object()
    try:
        reminder = reminders.send_reminder(assignment, unit, sender, args["message"])
    except reminders.ReminderError as error:
        errors = {"json": {error.field: [str(error)]}} if error.field else None
        abort(error.status, message=str(error), errors=errors)
    groups = figures.not_completed(assignment, unit, reminder.created_at)
    return {"id": reminder.id, "assignment_id": assignment.id, "unit_id": unit.id,
            "message": reminder.text, "recipient_count": reminder.recipient_count,
            "created_at": reminder.created_at,
            "paste_text": reminders.paste_text(assignment, unit, groups, reminder.created_at)}


@blp.get("/reports/reminders")
@blp.arguments(ReminderLogArgs, location="query")
@blp.response(200, ReminderPageSchema)
def reminder_log(args):
    """The reminders I may see (about units in my subtree), newest first, with recipients."""
    unit = unit_or_404(current_user, args["unit_id"]) if args["unit_id"] is not None else None
    assignment = None
    if args["assignment_id"] is not None:
        assignment = db.session.get(Assignment, args["assignment_id"]) or abort(404)
        # An assignment that concerns nothing I may report on looks like a missing one.
        require(any(concerns(assignment, u) for u in ([unit] if unit else
                                                      report_units(current_user))))
    query = reminders.reminders_select(current_user, assignment, unit)
    page = db.paginate(query, page=args["page"], per_page=args["per_page"], error_out=False)
    names = reminders.recipients_of(r.id for r in page.items)
    return {"reminders": [_reminder_body(r, names[r.id]) for r in page.items],
            "page": page.page, "per_page": page.per_page, "total": page.total,
            "pages": page.pages}


def _reminder_body(reminder: Reminder, recipients: list[str]) -> dict:
    """A logged reminder as ReminderLogSchema shows it."""
    sender = reminder.sender
    return {"id": reminder.id, "created_at": reminder.created_at,
            "sender_id": reminder.sender_id, "sender_name": sender.display_name if sender else None,
            "unit_id": reminder.unit_id, "unit_name": reminder.unit.name,
            "assignment_id": reminder.assignment_id,
            "assignment_title": reminders.assignment_title(reminder.assignment),
            "message": reminder.text, "recipient_count": reminder.recipient_count,
            "recipients": recipients}
