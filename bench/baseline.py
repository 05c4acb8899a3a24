"""The baselines the load benchmark divides by, served by the same gunicorn as the pages.

    gunicorn --config gunicorn.conf.py 'bench.baseline:create()'

is the production app (`wsgi:app`) with two more routes, for benchmarks only:

* `/_bench/baseline/<module>`: what every page costs at least: the login check, one
  primary-key query and the base template (navigation, unread badge, flashes);
* `/_bench/aggregate/<assignment>/<unit>`: the same plus one aggregate over the unit's roster
  (its members' CourseProgress rows grouped by status), the least a report of that unit could do.
"""

import sys
from pathlib import Path

from flask import Blueprint, abort, render_template
from flask_login import login_required
from sqlalchemy import case, func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from courses.models import Assignment, CourseProgress, Module
from learning import create_app
from learning.accounts.models import User
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit

bp = Blueprint("bench", __name__, template_folder="templates")


@bp.get("/_bench/baseline/<int:module_id>")
@login_required
def baseline(module_id: int):
    module = db.session.get(Module, module_id) or abort(404)
    return render_template("bench/baseline.html", title=module.title, rows=None)


@bp.get("/_bench/aggregate/<int:assignment_id>/<int:unit_id>")
@login_required
def aggregate(assignment_id: int, unit_id: int):
    assignment = db.session.get(Assignment, assignment_id) or abort(404)
    unit = db.session.get(OrgUnit, unit_id) or abort(404)
    total = select(func.count()).select_from(Module).where(
        Module.course_id == assignment.course_id, Module.published).scalar_subquery()
    roster = (select(Membership.user_id).join(OrgUnit, OrgUnit.id == Membership.unit_id)
              .join(User, User.id == Membership.user_id)
              .where(OrgUnit.path.startswith(unit.path), User.active)
              .group_by(Membership.user_id).subquery())
    status = case((CourseProgress.done >= total, "completed"),
                  (CourseProgress.opened.is_(True), "in_progress"), else_="not_started")
    rows = db.session.execute(
        select(status.label("status"), func.count())
        .select_from(roster).outerjoin(CourseProgress, (CourseProgress.user_id == roster.c.user_id)
                                       & (CourseProgress.course_id == assignment.course_id))
        .group_by("status")).all()
    return render_template("bench/baseline.html", title=unit.name, rows=rows)


def create():
    """The app gunicorn serves: `gunicorn ... 'bench.baseline:create()'`."""
    app = create_app()
    app.register_blueprint(bp)
    return app
