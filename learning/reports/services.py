"""Which report a viewer may open: the assignments that concern a unit, and where to start.

Reports are read-only; the policy itself is learning.permissions.can_view_report.
"""

from datetime import date, datetime, time, timedelta
from functools import cache
from io import BytesIO

from flask import abort, current_app, send_file
from flask_babel import format_datetime, get_timezone, to_user_timezone
from sqlalchemy import bindparam, literal, or_, select
from sqlalchemy.orm import aliased, joinedload

from courses.models import Assignment
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit
from learning.permissions import can_view_report, is_admin, require


def target_rate() -> float:
    """The 学习率 a unit should reach: the target line of the charts (REPORT_TARGET_PERCENT)."""
    return float(current_app.config.get("REPORT_TARGET_RATE", 0.8))


def concerns(assignment: Assignment, unit: OrgUnit) -> bool:
    """The assignment counts people at or below `unit`: assigned to it, above it or below it."""
    return (unit.path.startswith(assignment.unit.path)
            or assignment.unit.path.startswith(unit.path))


def assignments_select(unit: OrgUnit, start: datetime | None = None,
                       end: datetime | None = None):
    """SELECT of the assignments that concern `unit`, due in [start, end), by due time."""
    assigned = aliased(OrgUnit)
    query = (
        select(Assignment).join(assigned, assigned.id == Assignment.unit_id)
        .where(or_(assigned.path.startswith(unit.path, autoescape=True),
                   literal(unit.path).like(assigned.path + "%")))
        .options(joinedload(Assignment.unit), joinedload(Assignment.course),
                 joinedload(Assignment.module))
        .order_by(Assignment.due_at, Assignment.id)
    )
    if start is not None:
        query = query.where(Assignment.due_at >= start)
    if end is not None:
        query = query.where(Assignment.due_at < end)
    return query


def assignment_quizzes(assignment: Assignment) -> list:
    """Rows (id, title) of the quizzes on the modules the assignment counts, in course order:
    the report's quiz columns link to their statistics (1 query)."""
    from courses.models import Module
    from quizzes.models import Quiz

    if assignment.module_id is not None:
        modules = [assignment.module_id]
    else:
        modules = select(Module.id).where(Module.course_id == assignment.course_id,
                                          Module.published.is_(True))
    return db.session.execute(
        select(Quiz.id, Quiz.title).join(Module, Module.id == Quiz.module_id)
        .where(Quiz.module_id.in_(modules)).order_by(Module.position, Module.id)).all()


def report_units(user) -> list[OrgUnit]:
    """Where the viewer's reports start: the top units they lead (the roots for admins)."""
    if is_admin(user):
        query = select(OrgUnit).where(OrgUnit.parent_id.is_(None))
    else:
        query = (select(OrgUnit).join(Membership, Membership.unit_id == OrgUnit.id)
                 .where(Membership.user_id == user.id, Membership.role == "leader"))
    units = list(db.session.scalars(query.order_by(OrgUnit.path)))
    # A led group below a led branch is reached from the branch: keep the top ones.
    return [u for u in units if not any(u is not o and u.path.startswith(o.path)
                                        for o in units)]


def unit_or_404(user, unit_id: int) -> OrgUnit:
    """Load a unit the viewer may report on (404 for a missing or a forbidden one alike)."""
    unit = db.session.get(OrgUnit, unit_id) or abort(404)
    require(can_view_report(user, unit))
    return unit


def assignment_at_unit_or_404(user, assignment_id: int, unit_id: int
                              ) -> tuple[Assignment, OrgUnit]:
    """Load an assignment and a unit of the viewer's scope that it concerns, or 404."""
    unit = unit_or_404(user, unit_id)
    assignment = db.session.scalar(_assignment_select(), {"assignment_id": assignment_id})
    require(assignment is not None and concerns(assignment, unit))
    return assignment, unit


@cache
def _assignment_select():
    """An assignment with its unit (bind parameter assignment_id), built once per process:
    every report page loads one, and building the statement with its loader option cost more
    than running it."""
    return (select(Assignment).options(joinedload(Assignment.unit))
            .where(Assignment.id == bindparam("assignment_id")))


DAYS_BACK, DAYS_AHEAD = 180, 60  # the default date range: half a year back, two months ahead


def date_range(first: date | None, last: date | None
               ) -> tuple[date, date, datetime, datetime]:
    """The days from `first` to `last` (both included; defaults around today) and their
    bounds as aware datetimes [start, end) for comparing due times."""
    from courses.study.services import now

    today = to_user_timezone(now()).date()
    first = first or today - timedelta(days=DAYS_BACK)
    last = last or today + timedelta(days=DAYS_AHEAD)
    return first, last, local_midnight(first), local_midnight(last + timedelta(days=1))


def local_midnight(day: date) -> datetime:
    """The start of `day` in the site's time zone, as an aware datetime (for due-time ranges)."""
    return datetime.combine(day, time(), tzinfo=get_timezone())


def period_label(assignment: Assignment) -> str:
    """「start – due」 in the reader's time zone, as printed on reports."""
    return (f"{format_datetime(assignment.starts_at, 'yyyy-MM-dd HH:mm')} – "
            f"{format_datetime(assignment.due_at, 'yyyy-MM-dd HH:mm')}")


def heading(assignment: Assignment, unit: OrgUnit, producer, at: datetime | None = None):
    """What a report is about, as the print view, the XLSX summary and the CSV names say it:
    course, module, period and dates, the unit's full path, generated at, 填报人 (1 query for
    the path, one for the module if not loaded)."""
    from courses.study.services import now
    from learning.orgs.services import unit_paths
    from learning.reports.exports import ReportHeading

    return ReportHeading(
        course=assignment.course.title,
        module=assignment.module.title if assignment.module_id is not None else None,
        period=assignment.title or "", dates=period_label(assignment),
        unit_path=unit_paths([unit])[unit.id].replace("/", " / "), generated_at=at or now(),
        producer=producer.display_name)


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"
_UNSAFE_FILENAME = str.maketrans({char: "_" for char in '\\/:*?"<>|'})


def export_download(assignment: Assignment, unit: OrgUnit, producer, kind: str | None = None):
    """The report as a download: the XLSX workbook (kind None) or one table as CSV (kind
    summary | members | not_completed | not_passed), kept by no cache. The file is named by
    the unit's full path, course, module, period, table and time, so a CSV file (one table,
    nothing above it) still says what it is about."""
    from learning.reports import exports, figures

    about = heading(assignment, unit, producer)
    moment = about.generated_at
    if kind is None:
        data = exports.report_xlsx(
            figures.unit_report(assignment, unit, moment),
            figures.member_rows(assignment, unit, moment),
            figures.not_completed(assignment, unit, moment),
            figures.not_passed(assignment, unit, moment), heading=about)
        mimetype, extension, table = XLSX_MIME, "xlsx", None
    else:
        parts = {"summary": lambda: {"report": figures.unit_report(assignment, unit, moment)},
                 "members": lambda: {"members": figures.member_rows(assignment, unit, moment)},
                 "not_completed": lambda: {
                     "not_completed": figures.not_completed(assignment, unit, moment)},
                 "not_passed": lambda: {
                     "not_passed": figures.not_passed(assignment, unit, moment)}}
        data = exports.csv_export(kind, **parts[kind]())
        mimetype, extension, table = CSV_MIME, "csv", str(exports.KIND_WORDS[kind])
    stamp = to_user_timezone(moment).strftime("%Y%m%d-%H%M")
    parts = [about.unit_path.replace(" / ", "-"), about.course, about.module, about.period,
             table, stamp]
    name = "-".join(part for part in parts if part) + f".{extension}"
    # send_file writes the UTF-8 name as filename*=UTF-8''... next to an ASCII fallback.
    response = send_file(BytesIO(data), mimetype=mimetype, as_attachment=True,
                         download_name=name.translate(_UNSAFE_FILENAME))
    response.headers["Cache-Control"] = "no-store"  # it holds names and figures
    return response
