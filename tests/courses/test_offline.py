"""Offline group lessons through the web pages: record, refuse, correct, history, list.

Correction rule under test (courses/offline/services.py): a pair removed by a correction loses
its completion only when it came via "offline" and no lesson still lists that member with that
module; reading/quiz completions are never touched and kept completions never move.
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from courses import progress
from courses.models import OfflineLesson, OfflineLessonRevision, Progress
from courses.offline import services
from learning.accounts.models import User
from learning.audit.models import AuditEntry
from learning.dbtypes import utcnow
from learning.extensions import db
from learning.orgs.models import OrgUnit
from tests.conftest import login, post_form

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def record(app, unit, module_ids, attendee_ids, *, by, place="活动室", held_on=None) -> int:
    """Record a lesson through the service (committed); returns its id."""
    with app.app_context():
        lesson = services.record_lesson(
            db.session.get(OrgUnit, unit.id),
            services.LessonInput(held_on=held_on or date.today() - timedelta(days=1),
                                 place=place, topic="专题学习", notes="",
                                 module_ids=list(module_ids), attendee_ids=list(attendee_ids)),
            db.session.get(User, by.id))
        db.session.commit()
        return lesson.id


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def state(app, user_id: int, module_id: int):
    """(completed_at, completed_via) of one progress row, or None without a row."""
    with app.app_context():
        row = progress.get(user_id, module_id)
        return (row.completed_at, row.completed_via) if row else None


def form(module_ids, attendee_ids, **extra) -> dict:
    return {"held_on": YESTERDAY, "place": "团委活动室", "topic": "读回信谈体会", "notes": "",
            "module_ids": [str(i) for i in module_ids],
            "attendee_ids": [str(i) for i in attendee_ids], "save": "Save", **extra}


@pytest.fixture
def setup(app, org, make_user, make_course):
    """org + a second member of group_a, a member of group_b and a published two-module course."""
    org.member2 = make_user("member2", name="成员乙", units=[(org.group_a, "member")])
    org.other = make_user("other", name="外组成员", units=[(org.group_b, "member")])
    org.course = make_course(modules=2)
    return org


def test_recording_completes_modules_offline_and_keeps_earlier_reading(app, client, setup):
    o = setup
    m0, m1 = o.course.module_ids
    earlier = utcnow() - timedelta(days=2)
    with app.app_context():
        progress.complete(o.member.id, m0, "reading", at=earlier)
        db.session.commit()

    login(client, "leader_in")
    page = client.get(f"/offline-lessons/new/{o.group_a.id}").get_data(as_text=True)
    assert "成员甲" in page and "成员乙" in page and "外组成员" not in page  # the roster
    response = post_form(client, f"/offline-lessons/new/{o.group_a.id}",
                         form([m0, m1], [o.member.id, o.member2.id]))
    assert response.status_code == 302, response.get_data(as_text=True)

    assert state(app, o.member.id, m0) == (earlier, "reading")  # untouched
    assert state(app, o.member.id, m1)[1] == "offline"
    assert state(app, o.member2.id, m0)[1] == "offline"
    assert state(app, o.member2.id, m1)[1] == "offline"
    assert state(app, o.other.id, m0) is None
    with app.app_context():
        lesson = db.session.scalar(select(OfflineLesson))
        assert lesson.unit_id == o.group_a.id and lesson.recorded_by_id == o.leader_in.id
        assert lesson.place == "团委活动室"
        assert db.session.scalar(select(AuditEntry.target_id).where(
            AuditEntry.action == "offline.record")) == lesson.id
    shown = client.get(response.location).get_data(as_text=True)
    assert "团委活动室" in shown and "成员乙" in shown


@pytest.mark.parametrize("who, status", [("leader_out", 404), ("member", 403)])
def test_outsiders_are_refused_and_nothing_is_written(app, client, setup, who, status):
    o = setup
    login(client, who)
    assert client.get(f"/offline-lessons/new/{o.group_a.id}").status_code == status
    response = post_form(client, f"/offline-lessons/new/{o.group_a.id}",
                         form(o.course.module_ids, [o.member.id]))
    assert response.status_code == status
    assert count(app, OfflineLesson) == 0
    assert count(app, Progress) == 0


def test_forged_attendee_outside_the_subtree_is_refused_with_a_message(app, client, setup):
    o = setup
    login(client, "leader_in")
    response = post_form(client, f"/offline-lessons/new/{o.group_a.id}",
                         form(o.course.module_ids, [o.member.id, o.other.id]))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "not on the roster" in page and str(o.other.id) in page
    assert count(app, OfflineLesson) == 0
    assert count(app, Progress) == 0


def test_unpublished_or_missing_modules_are_refused(app, client, setup, make_course):
    o = setup
    draft = make_course("草稿", published=False, modules=1)
    login(client, "leader_in")
    for module_ids in ([draft.module_ids[0]], [999999], []):
        response = post_form(client, f"/offline-lessons/new/{o.group_a.id}",
                             form(module_ids, [o.member.id]))
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert "not published" in text or "at least one module" in text
    assert count(app, OfflineLesson) == 0 and count(app, Progress) == 0


def test_future_date_and_missing_place_are_refused(app, client, setup):
    o = setup
    login(client, "leader_in")
    future = (date.today() + timedelta(days=5)).isoformat()
    text = post_form(client, f"/offline-lessons/new/{o.group_a.id}",
                     form(o.course.module_ids, [o.member.id], held_on=future)).get_data(
                         as_text=True)
    assert "cannot be in the future" in text
    response = post_form(client, f"/offline-lessons/new/{o.group_a.id}",
                         form(o.course.module_ids, [o.member.id], place=""))
    assert response.status_code == 200
    assert count(app, OfflineLesson) == 0


def test_tick_everyone_checks_the_whole_roster_without_saving(app, client, setup):
    o = setup
    login(client, "leader_in")
    response = post_form(client, f"/offline-lessons/new/{o.group_a.id}",
                         {"held_on": YESTERDAY, "place": "x", "select_all": "1"})
    page = response.get_data(as_text=True)
    for user in (o.member, o.member2):
        assert f'value="{user.id}" id="attendee-{user.id}" checked' in page
    assert count(app, OfflineLesson) == 0


def test_correction_keeps_a_revision_and_withdraws_only_orphaned_offline_completions(
        app, client, setup, make_user):
    o = setup
    m0, m1 = o.course.module_ids
    member3 = make_user("member3", name="成员丙", units=[(o.group_a, "member")])
    read_at = utcnow() - timedelta(days=3)
    with app.app_context():
        progress.complete(o.member.id, m1, "reading", at=read_at)
        db.session.commit()
    lesson_id = record(app, o.group_a, [m0, m1], [o.member.id, o.member2.id, member3.id],
                       by=o.leader_in, place="旧地点")
    record(app, o.group_a, [m0], [member3.id], by=o.leader_in, place="另一次")
    kept = state(app, member3.id, m0)

    login(client, "leader_in")
    response = post_form(client, f"/offline-lessons/{lesson_id}/edit",
                         form([m0], [o.member2.id], place="新地点"))
    assert response.status_code == 302, response.get_data(as_text=True)

    assert state(app, o.member.id, m0) == (None, None)          # removed, offline only: cleared
    assert state(app, o.member.id, m1) == (read_at, "reading")  # reading: never touched
    assert state(app, o.member2.id, m0)[1] == "offline"         # still in the lesson
    assert state(app, o.member2.id, m1) == (None, None)         # module removed: cleared
    assert state(app, member3.id, m0) == kept                   # another lesson still lists it
    assert state(app, member3.id, m1) == (None, None)

    with app.app_context():
        revision = db.session.scalar(select(OfflineLessonRevision))
        assert revision.lesson_id == lesson_id and revision.editor_id == o.leader_in.id
        assert revision.snapshot["place"] == "旧地点"
        assert sorted(a["id"] for a in revision.snapshot["attendees"]) == sorted(
            [o.member.id, o.member2.id, member3.id])
        lesson = db.session.get(OfflineLesson, lesson_id)
        assert lesson.place == "新地点" and [u.id for u in lesson.attendees] == [o.member2.id]
        assert db.session.scalar(select(AuditEntry.action).where(
            AuditEntry.action == "offline.correct", AuditEntry.target_id == lesson_id))

    page = client.get(f"/offline-lessons/{lesson_id}").get_data(as_text=True)
    assert "旧地点" in page and "leader_in" in page  # the history


def test_correction_adding_an_attendee_completes_and_unchanged_stores_nothing(
        app, client, setup):
    o = setup
    m0, _m1 = o.course.module_ids
    lesson_id = record(app, o.group_a, [m0], [o.member.id], by=o.leader_in)
    first = state(app, o.member.id, m0)
    login(client, "leader_in")
    assert post_form(client, f"/offline-lessons/{lesson_id}/edit",
                     form([m0], [o.member.id, o.member2.id], place="活动室", topic="专题学习",
                          held_on=YESTERDAY)).status_code == 302
    assert state(app, o.member2.id, m0)[1] == "offline"
    assert state(app, o.member.id, m0) == first  # completed_at never moves
    assert count(app, OfflineLessonRevision) == 1
    assert post_form(client, f"/offline-lessons/{lesson_id}/edit",
                     form([m0], [o.member.id, o.member2.id], place="活动室", topic="专题学习",
                          held_on=YESTERDAY)).status_code == 302
    assert count(app, OfflineLessonRevision) == 1


def test_correction_refuses_forged_attendee_and_keeps_everything(app, client, setup):
    o = setup
    m0, _m1 = o.course.module_ids
    lesson_id = record(app, o.group_a, [m0], [o.member.id], by=o.leader_in, place="原地点")
    login(client, "leader_in")
    response = post_form(client, f"/offline-lessons/{lesson_id}/edit",
                         form([m0], [o.other.id], place="改了"))
    assert "not on the roster" in response.get_data(as_text=True)
    assert count(app, OfflineLessonRevision) == 0
    with app.app_context():
        assert db.session.get(OfflineLesson, lesson_id).place == "原地点"
    assert state(app, o.member.id, m0)[1] == "offline"
    post_form(client, "/logout")
    login(client, "leader_out")
    assert client.get(f"/offline-lessons/{lesson_id}").status_code == 404
    assert post_form(client, f"/offline-lessons/{lesson_id}/edit",
                     form([m0], [o.member.id], place="x")).status_code == 404


def test_lesson_list_shows_only_my_scope(app, client, setup):
    o = setup
    m0 = o.course.module_ids[0]
    record(app, o.group_a, [m0], [o.member.id], by=o.leader_in, place="甲组教室")
    record(app, o.group_b, [m0], [o.other.id], by=o.leader_out, place="乙组教室")
    expectations = {"leader_in": ("甲组教室", "乙组教室"), "leader_out": ("乙组教室", "甲组教室")}
    for who, (seen, unseen) in expectations.items():
        login(client, who)
        page = client.get("/offline-lessons/").get_data(as_text=True)
        assert seen in page and unseen not in page, who
        post_form(client, "/logout")
    login(client, "admin")
    page = client.get("/offline-lessons/").get_data(as_text=True)
    assert "甲组教室" in page and "乙组教室" in page


def test_offline_completion_is_dated_to_the_lesson_day_not_the_recording(app):
    """A lesson recorded three days late still counts on the day it was held (not late)."""
    from datetime import UTC, date, datetime, timedelta

    from courses.offline.services import completion_time

    with app.app_context():
        held = date.today() - timedelta(days=3)
        # Asia/Shanghai midnight of that day is 16:00 UTC the day before.
        expected = datetime(held.year, held.month, held.day, tzinfo=UTC) - timedelta(hours=8)
        assert completion_time(held) == expected
        tomorrow = date.today() + timedelta(days=1)
        assert completion_time(tomorrow) <= datetime.now(UTC)
