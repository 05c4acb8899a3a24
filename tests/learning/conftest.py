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
