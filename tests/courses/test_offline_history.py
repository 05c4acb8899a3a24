"""Offline lessons cannot rewrite history (issue 17): the date rules, closed periods, 补录.

Each rule through the page and the API, which must agree. The rules are in the docstring of
courses/offline/services.py.
"""

from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from courses import progress
from courses.models import Assignment, OfflineLateEntry, OfflineLesson, Progress
from courses.offline.services import local_today
from courses.study import services as study
from learning.audit.models import AuditEntry
from learning.dbtypes import utcnow
from learning.extensions import db
from tests.conftest import csrf_token, login, post_form
from tests.courses.test_offline import count, form, record, state


@pytest.fixture
def setup(app, org, make_user, make_course):
    """org + a second member of group_a and a published two-module course."""
    org.member2 = make_user("member2", name="成员乙", units=[(org.group_a, "member")])
    org.course = make_course("回信精神专题", modules=2)
    with app.app_context():
        org.today = local_today()
    return org


def day(o, offset: int) -> str:
    """The site's day `offset` days from today, as the form and the API take it."""
    return (o.today + timedelta(days=offset)).isoformat()


def api_body(o, **extra) -> dict:
    return {"unit_id": o.group_a.id, "held_on": day(o, -1), "place": "会议室",
            "module_ids": o.course.module_ids, "attendee_ids": [o.member.id], **extra}


def both(client, o, **changes):
    """Send the same lesson through the page and the API: (page text, API response)."""
    page = post_form(client, f"/offline-lessons/new/{o.group_a.id}",
                     form(changes.get("module_ids", o.course.module_ids),
                          changes.get("attendee_ids", [o.member.id]),
                          held_on=changes.get("held_on", day(o, -1))))
    api = client.post("/api/v1/offline-lessons", headers={"X-CSRFToken": csrf_token(client)},
                      json=api_body(o, **changes))
    return page, api


def refused_alike(page, api, field: str, message: str) -> None:
    """The page shows the message at the field (status 200, the form again); the API is 422
    with the same message under the same field."""
    assert page.status_code == 200
    assert message in unescape(page.get_data(as_text=True))
    assert api.status_code == 422, api.get_json()
    assert any(message in text for text in api.get_json()["errors"]["json"][field])


def test_a_lesson_date_in_the_future_is_refused(app, client, setup):
    o = setup
    login(client, "leader_in")
    page, api = both(client, o, held_on=day(o, 1))  # tomorrow, in the site's time zone
    refused_alike(page, api, "held_on", "The lesson date cannot be in the future.")
    assert count(app, OfflineLesson) == 0 and count(app, Progress) == 0
    page, api = both(client, o, held_on=day(o, 0))  # today is fine
    assert page.status_code == 302 and api.status_code == 201


def test_a_lesson_date_more_than_the_backdate_days_back_is_refused(app, client, setup,
                                                                   monkeypatch):
    o = setup
    login(client, "leader_in")
    assert app.config["OFFLINE_BACKDATE_DAYS"] == 31
    message = ("The lesson date is more than 31 days back: a lesson that old can no longer "
               "be entered.")
    page, api = both(client, o, held_on=day(o, -32))
    refused_alike(page, api, "held_on", message)
    assert count(app, OfflineLesson) == 0 and count(app, Progress) == 0
    page, api = both(client, o, held_on=day(o, -31))
    assert page.status_code == 302 and api.status_code == 201

    monkeypatch.setitem(app.config, "OFFLINE_BACKDATE_DAYS", 7)
    page, api = both(client, o, held_on=day(o, -8))
    refused_alike(page, api, "held_on", "more than 7 days back")
    assert count(app, OfflineLesson) == 2


def close(app, assignment, *, days_ago: float = 0) -> None:
    """Close the period (its roster frozen) `days_ago` days ago."""
    with app.app_context():
        study.close_assignment(db.session.get(Assignment, assignment.id),
                               at=utcnow() - timedelta(days=days_ago))
        db.session.commit()


def test_a_lesson_counting_in_a_closed_period_is_refused_and_writes_nothing(
        app, client, setup, make_assignment):
    o = setup
    period = make_assignment(o.course, o.group_a, title="第5期", starts_in_days=-10,
                             due_in_days=-1)
    close(app, period)  # closed now: a lesson held yesterday would count in it
    login(client, "leader_in")
    page, api = both(client, o, held_on=day(o, -1))
    refused_alike(page, api, "held_on", "This lesson counts in 「第5期」 (回信精神专题) of "
                                        "第一学习小组, which was closed on ")
    assert "a closed period's roster and figures are frozen." in api.get_json()["message"]
    assert count(app, OfflineLesson) == 0 and count(app, Progress) == 0

    # Someone not on the frozen roster, or a module the period does not count, is no history.
    other = make_assignment(o.course, o.group_b, module_id=o.course.module_ids[0],
                            due_in_days=-1)
    close(app, other)
    page, api = both(client, o, held_on=day(o, -1), attendee_ids=[o.member2.id])
    assert (page.status_code, api.status_code) == (200, 422)  # member2 is on 第5期's roster


def test_a_lesson_after_the_close_or_for_pairs_already_complete_is_accepted(
        app, client, setup, make_assignment):
    o = setup
    m0 = o.course.module_ids[0]
    period = make_assignment(o.course, o.group_a, module_id=m0, starts_in_days=-10,
                             due_in_days=-4)
    close(app, period, days_ago=3)
    login(client, "leader_in")
    page, api = both(client, o, held_on=day(o, -1))  # held after the close: counts later
    assert page.status_code == 302 and api.status_code == 201
    with app.app_context():  # member2 finished m0 before the close: nothing would change
        progress.complete(o.member2.id, m0, "reading", at=utcnow() - timedelta(days=5))
        db.session.commit()
    page, api = both(client, o, held_on=day(o, -5), attendee_ids=[o.member2.id])
    assert page.status_code == 302 and api.status_code == 201
    assert state(app, o.member2.id, m0)[1] == "reading"


def test_a_correction_cannot_move_a_lesson_of_a_closed_period(app, client, setup,
                                                              make_assignment):
    o = setup
    period = make_assignment(o.course, o.group_a, starts_in_days=-10, due_in_days=1)
    lesson_id = record(app, o.group_a, o.course.module_ids, [o.member.id], by=o.leader_in)
    close(app, period)
    login(client, "leader_in")
    url = f"/offline-lessons/{lesson_id}/edit"
    message = "which was closed on "
    response = post_form(client, url, form(o.course.module_ids, [o.member.id, o.member2.id]))
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    api = client.patch(f"/api/v1/offline-lessons/{lesson_id}",
                       headers={"X-CSRFToken": csrf_token(client)},
                       json={"attendee_ids": [o.member2.id]})
    assert api.status_code == 422 and message in api.get_json()["errors"]["json"]["held_on"][0]
    assert state(app, o.member2.id, o.course.module_ids[0]) is None
    assert state(app, o.member.id, o.course.module_ids[0])[1] == "offline"
    # The place is no figure: it can still be corrected.
    assert post_form(client, url, form(o.course.module_ids, [o.member.id],
                                       place="改正后的地点")).status_code == 302
    with app.app_context():
        assert db.session.get(OfflineLesson, lesson_id).place == "改正后的地点"


def test_a_lesson_entered_after_the_due_time_is_accepted_and_marked_entered_late(
        app, client, setup, make_assignment):
    o = setup
    m0, _m1 = o.course.module_ids
    period = make_assignment(o.course, o.group_a, module_id=m0, title="第6期",
                             starts_in_days=-10, due_in_days=-1)  # due, not closed yet
    with app.app_context():  # member2 had finished in time: the lesson changes nothing for them
        progress.complete(o.member2.id, m0, "reading", at=utcnow() - timedelta(days=3))
        db.session.commit()
    login(client, "leader_in")
    response = post_form(client, f"/offline-lessons/new/{o.group_a.id}",
                         form([m0], [o.member.id, o.member2.id], held_on=day(o, -4)))
    assert response.status_code == 302
    with app.app_context():
        lesson = db.session.scalar(select(OfflineLesson))
        assert set(db.session.execute(select(OfflineLateEntry.assignment_id,
                                             OfflineLateEntry.user_id)).tuples()) == {
            (period.id, o.member.id)}
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "offline.entered_late"))
        assert entry.target_id == lesson.id and entry.actor_name == "leader_in"
        assert entry.details == {"assignments": {str(period.id): [o.member.id]}}
        assert "补录" in entry.summary

    # The report's member rows, on the page and in the API.
    report = f"/reports/assignments/{period.id}/units/{o.group_a.id}"
    page = client.get(report).get_data(as_text=True)
    rows = {name: line for name, line in
            ((n, line) for line in page.split("<tr>") for n in ("成员甲", "成员乙") if n in line)}
    assert "Entered late" in rows["成员甲"] and "Entered late" not in rows["成员乙"]
    members = client.get(f"/api/v1{report}/members").get_json()["members"]
    assert {m["name"]: m["entered_late"] for m in members} == {"成员甲": True, "成员乙": False}
    member_page = client.get(f"{report}/members/{o.member.id}").get_data(as_text=True)
    assert "Entered late" in member_page


def test_a_lesson_entered_before_the_due_time_is_not_marked(app, client, setup,
                                                           make_assignment):
    o = setup
    make_assignment(o.course, o.group_a, starts_in_days=-10, due_in_days=2)
    login(client, "leader_in")
    page, api = both(client, o)
    assert page.status_code == 302 and api.status_code == 201
    assert count(app, OfflineLateEntry) == 0


def test_the_form_reports_every_problem_at_once_like_the_api(app, client, setup):
    o = setup
    login(client, "leader_in")
    data = form([], [], held_on=day(o, 3), place="", topic="题" * 201)
    page = unescape(post_form(client, f"/offline-lessons/new/{o.group_a.id}",
                              data).get_data(as_text=True))
    messages = {"held_on": "The lesson date cannot be in the future.",
                "place": "Enter the place (1 to 200 characters).",
                "topic": "The topic has at most 200 characters.",
                "module_ids": "Choose at least one module the lesson covered.",
                "attendee_ids": "Choose at least one attendee."}
    for message in messages.values():
        assert message in page
    api = client.post("/api/v1/offline-lessons", headers={"X-CSRFToken": csrf_token(client)},
                      json=api_body(o, held_on=day(o, 3), place="", topic="题" * 201,
                                    module_ids=[], attendee_ids=[]))
    assert api.status_code == 422
    errors = api.get_json()["errors"]["json"]
    assert {field: errors[field][-1] for field in messages} == messages
    # A date the form cannot read is reported together with the rest.
    page = unescape(post_form(client, f"/offline-lessons/new/{o.group_a.id}",
                              form([], [o.member.id], held_on="not-a-date")).get_data(
                                  as_text=True))
    assert "Not a valid date value." in page
    assert "Choose at least one module the lesson covered." in page
    assert count(app, OfflineLesson) == 0


def test_the_backdate_limit_is_read_from_the_environment(monkeypatch):
    from learning.config import environment_settings

    monkeypatch.setenv("OFFLINE_BACKDATE_DAYS", "10")
    assert environment_settings("production")["OFFLINE_BACKDATE_DAYS"] == 10
    monkeypatch.delenv("OFFLINE_BACKDATE_DAYS")
    assert environment_settings("production")["OFFLINE_BACKDATE_DAYS"] == 31
