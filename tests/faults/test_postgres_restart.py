"""PostgreSQL restarted under load (an upgrade, a failover, an operator's `pg_ctl restart`).

Threat: every pooled connection of every worker dies at once. While the database is down,
requests may fail (5xx), but none may be acknowledged without being stored; afterwards the
same gunicorn workers, not restarted, must answer /healthz and take writes again (the pool
checks a connection before use: pool_pre_ping), and every acknowledged post (its 302 to the
post) must be in the database exactly once. A second restart, while no request is running,
checks that the very first requests after it succeed: nothing but the check before use can
have discarded the dead connections then.

The test runs its own cluster (initdb into a temporary folder, 127.0.0.1 and a free port),
because restarting the shared server would break every other test. Members post in the
discussion thread from a few client threads; each post carries a unique token, and a failed
post is not sent again (a person would write a new one), so "exactly once" is exact.
"""

import re
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import select

from bench import harness
from courses.discussions.models import Post
from learning.extensions import db
from tests.faults import support

MEMBERS = 120
WRITERS = 4
WORKERS = 2
POSTS_PER_MEMBER = 8  # under the 10 posts a minute each member may make
PAUSE = 0.05  # between one writer's posts: a steady load, not a flood of errors
BEFORE, AFTER = 20, 30  # acknowledged posts wanted before the restart and after recovery
OUTAGE = 1.5  # seconds the database stays down
RECOVERY = 30  # seconds allowed for /healthz to answer 200 again
QUIET_POSTS = 8  # posts right after a restart with no load
ACKNOWLEDGED = re.compile(r"/threads/(\d+)(\?page=\d+)?#post-(\d+)$")


@dataclass
class Load:
    """What the writers sent and what the server answered, shared between their threads."""

    acknowledged: dict[str, int] = field(default_factory=dict)  # token -> post id
    failed: list[str] = field(default_factory=list)  # token: error or status
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def write(writer: int, browsers: list[tuple[support.Browser, str]], thread_id: int,
          load: Load) -> None:
    """Post in turn as each of this writer's members until told to stop or out of budget."""
    path = f"/threads/{thread_id}/posts"
    for n in range(POSTS_PER_MEMBER * len(browsers)):
        if load.stop.is_set():
            return
        browser, token = browsers[n % len(browsers)]
        mark = f"fault-{writer}-{n}"
        try:
            reply = browser.post(path, {"csrf_token": token, "body": f"重启测试 {mark}"})
        except support.FAILURES as error:
            with load.lock:
                load.failed.append(f"{mark}: {error!r}")
        else:
            match = ACKNOWLEDGED.search(reply.location) if reply.status == 302 else None
            with load.lock:
                if match and int(match.group(1)) == thread_id:
                    load.acknowledged[mark] = int(match.group(3))
                elif reply.status >= 500:
                    load.failed.append(f"{mark}: {reply.status}")
                else:
                    load.unexpected.append(f"{mark}: {reply.status} {reply.location}")
        time.sleep(PAUSE)


def test_acknowledged_posts_survive_a_postgres_restart(private_postgres, tmp_path):
    cluster = private_postgres
    log = tmp_path / "gunicorn.log"
    with support.seeded_site(tmp_path, cluster.url, members=MEMBERS, modules=3) as site, \
            support.serving(site, tmp_path, log, workers=WORKERS) as server:
        logins = harness.sessions(site.app, site.members)
        browsers = [(support.Browser(server.base, cookie), token)
                    for cookie, token in logins.values()]
        workers = sorted(server.worker_pids())
        load = Load()
        writers = [threading.Thread(target=write, args=(n, browsers[n::WRITERS], site.thread_id,
                                                        load), daemon=True)
                   for n in range(WRITERS)]

        def story() -> str:
            return (f"{load.count()} acknowledged, {len(load.failed)} failed "
                    f"{load.failed[:3]}, unexpected {load.unexpected[:3]}; gunicorn log {log}; "
                    f"PostgreSQL log (kept as {tmp_path / 'postgres.log'}):\n"
                    f"{cluster.log_tail(10)}")

        try:
            for thread in writers:
                thread.start()
            assert support.wait_until(lambda: load.count() >= BEFORE, timeout=30), story()
            cluster.stop("fast")
            time.sleep(OUTAGE)
            cluster.start()
            restarted = time.monotonic()
            acknowledged_then = load.count()
            assert support.wait_until(lambda: support.healthy(server.base),
                                      timeout=RECOVERY), (
                f"/healthz not 200 {RECOVERY} s after the restart; {story()}")
            recovered = time.monotonic() - restarted
            assert support.wait_until(lambda: load.count() >= acknowledged_then + AFTER,
                                      timeout=30), f"no new writes after recovery; {story()}"
        finally:
            load.stop.set()
            for thread in writers:
                thread.join(timeout=2 * support.TIMEOUT)
        print(f"recovered in {recovered:.1f} s; {story()}")  # shown with -rP / -s

        assert load.failed, f"no request failed: the outage was missed; {story()}"
        assert not load.unexpected, story()
        # A restart while the site is idle: no request during the outage discarded the dead
        # pooled connections, so only the check before use (pool_pre_ping) keeps the very
        # first requests after it from failing. Several, so that both workers get some.
        cluster.stop("fast")
        cluster.start()
        for n, (browser, token) in enumerate(browsers[-QUIET_POSTS:]):
            mark = f"fault-quiet-{n}"
            reply = browser.post(f"/threads/{site.thread_id}/posts",
                                 {"csrf_token": token, "body": f"重启测试 {mark}"})
            match = ACKNOWLEDGED.search(reply.location) if reply.status == 302 else None
            assert match, f"{mark} after an idle restart: {reply.status}; {story()}"
            load.acknowledged[mark] = int(match.group(3))
        # The same workers, never restarted, took the writes after both restarts.
        now = sorted(server.worker_pids())
        assert now == workers, f"workers {workers}, now {now}; {story()}"

        with site.app.app_context():
            stored = db.session.execute(select(Post.id, Post.body_md).where(
                Post.thread_id == site.thread_id, Post.body_md.like("重启测试 fault-%"))).all()
        by_mark: dict[str, list[int]] = {}
        for post_id, body in stored:
            by_mark.setdefault(body.removeprefix("重启测试 "), []).append(post_id)
        for mark, post_id in load.acknowledged.items():
            assert by_mark.get(mark) == [post_id], (
                f"acknowledged {mark} as post {post_id}, stored {by_mark.get(mark)}; {story()}")
        # A failed post may have been stored (the reply was lost), but never twice.
        assert all(len(ids) == 1 for ids in by_mark.values()), story()
