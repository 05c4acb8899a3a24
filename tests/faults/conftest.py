"""Fixtures of the fault tests: the servers they need, and a hard time bound on each test.

PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) are required in CI (CI=true): missing
there, a test fails; elsewhere it is skipped and says what is missing. A test's setup and body
together get SECONDS_PER_TEST; past it the test fails (with every thread's stack on stderr) and
its fixtures still clean up, so a hung server can neither stall the suite nor leave anything
behind.
"""

import faulthandler
import signal
import sys

import pytest

from tests.conftest import IN_CI, TEST_DATABASE_URL, postgres_reachable
from tests.faults import support

# A guard against hangs, not a speed test: a test takes about 30 s on an idle machine, but
# test_two_servers once ran out of 75 s on a 2-core machine with the rest of the suite running.
SECONDS_PER_TEST = 150


def unavailable(what: str) -> None:
    """Fail in CI, where every prerequisite is provided; skip elsewhere."""
    if IN_CI:
        pytest.fail(f"CI=true but {what}; it is required in CI.", pytrace=False)
    pytest.skip(what)


def _out_of_time(signum, frame):
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    pytest.fail(f"fault test took longer than {SECONDS_PER_TEST} s", pytrace=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    # SIGALRM reaches the main thread, where pytest runs the test: the exception unwinds the
    # test through its `with` blocks and finally clauses, so everything started is stopped.
    signal.signal(signal.SIGALRM, _out_of_time)
    signal.alarm(SECONDS_PER_TEST)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    signal.alarm(0)  # teardown is cleanup: never interrupt it
    return (yield)


@pytest.fixture
def postgres_server() -> str:
    """The URL of the PostgreSQL server the suite uses (databases of our own go on it)."""
    if not postgres_reachable():
        unavailable(f"PostgreSQL is not reachable at {TEST_DATABASE_URL}")
    return TEST_DATABASE_URL


@pytest.fixture
def private_postgres(tmp_path):
    """A PostgreSQL cluster of this test's own, started; stopped and removed afterwards (its
    log is kept as tmp_path/postgres.log)."""
    if (why := support.private_postgres_missing()) is not None:
        unavailable(f"a private PostgreSQL cluster cannot be made: {why}")
    cluster = support.PostgresCluster()
    try:
        cluster.create().start()
        yield cluster
    finally:
        cluster.destroy(keep_log=tmp_path / "postgres.log")
