"""Pages: weekly series (admins, and leaders for the units they lead).

- /series/                    the series of my units
- /series/new                 create one
- /series/<s>                 its periods, the next one, and each period's 参学率 (a section the
                              reports package provides: courses never import reports)
- /series/<s>/edit            change the schedule (only periods not created yet follow)
- /series/<s>/periods         POST: create the next period now
- /series/<s>/delete          POST: delete the series (its periods stay as assignments)
"""

from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from courses.models import Course, Module
from courses.series import services
from courses.series.forms import SeriesForm
from courses.series.permissions import can_list_series, can_manage_series, series_unit_ids
from learning.accounts.forms import ConfirmForm
from learning.extensions import db
from learning.orgs.models import OrgUnit
from learning.orgs.services import unit_paths
from learning.permissions import can_manage_unit, require, require_role, scope_unit_ids

bp = Blueprint("series", __name__, url_prefix="/series",
               template_folder=str(Path(__file__).parents[1] / "templates"))


@bp.before_request
@login_required
def _leaders_only():
    """Series pages are for leaders and admins; members get 403."""
    require_role(can_list_series(current_user))


def _choices(form: SeriesForm, *, new: bool, course_id: int | None = None) -> dict[int, str]:
    """Fill the form's choices from my scope and the published courses; returns unit paths."""
    units = db.session.scalars(select(OrgUnit).where(
        OrgUnit.id.in_(scope_unit_ids(current_user))).order_by(OrgUnit.path)).all()
    paths = unit_paths(units)
    if new:
        form.unit_id.choices = [(u.id, paths[u.id]) for u in units]
        form.course_id.choices = [(c.id, c.title) for c in db.session.scalars(
            select(Course).where(Course.published.is_(True))
            .order_by(Course.position, Course.id))]
    modules = select(Module.id, Module.title, Course.title.label("course")).join(
        Course, Course.id == Module.course_id).where(
        Course.published.is_(True), Module.published.is_(True))
    if course_id is not None:
        modules = modules.where(Module.course_id == course_id)
    form.module_ids.choices = [(m.id, f"{m.course} / {m.title}") for m in db.session.execute(
        modules.order_by(Course.position, Course.id, Module.position, Module.id))]
    return paths


def _input(form: SeriesForm) -> dict:
    """The form's schedule fields as the services take them."""
    return {"title": form.title.data or "", "weekdays": form.weekdays.data or [],
            "start_time": form.start_time.data, "due_days": form.due_days.data,
            "due_time": form.due_time.data, "skipped": form.skipped.data or "",
            "active": form.active.data, "starts_on": form.starts_on.data,
            "first_number": form.first_number.data, "module_ids": form.module_ids.data or []}


@bp.get("/")
def index():
    """The series of the units in my scope, each with its last period."""
    rows = services.series_in_scope(series_unit_ids(current_user))
    return render_template("courses/series/index.html", rows=rows,
                           paths=unit_paths({s.unit for s in rows}))


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Create a series for a unit in my scope."""
    form = SeriesForm()
    paths = _choices(form, new=True)
    if not form.is_submitted():
        form.starts_on.data = services.today()
        form.start_time.data, form.due_time.data = services.DEFAULT_START, services.DEFAULT_DUE
    if form.is_submitted() and form.unit_id.data:
        # A unit outside my scope looks like a missing one (not a form error naming it).
        unit = db.session.get(OrgUnit, form.unit_id.data)
        require(unit is not None and can_manage_unit(current_user, unit))
    if form.validate_on_submit():
        unit = db.session.get(OrgUnit, form.unit_id.data)
        course = db.session.get(Course, form.course_id.data)
        try:
            series = services.create_series(
                services.SeriesInput(course_id=course.id, unit_id=unit.id, **_input(form)),
                actor=current_user, unit=unit, course=course)
        except services.SeriesError as error:
            getattr(form, error.field_name or "title").errors.append(str(error))
        else:
            flash(_("The series is saved for %(unit)s.", unit=paths.get(unit.id, unit.name)),
                  "success")
            return redirect(url_for("series.show", series_id=series.id))
    return render_template("courses/series/form.html", form=form, series=None)


@bp.get("/<int:series_id>")
def show(series_id: int):
    """The series: schedule, periods with their state, the next period, and the figures."""
    series = services.get_series_or_404(series_id, current_user)
    # Other packages add their part (the reports package: each period's 参学率 over time).
    sections = [section for provider in current_app.extensions.get("series_sections", [])
                if (section := provider(current_user, series)) is not None]
    return render_template(
        "courses/series/show.html", series=series, plan=services.next_plan(series),
        now=services.study.now(), path=unit_paths([series.unit])[series.unit_id],
        states={p.id: services.period_state(p) for p in series.periods},
        can_manage=can_manage_series(current_user, series), form=ConfirmForm(),
        sections=sections, weekdays=services.weekday_names(series.weekdays))


@bp.route("/<int:series_id>/edit", methods=["GET", "POST"])
def edit(series_id: int):
    """Change a series' schedule; only the periods not created yet follow."""
    series = services.get_series_or_404(series_id, current_user)
    require_role(can_manage_series(current_user, series))
    form = SeriesForm(obj=series)
    del form.course_id, form.unit_id
    _choices(form, new=False, course_id=series.course_id)
    if not form.is_submitted():
        form.weekdays.data = [int(d) for d in series.weekdays]
        form.skipped.data = "\n".join(series.skipped or [])
        form.module_ids.data = [c.module_id for c in series.chosen]
    if form.validate_on_submit():
        try:
            services.update_series(series, actor=current_user, **_input(form))
        except services.SeriesError as error:
            getattr(form, error.field_name or "title").errors.append(str(error))
        else:
            flash(_("The series is saved."), "success")
            return redirect(url_for("series.show", series_id=series.id))
    return render_template("courses/series/form.html", form=form, series=series)


@bp.post("/<int:series_id>/periods")
def release_next(series_id: int):
    """Create the next period now (the button; the scheduled run does it ahead of its day)."""
    series = services.get_series_or_404(series_id, current_user)
    require_role(can_manage_series(current_user, series))
    if ConfirmForm().validate_on_submit():
        try:
            period = services.create_next_period(series, actor=current_user)
        except services.SeriesError as error:
            flash(str(error), "danger")
        else:
            if period is None:
                flash(_("Nothing left to release: every module of the series has its period."),
                      "info")
            else:
                flash(_("Period %(n)d is created.", n=period.number), "success")
    return redirect(url_for("series.show", series_id=series_id))


@bp.post("/<int:series_id>/delete")
def delete(series_id: int):
    """Delete the series; the periods created stay as assignments with their figures."""
    series = services.get_series_or_404(series_id, current_user)
    require_role(can_manage_series(current_user, series))
    if ConfirmForm().validate_on_submit():
        services.delete_series(series, actor=current_user)
        flash(_("The series is deleted; its periods stay as assignments."), "success")
        return redirect(url_for("series.index"))
    return redirect(url_for("series.show", series_id=series_id))
