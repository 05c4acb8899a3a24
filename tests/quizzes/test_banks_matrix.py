"""Role-by-endpoint matrix of the question-bank pages: admins only, everyone else 403."""

import pytest
from sqlalchemy import select

from learning.extensions import db
from quizzes.banks import services
from quizzes.models import Question, QuestionBank, QuestionCategory
from tests.matrix import ADMIN_PAGE, ADMIN_POST, PERSONAS, check, upload

# Admins get the page again with the form's errors (a post without fields is incomplete).
ADMIN_FORM_ERRORS = {**ADMIN_PAGE, "admin": 200}

ENDPOINTS = [
    ("GET", "/admin/banks/", ADMIN_PAGE),
    ("POST", "/admin/banks/", ADMIN_FORM_ERRORS),
    ("GET", "/admin/banks/template.xlsx", ADMIN_PAGE),
    ("GET", "/admin/banks/template.csv", ADMIN_PAGE),
    ("GET", "/admin/banks/{bank}", ADMIN_PAGE),
    ("GET", "/admin/banks/{bank}/edit", ADMIN_PAGE),
    # A post without fields keeps the bank's values (WTForms) and saves: admin redirected.
    ("POST", "/admin/banks/{bank}/edit", ADMIN_POST),
    ("POST", "/admin/banks/{doomed_bank}/delete", ADMIN_POST),
    ("POST", "/admin/banks/{bank}/categories", ADMIN_FORM_ERRORS),
    ("GET", "/admin/categories/{category}", ADMIN_PAGE),
    ("POST", "/admin/categories/{category}", ADMIN_POST),
    ("POST", "/admin/categories/{doomed_category}/delete", ADMIN_POST),
    ("GET", "/admin/banks/{bank}/questions/new", ADMIN_PAGE),
    ("GET", "/admin/banks/{bank}/questions/new?type=single", ADMIN_PAGE),
    ("POST", "/admin/banks/{bank}/questions/new?type=single", ADMIN_FORM_ERRORS),
    ("GET", "/admin/questions/{question}", ADMIN_PAGE),
    ("POST", "/admin/questions/{question}", ADMIN_FORM_ERRORS),
    ("GET", "/admin/questions/{question}/preview", ADMIN_PAGE),
    ("POST", "/admin/questions/{doomed_question}/delete", ADMIN_POST),
    ("POST", "/admin/banks/{bank}/preview", {**ADMIN_PAGE, "admin": 200}),  # an empty preview
    ("GET", "/admin/banks/{bank}/import", ADMIN_PAGE),
    ("POST", "/admin/banks/{bank}/import", ADMIN_PAGE),  # admin: the dry run
    ("POST", "/admin/banks/{bank}/import/apply", ADMIN_POST),  # admin: no token, back to upload
    ("GET", "/admin/banks/{bank}/export", ADMIN_PAGE),  # GIFT by default
    ("GET", "/admin/banks/{bank}/export?format=xlsx", ADMIN_PAGE),
]

GIFT = """\
$CATEGORY: 团史/成立
::成立::中国共产主义青年团成立于哪一年？{~1920 =1922 ~1925}

::删::这道题会被删除。{T}

$CATEGORY: 待删
::留::这道题留下。{F}
"""


@pytest.mark.parametrize("persona", PERSONAS)
def test_banks_role_matrix(app, client, org, persona):
    """Each persona gets exactly the expected status from every bank page."""
    with app.app_context():
        bank = services.apply_import("团史题库", GIFT.encode(), "bank.gift").bank
        doomed_bank = services.apply_import("待删题库", b"::x:: x{T}", "x.gift").bank
        db.session.commit()
        categories = {c.path: c.id for c in db.session.scalars(select(QuestionCategory))}
        questions = {q.name: q.id for q in db.session.scalars(select(Question))}
        ids = {"bank": bank.id, "doomed_bank": doomed_bank.id,
               "category": categories["团史/成立"], "doomed_category": categories["待删"],
               "question": questions["成立"], "doomed_question": questions["删"]}
    files = {"/admin/banks/{bank}/import": upload("new.gift", "::新:: 新题{T}".encode())}
    failures = check(client, org, persona, ENDPOINTS, ids, files)
    assert not failures, "\n".join(failures)
    with app.app_context():
        left = (db.session.get(QuestionBank, ids["doomed_bank"]),
                db.session.get(QuestionCategory, ids["doomed_category"]),
                db.session.get(Question, ids["doomed_question"]))
        # Only an admin changed anything; nothing was imported without "apply".
        assert all((item is None) == (persona == "admin") for item in left)
        assert db.session.scalar(select(Question).where(Question.name == "新")) is None
