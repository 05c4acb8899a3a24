"""Pages: Offline group lessons recorded by leaders (list, record, view with history, correct)."""

from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from courses.models import Module, OfflineLesson
from courses.offline import services
from courses.offline.forms import LessonForm
from courses.permissions import can_correct_offline, can_list_offline_lessons, can_record_offline
from learning.accounts.models import User
from learning.bounds import page_arg
from learning.extensions import db
from learning.orgs.models import OrgUnit
from learning.orgs.services import unit_paths
from learning.permissions import require, require_role, scope_unit_ids

bp = Blueprint("offline", __name__, url_prefix="/offline-lessons",
               template_folder=str(Path(__file__).parents[1] / "templates"))
PER_PAGE = 30


@bp.before_request
@login_required
def _leaders_only():
    require_role(can_list_offline_lessons(current_user))


def _lesson_or_404(lesson_id: int) -> OfflineLesson:
    """Load, then authorise: a lesson outside the caller's scope looks like a missing one."""
    lesson = db.get_or_404(OfflineLesson, lesson_id, options=[
        selectinload(OfflineLesson.modules).selectinload(Module.course),
        selectinload(OfflineLesson.attendees), selectinload(OfflineLesson.unit)])
    require(can_correct_offline(current_user, lesson))
    return lesson


@bp.get("/")
def index():
    """Lessons of every unit in my scope, and the units I may record a lesson for."""
    page = db.paginate(services.lessons_in_scope_select(current_user),
                       page=request.args.get("page", 1, type=page_arg), per_page=PER_PAGE,
                       error_out=False)
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(scope_unit_ids(current_user)))
                               .order_by(OrgUnit.path)).all()
    labels = unit_paths([*units, *(lesson.unit for lesson in page.items)])
    return render_template("courses/offline/index.html", page=page, units=units, labels=labels)


def _form_page(form: LessonForm, unit: OrgUnit, lesson: OfflineLesson | None):
    """Handle the record/correct form: tick everyone, save, or show it (again) with errors."""
    roster = services.roster_rows(unit)
    modules = services.module_choices(unit)
    if form.is_submitted() and form.select_all.data:
        form.attendee_ids.data = [user.id for user, _unit in roster]
    elif form.save.data and form.is_submitted():
        readable = form.validate()  # CSRF, and input the form could not read
        data = services.LessonInput(
            held_on=form.held_on.data, place=form.place.data or "", topic=form.topic.data or "",
            notes=form.notes.data or "", module_ids=form.module_ids.data or [],
            attendee_ids=form.attendee_ids.data or [])
        try:
            if not readable:  # still check the rest, so that every problem shows at once
                services.check_lesson(unit, data, lesson)
            elif lesson is None:
                lesson = services.record_lesson(unit, data, current_user)
                flash(_("Offline lesson recorded; %(n)d attendees' modules are complete.",
                        n=len(data.attendee_ids)), "success")
            else:
                if services.correct_lesson(lesson, data, current_user) is None:
                    flash(_("Nothing was changed."), "info")
                else:
                    flash(_("Correction saved; the previous record is kept in the history."),
                          "success")
        except services.OfflineError as error:
            db.session.rollback()
            for name, messages in error.errors.items():
                if not form[name].errors:  # a date the form could not read says so already
                    form[name].errors = [*form[name].errors, *messages]
        else:
            if readable:
                return redirect(url_for("offline.show", lesson_id=lesson.id))
        flash(_("The lesson was not saved: correct the fields marked below."), "danger")
    groups: dict[int, list[User]] = {}
    group_units: dict[int, OrgUnit] = {}
    for user, member_unit in roster:
        groups.setdefault(member_unit.id, []).append(user)
        group_units[member_unit.id] = member_unit
    labels = unit_paths([unit, *group_units.values()])
    return render_template("courses/offline/form.html", form=form, unit=unit, lesson=lesson,
                           modules=modules, groups=groups, group_units=group_units,
                           labels=labels, chosen_modules=set(form.module_ids.data or []),
                           chosen_attendees=set(form.attendee_ids.data or []))


@bp.route("/new/<int:unit_id>", methods=["GET", "POST"])
def create(unit_id: int):
    """Record a lesson held by a unit in my scope."""
    unit = db.get_or_404(OrgUnit, unit_id)
    require(can_record_offline(current_user, unit))
    form = LessonForm()
    return _form_page(form, unit, None)


@bp.get("/<int:lesson_id>")
def show(lesson_id: int):
    """The lesson record and its correction history."""
    lesson = _lesson_or_404(lesson_id)
    recorder = db.session.get(User, lesson.recorded_by_id) if lesson.recorded_by_id else None
    return render_template("courses/offline/show.html", lesson=lesson, recorder=recorder,
                           revisions=services.revisions(lesson),
                           labels=unit_paths([lesson.unit]))


@bp.route("/<int:lesson_id>/edit", methods=["GET", "POST"])
def edit(lesson_id: int):
    """Correct a lesson record (the previous state is kept as a revision)."""
    lesson = _lesson_or_404(lesson_id)
    form = LessonForm(obj=lesson if request.method == "GET" else None)
    if request.method == "GET":
        form.module_ids.data = [m.id for m in lesson.modules]
        form.attendee_ids.data = [u.id for u in lesson.attendees]
    return _form_page(form, lesson.unit, lesson)
