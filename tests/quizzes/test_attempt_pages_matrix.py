"""Role-by-endpoint matrix of the member's quiz pages: the quiz, answering, review, grading.

See tests/matrix.py. The quiz's course is assigned to group_a (the member's group); the other
quiz's course to nobody. `attempt` is the member's open attempt, `finished` their submitted
one (with an essay waiting for a mark). Only the owner answers an attempt; leaders in scope
and admins review and grade it; the rows that change state come last.
"""

import pytest

from learning.extensions import db
from tests.matrix import ANY_USER, PERSONAS, check

OWNER_ONLY = {"anonymous": "login", "member": 200, "leader_in": 404, "leader_out": 404,
              "admin": 404}
OWNER_ONLY_POST = {**OWNER_ONLY, "member": 302}
ANY_USER_POST = {**ANY_USER, "member": 302, "leader_in": 302, "leader_out": 302, "admin": 302}
STAFF_PAGE = {"anonymous": "login", "member": 403, "leader_in": 200, "leader_out": 200,
              "admin": 200}

ENDPOINTS = [
    ("GET", "/quizzes/{quiz}", ANY_USER),
    ("GET", "/quizzes/{other_quiz}", {**ANY_USER, "member": 404}),
    ("GET", "/quizzes/{quiz}/grading", STAFF_PAGE),
    ("GET", "/attempts/{attempt}", OWNER_ONLY),
    ("GET", "/attempts/{attempt}?page=2", OWNER_ONLY),
    ("POST", "/attempts/{attempt}", OWNER_ONLY_POST),  # nothing to save: back to the page
    ("POST", "/attempts/{attempt}/autosave", OWNER_ONLY),
    ("GET", "/attempts/{attempt}/submit", OWNER_ONLY),
    ("GET", "/attempts/{finished}/review",
     {"anonymous": "login", "member": 200, "leader_in": 200, "leader_out": 404, "admin": 200}),
    # An empty mark is refused with a message (302 back to the review) once past the policy.
    ("POST", "/attempts/{finished}/slots/{essay}/grade",
     {"anonymous": "login", "member": 403, "leader_in": 302, "leader_out": 404, "admin": 302}),
    ("POST", "/attempts/{attempt}/submit", OWNER_ONLY_POST),
    ("POST", "/quizzes/{other_quiz}/start", {**ANY_USER_POST, "member": 404}),
    ("POST", "/quizzes/{quiz}/start", ANY_USER_POST),
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_attempt_pages_role_matrix(app, client, org, persona, make_quiz, make_course,
                                   make_assignment):
    """Each persona gets exactly the expected status from every quiz page."""
    from quizzes.attempts import services
    from quizzes.models import Attempt, Quiz

    quiz = make_quiz(with_essay=True, layout="one")
    make_assignment(quiz.course, org.group_a)
    other = make_quiz(course=make_course("未分配专题", rule="quiz"), bank=quiz.bank)
    with app.app_context():
        finished = services.start_attempt(db.session.get(Quiz, quiz.id), org.member.id)
        services.submit(finished, {"7": {"text": "我的体会"}})
        attempt = services.start_attempt(db.session.get(Quiz, quiz.id), org.member.id)
        db.session.commit()
        ids = {"quiz": quiz.id, "other_quiz": other.id, "attempt": attempt.id,
               "finished": finished.id, "essay": 7}
    failures = check(client, org, persona, ENDPOINTS, ids)
    assert not failures, "\n".join(failures)
    with app.app_context():
        state = db.session.get(Attempt, ids["attempt"]).state
        # Only the owner's submit finished it (her start afterwards began attempt 3).
        assert state == ("finished" if persona == "member" else "in_progress")
