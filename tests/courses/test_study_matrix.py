"""Role-by-endpoint matrix of 「我的学习」, the module page, reading progress and assignments.

See tests/matrix.py. The module and the assignment belong to group_a (the member's group); the
other module's course is assigned to group_b only.
"""

import pytest

from tests.matrix import ANY_USER, ANY_USER_API, PERSONAS, check

LEADERS_PAGE = {"anonymous": "login", "member": 403, "leader_in": 200, "leader_out": 200,
                "admin": 200}
VIEWERS_POST = {"anonymous": "login", "member": 302, "leader_in": 302, "leader_out": 302,
                "admin": 302}
ANY_USER_POST_API = {**ANY_USER_API}

ENDPOINTS = [
    ("GET", "/study/", ANY_USER),
    ("GET", "/study/courses/{course}", ANY_USER),
    ("GET", "/study/courses/{other_course}", {**ANY_USER, "member": 404}),
    ("GET", "/study/modules/{module}", ANY_USER),
    ("GET", "/study/modules/{other_module}",
     {**ANY_USER, "member": 404}),
    ("POST", "/study/modules/{module}/complete", VIEWERS_POST),
    ("POST", "/study/modules/{other_module}/complete", {**VIEWERS_POST, "member": 404}),
    ("GET", "/study/assignments/", LEADERS_PAGE),
    ("GET", "/study/assignments/new", LEADERS_PAGE),
    ("POST", "/study/assignments/new", LEADERS_PAGE),  # empty form: re-shown with errors
    ("GET", "/study/assignments/{assignment}/extend",
     {"anonymous": "login", "member": 403, "leader_in": 200, "leader_out": 404, "admin": 200}),
    ("POST", "/study/assignments/{assignment}/extend",  # empty form: re-shown with errors
     {"anonymous": "login", "member": 403, "leader_in": 200, "leader_out": 404, "admin": 200}),
    ("POST", "/study/assignments/{assignment}/close",
     {"anonymous": "login", "member": 403, "leader_in": 302, "leader_out": 404, "admin": 302}),
    ("GET", "/api/v1/study/assignments", ANY_USER_API),
    ("GET", "/api/v1/study/modules/{module}", ANY_USER_API),
    ("GET", "/api/v1/study/modules/{other_module}", {**ANY_USER_API, "member": 404}),
    ("POST", "/api/v1/study/modules/{module}/heartbeat", ANY_USER_POST_API),
    ("POST", "/api/v1/study/modules/{other_module}/heartbeat", {**ANY_USER_API, "member": 404}),
    ("POST", "/api/v1/study/modules/{module}/complete", ANY_USER_POST_API),
    ("POST", "/api/v1/assignments",  # empty body: 422 once past the role check
     {"anonymous": 401, "member": 403, "leader_in": 422, "leader_out": 422, "admin": 422}),
    ("POST", "/api/v1/assignments/{assignment}/extend",  # empty body: 422
     {"anonymous": 401, "member": 403, "leader_in": 422, "leader_out": 422, "admin": 422}),
    ("POST", "/api/v1/assignments/{assignment}/close",
     {"anonymous": 401, "member": 403, "leader_in": 200, "leader_out": 404, "admin": 200}),
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_study_role_matrix(client, org, persona, make_course, make_assignment):
    """Each persona gets exactly the expected status from every study endpoint."""
    course = make_course(modules=2, rule="confirm")
    other = make_course("第二专题", modules=1)
    assignment = make_assignment(course, org.group_a)
    # The API close runs after the page close in the same test: give it its own assignment.
    api_assignment = make_assignment(course, org.group_a, title="第2期")
    make_assignment(other, org.group_b)
    endpoints = [(m, t.replace("{assignment}", "{api_assignment}")
                  if t.startswith("/api/") else t, e) for m, t, e in ENDPOINTS]
    ids = {"module": course.module_ids[0], "other_module": other.module_ids[0],
           "course": course.id, "other_course": other.id,
           "assignment": assignment.id, "api_assignment": api_assignment.id}
    failures = check(client, org, persona, endpoints, ids)
    assert not failures, "\n".join(failures)
