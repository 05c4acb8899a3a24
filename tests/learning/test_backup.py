"""`flask backup OUTFILE`: an online, consistent copy of the database, on SQLite and PostgreSQL.

The copies are read back the way an operator would restore them: the SQLite file opened on its
own, the PostgreSQL archive listed and restored into a fresh database with pg_restore.
"""

import sqlite3
import stat
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url

from learning import backup
from learning.accounts.models import LoginEvent, User
from learning.extensions import db


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def sqlite_app(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's online backup")
    return app


@pytest.fixture
def pg_app(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("pg_dump")
    return app


def _database_path(app) -> Path:
    with app.app_context():
        return Path(db.engine.url.database)


def _usernames_in_backup(app, path: Path, temp_database) -> list[str]:
    """The usernames a restore of the backup at `path` brings back."""
    with app.app_context():
        engine = db.engine.dialect.name
    if engine == "sqlite":
        with sqlite3.connect(path) as copy:
            return [row[0] for row in copy.execute("SELECT username FROM users ORDER BY username")]
    restored = temp_database("postgresql")
    conninfo, _password = backup.libpq_url(make_url(restored))
    subprocess.run([backup.find_pg_tool("pg_restore"), "--no-owner", f"--dbname={conninfo}",
                    str(path)], check=True, capture_output=True)
    with psycopg.connect(conninfo) as conn:
        return [row[0] for row in conn.execute("SELECT username FROM users ORDER BY username")]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_backup_holds_the_committed_rows_only_while_a_writer_is_open(
        app, runner, org, tmp_path, temp_database):
    out = tmp_path / "studyhall.backup"
    with app.app_context():
        committed = sorted(db.session.scalars(select(User.username)))
        db.session.remove()
        # Another connection (a gunicorn worker mid-request) holds an open write transaction.
        with db.engine.connect() as writer:
            writer.execute(insert(User).values(username="uncommitted", display_name="未提交",
                                               password_hash="x"))
            started = time.monotonic()
            result = runner.invoke(args=["backup", str(out)])
            elapsed = time.monotonic() - started
            writer.rollback()
    assert result.exit_code == 0, result.output
    assert elapsed < 10  # did not wait for the writer (SQLite's busy timeout is 15 s)
    assert len(committed) == 4
    assert _usernames_in_backup(app, out, temp_database) == committed
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert f"{out}" in result.output and f"{out.stat().st_size:,} bytes" in result.output
    assert _leftovers(tmp_path) == []


def test_sqlite_copy_passes_its_integrity_check_and_counts_the_users(sqlite_app, runner, org,
                                                                   tmp_path):
    out = tmp_path / "copy.sqlite"
    result = runner.invoke(args=["backup", str(out)])
    assert result.exit_code == 0, result.output
    assert "integrity ok, 4 users" in result.output
    with sqlite3.connect(out) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # A self-contained file (no -wal beside it needed): restoring is copying it back.
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master "
                                                 "WHERE type = 'table'")}
    with sqlite_app.app_context():
        assert tables == set(db.metadata.tables) | {"alembic_version"}


def test_sqlite_copy_finishes_while_workers_keep_committing(sqlite_app, org, tmp_path):
    """Without one snapshot for the whole copy, every commit restarts SQLite's backup."""
    with sqlite_app.app_context():
        engine = db.engine
    stop = threading.Event()
    written = []

    def worker():
        while not stop.is_set():
            with engine.begin() as conn:
                conn.execute(insert(LoginEvent).values(username="member", success=False,
                                                       reason="bad_password"))
            written.append(1)
            time.sleep(0.002)

    def count_events(path: Path) -> int:
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT count(*) FROM login_events").fetchone()[0]

    thread = threading.Thread(target=worker)
    thread.start()
    copier = None
    try:
        while len(written) < 5:
            time.sleep(0.01)
        before = count_events(_database_path(sqlite_app))
        out = tmp_path / "busy.sqlite"
        summary = []
        # One page per step, so the copy spans many of the worker's commits.
        copier = threading.Thread(target=lambda: summary.append(backup.sqlite_backup(
            _database_path(sqlite_app), out, pages=1, pause=0.002)))
        copier.start()
        copier.join(timeout=30)
        finished = not copier.is_alive()
        after = count_events(_database_path(sqlite_app))
    finally:
        stop.set()
        thread.join()
        if copier is not None:
            copier.join()  # with the writes stopped, even a restarting copy ends
    assert finished, "the backup kept restarting while the worker committed"
    assert summary and summary[0].startswith("integrity ok")
    assert len(written) > 20
    assert before <= count_events(out) <= after


def test_existing_file_is_refused_and_left_unchanged(app, runner, org, tmp_path):
    out = tmp_path / "keep.backup"
    out.write_bytes(b"yesterday's backup")
    out.chmod(0o640)
    result = runner.invoke(args=["backup", str(out)])
    assert result.exit_code != 0
    assert f"{out} already exists" in result.output and "--force" in result.output
    assert out.read_bytes() == b"yesterday's backup"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_force_replaces_an_existing_file_with_a_private_copy(app, runner, org, tmp_path,
                                                            temp_database):
    out = tmp_path / "old.backup"
    out.write_bytes(b"yesterday's backup")
    out.chmod(0o644)
    result = runner.invoke(args=["backup", "--force", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() != b"yesterday's backup"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "admin" in _usernames_in_backup(app, out, temp_database)


def test_missing_folder_is_named(app, runner, tmp_path):
    out = tmp_path / "no-such-folder" / "x.backup"
    result = runner.invoke(args=["backup", str(out)])
    assert result.exit_code != 0
    assert f"{out.parent} (the folder of x.backup) does not exist" in result.output
    assert not out.parent.exists()


def test_the_database_file_itself_is_refused_even_with_force(sqlite_app, runner, org):
    database = _database_path(sqlite_app)
    before = database.read_bytes()
    result = runner.invoke(args=["backup", "--force", str(database)])
    assert result.exit_code != 0
    assert f"{database} is the database itself" in result.output
    assert database.read_bytes() == before


def test_postgres_dump_is_a_custom_format_archive_listing_the_users_table(pg_app, runner, org,
                                                                         tmp_path):
    out = tmp_path / "studyhall.dump"
    result = runner.invoke(args=["backup", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:5] == b"PGDMP"  # the custom format's magic
    listing = subprocess.run([backup.find_pg_tool("pg_restore"), "--list", str(out)],
                             check=True, capture_output=True, text=True).stdout
    assert any("TABLE DATA public users" in line for line in listing.splitlines())
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_pg_dump_failure_shows_its_message_and_leaves_no_file(pg_app, tmp_path):
    with pg_app.app_context():
        url = db.engine.url.set(database="studyhall_no_such_database")
    out = tmp_path / "x.dump"
    with pytest.raises(backup.BackupError) as failure:
        backup.backup_database(url, out)
    assert str(failure.value).startswith("pg_dump failed (exit 1): ")
    assert '"studyhall_no_such_database" does not exist' in str(failure.value)  # its stderr
    assert not out.exists() and _leftovers(tmp_path) == []


def test_password_goes_to_pg_dump_in_the_environment_not_the_command_line(tmp_path,
                                                                        monkeypatch):
    """A stand-in pg_dump records what it was given; `ps` shows arguments, not environments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "record"
    fake = bin_dir / "pg_dump"
    fake.write_text("#!/bin/sh\n"
                    f'printf "%s\\n" "$@" > {record}\n'
                    f'echo "PGPASSWORD=$PGPASSWORD" >> {record}\n'
                    'for arg; do case "$arg" in --file=*) echo archive > "${arg#--file=}";; '
                    "esac; done\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    url = make_url("postgresql+psycopg://studyhall:s3cret%2Fpw@db.internal:5433/studyhall"
                   "?sslmode=require")
    out = tmp_path / "x.dump"
    backup.backup_database(url, out)
    args = record.read_text().splitlines()
    assert args[-1] == "PGPASSWORD=s3cret/pw"
    assert "--format=custom" in args
    assert "--dbname=postgresql://studyhall@db.internal:5433/studyhall?sslmode=require" in args
    assert not any("s3cret" in arg for arg in args[:-1])
    assert out.read_text() == "archive\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_missing_pg_dump_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(backup, "PG_BIN_GLOB", str(tmp_path / "none" / "*" / "bin"))
    url = make_url("postgresql+psycopg://studyhall@db.internal/studyhall")
    with pytest.raises(backup.BackupError, match="pg_dump was not found on PATH"):
        backup.backup_database(url, tmp_path / "x.dump")
    assert list(tmp_path.iterdir()) == []

