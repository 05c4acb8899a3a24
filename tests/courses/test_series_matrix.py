"""Role-by-endpoint matrix of the weekly series pages and API (see tests/matrix.py).

The series belongs to branch_a (leader_in leads it; leader_out leads branch_b)."""

from datetime import timedelta

import pytest

from courses.models import Course
from courses.series import services
from learning.extensions import db
from learning.orgs.models import OrgUnit
from tests.matrix import PERSONAS, check

LEADERS_PAGE = {"anonymous": "login", "member": 403, "leader_in": 200, "leader_out": 200,
                "admin": 200}
SERIES_PAGE = {**LEADERS_PAGE, "leader_out": 404}
SERIES_POST = {"anonymous": "login", "member": 403, "leader_in": 302, "leader_out": 404,
               "admin": 302}
LEADERS_API = {"anonymous": 401, "member": 403, "leader_in": 200, "leader_out": 200,
               "admin": 200}

ENDPOINTS = [
    ("GET", "/series/", LEADERS_PAGE),
    ("GET", "/series/new", LEADERS_PAGE),
    ("POST", "/series/new", LEADERS_PAGE),  # empty form: re-shown with errors
    ("GET", "/series/{series}", SERIES_PAGE),
    ("GET", "/series/{series}/edit", SERIES_PAGE),
    ("POST", "/series/{series}/edit", SERIES_PAGE),  # empty form: re-shown with errors
    ("POST", "/series/{series}/periods", SERIES_POST),
    ("POST", "/series/{series}/delete", SERIES_POST),
    ("GET", "/api/v1/series", LEADERS_API),
    ("POST", "/api/v1/series", {**LEADERS_API, "leader_in": 422, "leader_out": 422,
                                "admin": 422}),  # empty body
    ("GET", "/api/v1/series/{api_series}", {**LEADERS_API, "leader_out": 404}),
    ("PATCH", "/api/v1/series/{api_series}", {**LEADERS_API, "leader_out": 404}),
    ("POST", "/api/v1/series/{api_series}/periods",
     {**LEADERS_API, "leader_in": 201, "leader_out": 404, "admin": 201}),
    ("DELETE", "/api/v1/series/{api_series}",
     {**LEADERS_API, "leader_in": 204, "leader_out": 404, "admin": 204}),
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_series_role_matrix(app, client, org, persona, make_course):
    """Each persona gets exactly the expected status from every series endpoint."""
    # Two courses: the same module of one course cannot be assigned twice for one week.
    courses = [make_course(f"专题{i}", modules=3, rule="confirm") for i in range(2)]
    ids = {}
    with app.app_context():
        unit = db.session.get(OrgUnit, org.branch_a.id)
        for key, course in zip(("series", "api_series"), courses, strict=True):
            series = services.create_series(
                services.SeriesInput(title=f"青年大学习 {key}", course_id=course.id,
                                     unit_id=unit.id,
                                     starts_on=services.today() + timedelta(days=1)),
                actor=None, unit=unit, course=db.session.get(Course, course.id))
            db.session.flush()
            ids[key] = series.id
        db.session.commit()
    failures = check(client, org, persona, ENDPOINTS, ids)
    assert not failures, "\n".join(failures)
