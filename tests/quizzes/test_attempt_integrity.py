"""Integrity under real concurrency, on SQLite and PostgreSQL: simultaneous requests, each in its
own thread with its own database session (Flask-SQLAlchemy scopes sessions to the app context),
released together by a barrier.

- 20 simultaneous starts with 3 attempts allowed create exactly 3 attempts, the others are
  refused with a clear message (never a 500);
- 10 simultaneous submits of one attempt grade it once;
- saves racing a submit are either in the grade or refused, never stored after it.
Both through the services and through the HTTP API (Bearer tokens, one client per thread).
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from learning.extensions import db
from tests.quizzes.conftest import RIGHT


def _together(count: int, work):
    """Run work(i) in `count` threads released at the same moment; results in order."""
    barrier = threading.Barrier(count)

    def run(i):
        barrier.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _attempt_rows(app, quiz_id):
    from quizzes.models import Attempt

    with app.app_context():
        return db.session.execute(select(Attempt.number, Attempt.state).where(
            Attempt.quiz_id == quiz_id).order_by(Attempt.number)).all()


def test_twenty_simultaneous_starts_create_exactly_the_attempts_allowed(app, org, make_quiz):
    from quizzes.attempts import services
    from quizzes.models import Quiz

    quiz = make_quiz(attempts_allowed=3)

    def start(_i):
        with app.app_context():
            try:
                attempt = services.start_attempt(db.session.get(Quiz, quiz.id), org.member.id)
                db.session.commit()
                return attempt.number
            except services.AttemptError as refused:
                db.session.rollback()
                return str(refused)

    results = _together(20, start)
    assert sorted(r for r in results if isinstance(r, int)) == [1, 2, 3]
    refusals = [r for r in results if isinstance(r, str)]
    assert len(refusals) == 17 and all("3" in r for r in refusals)
    rows = _attempt_rows(app, quiz.id)
    assert [number for number, _ in rows] == [1, 2, 3]
    assert [state for _, state in rows].count("in_progress") == 1  # a start closes the open one


def test_ten_simultaneous_submits_grade_once(app, org, make_quiz):
    from courses.models import Progress
    from quizzes.attempts import services
    from quizzes.models import Attempt, Quiz

    quiz = make_quiz()
    with app.app_context():
        attempt = services.start_attempt(db.session.get(Quiz, quiz.id), org.member.id)
        services.save_answers(attempt, {k: v for k, v in RIGHT.items() if int(k) <= 6})
        db.session.commit()
        attempt_id = attempt.id

    def submit(_i):
        with app.app_context():
            attempt = db.session.get(Attempt, attempt_id)
            finished = services.finish(attempt)
            db.session.commit()
            return finished, attempt.score, attempt.finished_at

    results = _together(10, submit)
    assert sum(1 for finished, _, _ in results if finished) == 1
    assert {(score, at) for _, score, at in results} == {(6.0, results[0][2])}
    with app.app_context():
        assert db.session.scalar(select(func.count(Progress.id)).where(
            Progress.user_id == org.member.id, Progress.completed_at.is_not(None))) == 1


def test_saves_racing_a_submit_are_graded_or_refused_never_lost_silently(app, org, make_quiz):
    from quizzes.attempts import services
    from quizzes.models import Attempt, Quiz

    quiz = make_quiz()
    with app.app_context():
        attempt_id = services.start_attempt(db.session.get(Quiz, quiz.id), org.member.id).id
        db.session.commit()

    def act(i):
        with app.app_context():
            attempt = db.session.get(Attempt, attempt_id)
            try:
                if i == 0:
                    services.submit(attempt)
                    outcome = "submit"
                else:
                    services.save_answers(attempt, {str(i): RIGHT[str(i)]})
                    outcome = f"saved {i}"
                db.session.commit()
                return outcome
            except services.AttemptError:
                db.session.rollback()
                return f"refused {i}"

    results = _together(7, act)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        graded = {slot.position for slot in attempt.slots if slot.state == "right"}
        stored = {slot.position for slot in attempt.slots if slot.response is not None}
    saved = {int(r.split()[1]) for r in results if r.startswith("saved")}
    # Every acknowledged save is in the grade; every refused one is not stored.
    assert saved == graded == stored
    assert attempt.state == "finished"


# --- The same through HTTP ----------------------------------------------------------------------


@pytest.fixture
def bearer_for(app):
    from learning.accounts.models import User
    from learning.accounts.services import create_token

    def make(user):
        with app.app_context():
            _token, plain = create_token(db.session.get(User, user.id), "tests")
            db.session.commit()
        return {"Authorization": f"Bearer {plain}"}

    return make


def test_http_twenty_simultaneous_starts(app, org, make_quiz, make_assignment, bearer_for):
    quiz = make_quiz(attempts_allowed=3)
    make_assignment(quiz.course, org.group_a)
    headers = bearer_for(org.member)

    def start(_i):
        response = app.test_client().post(f"/api/v1/quizzes/{quiz.id}/attempts", json={},
                                          headers=headers)
        return response.status_code, response.get_json()

    results = _together(20, start)
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 3, 409: 17}, statuses
    assert all(body["message"] for status, body in results if status == 409)
    assert [number for number, _ in _attempt_rows(app, quiz.id)] == [1, 2, 3]


def test_http_ten_simultaneous_submits(app, org, make_quiz, make_assignment, bearer_for):
    quiz = make_quiz()
    make_assignment(quiz.course, org.group_a)
    headers = bearer_for(org.member)
    client = app.test_client()
    started = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", json={}, headers=headers)
    attempt_id = started.get_json()["id"]
    answers = {k: v for k, v in RIGHT.items() if int(k) <= 6}
    assert client.put(f"/api/v1/attempts/{attempt_id}/answers", json={"answers": answers},
                      headers=headers).status_code == 200

    def submit(_i):
        response = app.test_client().post(f"/api/v1/attempts/{attempt_id}/submit", json={},
                                          headers=headers)
        return response.status_code

    assert set(_together(10, submit)) == {200}
    result = client.get(f"/api/v1/attempts/{attempt_id}/result", headers=headers).get_json()
    assert result["review"]["percent"] == 100.0
    with app.app_context():
        from courses.models import Progress

        assert db.session.scalar(select(func.count(Progress.id)).where(
            Progress.completed_via == "quiz")) == 1
