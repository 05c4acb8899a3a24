"""SQLite writers queue on a lock file (learning/sqlite_writers.py) held from the first write
statement of a transaction to its end, so a waiting writer starts as soon as the lock frees
instead of on SQLite's retry timer."""

import fcntl
import os
import threading
import time

import pytest
from sqlalchemy import text

from learning import sqlite_writers
from learning.extensions import db


@pytest.fixture
def lock_path(app, engine_name):
    if engine_name != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database: no queue needed")
    with app.app_context():
        return f"{db.engine.url.database}-writers.lock"


def held(path: str) -> bool:
    """Whether some connection holds the writers' lock now."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_the_lock_is_held_from_the_first_write_to_commit_or_rollback(app, lock_path):
    with app.app_context(), db.engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM users"))
        assert not held(lock_path)  # reading takes no turn
        conn.execute(text("UPDATE users SET active = active"))
        assert held(lock_path)
        conn.commit()
        assert not held(lock_path)
        conn.execute(text("DELETE FROM users WHERE id < 0"))
        assert held(lock_path)
        conn.rollback()
        assert not held(lock_path)


def test_a_connection_returned_to_the_pool_gives_its_turn_back(app, lock_path):
    with app.app_context():
        with db.engine.connect() as conn:
            conn.execute(text("UPDATE users SET active = active"))
            assert held(lock_path)
        assert not held(lock_path)  # closed without commit: rolled back and released


def test_the_next_writer_goes_as_soon_as_the_first_commits(app, lock_path):
    """The second writer blocks on the queue while the first holds it, and is through it well
    before SQLite's own retry timer would have let it (its sleeps reach 100 ms)."""
    started, done = threading.Event(), {}
    with app.app_context():
        engine = db.engine

    def second():
        with engine.connect() as conn:
            started.set()
            conn.execute(text("UPDATE users SET active = active"))
            done["at"] = time.monotonic()
            conn.commit()

    with engine.connect() as first:
        first.execute(text("UPDATE users SET active = active"))
        thread = threading.Thread(target=second)
        thread.start()
        started.wait(5)
        time.sleep(0.3)
        assert "at" not in done  # still waiting its turn
        first.commit()
        released = time.monotonic()
    thread.join(5)
    assert "at" in done and done["at"] >= released


def test_a_writer_that_cannot_get_its_turn_in_time_goes_ahead(lock_path):
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        assert sqlite_writers._acquire(lock_path, timeout=0.05) is None
    finally:
        os.close(fd)
    lock = sqlite_writers._acquire(lock_path, timeout=0.05)
    assert lock is not None
    os.close(lock)
