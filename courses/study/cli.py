"""CLI: `flask --app wsgi assignments close-due`."""

from flask.cli import AppGroup

assignments_cli = AppGroup("assignments", help="Study periods (assignments).")
