"""Admin pages for people: search the roster, edit a member, memberships, reset, deactivate."""

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from learning.accounts import services
from learning.accounts.admin_forms import (
    MemberForm,
    MemberSearchForm,
    MembershipForm,
    NewMemberForm,
)
from learning.accounts.forms import ConfirmForm
from learning.accounts.models import User
from learning.audit.services import record
from learning.bounds import page_arg, positive_int
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit
from learning.orgs.services import OrgError, remove_membership, set_membership, subtree_select
from learning.orgs.views import tree_rows
from learning.permissions import can_manage_users, require_role

bp = Blueprint("people", __name__, url_prefix="/admin/members")
PER_PAGE = 30


@bp.before_request
@login_required
def _admins_only():
    require_role(can_manage_users(current_user))


def unit_labels() -> dict[int, str]:
    return {unit.id: label for unit, label in tree_rows()}


def member_query(q: str | None, unit: OrgUnit | None, role: str | None):
    """The filtered member list as one SELECT (paginated by the caller)."""
    query = select(User).options(selectinload(User.memberships)).order_by(User.username)
    if q:
        # autoescape: a "%" or "_" the admin types is looked for, not used as a wildcard.
        term = q.strip()
        query = query.where(or_(User.username.icontains(term, autoescape=True),
                                User.display_name.icontains(term, autoescape=True),
                                User.phone.contains(term, autoescape=True)))
    if unit is not None or role in ("member", "leader"):
        sub = select(Membership.user_id)
        if unit is not None:
            sub = sub.where(Membership.unit_id.in_(subtree_select(unit)))
        if role in ("member", "leader"):
            sub = sub.where(Membership.role == role)
        query = query.where(User.id.in_(sub))
    if role == "admin":
        query = query.where(User.is_admin)
    if role == "inactive":
        query = query.where(User.active.is_(False))
    return query


def password_page(user: User, password: str):
    """The page that shows a generated password once; the browser must not keep a copy."""
    response = make_response(render_template("people/password.html", user=user,
                                             password=password))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def index():
    labels = unit_labels()
    form = MemberSearchForm(request.args)
    form.unit.choices = [(0, _("All units")), *labels.items()]
    unit_id = request.args.get("unit", type=positive_int)  # a number naming no unit: no filter
    unit = db.session.get(OrgUnit, unit_id) if unit_id else None
    page = db.paginate(member_query(form.q.data, unit, form.role.data), per_page=PER_PAGE,
                       page=request.args.get("page", 1, type=page_arg), error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("people/index.html", form=form, page=page, labels=labels, args=args)


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = NewMemberForm()
    if form.validate_on_submit():
        password = services.generate_password()
        try:
            user = services.create_user(form.username.data, form.display_name.data, password,
                                        is_admin=form.is_admin.data, phone=form.phone.data or None,
                                        must_change_password=True)
        except services.AccountError as error:
            form.username.errors.append(str(error))
        else:
            record("user.create", {"user": user.display_name}, target=user)
            return password_page(user, password)
    return render_template("people/new.html", form=form)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = MemberForm(obj=user)
    labels = unit_labels()
    membership_form = MembershipForm(prefix="m")
    membership_form.unit_id.choices = list(labels.items())
    if form.submit.data and form.validate_on_submit():
        if user.id == current_user.id and not form.is_admin.data:
            flash(_("You cannot remove your own administrator rights."), "danger")
        else:
            changes = {}
            values = {"display_name": form.display_name.data.strip(),
                      "phone": form.phone.data or None, "is_admin": form.is_admin.data}
            for field, value in values.items():
                if getattr(user, field) != value:
                    changes[field] = [getattr(user, field), value]
                    setattr(user, field, value)
            if changes:
                record("user.update", {"user": user.display_name}, target=user,
                       details=changes)
            flash(_("Saved."), "success")
            return redirect(url_for("people.edit", user_id=user.id))
    memberships = sorted(user.memberships, key=lambda m: labels.get(m.unit_id, ""))
    return render_template("people/edit.html", user=user, form=form, labels=labels,
                           memberships=memberships, membership_form=membership_form,
                           confirm=ConfirmForm())


@bp.post("/<int:user_id>/memberships")
def add_membership(user_id: int):
    user = db.get_or_404(User, user_id)
    form = MembershipForm(prefix="m")
    form.unit_id.choices = list(unit_labels().items())
    if form.validate_on_submit():
        unit = db.get_or_404(OrgUnit, form.unit_id.data)
        try:
            set_membership(user, unit, form.role.data)
        except OrgError as error:
            flash(str(error), "danger")
        else:
            flash(_("Membership saved."), "success")
    else:
        flash(_("Choose a unit and a role."), "danger")
    return redirect(url_for("people.edit", user_id=user.id))


@bp.post("/<int:user_id>/memberships/<int:membership_id>/delete")
def delete_membership(user_id: int, membership_id: int):
    membership = db.get_or_404(Membership, membership_id)
    if membership.user_id != user_id:
        return redirect(url_for("people.edit", user_id=user_id))
    if ConfirmForm().validate_on_submit():
        remove_membership(membership)
        flash(_("Membership removed."), "success")
    return redirect(url_for("people.edit", user_id=user_id))


@bp.post("/<int:user_id>/reset-password")
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("people.edit", user_id=user.id))
    password = services.reset_password(user)
    record("user.reset_password", {"user": user.display_name}, target=user)
    return password_page(user, password)


@bp.post("/<int:user_id>/active")
def toggle_active(user_id: int):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        if user.id == current_user.id:
            flash(_("You cannot deactivate yourself."), "danger")
        else:
            services.set_active(user, not user.active)
            action = "user.activate" if user.active else "user.deactivate"
            record(action, {"user": user.display_name}, target=user)
            flash(_("Account activated.") if user.active else _("Account deactivated."), "success")
    return redirect(url_for("people.edit", user_id=user.id))
