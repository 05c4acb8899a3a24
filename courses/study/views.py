"""Pages: Assignments with study periods, 「我的学习」, the module page and reading progress."""

from pathlib import Path

from flask import Blueprint

bp = Blueprint("study", __name__, template_folder=str(Path(__file__).parents[1] / "templates"))
