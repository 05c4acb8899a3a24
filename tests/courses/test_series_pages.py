"""Weekly series through HTTP: the pages (create, show with 参学率, release, edit, delete) and
the API (CRUD, release, refusals), on both engines."""

from datetime import timedelta

from sqlalchemy import func, select

from courses.models import Assignment
from courses.series import services
from courses.series.models import Series
from learning.extensions import db
from tests.conftest import csrf_token, login, post_form


def _monday_ahead(app):
    with app.test_request_context():
        today = services.today()
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


def test_a_leader_creates_a_series_releases_period_one_and_sees_its_rate(
        app, client, org, make_course):
    course = make_course("青年大学习", modules=2, rule="confirm")
    starts_on = _monday_ahead(app)
    login(client, "leader_in")
    page = client.get("/series/new")
    assert page.status_code == 200 and "青年大学习" in page.get_data(as_text=True)
    response = post_form(client, "/series/new", {
        "title": "青年大学习", "course_id": course.id, "unit_id": org.branch_a.id,
        "weekdays": ["0"], "starts_on": starts_on.isoformat(), "start_time": "00:00",
        "due_days": "6", "due_time": "22:00", "first_number": "5",
        "skipped": "", "active": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        series_id = db.session.scalar(select(Series.id))
    show = client.get(f"/series/{series_id}").get_data(as_text=True)
    assert "Create period 5 now" in show and "No period created yet." in show
    assert post_form(client, f"/series/{series_id}/periods").status_code == 302
    show = client.get(f"/series/{series_id}").get_data(as_text=True)
    assert "Period 5 is created." in show and 'id="series-rates"' in show
    assert "Upcoming" in show, show[show.find("series-rates"):][:1500]
    assert "青年大学习 第5期" in show, show[show.find("series-rates"):][:2500]
    with app.app_context():
        assignment = db.session.scalar(select(Assignment))
        assert assignment.unit_id == org.branch_a.id and assignment.title == "青年大学习 第5期"
    # The member of group_a sees the period in 「我的学习」.
    member = app.test_client()
    login(member, "member")
    assert "青年大学习 第5期" in member.get("/study/").get_data(as_text=True)


def test_the_new_series_form_names_a_bad_skipped_entry_and_saves_nothing(
        app, client, org, make_course):
    course = make_course(modules=1)
    login(client, "admin")
    response = post_form(client, "/series/new", {
        "title": "青年大学习", "course_id": course.id, "unit_id": org.committee.id,
        "weekdays": ["0"], "starts_on": _monday_ahead(app).isoformat(), "start_time": "00:00",
        "due_days": "6", "due_time": "22:00", "first_number": "1", "skipped": "国庆周"})
    assert response.status_code == 200
    assert "“国庆周” is neither a date" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Series)) == 0


def test_a_unit_outside_the_leaders_scope_is_refused_like_a_missing_one(
        client, org, make_course, app):
    course = make_course(modules=1)
    login(client, "leader_out")
    response = post_form(client, "/series/new", {
        "title": "越权", "course_id": course.id, "unit_id": org.branch_a.id, "weekdays": ["0"],
        "starts_on": _monday_ahead(app).isoformat(), "start_time": "00:00", "due_days": "6",
        "due_time": "22:00", "first_number": "1"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Series)) == 0


def test_editing_skips_a_week_and_deleting_keeps_the_periods(app, client, org, make_course):
    course = make_course(modules=2, rule="confirm")
    login(client, "admin")
    token = csrf_token(client)
    headers = {"X-CSRFToken": token}
    created = client.post("/api/v1/series", headers=headers, json={
        "title": "青年大学习", "course_id": course.id, "unit_id": org.committee.id,
        "starts_on": _monday_ahead(app).isoformat()})
    assert created.status_code == 201, created.get_json()
    series_id = created.get_json()["id"]
    monday = _monday_ahead(app)
    response = post_form(client, f"/series/{series_id}/edit", {
        "title": "青年大学习（秋季）", "weekdays": ["0"], "starts_on": monday.isoformat(),
        "start_time": "00:00", "due_days": "6", "due_time": "22:00", "first_number": "1",
        "skipped": monday.isoformat(), "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        series = db.session.get(Series, series_id)
        assert series.title == "青年大学习（秋季）" and series.skipped == [monday.isoformat()]
        assert services.next_plan(series).day == monday + timedelta(weeks=1)
    assert post_form(client, f"/series/{series_id}/periods").status_code == 302
    assert post_form(client, f"/series/{series_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Series, series_id) is None
        assert db.session.scalar(select(func.count()).select_from(Assignment)) == 1


def test_the_api_creates_changes_releases_and_refuses_with_the_field_named(
        app, client, org, make_course):
    course = make_course(modules=2, rule="confirm")
    login(client, "leader_in")
    headers = {"X-CSRFToken": csrf_token(client)}
    monday = _monday_ahead(app)
    body = {"title": "青年大学习", "course_id": course.id, "unit_id": org.branch_a.id,
            "starts_on": monday.isoformat(), "weekdays": [0, 3], "skipped": ["2030-W02"],
            "module_ids": [course.module_ids[1], course.module_ids[0]]}
    bad = client.post("/api/v1/series", headers=headers,
                      json={**body, "skipped": ["2030-W99"]})
    assert bad.status_code == 422 and "skipped" in bad.get_json()["errors"]["json"]
    outside = client.post("/api/v1/series", headers=headers,
                          json={**body, "unit_id": org.branch_b.id})
    assert outside.status_code == 404
    created = client.post("/api/v1/series", headers=headers, json=body)
    assert created.status_code == 201
    series = created.get_json()
    assert series["weekdays"] == [0, 3] and series["module_ids"] == body["module_ids"]
    assert series["due_time"] == "22:00:00" and series["periods"] == []
    url = f"/api/v1/series/{series['id']}"
    period = client.post(f"{url}/periods", headers=headers)
    assert period.status_code == 201
    assert period.get_json()["number"] == 1
    assert period.get_json()["module_id"] == course.module_ids[1]
    assert period.get_json()["state"] == "upcoming"
    fixed = client.patch(url, headers=headers, json={"first_number": 9})
    assert fixed.status_code == 422 and "first_number" in fixed.get_json()["errors"]["json"]
    changed = client.patch(url, headers=headers, json={"title": "青年大学习·秋", "active": False})
    assert changed.status_code == 200 and changed.get_json()["active"] is False
    assert client.get(url).get_json()["periods"][0]["title"] == "青年大学习 第1期"
    assert [s["id"] for s in client.get("/api/v1/series").get_json()] == [series["id"]]
    assert client.post(f"{url}/periods", headers=headers).status_code == 201
    assert client.post(f"{url}/periods", headers=headers).status_code == 409
    other = app.test_client()
    login(other, "leader_out")
    assert other.get(url).status_code == 404
    assert other.get("/api/v1/series").get_json() == []
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url).status_code == 404


def test_the_series_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/series"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/series/{series_id}"])
    assert "post" in paths["/api/v1/series/{series_id}/periods"]
