"""The landing page after login and the health check."""

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from learning.extensions import db
from learning.orgs.models import Membership
from learning.orgs.services import unit_paths

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    """「我的学习」 start page: the units the user belongs to and leads."""
    memberships = db.session.scalars(
        select(Membership).where(Membership.user_id == current_user.id)
        .join(Membership.unit)
    ).all()
    paths = unit_paths([m.unit for m in memberships])
    # Feature packages add their part of the page ("我的学习" from courses.study) without the
    # core importing them: each provider returns (template name, context for that template).
    sections = [provider(current_user)
                for provider in current_app.extensions.get("home_sections", [])]
    return render_template("home/index.html", memberships=memberships, paths=paths,
                           sections=sections)


@bp.get("/healthz")
def healthz():
    """Load balancer check: the app answers and the database does too."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.exception("health check: database unreachable")
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}
