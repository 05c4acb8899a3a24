"""Offline lessons through /api/v1: record, list, get, correct; scope, 403/404 and 422."""

from datetime import date, timedelta

import pytest

from courses.models import OfflineLesson, OfflineLessonRevision, Progress
from tests.conftest import csrf_token, login, post_form
from tests.courses.test_offline import count, record, state

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


@pytest.fixture
def setup(app, org, make_user, make_course):
    org.member2 = make_user("member2", name="成员乙", units=[(org.group_a, "member")])
    org.other = make_user("other", name="外组成员", units=[(org.group_b, "member")])
    org.course = make_course(modules=2)
    return org


def as_user(client, username):
    login(client, username)
    return {"X-CSRFToken": csrf_token(client)}


def body(o, **extra):
    return {"unit_id": o.group_a.id, "held_on": YESTERDAY, "place": "会议室",
            "module_ids": o.course.module_ids, "attendee_ids": [o.member.id, o.member2.id],
            **extra}


def test_create_get_and_list(app, client, setup):
    o = setup
    headers = as_user(client, "leader_in")
    response = client.post("/api/v1/offline-lessons", json=body(o, topic="读书会"),
                           headers=headers)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["attendee_ids"] == sorted([o.member.id, o.member2.id])
    assert created["held_on"] == YESTERDAY and created["revisions"] == 0
    assert state(app, o.member2.id, o.course.module_ids[1])[1] == "offline"

    got = client.get(f"/api/v1/offline-lessons/{created['id']}").get_json()
    assert got["topic"] == "读书会" and got["unit_name"] == o.group_a.name
    listed = client.get("/api/v1/offline-lessons").get_json()
    assert [lesson["id"] for lesson in listed] == [created["id"]]


def test_outside_scope_is_403_or_404_and_writes_nothing(app, client, setup):
    o = setup
    lesson_id = record(app, o.group_a, o.course.module_ids[:1], [o.member.id], by=o.leader_in)
    headers = as_user(client, "leader_out")
    assert client.post("/api/v1/offline-lessons", json=body(o),
                       headers=headers).status_code == 404
    assert client.get(f"/api/v1/offline-lessons/{lesson_id}").status_code == 404
    assert client.patch(f"/api/v1/offline-lessons/{lesson_id}", json={"place": "x"},
                        headers=headers).status_code == 404
    assert client.get("/api/v1/offline-lessons").get_json() == []
    post_form(client, "/logout")
    headers = as_user(client, "member")
    assert client.post("/api/v1/offline-lessons", json=body(o),
                       headers=headers).status_code == 403
    assert client.get("/api/v1/offline-lessons").status_code == 403
    assert count(app, OfflineLesson) == 1 and count(app, OfflineLessonRevision) == 0
    assert count(app, Progress) == 1


@pytest.mark.parametrize("change, field", [
    ({"place": ""}, "place"),
    ({"held_on": "not a date"}, "held_on"),
    ({"module_ids": []}, "module_ids"),
    ({"module_ids": [987654]}, "module_ids"),
    ({"attendee_ids": "x"}, "attendee_ids"),
    ({"held_on": (date.today() + timedelta(days=9)).isoformat()}, "held_on"),
])
def test_bad_input_is_422_naming_the_field(app, client, setup, change, field):
    o = setup
    headers = as_user(client, "leader_in")
    response = client.post("/api/v1/offline-lessons", json=body(o, **change), headers=headers)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert count(app, OfflineLesson) == 0 and count(app, Progress) == 0


def test_forged_attendee_is_422_with_message(app, client, setup):
    o = setup
    headers = as_user(client, "leader_in")
    response = client.post("/api/v1/offline-lessons",
                           json=body(o, attendee_ids=[o.member.id, o.other.id]),
                           headers=headers)
    assert response.status_code == 422
    message = response.get_json()["errors"]["json"]["attendee_ids"][0]
    assert "not on the roster" in message and str(o.other.id) in message
    assert count(app, OfflineLesson) == 0 and count(app, Progress) == 0


def test_patch_corrects_with_a_revision_and_the_rule(app, client, setup):
    o = setup
    m0, m1 = o.course.module_ids
    lesson_id = record(app, o.group_a, [m0, m1], [o.member.id, o.member2.id], by=o.leader_in)
    headers = as_user(client, "admin")
    response = client.patch(f"/api/v1/offline-lessons/{lesson_id}",
                            json={"attendee_ids": [o.member2.id], "place": "新址"},
                            headers=headers)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["attendee_ids"] == [o.member2.id] and data["place"] == "新址"
    assert data["module_ids"] == sorted([m0, m1]) and data["revisions"] == 1
    assert state(app, o.member.id, m0) == (None, None)
    assert state(app, o.member2.id, m1)[1] == "offline"
    bad = client.patch(f"/api/v1/offline-lessons/{lesson_id}",
                       json={"attendee_ids": [o.other.id]}, headers=headers)
    assert bad.status_code == 422 and "attendee_ids" in bad.get_json()["errors"]["json"]
    assert count(app, OfflineLessonRevision) == 1


def test_openapi_documents_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/offline-lessons"])
    assert {"get", "patch"} <= set(paths["/api/v1/offline-lessons/{lesson_id}"])
