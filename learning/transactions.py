"""One transaction per request, committed in one place.

Views and services only change the session; a request that ends without an error commits
once here, and anything that raised or answered with an error status rolls back.
"""

from flask import Flask

from learning.extensions import db


def init_app(app: Flask) -> None:
    @app.after_request
    def _commit(response):
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response
