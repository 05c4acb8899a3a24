"""Question banks and their file formats, quizzes, attempts, grading and item statistics.

Imports flow one way: `quizzes` uses `learning` and may tell `courses` that a module is complete.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Make the package's tables known and register its CLI commands."""
    from quizzes import models as _models  # noqa: F401  (tables known to migrations)
    from quizzes.banks.cli import bank_cli

    app.cli.add_command(bank_cli)
