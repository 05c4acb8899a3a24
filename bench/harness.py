"""What the benchmarks and the fault tests share: a database of their own, the bench data,
logged-in sessions, and gunicorn serving the real app on a loopback port.

* `own_database()` is a fresh database: SQLite in a folder, or `studyhall_bench_<pid>_<n>` on a
  PostgreSQL server, dropped afterwards (never a database this code did not create).
* `build()` migrates and seeds it as `flask --app wsgi bench seed` does, then adds what the load
  scenarios need that the report seed lacks: a quiz on the course's last module (completed by
  passing it) and a discussion thread with posts.
* `sessions()` signs session cookies with the app's own key and serializer, as a login would,
  so thousands of members can be logged in without thousands of password hashes and without
  tripping the login rate limit the benchmark is not about.
* `Gunicorn` runs `gunicorn --config gunicorn.conf.py` exactly as `make serve` does, with the
  settings in the environment; `bench.baseline` adds the baseline routes when asked.
"""

import itertools
import logging
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy import select, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from courses.discussions import services as discussions  # noqa: E402
from courses.models import Assignment, Course, Module  # noqa: E402
from learning import create_app  # noqa: E402
from learning.accounts.models import User  # noqa: E402
from learning.extensions import db  # noqa: E402
from learning.orgs.models import Membership, OrgUnit  # noqa: E402
from learning.reports import seed  # noqa: E402
from quizzes.authoring.services import create_quiz, set_questions  # noqa: E402
from quizzes.banks.services import apply_import  # noqa: E402
from quizzes.models import Question  # noqa: E402

USER_AGENT = "studyhall-bench"  # Flask-Login's session identifier hashes it: send the same
QUIZ_QUESTIONS = 10
THREAD_POSTS = 30
_numbers = itertools.count(1)


def conninfo(url: str) -> str:
    """A libpq URL from an SQLAlchemy one (postgresql+psycopg://, postgres://)."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


@contextmanager
def own_database(folder: str, server_url: str | None = None) -> Iterator[str]:
    """A fresh empty database: SQLite in `folder`, or one of our own on `server_url`."""
    if not server_url:
        yield f"sqlite:///{folder}/bench-{next(_numbers)}.sqlite"
        return
    name = f"studyhall_bench_{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(conninfo(server_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_for(url: str, upload_dir: str, secret: str, **config):
    """The production app on `url` (rate limits on, as gunicorn runs it)."""
    return create_app(env="production", config={
        "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": upload_dir, "SECRET_KEY": secret,
        "SESSION_COOKIE_SECURE": False, **config})


@dataclass
class Site:
    """What `build()` made: ids the scenarios address, and the app that made them."""

    app: object
    url: str
    members: list[str]
    course_id: int = 0
    module_id: int = 0  # a reading module every member may open
    quiz_id: int = 0
    thread_id: int = 0
    assignment_id: int = 0  # the open period
    branch_leaders: dict[str, int] = field(default_factory=dict)  # username -> unit id

    def dispose(self) -> None:
        """Close the engine's connections (before a DROP DATABASE)."""
        with self.app.app_context():
            db.engine.dispose()


def build(url: str, upload_dir: str, secret: str, members: int, modules: int,
          *, quiet: bool = True, **config) -> Site:
    """Migrate and seed `url`; add the quiz and the thread. Returns the Site."""
    from flask_migrate import upgrade

    app = app_for(url, upload_dir, secret, **config)
    with app.app_context():
        if quiet:
            logging.disable(logging.INFO)  # no migration chatter around the tables
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        seed.seed(members, modules, random.Random(2026))
        site = _load_fixtures(app, url)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":  # fresh statistics, as autovacuum would have
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return site


def _gift(count: int) -> str:
    """`count` single-choice questions, the first option right."""
    return "\n\n".join(
        f"::bench-{n:02d}:: 压测题{n}：下列哪一项是正确的？"
        f" {{=正确选项{n} ~干扰项甲 ~干扰项乙 ~干扰项丙}}"
        for n in range(1, count + 1))


def _load_fixtures(app, url: str) -> Site:
    course = db.session.scalar(select(Course).where(Course.title == seed.COURSE_TITLE))
    modules = list(course.modules)
    last = modules[-1]
    db.session.execute(update(Module).where(Module.id == last.id).values(completion_rule="quiz"))
    bank = apply_import("压测题库", _gift(QUIZ_QUESTIONS).encode(), "bench.gift", "gift").bank
    quiz = create_quiz(course.id, last.id, title="压测测验", selection="fixed", layout="all",
                       attempts_allowed=0, grading_method="highest", pass_mark=60.0,
                       review_when="after_attempt", review_shows="score")
    set_questions(quiz, [(qid, None) for qid in db.session.scalars(
        select(Question.id).where(Question.bank_id == bank.id).order_by(Question.id))])

    members = list(db.session.scalars(
        select(User.username).where(User.username.like("b0%"), User.active)
        .order_by(User.username)))
    root = db.session.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)))
    author = db.session.scalar(select(User).where(User.username == "b-leader-1"))
    thread = discussions.create_thread(author, modules[0], "压测讨论：学习体会",
                                       "请大家谈谈学习体会。")
    writers = db.session.scalars(select(User).where(User.username.in_(members[:THREAD_POSTS])))
    for n, writer in enumerate(writers, start=1):
        discussions.add_post(writer, thread, f"第{n}条体会：**认真学习**，联系实际。")
    leaders = dict(db.session.execute(
        select(User.username, Membership.unit_id).join(Membership, Membership.user_id == User.id)
        .join(OrgUnit, OrgUnit.id == Membership.unit_id)
        .where(Membership.role == "leader", OrgUnit.kind == "branch")).all())
    assignment = db.session.scalar(select(Assignment.id).where(
        Assignment.unit_id == root.id, Assignment.closed_at.is_(None)))
    return Site(app=app, url=url, members=members, course_id=course.id,
                module_id=modules[0].id, quiz_id=quiz.id, thread_id=thread.id,
                assignment_id=assignment, branch_leaders=leaders)


def sessions(app, usernames: list[str]) -> dict[str, tuple[str, str]]:
    """username -> (Cookie header value, CSRF token) of a fresh login, signed with the app's
    key by Flask's own serializer (what the login form would have set)."""
    from flask import session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    serializer = app.session_interface.get_signing_serializer(app)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    out = {}
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(
            select(User).where(User.username.in_(usernames)))}
    for name in usernames:
        # A fresh app context each: generate_csrf() keeps its token in `g`.
        with app.app_context(), app.test_request_context(
                "/", headers={"User-Agent": USER_AGENT}, environ_base={"REMOTE_ADDR": "127.0.0.1"}):
            login_user(users[name])
            token = generate_csrf()
            out[name] = (f"{cookie_name}={serializer.dumps(dict(session))}", token)
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """`gunicorn --config gunicorn.conf.py <app>` on 127.0.0.1:<port>, as `make serve` runs it.

    `env` adds settings (DATABASE_URL, SECRET_KEY, REDIS_URL ...); the access log goes to
    `log`. Use as a context manager: started and healthy on enter, stopped on exit.
    """

    def __init__(self, env: dict, log: Path, *, workers: int | None = None,
                 app: str = "wsgi:app", port: int | None = None) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # RATELIMIT_ALLOW_MEMORY: a test or bench server without REDIS_URL may run several
        # workers with their own login counters; production refuses that unless told.
        self.env = {**os.environ, "APP_ENV": "production", "BIND": f"127.0.0.1:{self.port}",
                    "SESSION_COOKIE_SECURE": "false", "RATELIMIT_ALLOW_MEMORY": "1", **env}
        if workers:
            self.env["WEB_CONCURRENCY"] = str(workers)
        self.log, self.app, self.process = log, app, None

    def __enter__(self) -> "Gunicorn":
        try:
            self.start()
        except BaseException:  # never leave a server behind that did not come up
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self._log_file = open(self.log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "--config",
             str(ROOT / "gunicorn.conf.py"), self.app],
            cwd=ROOT, env=self.env, stdout=self._log_file, stderr=subprocess.STDOUT)
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); see {self.log}")
            try:
                with urllib.request.urlopen(  # noqa: S310 - our own http://127.0.0.1 URL
                        self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not become healthy in {timeout} s; see {self.log}")

    def wait_workers(self, count: int, timeout: float = 30) -> list[int]:
        """The worker pids once `count` of them run (healthy means one answers, not all)."""
        deadline = time.monotonic() + timeout
        while len(pids := self.worker_pids()) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        return pids

    def worker_pids(self) -> list[int]:
        """The worker processes (children of the arbiter)."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
                             capture_output=True, text=True, check=False).stdout
        return [int(pid) for pid in out.split()]

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
