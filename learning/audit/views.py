"""The audit log and the login log, for admins."""

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from learning.accounts.models import LoginEvent
from learning.audit.models import AuditEntry
from learning.extensions import db
from learning.permissions import can_view_audit_log, require_role

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.before_request
@login_required
def _admins_only():
    require_role(can_view_audit_log(current_user))


@bp.get("/")
def index():
    action = request.args.get("action", "").strip()
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("audit/index.html", page=page, action=action)


@bp.get("/logins")
def logins():
    failed_only = request.args.get("failed") == "1"
    query = select(LoginEvent).order_by(LoginEvent.created_at.desc(), LoginEvent.id.desc())
    if failed_only:
        query = query.where(LoginEvent.success.is_(False))
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("audit/logins.html", page=page, failed_only=failed_only)
