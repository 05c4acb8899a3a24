"""Question banks and their file formats, quizzes, attempts, grading and item statistics.

Imports flow one way: `quizzes` uses `learning` and `courses` (it completes a module when its
quiz is passed, and adds the quiz to the module page through a hook); neither imports `quizzes`.
"""

from importlib import import_module

from flask import Flask
from flask_babel import lazy_gettext as _l

# Each page module holds `bp`, each API module `blp`.
_PAGES = ("quizzes.banks.views", "quizzes.authoring.views", "quizzes.attempts.views",
          "quizzes.reports.views")
_APIS = ("quizzes.banks.api", "quizzes.authoring.api", "quizzes.attempts.api",
         "quizzes.reports.api")


def init_app(app: Flask) -> None:
    """Make the package's tables known; register its pages, API, CLI, demo data and hooks."""
    from learning.extensions import api
    from quizzes import models as _models  # noqa: F401  (tables known to migrations)
    from quizzes.attempts.cli import quizzes_cli
    from quizzes.banks.cli import bank_cli
    from quizzes.demo import load as load_demo
    from quizzes.permissions import can_manage_quizzes
    from quizzes.sections import module_quiz

    app.cli.add_command(bank_cli)
    app.cli.add_command(quizzes_cli)
    app.extensions.setdefault("demo_loaders", []).append(load_demo)
    app.extensions.setdefault("module_sections", []).append(module_quiz)
    from quizzes.attempts.services import module_quiz_passed

    app.extensions.setdefault("module_quiz_passed", []).append(module_quiz_passed)
    app.extensions.setdefault("nav_links", []).append(
        (_l("Quizzes"), "quiz_admin.index", can_manage_quizzes, "content"))
    for name in _PAGES:
        app.register_blueprint(import_module(name).bp)
    for name in _APIS:
        api.register_blueprint(import_module(name).blp)
