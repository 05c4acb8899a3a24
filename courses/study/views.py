"""Pages: Assignments with study periods, 「我的学习」, the module page and reading progress."""

from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from courses.models import Assignment, Course, Module
from courses.permissions import (
    can_assign,
    can_manage_assignment,
    can_view_assignment,
    can_view_course,
    can_view_module,
)
from courses.study import services
from courses.study.forms import AssignmentForm, ExtendForm
from courses.video.services import watch_view
from learning.accounts.forms import ConfirmForm
from learning.extensions import db
from learning.i18n import moment_text
from learning.orgs.models import OrgUnit
from learning.orgs.services import unit_paths
from learning.permissions import is_admin, is_leader, require, require_role, scope_unit_ids
from learning.transactions import commit_before_render

bp = Blueprint("study", __name__, template_folder=str(Path(__file__).parents[1] / "templates"))


def _home_section(user):
    """The 「我的学习」 part of the start page ("/"), which the core cannot import; left out for
    a leader or admin with nothing to study (their dashboard is the page)."""
    items = services.my_study(user)
    if not items and (is_admin(user) or is_leader(user)):
        return None
    return "courses/study/_my_study.html", {"study_items": items}


@bp.record_once
def _register_home_section(state):
    state.app.extensions.setdefault("home_sections", []).append(_home_section)


@bp.get("/study/")
@login_required
def my_study():
    """「我的学习」: current and past assignments with status and progress."""
    return render_template("courses/study/my_study.html", items=services.my_study(current_user))


@bp.get("/study/courses/<int:course_id>")
@login_required
def course(course_id: int):
    """A course as the member studies it: its modules with ticks, rule and time."""
    found = db.session.get(Course, course_id)
    require(found is not None and can_view_course(current_user, found))
    lines = services.course_outline(current_user, found)
    next_line = next((line for line in lines if line.completed_at is None), None)
    return render_template("courses/study/course.html", course=found, lines=lines,
                           next_line=next_line)


@bp.get("/study/modules/<int:module_id>")
@login_required
def module(module_id: int):
    """The module page: stored body, attachments, previous/next, the completion control."""
    mod = services.load_module(module_id)
    require(mod is not None and can_view_module(current_user, mod))
    row = services.record_visit(current_user, mod)
    commit_before_render()  # the visit is stored; SQLite's write lock is not held while rendering
    prev_mod, next_mod = services.neighbours(
        current_user, mod, is_admin(current_user) or is_leader(current_user))
    # Other packages add their part of the page (the module's quiz) without courses importing
    # them: each provider returns (template name, context) or None.
    sections = [section for provider in current_app.extensions.get("module_sections", [])
                if (section := provider(current_user, mod)) is not None]
    return render_template(
        "courses/study/module.html", module=mod, progress=row, prev_mod=prev_mod,
        next_mod=next_mod, form=ConfirmForm(), sections=sections,
        video=watch_view(current_user, mod),
        required_seconds=services.required_seconds(mod),
        heartbeat_seconds=max(15, min(45, current_app.config["READING_MAX_GAP_SECONDS"] // 2)))


@bp.post("/study/modules/<int:module_id>/complete")
@login_required
def complete(module_id: int):
    """The completion control (works without JavaScript: the confirm itself credits time)."""
    mod = services.load_module(module_id)
    require(mod is not None and can_view_module(current_user, mod))
    if ConfirmForm().validate_on_submit():
        result = services.confirm(current_user, mod)
        flash(result.message, "success" if result.completed else "warning")
    # Back to the completion box the member pressed, not to the top of a long module: the
    # page shows this message there (module.html), next to the countdown or the next module.
    return redirect(url_for("study.module", module_id=module_id, _anchor="completion"))


# --- assignments (leaders and admins) ----------------------------------------------------


def _require_assigner():
    require_role(is_admin(current_user) or is_leader(current_user))


def _scope_units() -> list[OrgUnit]:
    return db.session.scalars(select(OrgUnit).where(
        OrgUnit.id.in_(scope_unit_ids(current_user))).order_by(OrgUnit.path)).all()


@bp.get("/study/assignments/")
@login_required
def assignments():
    """Assignments to units in my scope, with a close button for open ones."""
    _require_assigner()
    rows = services.assignments_in_scope(scope_unit_ids(current_user))
    above = [] if is_admin(current_user) else services.assignments_above(
        current_user.id, scope_unit_ids(current_user))
    paths = unit_paths({a.unit for a in [*rows, *above]})
    return render_template("courses/study/assignments.html", rows=rows, above=above,
                           paths=paths, form=ConfirmForm(), now=services.now())


@bp.route("/study/assignments/new", methods=["GET", "POST"])
@login_required
def new_assignment():
    """Assign a published course or module to a unit in my scope."""
    _require_assigner()
    form = AssignmentForm()
    units = _scope_units()
    paths = unit_paths(units)
    form.unit_id.choices = [(u.id, paths[u.id]) for u in units]
    courses = db.session.scalars(select(Course).where(Course.published.is_(True))
                                 .order_by(Course.position, Course.id)).all()
    form.course_id.choices = [(c.id, c.title) for c in courses]
    modules = db.session.execute(
        select(Module.id, Module.title, Course.title.label("course"))
        .join(Course, Course.id == Module.course_id)
        .where(Course.published.is_(True), Module.published.is_(True))
        .order_by(Course.position, Course.id, Module.position, Module.id)).all()
    form.module_id.choices = [(0, _("(whole course)"))] + [
        (m.id, f"{m.course} / {m.title}") for m in modules]
    if form.is_submitted() and form.unit_id.data:
        # A unit outside my scope looks like a missing one (not a form error that names it).
        unit = db.session.get(OrgUnit, form.unit_id.data)
        require(unit is not None and can_assign(current_user, unit))
    existing = None
    if form.validate_on_submit():
        unit = db.session.get(OrgUnit, form.unit_id.data)
        course = db.session.get(Course, form.course_id.data)
        module = db.session.get(Module, form.module_id.data) if form.module_id.data else None
        zone = _zone()
        try:
            assignment = services.create_assignment(
                actor=current_user, course=course, unit=unit, module=module,
                title=form.title.data or "",
                starts_at=form.starts_at.data.replace(tzinfo=zone),
                due_at=form.due_at.data.replace(tzinfo=zone))
        except services.AssignmentError as error:
            getattr(form, error.field_name or "course_id").errors.append(str(error))
            existing = getattr(error, "existing", None)
        else:
            flash(_("Assigned to %(unit)s.", unit=paths.get(unit.id, unit.name)), "success")
            return redirect(url_for("study.assignments", _anchor=f"a{assignment.id}"))
    return render_template("courses/study/assignment_form.html", form=form, existing=existing)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


@bp.route("/study/assignments/<int:assignment_id>/extend", methods=["GET", "POST"])
@login_required
def extend_assignment(assignment_id: int):
    """Give an open period a later due time (instead of assigning the same study again)."""
    assignment = db.get_or_404(Assignment, assignment_id)
    require(can_view_assignment(current_user, assignment))
    require_role(can_manage_assignment(current_user, assignment))
    form = ExtendForm()
    if form.validate_on_submit():
        try:
            services.extend_assignment(assignment, form.due_at.data.replace(tzinfo=_zone()),
                                       actor=current_user)
        except services.AssignmentError as error:
            form.due_at.errors.append(str(error))
        else:
            flash(_("The due time of %(period)s is now %(due)s.",
                    period=services.assignment_label(assignment),
                    due=moment_text(assignment.due_at, "due")), "success")
            return redirect(url_for("study.assignments", _anchor=f"a{assignment.id}"))
    elif not form.is_submitted():
        form.due_at.data = assignment.due_at.astimezone(_zone()).replace(tzinfo=None)
    return render_template("courses/study/extend.html", form=form, assignment=assignment,
                           label=services.assignment_label(assignment),
                           path=unit_paths([assignment.unit])[assignment.unit_id])


@bp.post("/study/assignments/<int:assignment_id>/close")
@login_required
def close_assignment(assignment_id: int):
    """Close a period by hand; its roster is frozen."""
    assignment = db.get_or_404(Assignment, assignment_id)
    require(can_view_assignment(current_user, assignment))
    require_role(can_manage_assignment(current_user, assignment))
    if ConfirmForm().validate_on_submit():
        if services.close_assignment(assignment, actor=current_user):
            flash(_("The period is closed and its roster frozen."), "success")
        else:
            flash(_("This period was already closed."), "info")
    return redirect(url_for("study.assignments"))
