"""Role-by-endpoint matrix of the quiz API: banks (admins), quizzes, attempts.

See tests/matrix.py. The course of `quiz`, `open_quiz` and `done_quiz` is assigned to group_a
(the member's group); `other_quiz`'s course only to group_b. `attempt` is the member's attempt
in progress at `open_quiz` (submitted by the last row that uses it), `done_attempt` the member's
finished attempt at `done_quiz`. Bodies are empty (`{}`): where a body is needed, a caller who
passes the permission check gets 422, everyone else their 401/403/404 before the body is read.
"""

import io

import pytest
from sqlalchemy import func, select

from learning.extensions import db
from quizzes.attempts import services as attempts
from quizzes.authoring.services import create_quiz, set_questions
from quizzes.models import Attempt, Question, QuestionBank, Quiz
from tests.matrix import ADMIN_API, ANY_USER_API, PERSONAS, check

# Everyone who may take the quiz starts their own attempt.
TAKERS_CREATE = {**ANY_USER_API, **{p: 201 for p in ("member", "leader_in", "leader_out",
                                                      "admin")}}
NOT_MEMBER = {**ANY_USER_API, "member": 404}
NOT_MEMBER_CREATE = {**TAKERS_CREATE, "member": 404}
OWNER = {"anonymous": 401, "member": 200, "leader_in": 404, "leader_out": 404, "admin": 404}
ADMIN_BODY = {**ADMIN_API, "admin": 422}  # past the role check, the empty body is refused
STAFF_IN_SCOPE = {"anonymous": 401, "member": 200, "leader_in": 200, "leader_out": 404,
                  "admin": 200}
GRADERS = {"anonymous": 401, "member": 403, "leader_in": 422, "leader_out": 404, "admin": 422}

ENDPOINTS = [
    ("GET", "/api/v1/banks", ADMIN_API),
    ("GET", "/api/v1/banks/{bank}", ADMIN_API),
    ("POST", "/api/v1/banks/import", ADMIN_API),  # admin: a dry run of a good file
    ("GET", "/api/v1/banks/{bank}/export", ADMIN_API),
    ("GET", "/api/v1/banks/{bank}/export?format=xlsx", ADMIN_API),
    ("GET", "/api/v1/quizzes", ANY_USER_API),
    ("POST", "/api/v1/quizzes", ADMIN_BODY),
    ("GET", "/api/v1/quizzes/{quiz}", ANY_USER_API),
    ("GET", "/api/v1/quizzes/{other_quiz}", NOT_MEMBER),
    ("PATCH", "/api/v1/quizzes/{quiz}", ADMIN_API),  # admin: nothing to change
    ("PUT", "/api/v1/quizzes/{quiz}/questions", ADMIN_BODY),
    ("PUT", "/api/v1/quizzes/{quiz}/draws", ADMIN_BODY),
    ("POST", "/api/v1/quizzes/{quiz}/attempts", TAKERS_CREATE),
    ("POST", "/api/v1/quizzes/{other_quiz}/attempts", NOT_MEMBER_CREATE),
    ("GET", "/api/v1/quizzes/{quiz}/attempts", ANY_USER_API),
    ("GET", "/api/v1/quizzes/{other_quiz}/attempts", NOT_MEMBER),
    ("GET", "/api/v1/attempts/{attempt}", OWNER),
    ("PUT", "/api/v1/attempts/{attempt}/answers", OWNER),  # owner: nothing to save
    ("PATCH", "/api/v1/attempts/{attempt}/answers", OWNER),
    ("GET", "/api/v1/attempts/{attempt}/result", STAFF_IN_SCOPE),
    ("POST", "/api/v1/attempts/{attempt}/submit", OWNER),
    ("GET", "/api/v1/attempts/{done_attempt}/result", STAFF_IN_SCOPE),
    ("POST", "/api/v1/attempts/{done_attempt}/slots/{slot}/grade", GRADERS),
]

GIFT = "::团::中国共产主义青年团成立于哪一年？{~1920 =1922 ~1925}\n"


@pytest.fixture
def quizzes(app, org, make_course, make_assignment):
    """Four one-question quizzes and the member's two attempts; ids by name."""
    course = make_course("测验专题", modules=3, rule="quiz")
    other = make_course("外组专题", modules=1, rule="quiz")
    make_assignment(course, org.group_a)
    make_assignment(other, org.group_b)
    with app.app_context():
        from quizzes.banks.services import apply_import

        bank = apply_import("团史题库", GIFT.encode(), "bank.gift").bank
        question_id = db.session.scalar(select(Question.id).where(Question.bank_id == bank.id))
        made = {}
        for name, course_id, module_id in (
                ("quiz", course.id, course.module_ids[0]),
                ("open_quiz", course.id, course.module_ids[1]),
                ("done_quiz", course.id, course.module_ids[2]),
                ("other_quiz", other.id, other.module_ids[0])):
            quiz = create_quiz(course_id, module_id, title=name)
            set_questions(quiz, [(question_id, None)])
            made[name] = quiz
        made["attempt"] = attempts.start_attempt(made["open_quiz"], org.member.id)
        done = attempts.start_attempt(made["done_quiz"], org.member.id)
        attempts.submit(done, {"1": {"option": "o2"}})
        made["done_attempt"] = done
        db.session.commit()
        ids = {name: thing.id for name, thing in made.items()}
        ids.update(bank=bank.id, slot=1)
    return ids


@pytest.mark.parametrize("persona", PERSONAS)
def test_quiz_api_role_matrix(app, client, org, persona, quizzes):
    """Each persona gets exactly the expected status from every quiz API endpoint."""
    upload = {"/api/v1/banks/import": lambda: {
        "file": (io.BytesIO("::新:: 新题{T}".encode()), "new.gift"), "bank": "新题库"}}
    failures = check(client, org, persona, ENDPOINTS, quizzes, upload)
    assert not failures, "\n".join(failures)
    with app.app_context():
        # Only admins and takers wrote anything: no bank imported (a dry run), no quiz made,
        # and the member's open attempt was submitted only by its member.
        assert db.session.scalar(select(func.count()).select_from(QuestionBank)) == 1
        assert db.session.scalar(select(func.count()).select_from(Quiz)) == 4
        attempt = db.session.get(Attempt, quizzes["attempt"])
        assert attempt.state == ("finished" if persona == "member" else "in_progress")
