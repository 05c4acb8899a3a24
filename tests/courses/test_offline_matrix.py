"""Role-by-endpoint matrix of the offline-lesson pages and API (see tests/matrix.py)."""

import pytest

from tests.courses.test_offline import record
from tests.matrix import PERSONAS, check

LEADERS_IN = {"anonymous": "login", "member": 403, "leader_in": 200, "leader_out": 404,
              "admin": 200}
LEADERS = {**LEADERS_IN, "leader_out": 200}
LEADERS_API = {"anonymous": 401, "member": 403, "leader_in": 200, "leader_out": 200,
               "admin": 200}
LEADERS_IN_API = {**LEADERS_API, "leader_out": 404}
# An empty JSON body: the schema answers 422 once the caller may record at all.
CREATE_API = {"anonymous": 401, "member": 403, "leader_in": 422, "leader_out": 422,
              "admin": 422}

ENDPOINTS = [
    ("GET", "/offline-lessons/", LEADERS),
    ("GET", "/offline-lessons/new/{group_a}", LEADERS_IN),
    ("POST", "/offline-lessons/new/{group_a}", LEADERS_IN),  # no save button: form again
    ("GET", "/offline-lessons/{lesson}", LEADERS_IN),
    ("GET", "/offline-lessons/{lesson}/edit", LEADERS_IN),
    ("POST", "/offline-lessons/{lesson}/edit", LEADERS_IN),
    ("POST", "/api/v1/offline-lessons", CREATE_API),
    ("GET", "/api/v1/offline-lessons", LEADERS_API),
    ("GET", "/api/v1/offline-lessons/{lesson}", LEADERS_IN_API),
    ("PATCH", "/api/v1/offline-lessons/{lesson}", LEADERS_IN_API),  # {}: nothing changes
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_offline_role_matrix(app, client, org, make_course, persona):
    course = make_course(modules=1)
    lesson = record(app, org.group_a, course.module_ids, [org.member.id], by=org.leader_in)
    ids = {"group_a": org.group_a.id, "lesson": lesson}
    failures = check(client, org, persona, ENDPOINTS, ids)
    assert not failures, "\n".join(failures)
