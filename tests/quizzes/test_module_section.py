"""The module page shows the module's quiz, with my grade only when the review policy allows."""

from learning.extensions import db
from tests.conftest import login
from tests.quizzes.conftest import RIGHT


def _finish_full_marks(app, quiz, user):
    from quizzes.attempts import services
    from quizzes.models import Quiz

    with app.app_context():
        attempt = services.start_attempt(db.session.get(Quiz, quiz.id), user.id)
        services.submit(attempt, {k: v for k, v in RIGHT.items() if int(k) <= 6})
        db.session.commit()


def test_module_page_links_its_quiz_and_shows_the_grade(app, client, org, make_quiz,
                                                        make_assignment):
    quiz = make_quiz()
    make_assignment(quiz.course, org.group_a)
    login(client, "member")
    client.get("/lang/en")
    page = client.get(f"/study/modules/{quiz.module_id}").get_data(as_text=True)
    assert f'href="/quizzes/{quiz.id}"' in page and "About the quiz and my attempts" in page
    assert f'action="/quizzes/{quiz.id}/start"' in page and "Start the quiz" in page
    _finish_full_marks(app, quiz, org.member)
    page = client.get(f"/study/modules/{quiz.module_id}").get_data(as_text=True)
    assert "Your grade: 100.0%" in page and "Passed" in page
    assert "Completed on" in page  # passing the quiz completed the module


def test_module_page_hides_the_grade_when_reviews_are_never_shown(app, client, org, make_quiz,
                                                                  make_assignment):
    quiz = make_quiz(review_when="never")
    make_assignment(quiz.course, org.group_a)
    _finish_full_marks(app, quiz, org.member)
    login(client, "member")
    client.get("/lang/en")
    page = client.get(f"/study/modules/{quiz.module_id}").get_data(as_text=True)
    assert "Passed" in page and "Your grade" not in page and "100.0" not in page


def test_module_without_quiz_has_no_quiz_section(app, client, org, make_course, make_assignment):
    course = make_course()
    make_assignment(course, org.group_a)
    login(client, "member")
    page = client.get(f"/study/modules/{course.module_ids[0]}").get_data(as_text=True)
    assert 'id="module-quiz"' not in page
