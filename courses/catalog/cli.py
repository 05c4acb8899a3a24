"""CLI: `flask --app wsgi markup rerender`."""

from flask.cli import AppGroup

markup_cli = AppGroup("markup", help="Stored HTML rendered from Markdown.")
