"""The start page and the load balancer's health check."""

from sqlalchemy.exc import OperationalError

from tests.conftest import login


def test_home_lists_my_units_and_roles(client, org):
    login(client, "leader_in")
    page = client.get("/").get_data(as_text=True)
    assert "测试团委/第一团支部" in page


def test_healthz_checks_the_database(client, monkeypatch):
    assert client.get("/healthz").get_json() == {"status": "ok"}

    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr("learning.home.db.session.execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
