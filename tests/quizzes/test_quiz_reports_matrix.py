"""Role-by-endpoint matrix of quiz statistics: the page, its XLSX export and the API.

See tests/matrix.py. The quiz's course is assigned to group_a, so the member could take it, yet
statistics are for admins and leaders only (404 to a member, as if there were none). Leaders
may see a published quiz, restricted to their subtree: a unit outside it is a 404. The hidden
quiz belongs to an unpublished course, which only admins see.
"""

import pytest

from tests.matrix import PERSONAS, check

VIEWERS = {"anonymous": "login", "member": 404, "leader_in": 200, "leader_out": 200,
           "admin": 200}
IN_GROUP_A = {**VIEWERS, "leader_out": 404}
ADMINS_ONLY = {**VIEWERS, "leader_in": 404, "leader_out": 404}
VIEWERS_API = {**VIEWERS, "anonymous": 401}
IN_GROUP_A_API = {**IN_GROUP_A, "anonymous": 401}
ADMINS_ONLY_API = {**ADMINS_ONLY, "anonymous": 401}
MISSING = {"anonymous": "login", "member": 404, "leader_in": 404, "leader_out": 404,
           "admin": 404}

ENDPOINTS = [
    ("GET", "/quizzes/{quiz}/statistics", VIEWERS),
    ("GET", "/quizzes/{quiz}/statistics?unit={group_a}", IN_GROUP_A),
    ("GET", "/quizzes/{hidden_quiz}/statistics", ADMINS_ONLY),
    ("GET", "/quizzes/{missing}/statistics", MISSING),
    ("GET", "/quizzes/{quiz}/statistics.xlsx", VIEWERS),
    ("GET", "/quizzes/{quiz}/statistics.xlsx?unit={group_a}", IN_GROUP_A),
    ("GET", "/quizzes/{hidden_quiz}/statistics.xlsx", ADMINS_ONLY),
    ("GET", "/api/v1/quizzes/{quiz}/statistics", VIEWERS_API),
    ("GET", "/api/v1/quizzes/{quiz}/statistics?unit={group_a}", IN_GROUP_A_API),
    ("GET", "/api/v1/quizzes/{hidden_quiz}/statistics", ADMINS_ONLY_API),
    ("GET", "/api/v1/quizzes/{missing}/statistics", {**MISSING, "anonymous": 401}),
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_quiz_reports_role_matrix(client, org, persona, make_course, make_quiz,
                                  make_assignment):
    """Each persona gets exactly the expected status from every statistics endpoint."""
    quiz = make_quiz()
    make_assignment(quiz.course, org.group_a)
    hidden = make_quiz(course=make_course("未发布专题", published=False, rule="quiz"),
                       bank=quiz.bank)
    ids = {"quiz": quiz.id, "hidden_quiz": hidden.id, "missing": 999_999,
           "group_a": org.group_a.id}
    failures = check(client, org, persona, ENDPOINTS, ids)
    assert not failures, "\n".join(failures)
