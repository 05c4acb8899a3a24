"""SQLite writers wait their turn in a queue that wakes them at once, not on SQLite's timer.

SQLite admits one write transaction at a time, from its first write statement to its commit. A
connection that finds the database locked sleeps and retries (`busy_timeout`: 1, 2, 5, 10 ... then
100 ms between tries), so under a burst of writes from several gunicorn workers the waiting
writers sleep past the moment the lock frees, the database stands idle and an unlucky request
waits for seconds (the quiz flow of bench/load.py showed p99 over a second).

Here a connection takes an exclusive `flock()` on a file beside the database just before its
first write statement, and drops it when its transaction ends (commit, rollback, or the
connection going back to the pool). Waiting for that lock polls every millisecond, so the next
writer starts within a millisecond of the previous commit. SQLite's own locking still guards the
data; this only decides who goes next. A writer that cannot get the lock within the busy
timeout goes ahead and lets SQLite decide, as before; a killed process loses its lock with it.
"""

import fcntl
import os
import re
import time

from sqlalchemy import event

LOCK = "_studyhall_writer_lock"
POLL_SECONDS = 0.001
# The statements that make SQLite take its write lock (the transaction begins there).
WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


def install(engine, database: str, timeout: float) -> None:
    """Queue the writers of `engine` on `database`-writers.lock (file databases only)."""
    path = f"{database}-writers.lock"

    @event.listens_for(engine, "before_cursor_execute")
    def _before_write(conn, cursor, statement, parameters, context, executemany):
        if LOCK not in conn.info and WRITES.match(statement):
            conn.info[LOCK] = _acquire(path, timeout)

    @event.listens_for(engine, "commit")
    def _on_commit(conn):
        _release(conn.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn):
        _release(conn.info)

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection, record):
        if record is not None:
            _release(record.info)

    @event.listens_for(engine, "close")
    def _on_close(dbapi_connection, record):
        if record is not None:
            _release(record.info)


def _acquire(path: str, timeout: float) -> int | None:
    """The open lock file, locked; None if it cannot be opened or the wait ran out."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # a read-only folder: SQLite's own retries only
        return None
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(POLL_SECONDS)


def _release(info: dict) -> None:
    fd = info.pop(LOCK, None)
    if fd is not None:
        os.close(fd)  # closing the file drops its flock
