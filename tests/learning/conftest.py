"""Fixtures for tests that build extra apps (production settings, another environment).

`create_app` binds the module-level extensions to the new app, and some keep per-app state on
the extension object itself: the rate limiter its storage, flask-smorest its spec, the cache its
backend. `extensions_restored()` (tests/conftest.py) puts that state back, so the session's `app`
fixture goes on working with its own memory storage even after a test built an app with Redis.
"""

import pytest

from learning import create_app
from tests.conftest import extensions_restored

# Every variable create_app reads; tests start from none of them set.
APP_ENV_VARS = (
    "APP_ENV", "SECRET_KEY", "DATABASE_URL", "UPLOAD_DIR", "REDIS_URL", "RATELIMIT_STORAGE_URI",
    "LOGIN_LIMIT_PER_ACCOUNT", "LOGIN_LIMIT_PER_ADDRESS", "TIMEZONE", "MAX_UPLOAD_MB",
    "PROXY_COUNT", "FORCE_HTTPS", "SESSION_COOKIE_SECURE", "REPORT_TARGET_PERCENT",
    "REMINDER_COOLDOWN_MINUTES", "RATELIMIT_KEY_PREFIX", "RATELIMIT_ALLOW_MEMORY",
    "MARKUP_PREVIEW_LIMIT", "DISCUSSION_LOOKUP_LIMIT",
)
GOOD_SECRET_KEY = "3f9c2a7be1d04c6f8a5e9b21d7c4f0a6"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No deployment variable set, except an upload folder under tmp (never the repo's)."""
    for name in APP_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path / "uploads"))
    return monkeypatch


@pytest.fixture
def build_app(clean_env):
    """Factory: create_app(...) with the extensions' state restored after the test."""
    with extensions_restored():
        yield create_app


@pytest.fixture
def fast_password_hashing(monkeypatch):
    """Hash chosen passwords at a low scrypt cost, for modules that log in many times.

    Those tests are about sessions, redirects and counters, not about the hash; the real cost
    (werkzeug's scrypt defaults) is asserted in test_security.py, which does not use this.
    Use it with `pytestmark = pytest.mark.usefixtures("fast_password_hashing")`: mark fixtures
    are set up before `make_user`, whose one hash then is cheap too.
    """
    monkeypatch.setattr("learning.accounts.services.PASSWORD_METHOD", "scrypt:1024:8:1")


@pytest.fixture
def api_world(app, org, make_course, make_assignment):
    """Something for every id in a URL to name, and an admin's and a member's API token:
    (tokens by username, ids by URL argument name). A course whose first module has a quiz,
    an assignment to the committee, the member's open attempt, and the member's thread."""
    from learning.accounts.models import User
    from learning.accounts.services import create_token
    from learning.extensions import db
    from quizzes.authoring.services import create_quiz, set_questions
    from quizzes.banks.services import apply_import
    from tests.quizzes.conftest import QUESTIONS_GIFT

    course = make_course("测验专题", modules=2, rule="quiz")
    assignment = make_assignment(course, org.committee)
    with app.app_context():
        bank = apply_import("团史题库", QUESTIONS_GIFT.encode(), "bank.gift", "gift").bank
        quiz = create_quiz(course.id, course.module_ids[0], title="第一单元测验")
        set_questions(quiz, [(question.id, None) for question in bank.questions])
        bank_id, quiz_id = bank.id, quiz.id
        tokens = {}
        for username in ("admin", "member"):
            user = db.session.scalar(db.select(User).where(User.username == username))
            tokens[username] = create_token(user, "tests")[1]
        db.session.commit()
    api = app.test_client()
    member = {"Authorization": f"Bearer {tokens['member']}"}
    attempt = api.post(f"/api/v1/quizzes/{quiz_id}/attempts", json={}, headers=member)
    assert attempt.status_code == 201, attempt.get_json()
    module_id = course.module_ids[0]
    thread = api.post(f"/api/v1/modules/{module_id}/threads",
                      json={"title": "学习体会", "body": "第一帖"}, headers=member).get_json()
    post = api.get(f"/api/v1/threads/{thread['id']}", headers=member).get_json()["posts"][0]
    ids = {
        "course_id": course.id, "module_id": module_id, "quiz_id": quiz_id, "bank_id": bank_id,
        "assignment_id": assignment.id, "unit_id": org.committee.id, "user_id": org.member.id,
        "attempt_id": attempt.get_json()["id"], "position": 1, "thread_id": thread["id"],
        "post_id": post["id"],
    }
    return tokens, ids
