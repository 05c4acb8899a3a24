"""Configuration comes from the environment when the app starts, and unsafe settings are refused."""

import logging
import os
import runpy
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from learning import ConfigurationError
from learning.extensions import db
from tests.learning.conftest import GOOD_SECRET_KEY


@pytest.fixture
def prod_db(clean_env, tmp_path):
    """A production-looking environment with a database URL under tmp (never connected to)."""
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    return clean_env


def test_production_refuses_to_start_without_secret_key(build_app, prod_db):
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        build_app(env="production")


def test_production_is_the_default_environment_and_fails_closed(build_app, prod_db):
    """A forgotten APP_ENV must not quietly start with a development key."""
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        build_app()


@pytest.mark.parametrize("key", [
    "dev", "secret", "changeme", "CHANGEME", "please-change-me", " " * 40, "short-random",
    "0123456789abcde",  # 15 characters
    "test-secret-key-not-for-production",  # the test suite's key is public: it is in the repo
])
def test_production_refuses_a_weak_or_short_secret_key(build_app, prod_db, key):
    prod_db.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        build_app(env="production")


def test_production_starts_with_a_real_secret_key(build_app, prod_db):
    prod_db.setenv("SECRET_KEY", GOOD_SECRET_KEY)
    application = build_app(env="production")
    assert application.config["SECRET_KEY"] == GOOD_SECRET_KEY
    assert application.config["SESSION_COOKIE_SECURE"] is True
    assert application.config["REMEMBER_COOKIE_SECURE"] is True
    assert not application.testing


def test_unknown_app_env_is_refused(build_app, prod_db):
    prod_db.setenv("APP_ENV", "staging")
    with pytest.raises(ConfigurationError, match="APP_ENV"):
        build_app()


def test_app_env_variable_picks_the_configuration(build_app, prod_db):
    prod_db.setenv("APP_ENV", "production")
    prod_db.setenv("SECRET_KEY", GOOD_SECRET_KEY)
    assert build_app().config["ENV_NAME"] == "production"


@pytest.mark.parametrize("given, expected", [
    ("postgres://u:p@db.internal:5432/studyhall",
     "postgresql+psycopg://u:p@db.internal:5432/studyhall"),
    ("postgresql://u:p@db.internal/studyhall", "postgresql+psycopg://u:p@db.internal/studyhall"),
    ("postgresql+psycopg://u:p@db.internal/studyhall",
     "postgresql+psycopg://u:p@db.internal/studyhall"),
])
def test_database_url_is_routed_through_psycopg3(build_app, clean_env, given, expected):
    clean_env.setenv("SECRET_KEY", GOOD_SECRET_KEY)
    clean_env.setenv("DATABASE_URL", given)
    application = build_app(env="production")
    assert application.config["SQLALCHEMY_DATABASE_URI"] == expected
    with application.app_context():
        assert db.engine.dialect.name == "postgresql"
        assert db.engine.dialect.driver == "psycopg"


def test_default_database_is_a_sqlite_file_in_the_instance_folder(build_app, clean_env):
    clean_env.setenv("SECRET_KEY", GOOD_SECRET_KEY)
    application = build_app(env="production")
    expected = Path(application.instance_path) / "studyhall.sqlite"
    assert application.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{expected}"


def test_environment_is_read_when_the_app_is_created_not_at_import(build_app, clean_env,
                                                                    tmp_path):
    clean_env.setenv("SECRET_KEY", GOOD_SECRET_KEY)
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'one.sqlite'}")
    first = build_app(env="production")
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'two.sqlite'}")
    clean_env.setenv("UPLOAD_DIR", str(tmp_path / "files"))
    clean_env.setenv("LOGIN_LIMIT_PER_ACCOUNT", "3 per 10 minutes")
    second = build_app(env="production")
    assert first.config["SQLALCHEMY_DATABASE_URI"].endswith("one.sqlite")
    assert second.config["SQLALCHEMY_DATABASE_URI"].endswith("two.sqlite")
    assert second.config["UPLOAD_DIR"] == str(tmp_path / "files")
    assert second.config["LOGIN_LIMIT_PER_ACCOUNT"] == "3 per 10 minutes"


def test_report_target_and_reminder_cooldown_come_from_the_environment(build_app, clean_env):
    """A committee that aims at 90% sees its target line there; reminders wait 5 minutes."""
    clean_env.setenv("SECRET_KEY", GOOD_SECRET_KEY)
    defaults = build_app(env="production")
    assert (defaults.config["REPORT_TARGET_RATE"],
            defaults.config["REMINDER_COOLDOWN_MINUTES"]) == (0.8, 60)
    clean_env.setenv("REPORT_TARGET_PERCENT", "90")
    clean_env.setenv("REMINDER_COOLDOWN_MINUTES", "5")
    tuned = build_app(env="production")
    assert (tuned.config["REPORT_TARGET_RATE"], tuned.config["REMINDER_COOLDOWN_MINUTES"]) == \
        (0.9, 5)


def test_redis_url_becomes_the_rate_limit_storage(build_app, prod_db):
    """With Redis the login limits hold across gunicorn workers and app servers."""
    prod_db.setenv("SECRET_KEY", GOOD_SECRET_KEY)
    prod_db.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    application = build_app(env="production")
    assert application.config["RATELIMIT_STORAGE_URI"] == "redis://redis.internal:6379/0"


def test_explicit_rate_limit_storage_wins_over_redis_url(build_app, prod_db):
    prod_db.setenv("SECRET_KEY", GOOD_SECRET_KEY)
    prod_db.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    prod_db.setenv("RATELIMIT_STORAGE_URI", "redis://limits.internal:6379/1")
    application = build_app(env="production")
    assert application.config["RATELIMIT_STORAGE_URI"] == "redis://limits.internal:6379/1"


def test_rate_limit_key_prefix_separates_sites_sharing_one_redis(build_app, prod_db):
    prod_db.setenv("SECRET_KEY", GOOD_SECRET_KEY)
    prod_db.setenv("RATELIMIT_KEY_PREFIX", "studyhall-east")
    assert build_app(env="production").config["RATELIMIT_KEY_PREFIX"] == "studyhall-east"


def test_rate_limit_storage_is_memory_without_redis(build_app, prod_db):
    prod_db.setenv("SECRET_KEY", GOOD_SECRET_KEY)
    assert build_app(env="production").config["RATELIMIT_STORAGE_URI"] == "memory://"


# --- gunicorn: login limits must hold across its workers ------------------------------------------

GUNICORN_CONF = Path(__file__).parents[2] / "gunicorn.conf.py"


def gunicorn_starting(application, workers: int, caplog) -> list[str]:
    """Run gunicorn.conf.py's on_starting hook for `application` served by `workers` workers;
    returns the warnings it logged."""
    hook = runpy.run_path(str(GUNICORN_CONF))["on_starting"]
    log = logging.getLogger("test.gunicorn")
    server = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: application),
                             cfg=SimpleNamespace(workers=workers), log=log)
    with caplog.at_level(logging.WARNING, logger=log.name):
        hook(server)
    return [r.getMessage() for r in caplog.records if r.name == log.name]


def test_gunicorn_refuses_production_workers_counting_logins_apart(prod_db, tmp_path):
    """The real command, as `make serve` runs it: no REDIS_URL, the default several workers."""
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": GOOD_SECRET_KEY,
           "WEB_CONCURRENCY": "3", "BIND": "127.0.0.1:0"}
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--config", str(GUNICORN_CONF),
         "wsgi:app"], cwd=GUNICORN_CONF.parent, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = server.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # it started: its workers must not outlive us
        output, _ = server.communicate()
    assert server.returncode == 1, output
    assert "REDIS_URL" in output and "RATELIMIT_ALLOW_MEMORY=1" in output
    assert "Booting worker" not in output


def test_gunicorn_allowed_to_count_in_memory_starts_with_a_warning(build_app, prod_db, caplog):
    prod_db.setenv("SECRET_KEY", GOOD_SECRET_KEY)
    prod_db.setenv("RATELIMIT_ALLOW_MEMORY", "1")
    warnings = gunicorn_starting(build_app(env="production"), 5, caplog)
    assert len(warnings) == 1 and "5 workers" in warnings[0] and "REDIS_URL" in warnings[0]


def test_gunicorn_hook_refuses_production_memory_counters(build_app, prod_db, caplog):
    prod_db.setenv("SECRET_KEY", GOOD_SECRET_KEY)
    with pytest.raises(RuntimeError, match="RATELIMIT_ALLOW_MEMORY=1"):
        gunicorn_starting(build_app(env="production"), 5, caplog)


@pytest.mark.parametrize("setting, workers", [("REDIS_URL", 5), (None, 1)])
def test_gunicorn_starts_quietly_with_shared_counters_or_one_worker(build_app, prod_db, caplog,
                                                                    setting, workers):
    prod_db.setenv("SECRET_KEY", GOOD_SECRET_KEY)
    if setting:
        prod_db.setenv(setting, "redis://redis.internal:6379/0")
    assert gunicorn_starting(build_app(env="production"), workers, caplog) == []


def test_gunicorn_outside_production_only_warns(build_app, prod_db, caplog):
    prod_db.setenv("SECRET_KEY", GOOD_SECRET_KEY)  # no key generated into the instance folder
    warnings = gunicorn_starting(build_app(env="development"), 3, caplog)
    assert len(warnings) == 1 and "3 workers" in warnings[0]


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PRAGMAs exist only on SQLite")
        # A fresh connection from the pool, not one a test has already tuned by hand.
        db.engine.dispose()
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() > 0


def test_the_editor_and_mention_look_up_limits_come_from_the_environment(build_app, clean_env):
    clean_env.setenv("SECRET_KEY", GOOD_SECRET_KEY)
    defaults = build_app(env="production")
    assert (defaults.config["MARKUP_PREVIEW_LIMIT"],
            defaults.config["DISCUSSION_LOOKUP_LIMIT"]) == ("120 per minute", "120 per minute")
    clean_env.setenv("MARKUP_PREVIEW_LIMIT", "30 per minute")
    clean_env.setenv("DISCUSSION_LOOKUP_LIMIT", "60 per minute")
    tuned = build_app(env="production")
    assert (tuned.config["MARKUP_PREVIEW_LIMIT"], tuned.config["DISCUSSION_LOOKUP_LIMIT"]) == \
        ("30 per minute", "60 per minute")
