"""Question banks and their file formats, quizzes, attempts, grading and item statistics.

Imports flow one way: `quizzes` uses `learning` and `courses` (it completes a module when its
quiz is passed); neither imports `quizzes`.
"""

from importlib import import_module

from flask import Flask

# Page blueprints and API blueprints, by module: each module holds `bp` or `blp`.
_PAGES = ("quizzes.banks.views", "quizzes.authoring.views", "quizzes.attempts.views",
          "quizzes.reports.views")
_APIS = ("quizzes.banks.api", "quizzes.authoring.api", "quizzes.attempts.api",
         "quizzes.reports.api")


def init_app(app: Flask) -> None:
    """Make the package's tables known; register its pages, API, CLI commands and demo data."""
    from learning.extensions import api
    from quizzes import models as _models  # noqa: F401  (tables known to migrations)
    from quizzes.attempts.cli import quizzes_cli
    from quizzes.banks.cli import bank_cli

    app.cli.add_command(bank_cli)
    app.cli.add_command(quizzes_cli)
    for name in _PAGES:
        if _exists(name):
            app.register_blueprint(import_module(name).bp)
    for name in _APIS:
        if _exists(name):
            api.register_blueprint(import_module(name).blp)


def _exists(name: str) -> bool:
    from importlib.util import find_spec

    return find_spec(name) is not None
