"""Study Hall (学习汇): the application factory.

`create_app()` reads its configuration from the environment (see learning/config.py and the
README), binds the extensions and registers the feature blueprints.
"""

import logging
import os
from pathlib import Path

from flask import Flask
from flask_babel.speaklater import LazyString
from sqlalchemy import event

# Not `from learning.extensions import api`: `learning.api` is the API frame module.
from learning import extensions as ext
from learning import sqlite_writers
from learning.bounds import BoundedInt
from learning.config import (
    CONFIGS,
    WEAK_SECRET_KEYS,
    environment_settings,
    instance_secret_key,
    normalise_database_url,
)


class ConfigurationError(RuntimeError):
    """The app refuses to start with an unsafe or incomplete configuration."""


def create_app(config: dict | None = None, env: str | None = None) -> Flask:
    """Build the Flask app for `env` (default: $APP_ENV, else production)."""
    env = env or os.environ.get("APP_ENV", "production")
    if env not in CONFIGS:
        raise ConfigurationError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {env!r}")
    app = Flask(__name__, instance_relative_config=False)
    # Before any blueprint: every <int:...> id in every URL is bounded (learning/bounds.py).
    app.url_map.converters["int"] = BoundedInt
    app.config.from_object(CONFIGS[env])
    app.config.from_mapping(environment_settings(env))
    app.config.from_mapping(config or {})
    _finish_config(app, env)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    from learning import models  # noqa: F401  (every table known to migrations and the app)

    ext.db.init_app(app)
    ext.migrate.init_app(app, ext.db, directory=str(Path(__file__).parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    with app.app_context():
        _tune_engine(ext.db.engine)
    ext.login_manager.init_app(app)
    ext.csrf.init_app(app)
    ext.bootstrap.init_app(app)
    ext.limiter.init_app(app)
    ext.cache.init_app(app)
    ext.api.init_app(app)

    from learning import api as api_frame
    from learning import i18n, security

    api_frame.init_app(app)
    ext.babel.init_app(app, locale_selector=i18n.select_locale,
                   default_translation_directories=str(Path(__file__).parent / "translations"))
    i18n.install_template_gettext(app)
    i18n.install_form_translations(app)
    security.init_app(app)

    from learning import errors, transactions

    errors.init_app(app)
    transactions.init_app(app)
    _register_blueprints(app)
    _template_globals(app)

    from learning import backup, cli

    cli.init_app(app)
    backup.init_app(app)

    import courses

    courses.init_app(app)

    import quizzes

    quizzes.init_app(app)

    from learning import reports

    reports.init_app(app)  # last: reports read what every other package writes
    return app


def _finish_config(app: Flask, env: str) -> None:
    """Fill in settings derived from the environment, refusing unsafe ones."""
    url = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{Path(app.instance_path) / 'studyhall.sqlite'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    if url.startswith("sqlite"):
        # sqlite3's timeout is SQLite's busy timeout: wait for a writer instead of failing.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"], "connect_args": {"timeout": 15}}

    key = app.config.get("SECRET_KEY")
    if env == "production":
        if not key or key.strip().lower() in WEAK_SECRET_KEYS or len(key) < 16:
            raise ConfigurationError(
                "SECRET_KEY must be set to a long random value in production "
                "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
            )
    elif not key:
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)

    upload_dir = app.config.get("UPLOAD_DIR") or str(Path(app.instance_path) / "uploads")
    app.config["UPLOAD_DIR"] = upload_dir


def _tune_engine(engine) -> None:
    """SQLite: WAL (readers don't block the writer), busy timeout, foreign keys enforced, a
    larger page cache, and writers queued for the write lock (learning/sqlite_writers.py)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Reports read every member's rollup or progress row: a page cache of 16 MiB per
        # connection (the default is 2 MiB) and memory-mapped reads (the OS's shared page cache)
        # keep a 10,000-member report off the read() path. Measured by bench/report_speed.py.
        cursor.execute("PRAGMA cache_size=-16384")
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.close()

    database = engine.url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        sqlite_writers.install(engine, database, timeout=15)


def _template_globals(app: Flask) -> None:
    """Policy functions and locale helpers the templates ask (the same ones the views use)."""
    from flask_babel import get_locale

    from learning import markup, permissions
    from learning.orgs.forms import KIND_CHOICES

    kind_labels = dict(KIND_CHOICES)
    def nav_links():
        """The links and menus feature packages registered in app.extensions["nav_links"],
        for this user (learning/navigation.py)."""
        from flask_login import current_user

        from learning.navigation import nav_items

        return nav_items(app.extensions.get("nav_links", []), current_user)

    def unread_notifications() -> int:
        """The logged-in user's unread count for the navigation badge: one COUNT per request."""
        from flask import g
        from flask_login import current_user
        from sqlalchemy.exc import SQLAlchemyError

        from learning.notifications.services import unread_count

        if not current_user.is_authenticated:
            return 0
        if "unread_notifications" not in g:
            try:
                g.unread_notifications = unread_count(current_user.id)
            except SQLAlchemyError:
                # An error page after a failed statement: the session must roll back first
                # (the request does that on its way out); the page shows no badge.
                g.unread_notifications = 0
        return g.unread_notifications

    app.jinja_env.globals.update(
        nav_links=nav_links,
        unread_notifications=unread_notifications,
        current_locale=lambda: str(get_locale()),
        can_manage_org=permissions.can_manage_org,
        can_manage_users=permissions.can_manage_users,
        unit_kind_label=lambda kind: kind_labels.get(kind, kind),
    )
    # Stored, already sanitised HTML (learning.markup): `{{ module.body_html|stored_html }}`.
    app.jinja_env.filters["stored_html"] = markup.stored_html
    # Flask-Babel's lazy strings declare themselves safe HTML (__html__), so Jinja would print a
    # message such as "organisation path %(value)s ..." with the uploaded file's text unescaped.
    # Turning them into plain strings first lets autoescaping do its job on every message.
    app.jinja_env.finalize = _plain_lazy_strings


def _plain_lazy_strings(value):
    # Runs for every {{ }} of every page: the import is done once, at module level.
    return str(value) if isinstance(value, LazyString) else value


def _register_blueprints(app: Flask) -> None:
    from courses import models as _course_models  # noqa: F401  (tables known to migrations)
    from courses.catalog.api import blp as catalog_api
    from courses.catalog.views import bp as catalog_bp
    from courses.offline.api import blp as offline_api
    from courses.offline.views import bp as offline_bp
    from courses.study.api import blp as study_api
    from courses.study.views import bp as study_bp
    from learning.accounts.admin_views import bp as people_bp
    from learning.accounts.api import blp as accounts_api
    from learning.accounts.views import bp as accounts_bp
    from learning.audit.views import bp as audit_bp
    from learning.home import bp as home_bp
    from learning.i18n import bp as i18n_bp
    from learning.notifications import models as _notification_models  # noqa: F401
    from learning.notifications.api import blp as notifications_api
    from learning.notifications.views import bp as notifications_bp
    from learning.orgs.api import blp as orgs_api
    from learning.orgs.views import bp as orgs_bp
    from learning.roster.api import blp as roster_api
    from learning.roster.views import bp as roster_bp

    for blueprint in (home_bp, accounts_bp, people_bp, orgs_bp, roster_bp, audit_bp, i18n_bp,
                      catalog_bp, study_bp, offline_bp, notifications_bp):
        app.register_blueprint(blueprint)
    for blueprint in (accounts_api, orgs_api, roster_api, catalog_api, study_api, offline_api,
                      notifications_api):
        ext.api.register_blueprint(blueprint)
