"""The landing page after login and the health check."""

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from learning.extensions import db

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    """The start page, leading to the next step: a leader's units with their open periods,
    then the user's own study (the units one belongs to are on the account page)."""
    # Feature packages add their part of the page (the dashboard from learning.reports,
    # 「我的学习」 from courses.study) without the core importing them: each provider returns
    # (template name, context for that template), or None when it has nothing for this user.
    sections = [section for provider in current_app.extensions.get("home_sections", [])
                if (section := provider(current_user)) is not None]
    return render_template("home/index.html", sections=sections)


@bp.get("/healthz")
def healthz():
    """Load balancer check: the app answers and the database does too."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.exception("health check: database unreachable")
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}
