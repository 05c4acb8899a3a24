"""Online backups: `flask --app wsgi backup OUTFILE [--force]`.

SQLite is copied with SQLite's online backup API (`sqlite3.Connection.backup`), PostgreSQL with
`pg_dump -Fc`. Both are safe while gunicorn workers write. The copy is written to a temporary file
beside OUTFILE (mode 0600: it holds every password hash) and renamed only once it is complete and
checked, so a file with the final name is never a half-written backup.
"""

import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy.engine import URL

from learning.extensions import db

# SQLite copies this many pages per step (4 MiB at the default page size), then pauses, so the
# backup's reads and writes leave the disk to the workers now and then.
SQLITE_STEP_PAGES = 1024
SQLITE_STEP_PAUSE = 0.01
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


class BackupError(Exception):
    """A backup could not be made; the message says what and where."""


@dataclass
class BackupResult:
    """What was written, for the operator: the file, its size and what was checked."""

    path: Path
    size: int
    summary: str


def backup_database(url: URL, outfile: Path, *, force: bool = False) -> BackupResult:
    """Write a consistent copy of the database at `url` to `outfile` (SQLite or PostgreSQL)."""
    outfile = outfile.expanduser().absolute()
    if outfile.is_dir():
        raise BackupError(f"{outfile} is a directory; give the backup's file name.")
    if outfile.exists() and not force:
        raise _taken(outfile)
    if not outfile.parent.is_dir():
        raise BackupError(f"{outfile.parent} (the folder of {outfile.name}) does not exist.")
    if url.get_backend_name() == "sqlite":
        writer = _sqlite_writer(url, outfile)
    elif url.get_backend_name() == "postgresql":
        writer = _postgresql_writer(url)
    else:
        raise BackupError(f"cannot back up a {url.get_backend_name()} database.")

    try:
        fd, temp_name = tempfile.mkstemp(dir=outfile.parent, prefix=f".{outfile.name}.",
                                         suffix=".part")  # mkstemp creates it with mode 0600
    except OSError as error:
        raise BackupError(f"cannot write in {outfile.parent}: {error.strerror}") from error
    os.close(fd)
    temp = Path(temp_name)
    try:
        summary = writer(temp)
        _sync(temp)
        _publish(temp, outfile, force)
    finally:
        temp.unlink(missing_ok=True)
    return BackupResult(outfile, outfile.stat().st_size, summary)


def _publish(temp: Path, outfile: Path, force: bool) -> None:
    """Give the finished copy its final name in one step."""
    if force:
        os.replace(temp, outfile)
    else:
        # A hard link fails if the name was taken meanwhile, where a rename would overwrite it.
        try:
            os.link(temp, outfile)
        except FileExistsError as error:
            raise _taken(outfile) from error
        except OSError:  # a file system without hard links (SMB, FAT)
            if outfile.exists():
                raise _taken(outfile) from None
            os.replace(temp, outfile)
    directory = os.open(outfile.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the new name survives a power cut too
    finally:
        os.close(directory)


def _taken(outfile: Path) -> BackupError:
    return BackupError(f"{outfile} already exists; use --force to overwrite it.")


def _sync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_writer(url: URL, outfile: Path):
    source = url.database
    if not source or source == ":memory:" or source.startswith("file::memory:"):
        raise BackupError("an in-memory SQLite database cannot be backed up.")
    source_path = Path(source)
    if not source_path.is_file():
        raise BackupError(f"the database file {source_path} does not exist.")
    if outfile.resolve() == source_path.resolve():
        raise BackupError(f"{outfile} is the database itself; choose another file.")
    return lambda temp: sqlite_backup(source_path, temp)


def sqlite_backup(source_path: Path, target: Path, *, pages: int = SQLITE_STEP_PAGES,
                  pause: float = SQLITE_STEP_PAUSE) -> str:
    """Copy the SQLite database online into `target`, check it, and describe it."""
    # mode=rw: a mistyped path is an error, not a new empty database.
    source = sqlite3.connect(f"{source_path.absolute().as_uri()}?mode=rw", uri=True,
                             isolation_level=None, timeout=15)
    try:
        wal = source.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        if wal:
            # One read transaction for the whole copy: every step reads the same snapshot, so
            # a worker's commit does not restart the copy (without it SQLite starts over after
            # each write from another connection, and a busy server never lets it finish).
            # In WAL mode a reader blocks no writer.
            source.execute("BEGIN")
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        target_db = sqlite3.connect(target, isolation_level=None)
        try:
            source.backup(target_db, pages=pages, progress=lambda *_: time.sleep(pause))
            if wal:
                source.execute("COMMIT")
            # A single self-contained file: restoring is copying it back.
            target_db.execute("PRAGMA journal_mode=DELETE")
            problems = [row[0] for row in target_db.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError("the copy failed its integrity check: " + "; ".join(problems[:5]))
            users = target_db.execute("SELECT count(*) FROM users").fetchone()[0]
        finally:
            target_db.close()
    except sqlite3.Error as error:
        raise BackupError(f"SQLite backup of {source_path} failed: {error}") from error
    finally:
        source.close()
    return f"integrity ok, {users} users"


# --- PostgreSQL -----------------------------------------------------------------------------


def _postgresql_writer(url: URL):
    pg_dump = find_pg_tool("pg_dump")
    if pg_dump is None:
        raise BackupError(f"pg_dump was not found on PATH or in {PG_BIN_GLOB}; install the "
                          "PostgreSQL client (e.g. apt install postgresql-client).")
    return lambda temp: pg_dump_backup(pg_dump, url, temp)


def find_pg_tool(name: str) -> str | None:
    """A PostgreSQL client program: on PATH, else the newest /usr/lib/postgresql/N/bin one."""
    found = shutil.which(name)
    if found:
        return found
    candidates = [path for path in glob.glob(f"{PG_BIN_GLOB}/{name}") if os.access(path, os.X_OK)]

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", Path(path).parent.parent.name))

    return max(candidates, key=version, default=None)


def libpq_url(url: URL) -> tuple[str, str | None]:
    """The SQLAlchemy URL as a libpq one without the password, and the password on its own."""
    # URL.set() cannot remove a password (None there means "keep"): build the URL afresh.
    plain = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                       database=url.database, query=url.query)
    return plain.render_as_string(hide_password=False), url.password


def pg_dump_backup(pg_dump: str, url: URL, target: Path) -> str:
    """Dump the database with `pg_dump -Fc` into `target`, and describe the archive."""
    conninfo, password = libpq_url(url)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password  # never on the command line, where `ps` shows it
    command = [pg_dump, "--format=custom", "--no-password", f"--file={target}",
               f"--dbname={conninfo}"]
    try:
        # An argument list, no shell: the URL is one argument whatever characters it holds.
        done = subprocess.run(command, env=env, capture_output=True, text=True,  # noqa: S603
                              check=False)
    except OSError as error:
        raise BackupError(f"cannot run {pg_dump}: {error.strerror}") from error
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed (exit {done.returncode}): "
                          f"{done.stderr.strip() or 'no message'}")
    return f"pg_dump custom-format archive of database {url.database}"


# --- command --------------------------------------------------------------------------------


@click.command("backup")
@click.argument("outfile", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite OUTFILE if it exists.")
@with_appcontext  # `flask` pushes one itself; app.test_cli_runner() and other callers do not
def backup_command(outfile: Path, force: bool) -> None:
    """Write a consistent copy of the database to OUTFILE while the app keeps running.

    SQLite: a checked copy of the database file. PostgreSQL: a `pg_dump -Fc` archive (restore
    it with pg_restore). Uploaded files (UPLOAD_DIR) are not included.
    """
    try:
        result = backup_database(db.engine.url, outfile, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written: {result.path} ({result.size:,} bytes; {result.summary}).")


def init_app(app: Flask) -> None:
    """Register `flask backup`."""
    app.cli.add_command(backup_command)
