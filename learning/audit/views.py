"""The audit log and the login log, for admins."""

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from learning.accounts.models import LoginEvent
from learning.audit.models import AuditEntry
from learning.bounds import page_arg
from learning.extensions import db
from learning.messages import AUDIT_ACTIONS, AUDIT_GROUPS
from learning.permissions import can_view_audit_log, require_role

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.before_request
@login_required
def _admins_only():
    require_role(can_view_audit_log(current_user))


def kind_choices() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The filter's named kinds: (group key, group name, [(action, action name)]), translated."""
    return [(group, str(name), [(action, str(entry.label))
                                for action, entry in AUDIT_ACTIONS.items()
                                if action.split(".")[0] == group])
            for group, name in AUDIT_GROUPS.items()]


@bp.get("/")
def index():
    """The audit log, newest first, filtered by a named kind: one action, or a group of them."""
    action = request.args.get("action", "").strip()
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    error = None
    if action in AUDIT_ACTIONS:
        query = query.where(AuditEntry.action == action)
    elif action in AUDIT_GROUPS:
        query = query.where(AuditEntry.action.startswith(action + ".", autoescape=True))
    elif action:
        error = _("There is no kind of entry called “%(kind)s”; all entries are shown.",
                  kind=action)
        action = ""
    page = db.paginate(query, page=request.args.get("page", 1, type=page_arg), per_page=50,
                       error_out=False)
    return render_template("audit/index.html", page=page, action=action, error=error,
                           kinds=kind_choices())


@bp.get("/logins")
def logins():
    failed_only = request.args.get("failed") == "1"
    query = select(LoginEvent).order_by(LoginEvent.created_at.desc(), LoginEvent.id.desc())
    if failed_only:
        query = query.where(LoginEvent.success.is_(False))
    page = db.paginate(query, page=request.args.get("page", 1, type=page_arg), per_page=50,
                       error_out=False)
    return render_template("audit/logins.html", page=page, failed_only=failed_only)
