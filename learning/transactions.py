"""One transaction per request, committed in one place.

Views and services only change the session; a request that ends without an error commits
once here, and anything that raised or answered with an error status rolls back.
"""

from flask import Flask, current_app

from learning.extensions import db


def init_app(app: Flask) -> None:
    @app.after_request
    def _commit(response):
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response


def roll_back() -> None:
    """End the request's transaction without keeping anything, before an error page is made.

    An error answer never commits; rolling back first also matters for the page itself: after a
    failed statement PostgreSQL refuses every further one in the transaction (and a failed flush
    leaves the session unusable on any engine) until it is rolled back, so the error page's own
    queries (the signed-in user, the menu) would fail and the visitor would get the server's
    bare 500 instead of ours.
    """
    try:
        db.session.rollback()
    except Exception:  # a dead connection: the page is still worth trying without the database
        current_app.logger.exception("rollback failed while answering an error")


def commit_before_render() -> None:
    """Commit the request's writes now, before a page is rendered, keeping what is loaded.

    SQLite lets one writer at a time hold the database, from its first write to commit. A
    GET that writes (the module page records the visit) and then renders would make every
    other writer wait for its template too. Loaded objects are not expired by this commit
    (the page would only read them again); the session is the request's own, so the setting
    ends with the request.
    """
    session = db.session()
    session.expire_on_commit = False
    session.commit()
