"""Deleting a bank, category or question that a quiz uses is refused, naming the quiz; unused
ones go. (The links cascade in the database, so without the guard a quiz would silently lose
questions or a draw.)"""

from html import unescape

from sqlalchemy import select

from learning.extensions import db
from tests.conftest import login, post_form


def _as_admin(client):
    login(client, "admin")
    client.get("/lang/en")


def _count(model, **where):
    return db.session.scalar(select(db.func.count()).select_from(model).filter_by(**where))


def test_question_in_a_quiz_is_kept(app, client, org, make_quiz):
    from quizzes.models import Question

    quiz = make_quiz(title="团史测验")
    _as_admin(client)
    used, unused = quiz.question_ids[0], quiz.bank.question_ids[6]  # the essay is not in it
    page = unescape(post_form(client, f"/admin/questions/{used}/delete",
                              follow_redirects=True).get_data(as_text=True))
    assert "Used by the quiz 团史测验" in page
    post_form(client, f"/admin/questions/{unused}/delete")
    with app.app_context():
        assert db.session.get(Question, used) is not None
        assert db.session.get(Question, unused) is None


def test_category_a_quiz_draws_from_is_kept(app, client, org, make_quiz):
    from quizzes.authoring.services import set_draws
    from quizzes.models import QuestionCategory, Quiz

    quiz = make_quiz(selection="random", title="随机测验")
    with app.app_context():
        basics = db.session.scalar(select(QuestionCategory).where(
            QuestionCategory.path == "党史/基础"))
        top_id = basics.parent_id
        set_draws(db.session.get(Quiz, quiz.id), [(basics.id, 2, False)])
        db.session.commit()
    _as_admin(client)
    # Deleting the parent would delete the drawn category with it.
    response = post_form(client, f"/admin/categories/{top_id}/delete", follow_redirects=True)
    assert "Used by the quiz 随机测验" in unescape(response.get_data(as_text=True))
    with app.app_context():
        assert _count(QuestionCategory, bank_id=quiz.bank.id) == 3


def test_bank_used_by_a_quiz_is_kept_unused_bank_goes(app, client, org, make_quiz, make_bank):
    from quizzes.models import QuestionBank

    quiz = make_quiz(title="团史测验")
    spare = make_bank()
    _as_admin(client)
    response = post_form(client, f"/admin/banks/{quiz.bank.id}/delete", follow_redirects=True)
    assert "Used by the quiz 团史测验" in unescape(response.get_data(as_text=True))
    post_form(client, f"/admin/banks/{spare.id}/delete")
    with app.app_context():
        assert db.session.get(QuestionBank, quiz.bank.id) is not None
        assert db.session.get(QuestionBank, spare.id) is None
