"""Shared fixtures: the app on SQLite and (when reachable, always in CI) PostgreSQL, clients,
CSRF-aware form helpers and builders (make_user, make_unit, login ...).

Every test that uses `app` runs once per engine. The schema is built by the real migrations;
after each test every table is emptied, so tests may commit freely (and must, to be honest about
what the app stores).
"""

import os
import re
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import redis
from sqlalchemy import text

from learning import create_app
from learning.extensions import api, cache, db, limiter

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "Passw0rd!"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def _pg_conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def postgres_reachable() -> bool:
    try:
        with psycopg.connect(_pg_conninfo(TEST_DATABASE_URL), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _engines() -> list[str]:
    if postgres_reachable():
        return ["sqlite", "postgresql"]
    if IN_CI:
        raise pytest.UsageError(
            f"CI=true but PostgreSQL is not reachable at {TEST_DATABASE_URL}; it is required in CI."
        )
    return ["sqlite"]


ENGINES = _engines()


class TempPostgres:
    """A PostgreSQL database created for the tests and dropped afterwards (only ours)."""

    def __init__(self) -> None:
        self.name = f"studyhall_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        base = _pg_conninfo(TEST_DATABASE_URL)
        self.admin_url = base
        self.url = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + self.name

    def __enter__(self) -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return self.url

    def __exit__(self, *exc) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def temp_database(tmp_path_factory):
    """Factory: a fresh empty database URL for `engine` (cleaned up at session end)."""
    stack = []

    def make(engine: str) -> str:
        if engine == "sqlite":
            path = tmp_path_factory.mktemp("db") / f"{uuid.uuid4().hex[:8]}.sqlite"
            return f"sqlite:///{path}"
        temp = TempPostgres()
        stack.append(temp)
        return temp.__enter__()

    yield make
    for temp in stack:
        temp.__exit__(None, None, None)


@pytest.fixture(scope="session", params=ENGINES)
def engine_name(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def app(engine_name, temp_database, tmp_path_factory):
    """The app on a migrated database of this engine."""
    from flask_migrate import upgrade

    application = create_app(env="testing", config={
        "SQLALCHEMY_DATABASE_URI": temp_database(engine_name),
        "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
    })
    with application.app_context():
        upgrade()
    return application


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Empty every table and reset rate limits after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                # RESTRICT foreign keys (org_units.parent_id) fire per row even inside one
                # DELETE, so switch enforcement off just for the wipe.
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                for table in tables:
                    conn.execute(text(f"DELETE FROM {table}"))
                conn.commit()
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()
        limiter.reset()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client) -> str:
    """The CSRF token of the client's session, read from a page like a browser would."""
    response = client.get("/login", follow_redirects=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def post_form(client, url: str, data: dict | None = None, **kwargs):
    """POST a form the way a browser does: with the session's CSRF token."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client))
    return client.post(url, data=data, **kwargs)


def login(client, username: str, password: str = PASSWORD, **extra):
    return post_form(client, "/login", {"username": username, "password": password, **extra})


@pytest.fixture
def make_user(app):
    """Builder: a committed user (detached copy), optionally with memberships [(unit, role)]."""
    from learning.accounts.models import User
    from learning.accounts.services import hash_password
    from learning.orgs.models import Membership

    counter = iter(range(1, 10_000))
    password_hash = hash_password(PASSWORD)  # once: scrypt is deliberately slow

    def make(username: str | None = None, *, name: str | None = None, admin: bool = False,
             active: bool = True, units=(), phone: str | None = None,
             must_change_password: bool = False):
        username = username or f"user{next(counter)}"
        with app.app_context():
            user = User(username=username, display_name=name or username, phone=phone,
                        password_hash=password_hash, is_admin=admin, active=active,
                        must_change_password=must_change_password)
            db.session.add(user)
            db.session.flush()
            for unit, role in units:
                db.session.add(Membership(user_id=user.id, unit_id=unit.id, role=role))
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return make


@pytest.fixture
def make_unit(app):
    """Builder: a committed OrgUnit (detached copy) under `parent`."""
    from learning.orgs.models import OrgUnit
    from learning.orgs.services import create_unit

    def make(name: str, parent=None, kind: str | None = None):
        with app.app_context():
            parent_obj = db.session.get(OrgUnit, parent.id) if parent is not None else None
            default_kind = "committee" if parent is None else "group"
            unit = create_unit(name, kind or default_kind, parent_obj)
            db.session.commit()
            db.session.refresh(unit)
            db.session.expunge(unit)
        return unit

    return make


@pytest.fixture
def org(make_unit, make_user):
    """A small tree with one person of each role the permission tests need.

    committee > branch_a > group_a, committee > branch_b > group_b
    member in group_a; leader_in leads branch_a; leader_out leads branch_b; admin.
    """

    class Org:
        pass

    o = Org()
    o.committee = make_unit("测试团委", kind="committee")
    o.branch_a = make_unit("第一团支部", o.committee, kind="branch")
    o.group_a = make_unit("第一学习小组", o.branch_a, kind="group")
    o.branch_b = make_unit("第二团支部", o.committee, kind="branch")
    o.group_b = make_unit("第二学习小组", o.branch_b, kind="group")
    o.member = make_user("member", name="成员甲", units=[(o.group_a, "member")])
    o.leader_in = make_user("leader_in", name="支书甲", units=[(o.branch_a, "leader")])
    o.leader_out = make_user("leader_out", name="支书乙", units=[(o.branch_b, "leader")])
    o.admin = make_user("admin", name="管理员", admin=True)
    return o


@pytest.fixture
def query_counter(app):
    """Counts SQL statements run while the context manager is open."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def count():
        statements: list[str] = []

        def before(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return count


@pytest.fixture
def make_course(app):
    """Builder: a committed Course with `modules` modules (detached copy; `.module_ids` set)."""
    from courses.models import Course, Module
    from learning.markup import render_markdown

    def make(title: str = "学习专题", *, published: bool = True, modules: int = 2,
             rule: str = "reading", minutes: int = 10, body: str = "正文 **重点**"):
        with app.app_context():
            course = Course(title=title, summary="", published=published)
            db.session.add(course)
            db.session.flush()
            for i in range(modules):
                db.session.add(Module(
                    course_id=course.id, title=f"第{i + 1}单元", body_md=body,
                    body_html=str(render_markdown(body)), estimated_minutes=minutes,
                    position=i, completion_rule=rule, published=published))
            db.session.commit()
            course_id = course.id
            module_ids = list(db.session.scalars(
                db.select(Module.id).where(Module.course_id == course_id)
                .order_by(Module.position)))
            course = db.session.get(Course, course_id)
            db.session.expunge(course)
        course.module_ids = module_ids
        return course

    return make


@pytest.fixture
def make_assignment(app):
    """Builder: a committed Assignment of a course (or one module) to a unit, open by default."""
    from datetime import timedelta

    from courses.models import Assignment
    from learning.dbtypes import utcnow

    def make(course, unit, *, module_id: int | None = None, title: str = "第1期",
             starts_in_days: float = -1, due_in_days: float = 7, closed: bool = False):
        now = utcnow()
        with app.app_context():
            assignment = Assignment(
                course_id=course.id, module_id=module_id, unit_id=unit.id, title=title,
                starts_at=now + timedelta(days=starts_in_days),
                due_at=now + timedelta(days=due_in_days), closed_at=now if closed else None)
            db.session.add(assignment)
            db.session.commit()
            db.session.refresh(assignment)
            db.session.expunge(assignment)
        return assignment

    return make


@contextmanager
def extensions_restored():
    """create_app binds the module-level extensions (limiter, API, cache) to each new app; put
    the session app's state back, so the `app` fixture goes on working after another app."""
    saved = {ext: dict(vars(ext)) for ext in (limiter, api, cache)}
    try:
        yield
    finally:
        for ext, state in saved.items():
            vars(ext).clear()
            vars(ext).update(state)


@pytest.fixture
def redis_prefix():
    """(a key prefix of this test's own, a client) for the Redis at TEST_REDIS_URL; every key
    holding the prefix is deleted afterwards. Required in CI, skipped elsewhere when absent."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError:
        if IN_CI:
            raise
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = f"studyhall-test-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix, client
    finally:
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
        client.close()
