"""CLI: `flask --app wsgi series run` (cron): create the periods due soon, close those due."""

import click
from flask.cli import AppGroup

from learning.extensions import db

series_cli = AppGroup("series", help="Weekly series (每周一期).")


@series_cli.command("run")
def run_command():
    """Create every series' periods starting within SERIES_AHEAD_DAYS, then close every period
    past its due time. Safe to run on several servers at once; one transaction per series."""
    from courses.series import services
    from courses.study.services import close_due

    created = failed = 0
    for series_id in services.active_series_ids():
        try:
            created += len(services.advance(series_id))
            db.session.commit()
        except services.SeriesError as error:
            db.session.rollback()
            failed += 1
            click.echo(f"Series {series_id}: {error}", err=True)
    closed = close_due()
    db.session.commit()
    click.echo(f"Created {created} period(s); closed {len(closed)} period(s)"
               + (f"; {failed} series could not continue." if failed else "."))
    if failed:
        raise SystemExit(1)
