"""Two app servers behind a load balancer, one PostgreSQL and one Redis: the login limit holds
across them.

Threat: a password guesser whose attempts the balancer spreads over the servers. With counters
in each process's memory, every server would allow 5 failures of its own; with Redis
(REDIS_URL) they share one count per account: 5 failures in all, wherever they landed, and the
account is refused (429) on every server, even with the right password, while other accounts
still log in anywhere. LOGIN_LIMIT_PER_ACCOUNT is left at its default, 5 per 15 minutes.

Each server is a real gunicorn (two ports) on one database of the suite's PostgreSQL server;
the Redis keys carry a prefix of this test's own (RATELIMIT_KEY_PREFIX) and are deleted after.
"""

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

from bench import harness
from learning.reports.seed import BENCH_PASSWORD
from tests.conftest import REDIS_URL
from tests.faults import support

LIMIT = 5  # LOGIN_LIMIT_PER_ACCOUNT's default: "5 per 15 minutes"


def login(base: str, username: str, password: str) -> int:
    """A fresh browser's login on one server: the status of the form's POST (302: logged in,
    200: refused with a message, 429: too many failures)."""
    browser = support.Browser(base)
    return browser.post("/login", {"csrf_token": browser.csrf_token(), "username": username,
                                   "password": password}).status


def test_login_limit_is_shared_by_two_servers(postgres_server, redis_prefix, tmp_path):
    prefix, client = redis_prefix
    logs = [tmp_path / "gunicorn-a.log", tmp_path / "gunicorn-b.log"]
    with support.seeded_site(tmp_path, postgres_server, members=60, modules=3) as site, \
            ExitStack() as stack:
        env = support.site_env(site, tmp_path, REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix)
        servers = [stack.enter_context(support.stopped_at_exit(
            harness.Gunicorn(env, log, workers=1, app=support.APP))) for log in logs]
        with ThreadPoolExecutor(2) as pool:  # both boot at once: half the wait
            for started in [pool.submit(server.start) for server in servers]:
                started.result(timeout=90)
        a, b = (server.base for server in servers)
        see = f"logs {logs[0]}, {logs[1]}"
        guessed, spread, other = site.members[:3]

        # Failures alternate between the servers: A, B, A, B, A.
        for n in range(LIMIT):
            assert login((a, b)[n % 2], guessed, f"wrong-{n}") == 200, f"failure {n}; {see}"
        # The sixth attempt is refused on both, the right password too.
        assert login(a, guessed, BENCH_PASSWORD) == 429, see
        assert login(b, guessed, BENCH_PASSWORD) == 429, see
        # Another account logs in on either server.
        assert login(a, other, BENCH_PASSWORD) == 302, see
        assert login(b, other, BENCH_PASSWORD) == 302, see

        # One count, not one per server: 3 failures on A and 2 on B already block.
        for n in range(3):
            assert login(a, spread, f"wrong-{n}") == 200, see
        assert login(b, spread, "wrong-3") == 200, see
        assert login(b, spread, BENCH_PASSWORD) == 302, f"blocked after 4 failures; {see}"
        assert login(b, spread, "wrong-4") == 200, see
        assert login(a, spread, BENCH_PASSWORD) == 429, f"A counted only its own 3; {see}"
        assert login(b, spread, BENCH_PASSWORD) == 429, f"B counted only its own 2; {see}"

        # The counts live in Redis, under this test's prefix.
        assert any(client.scan_iter(f"*{prefix}*")), f"no limiter key with {prefix}; {see}"
