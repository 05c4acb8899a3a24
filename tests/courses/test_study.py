"""「我的学习」, the module page and the reading rule (time measured by the server only)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from courses.models import Attachment, Progress
from learning.dbtypes import utcnow
from learning.extensions import db
from tests.conftest import csrf_token, login, post_form


class Clock:
    """The server's clock as `courses.study.services.now` sees it; tests move it by hand."""

    def __init__(self):
        self.t = utcnow()

    def __call__(self):
        return self.t

    def advance(self, seconds: float):
        self.t += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr("courses.study.services.now", c)
    return c


def _progress(app, user, module_id):
    with app.app_context():
        row = db.session.scalar(select(Progress).where(
            Progress.user_id == user.id, Progress.module_id == module_id))
        if row is not None:
            db.session.expunge(row)
        return row


def _complete(client, module_id):
    return post_form(client, f"/study/modules/{module_id}/complete", follow_redirects=True)


def test_module_page_shows_stored_body_attachments_and_neighbours(
        app, client, org, make_course, make_assignment):
    course = make_course(modules=3, body="正文 **重点** <script>alert(1)</script>")
    make_assignment(course, org.group_a)
    first, second, third = course.module_ids
    with app.app_context():
        db.session.add(Attachment(course_id=course.id, module_id=second, purpose="module",
                                  original_name="讲话全文.pdf", stored_name="abc123",
                                  content_type="application/pdf", size_bytes=10, sha256="0" * 64))
        db.session.commit()
    login(client, "member")
    page = client.get(f"/study/modules/{second}").get_data(as_text=True)
    assert "<strong>重点</strong>" in page and "alert(1)" not in page
    assert "讲话全文.pdf" in page and "/files/" in page
    assert f'href="/study/modules/{first}"' in page and f'href="/study/modules/{third}"' in page
    assert "js/reading.js" in page
    row = _progress(app, org.member, second)
    assert row.first_opened_at is not None and row.last_seen_at is not None


def test_the_visit_is_committed_before_the_module_page_renders(
        app, client, org, make_course, make_assignment):
    """SQLite holds its one write lock from a transaction's first write to its commit: the
    module page stores the visit before rendering, so other writers never wait for a template.
    Another connection must see the visit while the template renders."""
    from flask import before_render_template
    from sqlalchemy import text

    course = make_course(modules=1)
    make_assignment(course, org.group_a)
    module_id = course.module_ids[0]
    seen = []

    def look(sender, template, context, **extra):
        with db.engine.connect() as other:  # a second pooled connection, as another worker
            seen.append(other.execute(text(
                "SELECT first_opened_at IS NOT NULL FROM progress "
                "WHERE user_id = :u AND module_id = :m"), {"u": org.member.id, "m": module_id})
                .scalar())

    login(client, "member")
    with before_render_template.connected_to(look, app):
        assert client.get(f"/study/modules/{module_id}").status_code == 200
    assert seen and all(value for value in seen)


def test_module_page_is_404_for_a_member_it_is_not_assigned_to(
        client, org, make_course, make_assignment):
    course = make_course()
    make_assignment(course, org.group_b)
    login(client, "member")
    assert client.get(f"/study/modules/{course.module_ids[0]}").status_code == 404
    assert post_form(client, f"/study/modules/{course.module_ids[0]}/complete").status_code == 404
    assert client.get(f"/api/v1/study/modules/{course.module_ids[0]}").status_code == 404


def test_module_assignment_opens_only_that_module(client, org, make_course, make_assignment):
    course = make_course(modules=3)
    make_assignment(course, org.group_a, module_id=course.module_ids[1])
    login(client, "member")
    page = client.get(f"/study/modules/{course.module_ids[1]}").get_data(as_text=True)
    assert f"/study/modules/{course.module_ids[0]}" not in page  # no link to what it may not open
    assert client.get(f"/study/modules/{course.module_ids[0]}").status_code == 404


def test_reading_confirm_too_early_is_refused_then_completes(
        app, client, org, clock, make_course, make_assignment):
    course = make_course(modules=1, minutes=10)  # share 0.5 -> 300 s needed
    make_assignment(course, org.group_a)
    module_id = course.module_ids[0]
    login(client, "member")
    client.get(f"/study/modules/{module_id}")
    clock.advance(60)
    page = _complete(client, module_id).get_data(as_text=True)
    assert "4 more minute" in page
    assert _progress(app, org.member, module_id).completed_at is None
    token = csrf_token(client)
    for _ in range(2):  # two heartbeats, 100 s apart: 60 + 200 = 260 s credited
        clock.advance(100)
        client.post(f"/api/v1/study/modules/{module_id}/heartbeat",
                    headers={"X-CSRFToken": token})
    clock.advance(30)
    assert "1 more minute" in _complete(client, module_id).get_data(as_text=True)
    clock.advance(10)
    page = _complete(client, module_id).get_data(as_text=True)
    assert "Module completed." in page
    row = _progress(app, org.member, module_id)
    assert row.completed_via == "reading" and row.seconds_spent == 300
    assert row.completed_at == clock.t


def test_without_javascript_confirm_alone_credits_the_capped_gap(
        app, client, org, clock, make_course, make_assignment):
    course = make_course(modules=1, minutes=4)  # 120 s needed, cap 120 s
    make_assignment(course, org.group_a)
    module_id = course.module_ids[0]
    login(client, "member")
    client.get(f"/study/modules/{module_id}")
    clock.advance(3 * 3600)  # a tab left open for hours counts as one capped gap
    assert "Module completed." in _complete(client, module_id).get_data(as_text=True)
    assert _progress(app, org.member, module_id).seconds_spent == 120


def test_gaps_are_capped(app, client, org, clock, make_course, make_assignment):
    course = make_course(modules=1, minutes=10)
    make_assignment(course, org.group_a)
    module_id = course.module_ids[0]
    login(client, "member")
    client.get(f"/study/modules/{module_id}")
    clock.advance(3600)
    page = _complete(client, module_id).get_data(as_text=True)
    assert "3 more minute" in page  # 120 of 300 s
    assert _progress(app, org.member, module_id).seconds_spent == 120


def test_forged_client_times_are_ignored(app, client, org, clock, make_course, make_assignment):
    course = make_course(modules=1, minutes=10)
    make_assignment(course, org.group_a)
    module_id = course.module_ids[0]
    login(client, "member")
    client.get(f"/study/modules/{module_id}")
    clock.advance(5)
    token = csrf_token(client)
    forged = {"seconds_spent": 99999, "elapsed": 99999, "started_at": "2000-01-01T00:00:00Z",
              "timestamp": "2000-01-01T00:00:00Z"}
    for path in ("heartbeat", "complete"):
        response = client.post(f"/api/v1/study/modules/{module_id}/{path}",
                               headers={"X-CSRFToken": token}, json=forged)
        assert response.status_code == 200
    body = response.get_json()
    assert body["completed"] is False and body["remaining_seconds"] == 295
    post_form(client, f"/study/modules/{module_id}/complete",
              {"seconds_spent": "99999", "opened_at": "2000-01-01T00:00:00"})
    row = _progress(app, org.member, module_id)
    assert row.seconds_spent == 5 and row.completed_at is None


def test_confirm_rule_completes_at_once_and_completion_is_idempotent(
        app, client, org, clock, make_course, make_assignment):
    course = make_course(modules=1, rule="confirm")
    make_assignment(course, org.group_a)
    module_id = course.module_ids[0]
    login(client, "member")
    client.get(f"/study/modules/{module_id}")
    assert "Module completed." in _complete(client, module_id).get_data(as_text=True)
    first = _progress(app, org.member, module_id)
    assert first.completed_via == "confirm"
    clock.advance(600)
    assert "already completed" in _complete(client, module_id).get_data(as_text=True)
    again = _progress(app, org.member, module_id)
    assert again.completed_at == first.completed_at
    with app.app_context():
        assert db.session.query(Progress).count() == 1


def test_quiz_rule_is_not_completed_here(app, client, org, make_course, make_assignment):
    course = make_course(modules=1, rule="quiz")
    make_assignment(course, org.group_a)
    login(client, "member")
    page = client.get(f"/study/modules/{course.module_ids[0]}").get_data(as_text=True)
    assert "completed by passing its quiz" in page and "I have studied this module" not in page
    _complete(client, course.module_ids[0])
    assert _progress(app, org.member, course.module_ids[0]).completed_at is None


def test_my_study_lists_current_and_past_with_statuses(
        app, client, org, make_course, make_assignment):
    from courses.progress import complete

    fresh = make_course("未开始专题", modules=2)
    started = make_course("进行中专题", modules=2)
    done = make_course("已完成专题", modules=2)
    overdue = make_course("逾期专题", modules=2)
    done_late = make_course("迟交专题", modules=1)
    make_assignment(fresh, org.group_a)
    make_assignment(started, org.group_a)
    make_assignment(done, org.group_a)
    make_assignment(overdue, org.group_a, starts_in_days=-5, due_in_days=-1)
    late = make_assignment(done_late, org.group_a, starts_in_days=-5, due_in_days=-2)
    with app.app_context():
        complete(org.member.id, started.module_ids[0], "confirm")
        complete(org.member.id, done.module_ids[0], "confirm")
        complete(org.member.id, done.module_ids[1], "reading")
        complete(org.member.id, done_late.module_ids[0], "reading",
                 at=late.due_at + timedelta(hours=1))
        db.session.commit()
    login(client, "member")
    data = {a["course_title"]: a for a in client.get("/api/v1/study/assignments").get_json()}
    assert {k: (v["status"], v["modules_completed"], v["modules_total"], v["current"])
            for k, v in data.items()} == {
        "未开始专题": ("not_started", 0, 2, True),
        "进行中专题": ("in_progress", 1, 2, True),
        "已完成专题": ("completed", 2, 2, True),
        "逾期专题": ("late", 0, 2, False),
        "迟交专题": ("late", 1, 1, False),
    }
    page = client.get("/study/").get_data(as_text=True)
    # What is left to do, then what is overdue, then the finished work folded away.
    assert page.index("Current study") < page.index("进行中专题") < page.index("Overdue")
    assert page.index("Overdue") < page.index("逾期专题") < page.index('id="study-finished"')
    assert page.index('id="study-finished"') < page.index("已完成专题")
    assert page.index('id="study-finished"') < page.index("迟交专题")
    assert 'value="1"' in page and "<progress" in page
    # The link holds the title alone: white space inside it would be underlined.
    assert re.search(r'<a href="/study/courses/\d+">进行中专题</a>', page)
    home = client.get("/").get_data(as_text=True)  # the start page shows 「我的学习」 too
    assert "进行中专题" in home
    account = client.get("/account/").get_data(as_text=True)  # and my units are on my account
    assert "测试团委/第一团支部/第一学习小组" in account


def test_my_study_hides_other_units_work(client, org, make_course, make_assignment):
    make_assignment(make_course("别人的专题"), org.group_b)
    login(client, "member")
    assert "别人的专题" not in client.get("/study/").get_data(as_text=True)
    assert client.get("/api/v1/study/assignments").get_json() == []


def test_api_module_content_and_complete(app, client, org, clock, make_course, make_assignment):
    course = make_course(modules=2, rule="confirm")
    make_assignment(course, org.group_a)
    login(client, "member")
    body = client.get(f"/api/v1/study/modules/{course.module_ids[0]}").get_json()
    assert "<strong>重点</strong>" in body["body_html"]
    assert body["next_module_id"] == course.module_ids[1] and body["previous_module_id"] is None
    assert body["progress"]["first_opened_at"] and body["attachments"] == []
    done = client.post(f"/api/v1/study/modules/{course.module_ids[0]}/complete",
                       headers={"X-CSRFToken": csrf_token(client)}).get_json()
    assert done["completed"] and done["newly_completed"]
    assert done["progress"]["completed_via"] == "confirm"


def test_api_create_and_close_assignment(app, client, org, make_course):
    course = make_course()
    login(client, "leader_in")
    headers = {"X-CSRFToken": csrf_token(client)}
    payload = {"course_id": course.id, "unit_id": org.group_a.id, "title": "第3期",
               "starts_at": "2030-03-01T08:00:00+08:00", "due_at": "2030-03-01T07:00:00+08:00"}
    bad = client.post("/api/v1/assignments", headers=headers, json=payload)
    assert bad.status_code == 422
    payload["due_at"] = "2030-03-10T08:00:00+08:00"
    created = client.post("/api/v1/assignments", headers=headers, json=payload)
    assert created.status_code == 201
    assignment_id = created.get_json()["id"]
    out = client.post("/api/v1/assignments", headers=headers,
                      json={**payload, "unit_id": org.group_b.id})
    assert out.status_code == 404
    closed = client.post(f"/api/v1/assignments/{assignment_id}/close", headers=headers)
    assert closed.status_code == 200 and closed.get_json()["closed_at"]
    assert client.post(f"/api/v1/assignments/{assignment_id}/close",
                       headers=headers).status_code == 409
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/study/modules/{module_id}/complete" in spec["paths"]
    assert "/api/v1/assignments" in spec["paths"]


# --- speed: a constant number of queries -------------------------------------------------


def _attach(app, course, module_id, n):
    with app.app_context():
        for i in range(n):
            db.session.add(Attachment(
                course_id=course.id, module_id=module_id, purpose="module",
                original_name=f"f{i}.pdf", stored_name=f"{course.id}-{module_id}-{i}",
                content_type="application/pdf", size_bytes=1, sha256="0" * 64))
        db.session.commit()


def _count(client, query_counter, url):
    with query_counter() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_my_study_query_count_is_constant(
        app, client, org, make_course, make_assignment, query_counter):
    from courses.progress import complete

    small = make_course("小", modules=1)
    make_assignment(small, org.group_a)
    login(client, "member")
    counts = [_count(client, query_counter, "/study/"), _count(client, query_counter, "/")]
    for i in range(6):
        course = make_course(f"大{i}", modules=8)
        make_assignment(course, org.group_a, module_id=course.module_ids[2] if i % 2 else None)
        make_assignment(course, org.branch_a, due_in_days=-1, closed=False)
        with app.app_context():
            complete(org.member.id, course.module_ids[2], "confirm")
            db.session.commit()
    assert [_count(client, query_counter, "/study/"), _count(client, query_counter, "/")] == counts
    assert len(client.get("/api/v1/study/assignments").get_json()) == 13


def test_module_page_query_count_is_constant(
        app, client, org, make_course, make_assignment, query_counter):
    small = make_course("小", modules=2)
    big = make_course("大", modules=30)
    make_assignment(small, org.group_a)
    make_assignment(big, org.group_a)
    for i in range(5):
        make_assignment(make_course(f"其他{i}"), org.group_a)
    _attach(app, small, small.module_ids[1], 1)
    _attach(app, big, big.module_ids[15], 12)
    login(client, "member")
    for module_id in (small.module_ids[1], big.module_ids[15]):
        client.get(f"/study/modules/{module_id}")  # first visit creates the progress row
    small_count = _count(client, query_counter, f"/study/modules/{small.module_ids[1]}")
    big_count = _count(client, query_counter, f"/study/modules/{big.module_ids[15]}")
    assert small_count == big_count
    assert "f11.pdf" in client.get(f"/study/modules/{big.module_ids[15]}").get_data(as_text=True)


def test_module_page_statements(app, client, org, make_course, make_assignment, query_counter):
    """What the module page reads and writes once the member has opened it before: the
    assignments once (the check, the discussion card and the previous/next links share them),
    the discussion card in one statement, and the visit as one UPDATE of the progress row."""
    course = make_course(modules=3)
    make_assignment(course, org.group_a, module_id=course.module_ids[1])
    make_assignment(course, org.group_a, module_id=course.module_ids[2])
    login(client, "member")
    url = f"/study/modules/{course.module_ids[1]}"
    client.get(url)  # the first visit creates the progress row
    with query_counter() as statements:
        html = client.get(url).get_data(as_text=True)
    assert f'href="/study/modules/{course.module_ids[2]}"' in html  # next, assigned
    assert f'href="/study/modules/{course.module_ids[0]}"' not in html  # previous, not assigned
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    writes = [s for s in statements if s not in reads]
    assert sum(bool(re.search(r"\bFROM assignments\b", s)) for s in reads) == 1
    assert sum(bool(re.search(r"\bFROM threads\b", s)) for s in reads) == 1
    assert len(writes) == 1 and writes[0].startswith("UPDATE progress")
    assert len(statements) <= 11, statements


def test_assignments_are_remembered_for_one_request_only(
        app, client, org, make_course, make_assignment):
    """The module page asks "is this assigned to me?" several times and reads the assignments
    once; the next request (and a check after creating an assignment) sees a new one."""
    from courses.models import Course, Module
    from courses.permissions import can_view_module
    from courses.study.services import create_assignment
    from learning.accounts.models import User
    from learning.orgs.models import OrgUnit

    course = make_course(modules=2)
    make_assignment(course, org.group_a, module_id=course.module_ids[1])
    login(client, "member")
    first = f"/study/modules/{course.module_ids[0]}"
    assert client.get(first).status_code == 404
    make_assignment(course, org.branch_a)  # the whole course, to the branch above
    assert client.get(first).status_code == 200
    other = make_course("另一专题", modules=1)
    with app.test_request_context():
        member = db.session.get(User, org.member.id)
        module = db.session.get(Module, other.module_ids[0])
        assert not can_view_module(member, module)
        create_assignment(actor=db.session.get(User, org.admin.id),
                          course=db.session.get(Course, other.id),
                          unit=db.session.get(OrgUnit, org.group_a.id),
                          starts_at=utcnow(), due_at=utcnow() + timedelta(days=1))
        assert can_view_module(member, module)
        db.session.rollback()


def test_a_visit_shows_what_is_stored_even_when_another_request_credited_first(
        app, org, make_course, make_assignment, monkeypatch):
    """The visit is written with one conditional UPDATE and not read back: when it wins, the
    row shows what is stored; when another request moved last_seen_at first, the visit credits
    nothing and the row shows what the other one stored."""
    from sqlalchemy import update

    from courses.models import Module
    from courses.study import services
    from learning.accounts.models import User

    course = make_course(modules=1)
    make_assignment(course, org.group_a)
    with app.test_request_context():
        member = db.session.get(User, org.member.id)
        module = db.session.get(Module, course.module_ids[0])
        row = services.record_visit(member, module)
        row = services.heartbeat(member, module)
        shown = (row.first_opened_at, row.last_seen_at, row.seconds_spent)
        db.session.expire(row)
        assert (row.first_opened_at, row.last_seen_at, row.seconds_spent) == shown
        read = services._progress_row

        def read_then_lose(user_id, module_id):
            stale = read(user_id, module_id)
            db.session.execute(  # the other request, between our read and our UPDATE
                update(Progress).where(Progress.id == stale.id)
                .values(last_seen_at=stale.last_seen_at + timedelta(seconds=40),
                        seconds_spent=Progress.seconds_spent + 40)
                .execution_options(synchronize_session=False))
            return stale

        monkeypatch.setattr(services, "_progress_row", read_then_lose)
        row = services.heartbeat(member, module)
        assert row.last_seen_at == shown[1] + timedelta(seconds=40)
        assert row.seconds_spent == shown[2] + 40
        db.session.rollback()
