"""Pages: completion reports for leaders (their subtree) and admins (everything).

- /reports/                                           where to start: the units I report on
- /reports/units/<u>?from=&to=                        every period due in a date range at a unit:
                                                      trend, and child units summed over the range
- /reports/assignments/<a>/units/<u>[?status=&page=]  one period at a unit: child units with rates
                                                      and ranks, chart, members (drill-down)
- /reports/assignments/<a>/units/<u>/members/<m>      one member: each module, when and how
- /reports/assignments/<a>/units/<u>/not-completed    未学名单, not passed the quiz, text to paste,
                                                      the reminder form and this unit's reminder log
- /reports/assignments/<a>/units/<u>/reminders        POST: remind the not-completed (催学)
- /reports/assignments/<a>/units/<u>/export.xlsx|csv  downloads
- /reports/reminders                                  the reminder log of my scope

The period page prints as the report sent upward (print stylesheet: unit, period, generated-at
time and totals on top).
"""

from datetime import datetime
from functools import cache
from typing import NamedTuple

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import bindparam, select
from wtforms import TextAreaField
from wtforms.validators import Length

from courses.study.services import now
from learning.bounds import page_arg
from learning.extensions import db
from learning.i18n import datetimeformat
from learning.orgs.models import OrgUnit
from learning.permissions import can_remind, can_view_report, is_admin, is_leader, require_role
from learning.reports import charts, exports, figures, overview, reminders, services, watching
from learning.reports.services import target_rate

bp = Blueprint("reports", __name__, url_prefix="/reports")
MEMBERS_PER_PAGE = 50
# Above this roster the period page lists no members (a committee's 10,000 names help nobody
# on a page, and sorting them would cost more than the report): drill down, filter or export.
MEMBER_LIST_MAX = 500
STATUS_LABELS = exports.STATUS_WORDS


class ReminderForm(FlaskForm):
    """The optional words a leader adds to a reminder."""

    message = TextAreaField(_l("Your words (optional)"), validators=[Length(max=500)])


@bp.before_request
@login_required
def _leaders_only():
    """Reports are for leaders and admins; members get 403 on every page here."""
    require_role(is_admin(current_user) or is_leader(current_user))



def _trail(unit: OrgUnit) -> list:
    """The unit's ancestors the viewer may report on, top down, then the unit, as rows (id,
    name, path) for the breadcrumb (1 query)."""
    ids = [int(part) for part in unit.path.strip("/").split("/")]
    user = current_user._get_current_object()  # the proxy costs a lookup on every use
    found = {u.id: u for u in db.session.execute(_trail_select(), {"ids": ids})}
    return [found[i] for i in ids if i in found and can_view_report(user, found[i])]


@cache
def _trail_select():
    """The units `ids` (expanding bind parameter), built once per process: every report page
    draws its breadcrumb."""
    return select(OrgUnit.id, OrgUnit.name, OrgUnit.path).where(
        OrgUnit.id.in_(bindparam("ids", expanding=True)))


def _bars(report: figures.UnitReport, url) -> charts.BarChart:
    """Bars in rank order (the table below keeps the tree's order); units without a roster last."""
    ranked = sorted(report.children, key=lambda row: (row.rank is None, row.rank or 0))
    return charts.rate_bars([(row.name, row.rate, row.rank, url(row.unit_id)) for row in ranked],
                            target=target_rate())


@bp.get("/")
def index():
    """The units the viewer reports on; straight to the unit when there is only one."""
    units = services.report_units(current_user)
    if len(units) == 1:
        return redirect(url_for("reports.unit", unit_id=units[0].id))
    return render_template("reports/index.html", units=units)


def _date_range() -> tuple[datetime, datetime, dict[str, str]]:
    """The ?from=&to= dates (inclusive, the viewer's days) as UTC bounds, and field errors."""
    errors: dict[str, str] = {}
    days = {}
    for field in ("from", "to"):
        raw = request.args.get(field, "").strip()
        try:
            days[field] = datetime.strptime(raw, "%Y-%m-%d").date() if raw else None
        except ValueError:
            errors[field], days[field] = _("Enter a date like 2026-03-01."), None
    first, last, start, end = services.date_range(days["from"], days["to"])
    if not errors and first > last:
        errors["to"] = _("The end date is before the start date.")
    return start, end, errors | {"from_value": first.isoformat(), "to_value": last.isoformat()}


@bp.get("/units/<int:unit_id>")
def unit(unit_id: int):
    """Every period due in the date range at a unit: its own periods (trend, and child units
    summed over them), and apart from them the periods its sub-units assigned themselves."""
    unit = services.unit_or_404(current_user, unit_id)
    start, end, form = _date_range()
    found = overview.range_overview(unit, start, end)
    args = {key: form[f"{key}_value"] for key in ("from", "to")}
    invalid = set(form) - {"from_value", "to_value"}
    return render_template(
        "reports/unit.html", unit=unit, trail=_trail(unit), form=form, own=found.own,
        below=found.below, report=found.report, target=target_rate(),
        bars=_bars(found.report, lambda child: url_for("reports.unit", unit_id=child, **args)),
        trend=charts.rate_trend(overview.trend_points(found.own), target=target_rate()),
        below_trend=charts.rate_trend(overview.trend_points(found.below), target=target_rate()),
    ), 422 if invalid else 200


class _MemberLine(NamedTuple):
    """One member's row of the period page, as the page prints it."""

    url: str
    name: str
    unit_name: str
    status: str
    label: str
    modules: str  # "done/total"
    last_completed: str  # short date and time, or "—"
    best_score: str  # "83%", or "—"
    posts: int
    entered_late: bool = False  # 补录 (courses.offline)
    videos: str = ""  # each video module's watched share and quiz score (reports.watching)


def _member_lines(rows: list[figures.MemberRow], assignment, unit,
                  labels: dict[str, str]) -> list[_MemberLine]:
    """The page's member rows as plain strings, worked out in Python: 50 rows each asking the
    template for url_for (~50 µs), a lazy label and a date filter cost more than the rest of
    the page. The member id ends the link, so one url_for gives the prefix of them all."""
    prefix = url_for("reports.member", assignment_id=assignment.id, unit_id=unit.id,
                     user_id=0).removesuffix("0")
    videos = watching.video_lines(assignment, [row.user_id for row in rows])
    return [_MemberLine(
        f"{prefix}{row.user_id}", row.name, row.unit_name, row.status, labels[row.status],
        f"{row.done}/{row.total}",
        datetimeformat(row.last_completed_at, "short") if row.last_completed_at else "—",
        "—" if row.best_score is None else f"{row.best_score:.0f}%", row.posts,
        row.entered_late, "；".join(line.text() for line in videos.get(row.user_id, [])))
        for row in rows]


@bp.get("/assignments/<int:assignment_id>/units/<int:unit_id>")
def period(assignment_id: int, unit_id: int):
    """One period at a unit: child units with rates and ranks, the chart, and its members."""
    assignment, unit = services.assignment_at_unit_or_404(current_user, assignment_id, unit_id)
    report = figures.unit_report(assignment, unit)
    status = request.args.get("status") if request.args.get("status") in STATUS_LABELS else None
    page = request.args.get("page", 1, type=page_arg)
    labels = {key: str(label) for key, label in STATUS_LABELS.items()}  # once, not per row
    members = []
    if status or report.unit.roster <= MEMBER_LIST_MAX:
        members = figures.member_rows(assignment, unit, status=status,
                                      limit=MEMBERS_PER_PAGE + 1,
                                      offset=(page - 1) * MEMBERS_PER_PAGE)
    return render_template(
        "reports/period.html", assignment=assignment, unit=unit, trail=_trail(unit),
        report=report, target=target_rate(), status=status, page=page,
        heading=services.heading(assignment, unit, current_user._get_current_object(), now()),
        members=_member_lines(members[:MEMBERS_PER_PAGE], assignment, unit, labels),
        quizzes=services.assignment_quizzes(assignment),
        more=len(members) > MEMBERS_PER_PAGE,
        status_labels=labels, listed=bool(status or report.unit.roster <= MEMBER_LIST_MAX),
        bars=_bars(report, lambda child: url_for("reports.period", assignment_id=assignment.id,
                                                 unit_id=child)))


@bp.get("/assignments/<int:assignment_id>/units/<int:unit_id>/members/<int:user_id>")
def member(assignment_id: int, unit_id: int, user_id: int):
    """One member of the roster: each module, when and how it was done, quiz and posts."""
    assignment, unit = services.assignment_at_unit_or_404(current_user, assignment_id, unit_id)
    row = figures.member_row(assignment, unit, user_id) or abort(404)
    videos = watching.video_lines(assignment, [user_id]).get(user_id, [])
    return render_template("reports/member.html", assignment=assignment, unit=unit,
                           trail=_trail(unit), row=row, status_labels=STATUS_LABELS,
                           reason=exports.module_reason,
                           modules=figures.member_modules(assignment, user_id),
                           videos={line.module_id: line for line in videos})


def _not_completed_page(assignment, unit, form: ReminderForm, status: int = 200):
    groups = figures.not_completed(assignment, unit)
    log = list(db.session.scalars(
        reminders.reminders_select(current_user, assignment=assignment, unit=unit).limit(20)))
    return render_template(
        "reports/not_completed.html", assignment=assignment, unit=unit, trail=_trail(unit),
        groups=groups, missing=sum(len(g.members) for g in groups), form=form,
        quizzes=figures.not_passed(assignment, unit),
        paste=reminders.paste_text(assignment, unit, groups), log=log,
        score_text=exports.quiz_score_text,
        recipients=reminders.recipients_of([r.id for r in log]), status_labels=STATUS_LABELS,
        watching_words=watching.STATE_WORDS,
        can_remind=can_remind(current_user, unit) and assignment.closed_at is None,
    ), status


@bp.get("/assignments/<int:assignment_id>/units/<int:unit_id>/not-completed")
def not_completed(assignment_id: int, unit_id: int):
    """未学名单 and who has not passed the quiz, with text to paste and the reminder form."""
    assignment, unit = services.assignment_at_unit_or_404(current_user, assignment_id, unit_id)
    return _not_completed_page(assignment, unit, ReminderForm())


@bp.post("/assignments/<int:assignment_id>/units/<int:unit_id>/reminders")
def remind(assignment_id: int, unit_id: int):
    """催学: notify the unit's not-completed members in the app, and log it for the level above."""
    assignment, unit = services.assignment_at_unit_or_404(current_user, assignment_id, unit_id)
    require_role(can_remind(current_user, unit))
    form = ReminderForm()
    if not form.validate_on_submit():
        return _not_completed_page(assignment, unit, form, 422)
    try:
        reminder = reminders.send_reminder(assignment, unit, current_user, form.message.data or "")
    except reminders.ReminderError as error:
        flash(str(error), "danger")
        return _not_completed_page(assignment, unit, form, error.status)
    flash(_("Reminded %(n)d members.", n=reminder.recipient_count), "success")
    return redirect(url_for("reports.not_completed", assignment_id=assignment.id,
                            unit_id=unit.id))


@bp.get("/assignments/<int:assignment_id>/units/<int:unit_id>/export.xlsx")
def export_xlsx(assignment_id: int, unit_id: int):
    """The report as a workbook: summary by unit, members, 未学名单."""
    assignment, unit = services.assignment_at_unit_or_404(current_user, assignment_id, unit_id)
    return services.export_download(assignment, unit, current_user._get_current_object())


@bp.get("/assignments/<int:assignment_id>/units/<int:unit_id>/export.csv")
def export_csv(assignment_id: int, unit_id: int):
    """One table of the report as CSV (UTF-8 with BOM, for Chinese Excel)."""
    assignment, unit = services.assignment_at_unit_or_404(current_user, assignment_id, unit_id)
    kind = request.args.get("kind", "summary")
    if kind not in exports.KINDS:
        abort(404)
    return services.export_download(assignment, unit, current_user._get_current_object(), kind)


@bp.get("/reminders")
def reminder_log():
    """Every reminder sent about the units of my scope, newest first."""
    page = db.paginate(reminders.reminders_select(current_user),
                       page=request.args.get("page", 1, type=page_arg), per_page=50,
                       error_out=False)
    return render_template("reports/reminders.html", page=page,
                           recipients=reminders.recipients_of([r.id for r in page.items]))
