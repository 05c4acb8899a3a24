"""Pages: Authoring courses, modules and attachments (admins), and reading the catalogue."""

from pathlib import Path

from flask import Blueprint

bp = Blueprint("catalog", __name__, template_folder=str(Path(__file__).parents[1] / "templates"))
