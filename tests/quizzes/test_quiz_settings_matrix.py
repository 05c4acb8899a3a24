"""Role-by-endpoint matrix of the quiz settings pages: admins only, everyone else 403.

See tests/matrix.py. Rows that write come after the rows that read the same quiz: the empty
question-list post (a valid, complete list of no questions) empties the fixed quiz.
"""

import pytest
from sqlalchemy import func, select

from learning.extensions import db
from quizzes.authoring.services import create_quiz, set_draws
from quizzes.models import QuestionCategory, Quiz, QuizDraw, QuizQuestion
from tests.matrix import ADMIN_PAGE, ADMIN_POST, PERSONAS, check

# Admins get the form again with its errors (a post without fields has no title).
ADMIN_FORM_ERRORS = {**ADMIN_PAGE, "admin": 200}
ADMIN_MISSING = {**ADMIN_PAGE, "admin": 404}

ENDPOINTS = [
    ("GET", "/admin/quizzes/", ADMIN_PAGE),
    ("GET", "/admin/courses/{course}/quizzes/new", ADMIN_PAGE),
    ("GET", "/admin/courses/{course}/quizzes/new?module={free_module}", ADMIN_PAGE),
    ("POST", "/admin/courses/{course}/quizzes/new", ADMIN_FORM_ERRORS),
    ("GET", "/admin/courses/999999/quizzes/new", ADMIN_MISSING),
    ("GET", "/admin/quizzes/{quiz}", ADMIN_PAGE),
    ("GET", "/admin/quizzes/{quiz}?bank={bank}&page=2", ADMIN_PAGE),
    ("GET", "/admin/quizzes/{random_quiz}", ADMIN_PAGE),
    ("GET", "/admin/quizzes/999999", ADMIN_MISSING),
    ("POST", "/admin/quizzes/{quiz}", ADMIN_FORM_ERRORS),
    ("GET", "/admin/quizzes/{quiz}/preview", ADMIN_PAGE),
    ("GET", "/admin/quizzes/{random_quiz}/preview", ADMIN_PAGE),
    ("POST", "/admin/quizzes/{quiz}/questions", ADMIN_POST),
    ("POST", "/admin/quizzes/{random_quiz}/draws", ADMIN_POST),
    ("POST", "/admin/quizzes/{doomed_quiz}/delete", ADMIN_POST),
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_quiz_settings_role_matrix(app, client, org, persona, make_quiz):
    """Each persona gets exactly the expected status from every quiz settings page."""
    quiz = make_quiz()
    doomed = make_quiz(course=quiz.course, standalone=True, bank=quiz.bank)
    with app.app_context():
        random_quiz = create_quiz(quiz.course.id, quiz.course.module_ids[1], title="随机测验",
                                  selection="random")
        category = db.session.scalar(select(QuestionCategory)
                                     .where(QuestionCategory.path == "党史"))
        set_draws(random_quiz, [(category.id, 2, True)])
        db.session.commit()
        ids = {"course": quiz.course.id, "free_module": quiz.course.module_ids[1],
               "quiz": quiz.id, "random_quiz": random_quiz.id, "doomed_quiz": doomed.id,
               "bank": quiz.bank.id}
    failures = check(client, org, persona, ENDPOINTS, ids)
    assert not failures, "\n".join(failures)
    with app.app_context():
        admin = persona == "admin"
        # Only an admin changed anything.
        assert (db.session.get(Quiz, doomed.id) is None) == admin
        assert db.session.get(Quiz, quiz.id).title == "第一单元测验"
        listed = db.session.scalar(select(func.count()).select_from(QuizQuestion)
                                   .where(QuizQuestion.quiz_id == quiz.id))
        assert listed == (0 if admin else 6)
        drawn = db.session.scalar(select(func.count()).select_from(QuizDraw)
                                  .where(QuizDraw.quiz_id == random_quiz.id))
        assert drawn == (0 if admin else 1)
