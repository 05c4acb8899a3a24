"""Configuration comes from the environment when the app starts, and unsafe settings are refused."""

from pathlib import Path

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
