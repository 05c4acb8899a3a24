"""Configuration classes; every setting that varies by deployment is read from the environment.

`APP_ENV` picks the class: ``production`` (the default, so a forgotten variable fails closed),
``development`` (what `make run` and `.flaskenv` use) or ``testing``.
"""

import os
import secrets
from pathlib import Path
from typing import ClassVar


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def normalise_database_url(url: str) -> str:
    """Route PostgreSQL URLs through psycopg 3, whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Defaults shared by every environment; `environment_settings()` overrides them."""

    ENV_NAME = "base"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # from DATABASE_URL, else SQLite in instance/
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}
    UPLOAD_DIR: str | None = None  # default: instance/uploads
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    ATTACHMENT_MAX_MB = 200  # largest module attachment or cover image (its upload pages only)

    # Rate limits: shared storage (Redis) when configured so limits hold across workers/servers.
    REDIS_URL: str | None = None
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "fixed-window"
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
    LOGIN_LIMIT_PER_ADDRESS = "30 per 15 minutes"
    # gunicorn in production with several workers refuses to start with memory:// counters
    # unless this is set (gunicorn.conf.py, rate_limit_storage_problem below).
    RATELIMIT_ALLOW_MEMORY = False
    # Shared cache (learning/cache.py): Redis when REDIS_URL is set (environment_settings), so
    # every worker and server sees one copy; else this per-process memory cache.
    CACHE_TYPE = "SimpleCache"
    CACHE_KEY_PREFIX = "studyhall:cache:"
    CACHE_DEFAULT_TIMEOUT = 600
    # Number of trusted reverse proxies in front of the app (X-Forwarded-For hops to trust).
    PROXY_COUNT = 0

    # Cookies: HttpOnly + SameSite=Lax everywhere; Secure in production (see ProductionConfig).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = 14 * 24 * 3600
    PERMANENT_SESSION_LIFETIME = 12 * 3600

    WTF_CSRF_TIME_LIMIT = None  # a member may keep a quiz page open for hours
    # CSRF is checked in one place (learning/security.py) so token-authenticated API calls
    # can be exempted while cookie-authenticated ones are not.
    WTF_CSRF_CHECK_DEFAULT = False

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")

    BOOTSTRAP_SERVE_LOCAL = True  # intranet: never load CSS/JS from another host
    BOOTSTRAP_BOOTSWATCH_THEME = None

    # flask-smorest (OpenAPI 3 generated from the code)
    API_TITLE = "Study Hall API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    FORCE_HTTPS = False
    PASSWORD_MIN_LENGTH = 8

    # Reading rule: the server credits the gaps between a member's requests on a module, each
    # capped (an idle tab stops counting), and "reading" modules complete on confirmation once
    # this share of the estimated minutes has been credited.
    READING_MAX_GAP_SECONDS = 120
    READING_MIN_SHARE = 0.5
    # Watched rules: the share of a module's video (percent) a member must have played, as the
    # server measured it from heartbeats, unless the module sets its own.
    VIDEO_WATCHED_PERCENT = 90

    # Offline lessons: how many days back a lesson date may lie when it is entered (a lesson
    # "held" months ago could rewrite a period's history).
    OFFLINE_BACKDATE_DAYS = 31
    # Weekly series: a period is created this many days before it starts (courses.series).
    SERIES_AHEAD_DAYS = 1

    # Timed quizzes: answers saved and submits made this long after the deadline still count
    # (a phone on a bad line); later, the attempt is closed with what was saved by then.
    QUIZ_GRACE_SECONDS = 30

    # Discussions: how long an author may edit a post, its longest text, and the posting rate.
    DISCUSSION_EDIT_MINUTES = 30
    DISCUSSION_MAX_CHARS = 10_000
    DISCUSSION_POST_LIMIT = "10 per minute"
    # Earlier texts kept per post: the text as posted and the latest ones (discussions.services).
    DISCUSSION_REVISIONS_KEPT = 10
    # The editors' live preview (learning/editor.py): requests per author.
    MARKUP_PREVIEW_LIMIT = "120 per minute"
    # The @mention look-up of the reply box (courses.discussions): requests per reader.
    DISCUSSION_LOOKUP_LIMIT = "120 per minute"

    # Reports: the 学习率 a unit should reach (the target line of the charts), and how long a
    # leader waits before reminding the same unit about the same assignment again.
    REPORT_TARGET_RATE = 0.8
    REMINDER_COOLDOWN_MINUTES = 60


class ProductionConfig(Config):
    """Real deployments: a real SECRET_KEY is required, cookies are Secure."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


class DevelopmentConfig(Config):
    """Local `make run`: a generated secret key kept in the instance folder."""

    ENV_NAME = "development"


class TestingConfig(Config):
    """The test suite: its own database URL and key; the environment is ignored."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105


CONFIGS = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
}

def environment_settings(env: str) -> dict:
    """Settings read from environment variables now (not at import), for `create_app`.

    Every variable is listed in the README. The test configuration ignores the environment
    except where a test sets values explicitly.
    """
    if env == "testing":
        return {}
    settings: dict = {}
    for name in ("SECRET_KEY", "UPLOAD_DIR", "REDIS_URL", "LOGIN_LIMIT_PER_ACCOUNT",
                 "LOGIN_LIMIT_PER_ADDRESS", "RATELIMIT_KEY_PREFIX"):
        if os.environ.get(name):
            settings[name] = os.environ[name]
    if os.environ.get("DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    storage = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL")
    if storage:
        settings["RATELIMIT_STORAGE_URI"] = storage
    settings.update(cache_settings(os.environ.get("REDIS_URL"),
                                   os.environ.get("RATELIMIT_KEY_PREFIX")))
    if os.environ.get("TIMEZONE"):
        settings["BABEL_DEFAULT_TIMEZONE"] = os.environ["TIMEZONE"]
    settings["MAX_CONTENT_LENGTH"] = _int("MAX_UPLOAD_MB", 20) * 1024 * 1024
    settings["PROXY_COUNT"] = _int("PROXY_COUNT", 0)
    settings["ATTACHMENT_MAX_MB"] = _int("ATTACHMENT_MAX_MB", 200)
    settings["READING_MAX_GAP_SECONDS"] = _int("READING_MAX_GAP_SECONDS", 120)
    settings["OFFLINE_BACKDATE_DAYS"] = _int("OFFLINE_BACKDATE_DAYS", 31)
    settings["SERIES_AHEAD_DAYS"] = _int("SERIES_AHEAD_DAYS", 1)
    settings["VIDEO_WATCHED_PERCENT"] = _int("VIDEO_WATCHED_PERCENT", 90)
    if os.environ.get("READING_MIN_SHARE"):
        settings["READING_MIN_SHARE"] = float(os.environ["READING_MIN_SHARE"])
    settings["QUIZ_GRACE_SECONDS"] = _int("QUIZ_GRACE_SECONDS", 30)
    settings["DISCUSSION_EDIT_MINUTES"] = _int("DISCUSSION_EDIT_MINUTES", 30)
    settings["DISCUSSION_MAX_CHARS"] = _int("DISCUSSION_MAX_CHARS", 10_000)
    settings["DISCUSSION_REVISIONS_KEPT"] = _int("DISCUSSION_REVISIONS_KEPT", 10)
    if os.environ.get("DISCUSSION_POST_LIMIT"):
        settings["DISCUSSION_POST_LIMIT"] = os.environ["DISCUSSION_POST_LIMIT"]
    for limit in ("MARKUP_PREVIEW_LIMIT", "DISCUSSION_LOOKUP_LIMIT"):  # Flask-Limiter syntax
        if os.environ.get(limit):
            settings[limit] = os.environ[limit]
    if os.environ.get("REPORT_TARGET_PERCENT"):
        settings["REPORT_TARGET_RATE"] = float(os.environ["REPORT_TARGET_PERCENT"]) / 100
    settings["REMINDER_COOLDOWN_MINUTES"] = _int("REMINDER_COOLDOWN_MINUTES", 60)
    settings["FORCE_HTTPS"] = _bool("FORCE_HTTPS", False)
    settings["RATELIMIT_ALLOW_MEMORY"] = _bool("RATELIMIT_ALLOW_MEMORY", False)
    if os.environ.get("SESSION_COOKIE_SECURE") is not None:
        secure = _bool("SESSION_COOKIE_SECURE", True)
        settings["SESSION_COOKIE_SECURE"] = settings["REMEMBER_COOKIE_SECURE"] = secure
    return settings


def rate_limit_storage_problem(config, workers: int) -> str | None:
    """Why the login limits would not hold across `workers` server processes, or None.

    Counters in process memory are each worker's own: an account would get up to `workers`
    times its allowance of failed logins (gunicorn's default is 2 x CPUs + 1 workers).
    """
    storage = config["RATELIMIT_STORAGE_URI"]
    if workers <= 1 or not config.get("RATELIMIT_ENABLED", True) or not storage.startswith(
            "memory://"):
        return None
    return (f"{workers} workers keep their own rate-limit counters in memory "
            f"(RATELIMIT_STORAGE_URI={storage}), so an account gets up to {workers} times "
            f"LOGIN_LIMIT_PER_ACCOUNT ({config['LOGIN_LIMIT_PER_ACCOUNT']}). Set REDIS_URL "
            "so that every worker and server shares one count.")


def cache_settings(redis_url: str | None, key_prefix: str | None) -> dict:
    """Flask-Caching settings: Redis at `redis_url` if given (keys under the rate limiter's
    prefix, so two sites sharing one Redis stay apart), else the per-process default."""
    if not redis_url:
        return {}
    return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": f"{key_prefix or 'studyhall'}:cache:",
            # A Redis that stops answering must not hold a page: give up quickly and compute.
            "CACHE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}


# Placeholders, and the test suite's key: it is in the repository, so it is no secret.
WEAK_SECRET_KEYS = {"", "dev", "secret", "changeme", "change-me", "please-change-me",
                    TestingConfig.SECRET_KEY}


def instance_secret_key(instance_path: str) -> str:
    """A development secret key, generated once and kept in the instance folder."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
