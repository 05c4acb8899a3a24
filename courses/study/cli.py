"""CLI: `flask --app wsgi assignments close-due`."""

import click
from flask.cli import AppGroup

from learning.extensions import db

assignments_cli = AppGroup("assignments", help="Study periods (assignments).")


@assignments_cli.command("close-due")
def close_due_command():
    """Close every open assignment whose due time has passed and freeze its roster."""
    from courses.study import services

    closed = services.close_due()
    db.session.commit()
    click.echo(f"Closed {len(closed)} assignment(s)" + (f": {closed}" if closed else "."))
