"""The quiz statistics' figures come from the shared cache, and never stale or from another scope.

`compute_figures` is spied on: a request that finds its figures cached calls it no more. Every
change that could alter a figure (a finished attempt, a hand grade, a roster change) gives the
next request a new key, so it computes afresh. A Redis that is down costs a computation, never
the page. With the Redis on 127.0.0.1:6379 (required in CI, skipped elsewhere when absent) two
app instances, standing for two gunicorn workers, share one entry; its keys carry their own
prefix and are deleted afterwards.
"""

import logging
import socket

import pytest

from learning import create_app
from learning.config import Config, cache_settings, environment_settings
from learning.extensions import cache, db
from quizzes.attempts.services import save_answers, start_attempt, submit
from quizzes.models import Attempt, Quiz
from quizzes.reports import services
from tests.conftest import REDIS_URL, extensions_restored, login, post_form
from tests.quizzes.conftest import RIGHT

WRONG = {"1": {"option": "o2"}, "2": {"options": ["o3"]}, "3": {"value": False},
         "4": {"text": "错"}, "5": {"text": "1"},
         "6": {"pairs": {"p1": "1921", "p2": "1922", "p3": "1919"}}}


@pytest.fixture(autouse=True)
def empty_cache(app):
    """The session's app keeps its per-process cache between tests: start each one empty."""
    with app.app_context():
        cache.clear()


@pytest.fixture
def computations(monkeypatch):
    """How many times the figures were computed (the real computation still runs)."""
    calls = []
    real = services.compute_figures

    def spy(quiz, people):
        calls.append(quiz.id)
        return real(quiz, people)

    monkeypatch.setattr(services, "compute_figures", spy)
    return calls


@pytest.fixture
def worker(app):
    """Factory: another app instance (another worker) on the same database, with `settings`."""
    with extensions_restored():
        def make(**settings):
            return create_app(env="testing", config={
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "UPLOAD_DIR": app.config["UPLOAD_DIR"], **settings})
        yield make


def take(app, quiz_id: int, user_id: int, right: set[int], answers: dict | None = None) -> int:
    """One finished attempt: right on the slots in `right`, wrong on the others; its id."""
    with app.app_context():
        attempt = start_attempt(db.session.get(Quiz, quiz_id), user_id)
        save_answers(attempt, answers or {slot: RIGHT[slot] if int(slot) in right
                                          else WRONG[slot] for slot in WRONG})
        submit(attempt)
        db.session.commit()
        return attempt.id


def figures(client, quiz_id: int, unit=None) -> dict:
    url = f"/api/v1/quizzes/{quiz_id}/statistics" + (f"?unit={unit}" if unit else "")
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def facility(body: dict, number: int) -> float | None:
    return next(q["facility"] for q in body["questions"] if q["number"] == number)


def test_redis_url_selects_the_shared_cache_under_the_rate_limit_prefix(app, monkeypatch):
    monkeypatch.delenv("RATELIMIT_KEY_PREFIX", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    settings = environment_settings("production")
    assert settings["CACHE_TYPE"] == "RedisCache"
    assert settings["CACHE_REDIS_URL"] == "redis://redis.internal:6379/0"
    assert settings["CACHE_KEY_PREFIX"] == "studyhall:cache:"
    monkeypatch.setenv("RATELIMIT_KEY_PREFIX", "studyhall-east")
    assert environment_settings("production")["CACHE_KEY_PREFIX"] == "studyhall-east:cache:"

    monkeypatch.delenv("REDIS_URL")
    assert "CACHE_TYPE" not in environment_settings("production")
    assert Config.CACHE_TYPE == "SimpleCache"  # per process, without Redis
    assert app.config["CACHE_TYPE"] == "SimpleCache"  # the tests', whatever the environment


def test_the_second_request_computes_nothing(app, client, org, make_quiz, computations):
    quiz = make_quiz()
    take(app, quiz.id, org.member.id, {1, 2, 3})
    login(client, "admin")
    first = figures(client, quiz.id)
    assert computations == [quiz.id]

    again = figures(client, quiz.id)
    assert client.get(f"/quizzes/{quiz.id}/statistics").status_code == 200
    assert client.get(f"/quizzes/{quiz.id}/statistics.xlsx").status_code == 200
    assert computations == [quiz.id]  # the page and the workbook read the same figures
    assert again["summary"] == first["summary"] and again["questions"] == first["questions"]
    assert again["generated_at"] == first["generated_at"]  # when the figures were computed

    figures(client, quiz.id, unit=org.group_a.id)  # another filter, another entry
    assert len(computations) == 2


def test_a_newly_finished_attempt_changes_the_figures(app, client, org, make_user, make_quiz,
                                                      computations):
    quiz = make_quiz()
    take(app, quiz.id, org.member.id, set(range(1, 7)))
    login(client, "admin")
    assert figures(client, quiz.id)["summary"]["count"] == 1

    take(app, quiz.id, make_user(units=[(org.group_b, "member")]).id, set())
    body = figures(client, quiz.id)
    assert body["summary"]["count"] == 2 and body["summary"]["mean"] == pytest.approx(50)
    assert len(computations) == 2


def test_a_hand_grade_changes_the_figures(app, client, org, make_quiz, computations):
    quiz = make_quiz(with_essay=True)
    attempt_id = take(app, quiz.id, org.member.id, set(),
                      {**{slot: RIGHT[slot] for slot in WRONG}, "7": RIGHT["7"]})
    login(client, "admin")
    body = figures(client, quiz.id)
    assert body["summary"]["pending"] == 1 and body["summary"]["count"] == 0

    # The essay gets its mark: the attempt is no longer pending.
    post_form(client, f"/attempts/{attempt_id}/slots/7/grade", {"mark": "1", "comment": "好"})
    body = figures(client, quiz.id)
    assert body["summary"]["pending"] == 0 and body["summary"]["count"] == 1
    assert facility(body, 1) == pytest.approx(100)

    # A correction of an automatic mark changes no attempt count, only a fraction.
    post_form(client, f"/attempts/{attempt_id}/slots/1/grade", {"mark": "0", "comment": ""})
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).needs_grading is False
    assert facility(figures(client, quiz.id), 1) == pytest.approx(0)
    assert len(computations) == 3


def test_a_roster_change_changes_the_figures(app, client, org, make_user, make_quiz,
                                             computations):
    """Who counts is part of the figures: a member moved into the leader's subtree counts."""
    quiz = make_quiz()
    outsider = make_user("outsider", units=[(org.group_b, "member")])
    take(app, quiz.id, outsider.id, set())
    login(client, "leader_in")
    before = figures(client, quiz.id)
    assert before["summary"]["count"] == 0 and before["members"]["in_scope"] == 1

    with app.app_context():
        from learning.accounts.models import User
        from learning.orgs.models import OrgUnit
        from learning.orgs.services import set_membership

        set_membership(db.session.get(User, outsider.id), db.session.get(OrgUnit, org.group_a.id),
                       "member")
        db.session.commit()
    after = figures(client, quiz.id)
    assert after["summary"]["count"] == 1 and after["members"]["in_scope"] == 2
    assert len(computations) == 2


def test_a_leader_never_gets_figures_cached_for_another_scope(app, org, make_user, make_quiz,
                                                             computations):
    quiz = make_quiz()
    take(app, quiz.id, org.member.id, set(range(1, 7)))  # group_a, under leader_in
    take(app, quiz.id, make_user(units=[(org.group_b, "member")]).id, set())  # leader_out's

    def as_user(username: str):
        client = app.test_client()
        login(client, username)
        return client

    inside = figures(as_user("leader_in"), quiz.id)["summary"]
    assert inside["count"] == 1 and inside["mean"] == pytest.approx(100)
    other = figures(as_user("leader_out"), quiz.id)["summary"]
    assert other["count"] == 1 and other["mean"] == pytest.approx(0)
    assert figures(as_user("admin"), quiz.id)["summary"]["count"] == 2
    assert len(computations) == 3

    # A second leader of the same branch sees the same people, so shares the entry. (Adding
    # that leader is a roster change: it gives everyone a new key, hence one more computation.)
    make_user("leader_in_too", units=[(org.branch_a, "leader")])
    assert figures(as_user("leader_in_too"), quiz.id)["summary"] == inside
    assert figures(as_user("leader_in"), quiz.id)["summary"] == inside
    assert len(computations) == 4


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again on leaving: nothing listens there


def test_a_redis_that_is_down_still_serves_the_page(app, worker, org, make_quiz, computations,
                                                    caplog):
    quiz = make_quiz()
    take(app, quiz.id, org.member.id, {1, 2, 3})
    down = worker(**cache_settings(f"redis://127.0.0.1:{_closed_port()}/0", "studyhall-test"))
    assert down.config["CACHE_TYPE"] == "RedisCache"
    client = down.test_client()
    login(client, "admin")
    with caplog.at_level(logging.WARNING, logger="learning.cache"):
        page = client.get(f"/quizzes/{quiz.id}/statistics")
        assert page.status_code == 200
        assert client.get(f"/quizzes/{quiz.id}/statistics.xlsx").status_code == 200
        assert figures(client, quiz.id)["summary"]["count"] == 1
    assert len(computations) == 3  # nothing cached, each request computed
    assert "cache read failed" in caplog.text and "ConnectionError" in caplog.text


def test_two_app_instances_share_the_cache(app, worker, org, make_quiz, computations,
                                           redis_prefix):
    prefix, redis_client = redis_prefix
    quiz = make_quiz()
    take(app, quiz.id, org.member.id, {1, 2, 3})
    settings = cache_settings(REDIS_URL, prefix)
    assert settings["CACHE_KEY_PREFIX"] == f"{prefix}:cache:"

    worker_one = worker(**settings).test_client()
    login(worker_one, "admin")
    first = figures(worker_one, quiz.id)
    assert len(computations) == 1
    assert list(redis_client.scan_iter(f"{prefix}:cache:quiz-stats:*"))

    worker_two = worker(**settings).test_client()  # fresh process memory, same Redis
    login(worker_two, "admin")
    second = figures(worker_two, quiz.id)
    assert len(computations) == 1  # the second worker read what the first one computed
    assert second["summary"] == first["summary"]
    assert second["generated_at"] == first["generated_at"]
