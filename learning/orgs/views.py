"""Admin pages for the organisation tree: list, create, rename, move, delete units."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from learning.accounts.forms import ConfirmForm
from learning.extensions import db
from learning.orgs import services
from learning.orgs.forms import UnitForm
from learning.orgs.models import Membership, OrgUnit
from learning.permissions import can_manage_org, require_role

bp = Blueprint("orgs", __name__, url_prefix="/admin/units")


@bp.before_request
@login_required
def _admins_only():
    require_role(can_manage_org(current_user))


def tree_rows() -> list[tuple[OrgUnit, str]]:
    """All units in display order (depth-first, siblings by position then name) with paths."""
    units = db.session.scalars(select(OrgUnit)).all()
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    rows: list[tuple[OrgUnit, str]] = []
    stack = [(u, u.name) for u in sorted(children.get(None, []),
                                         key=lambda u: (u.position, u.name), reverse=True)]
    while stack:  # ordering rows for display, from the one list already loaded
        unit, label = stack.pop()
        rows.append((unit, label))
        for child in sorted(children.get(unit.id, []), key=lambda u: (u.position, u.name),
                            reverse=True):
            stack.append((child, f"{label}/{child.name}"))
    return rows


def parent_choices(exclude: OrgUnit | None = None) -> list[tuple[int, str]]:
    """(id, path) for every unit that can be a parent; `exclude`'s own subtree is left out."""
    choices = [(0, _("(top level)"))]
    for unit, label in tree_rows():
        if exclude is None or not unit.is_at_or_below(exclude):
            choices.append((unit.id, label))
    return choices


@bp.get("/")
def index():
    rows = tree_rows()
    counts = dict(db.session.execute(
        select(Membership.unit_id, func.count()).group_by(Membership.unit_id)).all())
    return render_template("orgs/index.html", rows=rows, counts=counts)


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = UnitForm()
    form.parent_id.choices = parent_choices()
    if form.validate_on_submit():
        parent = db.session.get(OrgUnit, form.parent_id.data) if form.parent_id.data else None
        try:
            unit = services.create_unit(form.name.data, form.kind.data, parent,
                                        form.position.data or 0)
        except services.OrgError as error:
            form.name.errors.append(str(error))
        else:
            flash(_("Unit %(name)s created.", name=unit.name), "success")
            return redirect(url_for("orgs.index"))
    return render_template("orgs/form.html", form=form, unit=None)


@bp.route("/<int:unit_id>", methods=["GET", "POST"])
def edit(unit_id: int):
    unit = db.get_or_404(OrgUnit, unit_id)
    form = UnitForm(obj=unit)
    form.parent_id.choices = parent_choices(exclude=unit)
    if not form.is_submitted():
        form.parent_id.data = unit.parent_id or 0
    if form.validate_on_submit():
        new_parent = db.session.get(OrgUnit, form.parent_id.data) if form.parent_id.data else None
        try:
            # Move (and rename) first: the new name must be free among the new siblings.
            if (new_parent.id if new_parent else None) != unit.parent_id:
                services.move_unit(unit, new_parent, new_name=form.name.data)
            services.rename_unit(unit, form.name.data, form.kind.data, form.position.data or 0)
        except services.OrgError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            flash(_("Unit %(name)s saved.", name=form.name.data), "success")
            return redirect(url_for("orgs.index"))
    return render_template("orgs/form.html", form=form, unit=unit, delete_form=ConfirmForm(),
                           member_count=services.subtree_member_count(unit))


@bp.post("/<int:unit_id>/delete")
def delete(unit_id: int):
    unit = db.get_or_404(OrgUnit, unit_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = unit.name
        try:
            services.delete_unit(unit)
        except services.OrgError as error:
            flash(str(error), "danger")
            return redirect(url_for("orgs.edit", unit_id=unit_id))
        flash(_("Unit %(name)s deleted.", name=name), "success")
    return redirect(url_for("orgs.index"))
