"""A database error inside a request gets the app's own 500 answer, on both engines.

On PostgreSQL a failed statement aborts the transaction: every later statement is refused until
it is rolled back, and a failed flush leaves the session unusable on any engine. The error
handler must roll back before it renders, or the error page's own queries (the signed-in user,
the menu) fail too and the visitor gets the server's bare 500.
"""

import pytest
from sqlalchemy import text

from learning.accounts.models import User
from learning.extensions import db
from tests.conftest import PASSWORD, login
from tests.learning.test_security import assert_json_error, in_layout


def bad_sql():
    db.session.execute(text("SELECT no_such_column FROM users"))


def failed_flush():
    """An INSERT that breaks a unique constraint, as a flush in a service would."""
    db.session.add(User(username="member", display_name="twin", password_hash=PASSWORD))
    db.session.flush()


def database_error_in(app, monkeypatch, endpoint: str, fail) -> None:
    """Make `endpoint` run `fail` (which raises a database error) instead of its own work."""

    def view(*args, **kwargs):
        fail()
        raise AssertionError("the statement should have failed")

    monkeypatch.setitem(app.view_functions, endpoint, view)


@pytest.mark.parametrize("fail", [bad_sql, failed_flush], ids=["statement", "flush"])
def test_a_database_error_in_a_page_gets_the_apps_own_500_page(app, client, org, monkeypatch,
                                                                fail):
    login(client, "member")
    database_error_in(app, monkeypatch, "home.index", fail)
    response = client.get("/")
    assert response.status_code == 500
    assert in_layout(response)  # our page, with the menu the signed-in user sees
    assert "no_such_column" not in response.get_data(as_text=True)
    monkeypatch.undo()
    assert client.get("/").status_code == 200  # the next request finds a clean connection


@pytest.mark.parametrize("fail", [bad_sql, failed_flush], ids=["statement", "flush"])
def test_a_database_error_in_the_api_gets_the_json_500(app, client, org, monkeypatch, fail):
    login(client, "member")
    database_error_in(app, monkeypatch, "api_accounts.me", fail)
    response = client.get("/api/v1/me")
    body = assert_json_error(response, 500)
    assert "no_such_column" not in body["message"]
    monkeypatch.undo()
    assert client.get("/api/v1/me").status_code == 200
