"""Command-line tools: `flask --app wsgi demo | users create | roster import`.

Each command runs as one transaction: it commits at the end or, on any error, writes nothing.
"""

import os
import sys
from datetime import datetime
from functools import wraps
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale

from learning.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
roster_cli = AppGroup("roster", help="Import the member roster.")


def in_default_locale(command):
    """Run a command in the default locale: without a request there is no visitor's choice."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            return command(*args, **kwargs)

    return wrapper


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "display_name", default="", help="Display name (default: username).")
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
@in_default_locale
def create_user_command(username: str, display_name: str, admin: bool) -> None:
    """Create USERNAME; the password is read from a prompt, or from stdin when piped."""
    from learning.accounts import services

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        services.check_password_policy(password)
        user = services.create_user(username, display_name or username, password, is_admin=admin)
    except services.AccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {'admin ' if admin else ''}user {user.username}.")


@roster_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only check the file and report what would change.")
@click.option("--passwords-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the new members' initial passwords (XLSX, mode 0600). "
                   "Default: a new initial-passwords-<date>-<time>.xlsx in the instance folder.")
@in_default_locale
def roster_import_command(file: Path, dry_run: bool, passwords_out: Path | None) -> None:
    """Import a roster CSV/XLSX (all-or-nothing); exits non-zero when any row has errors."""
    from learning.roster import services

    data = file.read_bytes()
    try:
        plan = services.plan_import(data, file.name)
        if plan.ok and not dry_run:
            result = services.apply_import(data, file.name)
    except services.RosterFileError as error:
        db.session.rollback()
        raise click.ClickException(f"{file}: {error}") from error
    for error in plan.errors:
        column = f" [{error.column}]" if error.column else ""
        click.echo(f"{file.name}: row {error.row}{column}: {error.message}", err=True)
    for warning in plan.warnings:
        column = f" [{warning.column}]" if warning.column else ""
        click.echo(f"{file.name}: row {warning.row}{column}: warning: {warning.message}",
                   err=True)
    summary = plan.summary
    click.echo("rows {rows}, new {new}, updated {updated}, unchanged {unchanged}, "
               "units to create {units_to_create}, errors {errors}".format(**summary))
    for path in plan.units_to_create:
        click.echo(f"  new unit: {path}")
    if not plan.ok:
        db.session.rollback()
        raise click.ClickException(f"{len(plan.errors)} errors; nothing was imported.")
    if dry_run:
        click.echo("Dry run: nothing was changed.")
        return
    if result.credentials:
        # Written before the commit: the passwords exist nowhere else, so an import whose
        # passwords file cannot be written must not happen at all.
        content = services.credentials_xlsx(result.credentials)
        try:
            if passwords_out is None:
                passwords_out = _new_private_file(Path(current_app.instance_path),
                                                  "initial-passwords", ".xlsx", content)
            else:
                _write_private(passwords_out, content)
        except OSError as error:
            db.session.rollback()
            raise click.ClickException(
                f"cannot write {error.filename or passwords_out}: {error.strerror}; "
                "nothing was imported."
            ) from error
    try:
        db.session.commit()
    except Exception:
        if result.credentials:
            passwords_out.unlink(missing_ok=True)  # passwords of accounts that do not exist
        raise
    if result.credentials:
        click.echo(f"Initial passwords of {len(result.credentials)} new members: {passwords_out}")
        click.echo("Only you can read that file; delete it once the passwords are handed out.")
    click.echo("Imported.")


def _write_private(path: Path, content: bytes, *, exclusive: bool = False) -> None:
    """Write a file only its owner may read, from the moment it exists.

    `exclusive` refuses (FileExistsError) to touch a file that is already there.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an existing file keeps its old mode otherwise
        handle.write(content)


def _new_private_file(folder: Path, stem: str, suffix: str, content: bytes) -> Path:
    """Write `content` to a new owner-only file in `folder`, named by the time; returns its path.

    Never replaces a file: an earlier import's passwords may not have been handed out yet.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = datetime.now().astimezone().strftime("%Y%m%d-%H%M%S")
    path, number = folder / f"{stem}-{stamp}{suffix}", 1
    while True:
        try:
            _write_private(path, content, exclusive=True)
            return path
        except FileExistsError:  # two imports in one second
            number += 1
            path = folder / f"{stem}-{stamp}-{number}{suffix}"


@click.command("demo")
@with_appcontext  # `flask` pushes one itself; app.test_cli_runner() and other callers do not
@in_default_locale
def demo_command() -> None:
    """Load the demo organisation and logins (safe to run again)."""
    from learning import demo

    logins = demo.load()
    # Feature packages add their demo data (courses, quizzes ...) through this hook.
    for load in current_app.extensions.get("demo_loaders", []):
        load(logins)
    db.session.commit()
    click.echo("Demo data loaded. Logins (username / password):")
    for role, username, password in logins:
        click.echo(f"  {role:<28} {username:<14} {password}")


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(roster_cli)
    app.cli.add_command(demo_command)
