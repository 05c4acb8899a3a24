"""CLI: `flask --app wsgi markup rerender`."""

import click
from flask.cli import AppGroup

from learning.extensions import db

markup_cli = AppGroup("markup", help="Stored HTML rendered from Markdown.")


@markup_cli.command("rerender")
def rerender() -> None:
    """Re-render every stored module body from its Markdown (after the allowlist changed)."""
    from courses.catalog.services import rerender_all

    try:
        changed, total = rerender_all()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(f"Re-rendered {total} module bodies: {changed} changed, {total - changed} "
               "unchanged.")
