"""CLI: `flask --app wsgi quizzes close-overdue` (run it from cron every few minutes)."""

import click
from flask.cli import AppGroup

from learning.extensions import db

quizzes_cli = AppGroup("quizzes", help="Quizzes and attempts.")


@quizzes_cli.command("close-overdue")
def close_overdue_command():
    """Close and grade every attempt whose deadline (plus grace) has passed."""
    from quizzes.attempts import services

    closed = services.close_overdue()
    db.session.commit()
    click.echo(f"Closed {closed} overdue attempt(s).")
