"""Logging in and out, changing one's password, personal API tokens."""

from datetime import timedelta
from functools import cache

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from learning.accounts import login_limits, services
from learning.accounts.forms import ChangePasswordForm, ConfirmForm, LoginForm, TokenForm
from learning.accounts.models import ApiToken, User
from learning.dbtypes import utcnow
from learning.extensions import db, login_manager
from learning.orgs.models import Membership
from learning.orgs.services import unit_paths
from learning.permissions import require
from learning.security import safe_next

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = None  # the login page says what to do; no extra flash
# Flask-Login's "strong" protection would log members out whenever a phone changes network.
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str):
    """Sessions carry "<id>.<session_version>": a bumped version ends old sessions."""
    from learning.api import bearer_token

    if bearer_token():
        return None  # a token-authenticated API call ignores the session cookie
    ident, _sep, version = user_id.partition(".")
    if not ident.isdigit() or not version.isdigit():
        return None
    user = db.session.scalar(_user_select(), {"user_id": int(ident)})
    if user is None or user.session_version != int(version) or not user.active:
        return None
    return user


@cache
def _user_select():
    """The logged-in user by id, on every request: built once per process, because Session.get
    builds its statement and cache key anew each time (a third of a request that does nothing
    else)."""
    return select(User).where(User.id == bindparam("user_id"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = request.values.get("next")
    if current_user.is_authenticated:
        return redirect(safe_next(next_url))
    form = LoginForm(next=next_url)
    if form.validate_on_submit():
        username = services.normalise_username(form.username.data)[:64]
        if login_limits.account_locked(username):
            abort(429)  # before the password is checked: a locked account tells nothing
        user, reason = services.authenticate(
            form.username.data, form.password.data, request.remote_addr,
            request.headers.get("User-Agent"),
        )
        if user is not None:
            # Renew the session: nothing planted before login survives it (session fixation).
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(user, remember=form.remember.data)
            session.permanent = True
            if user.must_change_password:
                flash(_("Please choose your own password before you go on."), "warning")
                return redirect(url_for("accounts.change_password"))
            return redirect(safe_next(form.next.data))
        login_limits.record_failure(username, get_remote_address())
        if reason == "inactive":
            flash(_("This account has been deactivated. Ask your branch secretary."), "danger")
        else:
            flash(_("Wrong username or password."), "danger")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    # After the clear: logout_user() leaves the flag that tells Flask-Login to delete the
    # remember-me cookie; cleared away, the cookie would log the user straight back in.
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.get("/account/")
@login_required
def account():
    """My account: name, units, language, and the way to the password and API token pages."""
    memberships = db.session.scalars(
        select(Membership).where(Membership.user_id == current_user.id)
        .options(joinedload(Membership.unit))).all()
    paths = unit_paths([m.unit for m in memberships])
    return render_template("accounts/account.html",
                           memberships=sorted(memberships, key=lambda m: paths[m.unit_id]),
                           paths=paths)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.new.data)
        except services.AccountError as error:
            form.new.errors.append(str(error))
        else:
            login_user(current_user._get_current_object())  # the new session version
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("home.index"))
    return render_template("accounts/password.html", form=form)


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        expires = utcnow() + timedelta(days=form.days.data) if form.days.data else None
        _token, new_token = services.create_token(current_user, form.name.data, expires)
        flash(_("Copy the token now: it will not be shown again."), "warning")
        form = TokenForm(formdata=None)
    items = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id)
        .order_by(ApiToken.created_at.desc())
    ).all()
    response = make_response(render_template(
        "accounts/tokens.html", form=form, tokens=items, new_token=new_token,
        revoke_form=ConfirmForm(), now=utcnow()))
    response.headers["Cache-Control"] = "no-store"  # the new token is on this page
    return response


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    require(token is not None and token.user_id == current_user.id)
    services.revoke_token(token)
    flash(_("The token %(name)s has been revoked.", name=token.name), "info")
    return redirect(url_for("accounts.tokens"))


@bp.before_app_request
def _require_own_password():
    """A user with a generated password must choose their own before anything else."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in {"accounts.change_password", "accounts.logout", "static",
                                     "bootstrap.static", "i18n.switch", "home.healthz"}
        and not request.path.startswith("/api/")
    ):
        return redirect(url_for("accounts.change_password"))
    return None
