"""Assignments: creating in and out of scope, validation, closing and the frozen roster."""

from datetime import timedelta
from html import unescape

from sqlalchemy import select

from courses.models import Assignment, AssignmentMember
from learning.audit.models import AuditEntry
from learning.dbtypes import utcnow
from learning.extensions import db
from learning.orgs.models import Membership
from tests.conftest import csrf_token, login, post_form


def _form(course, unit, *, start="2030-03-01T08:00", due="2030-03-15T20:00", **extra):
    return {"course_id": course.id, "module_id": 0, "unit_id": unit.id, "title": "第12期",
            "starts_at": start, "due_at": due, **extra}


def _assignments(app):
    with app.app_context():
        return db.session.scalars(select(Assignment)).all()


def test_leader_assigns_inside_scope(app, client, org, make_course):
    course = make_course()
    login(client, "leader_in")
    assert client.get("/study/assignments/new").status_code == 200
    response = post_form(client, "/study/assignments/new", _form(course, org.group_a))
    assert response.status_code == 302
    [assignment] = _assignments(app)
    assert (assignment.unit_id, assignment.course_id, assignment.title) == (
        org.group_a.id, course.id, "第12期")
    # Local times (Asia/Shanghai) stored as UTC.
    assert assignment.starts_at.hour == 0 and assignment.due_at.hour == 12
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "assignment.create"))
        assert entry.actor_name == "leader_in" and entry.target_id == assignment.id
    assert "第12期" in client.get("/study/assignments/").get_data(as_text=True)


def test_leader_cannot_assign_outside_scope(app, client, org, make_course):
    course = make_course()
    login(client, "leader_out")
    page = client.get("/study/assignments/new").get_data(as_text=True)
    assert "第二学习小组" in page and "第一学习小组" not in page  # choices: my scope only
    response = post_form(client, "/study/assignments/new", _form(course, org.group_a))
    assert response.status_code == 404
    assert _assignments(app) == []


def test_member_cannot_assign(app, client, org, make_course):
    course = make_course()
    login(client, "member")
    assert client.get("/study/assignments/new").status_code == 403
    assert post_form(client, "/study/assignments/new",
                     _form(course, org.group_a)).status_code == 403
    assert _assignments(app) == []


def test_due_must_be_after_start(app, client, org, make_course):
    course = make_course()
    login(client, "admin")
    response = post_form(client, "/study/assignments/new",
                         _form(course, org.group_a, start="2030-03-15T08:00",
                               due="2030-03-01T08:00"))
    assert response.status_code == 200
    assert "The due time must be after the start time." in response.get_data(as_text=True)
    assert _assignments(app) == []


def test_unpublished_course_cannot_be_assigned_by_api(app, client, org, make_course):
    course = make_course(published=False)
    login(client, "admin")
    response = client.post("/api/v1/assignments", headers={"X-CSRFToken": csrf_token(client)},
                           json={"course_id": course.id, "unit_id": org.group_a.id,
                                 "starts_at": "2030-03-01T08:00:00+08:00",
                                 "due_at": "2030-03-02T08:00:00+08:00"})
    assert response.status_code == 422
    assert _assignments(app) == []


def test_close_freezes_roster_and_transfers_change_nothing(
        app, client, org, make_user, make_course, make_assignment):
    course = make_course()
    gone = make_user("gone", units=[(org.group_a, "member")], active=False)
    other = make_user("other_b", units=[(org.group_b, "member")])
    assignment = make_assignment(course, org.branch_a)
    login(client, "leader_in")
    response = post_form(client, f"/study/assignments/{assignment.id}/close")
    assert response.status_code == 302
    with app.app_context():
        frozen = dict(db.session.execute(select(AssignmentMember.user_id, AssignmentMember.unit_id)
                                         .where(AssignmentMember.assignment_id == assignment.id))
                      .all())
        # Every active member at or below branch_a; its leader only leads: not on the roster.
        assert frozen == {org.member.id: org.group_a.id}
        assert gone.id not in frozen and other.id not in frozen
        assert db.session.get(Assignment, assignment.id).closed_at is not None
        assert db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "assignment.close")) is not None
        # After the close: member transfers to group_b, other_b transfers into group_a.
        db.session.execute(Membership.__table__.update()
                           .where(Membership.user_id == org.member.id)
                           .values(unit_id=org.group_b.id))
        db.session.execute(Membership.__table__.update()
                           .where(Membership.user_id == other.id)
                           .values(unit_id=org.group_a.id))
        db.session.commit()
    # Closing again changes nothing.
    post_form(client, f"/study/assignments/{assignment.id}/close")
    with app.app_context():
        count = db.session.query(AssignmentMember).count()
    assert count == 1
    # The transferred member still has the closed period in 「我的学习」 (past); the newcomer not.
    post_form(client, "/logout")
    login(client, "member")
    data = client.get("/api/v1/study/assignments").get_json()
    assert [a["id"] for a in data] == [assignment.id] and data[0]["current"] is False
    post_form(client, "/logout")
    login(client, "other_b")
    assert client.get("/api/v1/study/assignments").get_json() == []


def test_leader_cannot_close_outside_scope(app, client, org, make_course, make_assignment):
    assignment = make_assignment(make_course(), org.group_a)
    login(client, "leader_out")
    assert post_form(client, f"/study/assignments/{assignment.id}/close").status_code == 404
    post_form(client, "/logout")
    login(client, "member")  # assigned, may see it, may not close it
    assert post_form(client, f"/study/assignments/{assignment.id}/close").status_code == 403
    with app.app_context():
        assert db.session.get(Assignment, assignment.id).closed_at is None


def test_close_due_cli(app, org, make_course, make_assignment):
    course = make_course()
    due = make_assignment(course, org.group_a, starts_in_days=-3, due_in_days=-1)
    still_open = make_assignment(course, org.group_a, due_in_days=2)
    result = app.test_cli_runner().invoke(args=["assignments", "close-due"])
    assert result.exit_code == 0, result.output
    assert "Closed 1" in result.output
    with app.app_context():
        assert db.session.get(Assignment, due.id).closed_at is not None
        assert db.session.get(Assignment, still_open.id).closed_at is None
        users = set(db.session.scalars(select(AssignmentMember.user_id)
                                       .where(AssignmentMember.assignment_id == due.id)))
        assert users == {org.member.id}
    again = app.test_cli_runner().invoke(args=["assignments", "close-due"])
    assert "Closed 0" in again.output


def test_assignment_list_shows_only_my_scope(client, org, make_course, make_assignment):
    course = make_course()
    make_assignment(course, org.group_a, title="甲期")
    make_assignment(course, org.group_b, title="乙期")
    login(client, "leader_in")
    page = client.get("/study/assignments/").get_data(as_text=True)
    assert "甲期" in page and "乙期" not in page


def test_times_are_stored_in_utc(app, org, make_course, make_assignment):
    assignment = make_assignment(make_course(), org.group_a, due_in_days=1)
    assert abs((assignment.due_at - utcnow()) - timedelta(days=1)) < timedelta(minutes=1)


# --- the same study twice (issue 17) ------------------------------------------------------


def _api_body(course, unit, *, starts="2030-03-01T08:00:00+08:00",
              due="2030-03-15T20:00:00+08:00", module_id=None):
    return {"course_id": course.id, "module_id": module_id, "unit_id": unit.id,
            "title": "第13期", "starts_at": starts, "due_at": due}


def _api(client):
    return {"X-CSRFToken": csrf_token(client)}


def test_the_same_study_for_an_overlapping_open_period_is_refused_naming_it(
        app, client, org, make_course):
    course = make_course("战疫青春专题")
    login(client, "leader_in")
    assert post_form(client, "/study/assignments/new",
                     _form(course, org.group_a)).status_code == 302
    [first] = _assignments(app)

    # The page: the form again, with a message naming the period and a way to extend it.
    response = post_form(client, "/study/assignments/new",
                         _form(course, org.group_a, start="2030-03-10T08:00",
                               due="2030-03-30T20:00"))
    assert response.status_code == 200
    page = unescape(response.get_data(as_text=True))
    message = ("「第12期」 (战疫青春专题) is already assigned to 第一学习小组 from "
               "2030-03-01 08:00 to 2030-03-15 20:00 and is still open: extend its due time "
               "instead of assigning it again.")
    assert message in page
    assert f'href="/study/assignments/{first.id}/extend"' in page
    # The API: 409 with the same words and the existing period's id.
    response = client.post("/api/v1/assignments", headers=_api(client),
                           json=_api_body(course, org.group_a, starts="2030-02-20T08:00:00+08:00",
                                          due="2030-03-02T08:00:00+08:00"))
    assert response.status_code == 409
    body = response.get_json()
    assert body["message"] == message and body["errors"]["existing_assignment_id"] == first.id
    assert [a.id for a in _assignments(app)] == [first.id]


def test_other_modules_units_periods_and_closed_ones_are_not_the_same_study(
        app, client, org, make_course):
    course = make_course()
    m0, m1 = course.module_ids
    login(client, "leader_in")
    headers = _api(client)
    created = client.post("/api/v1/assignments", headers=headers,
                          json=_api_body(course, org.group_a, module_id=m0))
    assert created.status_code == 201
    for body in (_api_body(course, org.group_a, module_id=m1),  # another module
                 _api_body(course, org.group_a),  # the whole course
                 _api_body(course, org.branch_a, module_id=m0),  # the unit above
                 _api_body(course, org.group_a, module_id=m0,  # right after it
                           starts="2030-03-15T20:00:00+08:00",
                           due="2030-03-31T20:00:00+08:00")):
        assert client.post("/api/v1/assignments", headers=headers,
                           json=body).status_code == 201, body
    # Once the first period is closed, the same study may be assigned for those dates again.
    again = _api_body(course, org.group_a, module_id=m0, starts="2030-03-02T08:00:00+08:00")
    assert client.post("/api/v1/assignments", headers=headers, json=again).status_code == 409
    first = created.get_json()["id"]
    assert client.post(f"/api/v1/assignments/{first}/close", headers=headers).status_code == 200
    assert client.post("/api/v1/assignments", headers=headers, json=again).status_code == 201
    assert len(_assignments(app)) == 6


def test_a_leader_extends_an_open_period_on_the_page_and_by_api(app, client, org, make_course,
                                                               make_assignment):
    assignment = make_assignment(make_course(), org.group_a, due_in_days=3)
    login(client, "leader_in")
    url = f"/study/assignments/{assignment.id}/extend"
    assert client.get(url).status_code == 200
    response = post_form(client, url, {"due_at": "2030-04-01T20:00"})
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get(Assignment, assignment.id)
        assert stored.due_at.isoformat() == "2030-04-01T12:00:00+00:00"  # 20:00 in Shanghai
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "assignment.extend"))
        assert entry.actor_name == "leader_in" and entry.target_id == assignment.id

    # An earlier due time would make members late after the fact: refused on both faces.
    response = post_form(client, url, {"due_at": "2030-03-01T20:00"})
    assert response.status_code == 200
    assert "The new due time must be after the current one (2030-04-01 20:00)." in unescape(
        response.get_data(as_text=True))
    api = f"/api/v1/assignments/{assignment.id}/extend"
    response = client.post(api, headers=_api(client), json={"due_at": "2030-03-01T20:00:00+08:00"})
    assert response.status_code == 422 and "due_at" in response.get_json()["errors"]["json"]
    response = client.post(api, headers=_api(client), json={"due_at": "2030-05-01T20:00:00+08:00"})
    assert response.status_code == 200
    assert response.get_json()["due_at"].startswith("2030-05-01T12:00")


def test_a_closed_period_cannot_be_extended(app, client, org, make_course, make_assignment):
    assignment = make_assignment(make_course(), org.group_a)
    login(client, "leader_in")
    assert post_form(client, f"/study/assignments/{assignment.id}/close").status_code == 302
    with app.app_context():
        due = db.session.get(Assignment, assignment.id).due_at
    frozen = "This period is closed: its roster and figures are frozen."
    response = post_form(client, f"/study/assignments/{assignment.id}/extend",
                         {"due_at": "2030-04-01T20:00"})
    assert response.status_code == 200 and frozen in response.get_data(as_text=True)
    response = client.post(f"/api/v1/assignments/{assignment.id}/extend", headers=_api(client),
                           json={"due_at": "2030-04-01T20:00:00+08:00"})
    assert response.status_code == 422 and response.get_json()["message"] == frozen
    with app.app_context():
        assert db.session.get(Assignment, assignment.id).due_at == due


def test_only_whoever_may_assign_to_the_unit_extends(app, client, org, make_course,
                                                    make_assignment):
    assignment = make_assignment(make_course(), org.group_a)
    body = {"due_at": "2030-04-01T20:00:00+08:00"}
    login(client, "leader_out")  # outside the scope: like a missing one
    assert client.get(f"/study/assignments/{assignment.id}/extend").status_code == 404
    assert client.post(f"/api/v1/assignments/{assignment.id}/extend", headers=_api(client),
                       json=body).status_code == 404
    post_form(client, "/logout")
    login(client, "member")  # assigned, may see it, may not change it
    assert post_form(client, f"/study/assignments/{assignment.id}/extend",
                     {"due_at": "2030-04-01T20:00"}).status_code == 403
    assert client.post(f"/api/v1/assignments/{assignment.id}/extend", headers=_api(client),
                       json=body).status_code == 403
    with app.app_context():
        assert db.session.get(Assignment, assignment.id).due_at == assignment.due_at
