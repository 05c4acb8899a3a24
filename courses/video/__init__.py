"""Video lessons: players, the watched rule and heartbeat crediting; a sample clip for the demo."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Make the package's table known and register its API."""
    from courses.video import models as _models  # noqa: F401  (tables known to migrations)
    from courses.video.api import blp
    from learning.extensions import api

    api.register_blueprint(blp)
