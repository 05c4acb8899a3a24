"""The completion-report API: figures, scope, members, 未学名单, exports, reminders, the log.

The tree is the `org` fixture with more members (a course of two modules assigned at the
committee, due in a week):

    测试团委
    ├── 第一团支部 (支书甲 = leader_in, who only leads: not on the roster): 委员甲 a member of
    │   │   the branch itself, nothing done
    │   └── 第一学习小组: 成员甲 (member) nothing, 成员乙 done, 成员丙 nothing
    └── 第二团支部 (支书乙 = leader_out, who only leads)
        └── 第二学习小组: 成员丁 one module of two, 成员戊 done
"""

from datetime import datetime, timedelta
from io import BytesIO
from types import SimpleNamespace
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from courses import progress
from courses.models import Assignment
from learning.extensions import db
from learning.notifications.models import Notification
from learning.orgs.models import OrgUnit
from learning.reports.figures import trend, unit_report
from quizzes.authoring.services import create_quiz
from tests.conftest import csrf_token, login

FIGURES = ("roster", "completed", "in_progress", "not_started", "late", "late_completed",
           "rate", "rank")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def tree(app, org, make_user, make_course, make_assignment):
    t = SimpleNamespace(org=org)
    t.direct = make_user("wy", name="委员甲", units=[(org.branch_a, "member")])
    t.a2 = make_user("a2", name="成员乙", units=[(org.group_a, "member")])
    t.a3 = make_user("a3", name="成员丙", units=[(org.group_a, "member")])
    t.b1 = make_user("b1", name="成员丁", units=[(org.group_b, "member")])
    t.b2 = make_user("b2", name="成员戊", units=[(org.group_b, "member")])
    t.course = make_course("制度自信", modules=2)
    t.assignment = make_assignment(t.course, org.committee, title="第1期")
    with app.app_context():
        progress.complete_many([t.a2.id, t.b2.id], t.course.module_ids, "reading")
        progress.complete(t.b1.id, t.course.module_ids[0], "reading")
        db.session.commit()
    return t


def as_user(client, username: str) -> dict:
    """Log in; the headers an API write needs."""
    assert login(client, username).status_code == 302
    return {"X-CSRFToken": csrf_token(client)}


def report_url(assignment, unit, tail: str = "") -> str:
    return f"/api/v1/reports/assignments/{assignment.id}/units/{unit.id}{tail}"


def figures_of(row) -> dict:
    return {name: getattr(row, name) for name in FIGURES}


def expected_report(app, assignments, unit):
    """unit_report's figures, computed in the app as the pages compute them."""
    with app.app_context():
        loaded = [db.session.get(Assignment, a.id) for a in assignments]
        report = unit_report(loaded, db.session.get(OrgUnit, unit.id))
        periods = trend(loaded, db.session.get(OrgUnit, unit.id))
        return (figures_of(report.unit), [figures_of(c) for c in report.children],
                [figures_of(p.figures) for p in periods])


def json_figures(row: dict) -> dict:
    return {name: row[name] for name in FIGURES}


# --- the report ---------------------------------------------------------------------------------


def test_assignment_report_has_the_figures_of_unit_report(app, client, tree):
    org = tree.org
    as_user(client, "admin")
    response = client.get(report_url(tree.assignment, org.committee))
    assert response.status_code == 200
    data = response.get_json()
    totals, children, _ = expected_report(app, [tree.assignment], org.committee)
    assert json_figures(data["totals"]) == totals
    assert [json_figures(row) for row in data["children"]] == children
    # ... and those are the figures of the tree: members only, leaders are not on the roster.
    assert data["totals"]["roster"] == 6 and data["totals"]["completed"] == 2
    branch_a, branch_b = data["children"]
    assert (branch_a["name"], branch_a["roster"], branch_a["completed"]) == ("第一团支部", 4, 1)
    assert branch_a["rate"] == pytest.approx(0.25) and branch_a["rank"] == 2
    assert (branch_b["in_progress"], branch_b["rank"]) == (1, 1)
    assert branch_b["rate"] == pytest.approx(0.5)
    assert data["direct"] is None  # nobody is a member of the committee itself
    assert data["unit"] == {"id": org.committee.id, "name": "测试团委", "path": "测试团委"}
    assert data["assignment"]["id"] == tree.assignment.id
    assert data["assignment"]["title"] == "制度自信（第1期）"
    assert data["target"] == pytest.approx(0.8) and data["generated_at"]


def test_target_comes_from_the_configuration(app, client, tree, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_TARGET_RATE", 0.9)
    as_user(client, "leader_in")
    data = client.get(report_url(tree.assignment, tree.org.branch_a)).get_json()
    assert data["target"] == pytest.approx(0.9)


def test_a_leader_sees_the_report_of_their_branch(app, client, tree):
    org = tree.org
    as_user(client, "leader_in")
    data = client.get(report_url(tree.assignment, org.branch_a)).get_json()
    assert data["unit"]["path"] == "测试团委/第一团支部"
    assert data["totals"]["roster"] == 4  # 委员甲 is counted in the branch itself
    [group] = data["children"]
    assert (group["unit_id"], group["roster"], group["completed"], group["rank"]) == (
        org.group_a.id, 3, 1, 1)
    direct = data["direct"]  # the rows add up: 3 + 1 = 4
    assert (direct["unit_id"], direct["direct"], direct["roster"], direct["not_started"],
            direct["rank"]) == (org.branch_a.id, True, 1, 1, None)
    assert group["direct"] is False


def test_starting_units(client, tree):
    org = tree.org
    as_user(client, "leader_in")
    assert client.get("/api/v1/reports/units").get_json() == [
        {"id": org.branch_a.id, "name": "第一团支部", "path": "测试团委/第一团支部"}]
    client = client.application.test_client()
    as_user(client, "admin")
    assert [u["id"] for u in client.get("/api/v1/reports/units").get_json()] == [
        org.committee.id]


def test_unit_overview_over_a_date_range(app, client, tree, make_assignment):
    org = tree.org
    old = make_assignment(tree.course, org.branch_a, module_id=tree.course.module_ids[0],
                          title="旧期", starts_in_days=-310, due_in_days=-300)
    make_assignment(tree.course, org.group_b, title="别的支部")  # does not concern branch_a
    as_user(client, "leader_in")
    url = f"/api/v1/reports/units/{org.branch_a.id}"

    default = client.get(url).get_json()  # the last 180 days up to 60 days ahead
    assert [p["assignment"]["id"] for p in default["assignments"]] == [tree.assignment.id]
    totals, children, _ = expected_report(app, [tree.assignment], org.branch_a)
    assert json_figures(default["totals"]) == totals

    today = datetime.now(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    first = (today - timedelta(days=400)).isoformat()
    both = client.get(f"{url}?from={first}").get_json()
    assert both["from"] == first
    assert [p["assignment"]["id"] for p in both["assignments"]] == [old.id, tree.assignment.id]
    totals, children, periods = expected_report(app, [old, tree.assignment], org.branch_a)
    assert json_figures(both["totals"]) == totals
    assert [json_figures(row) for row in both["children"]] == children
    assert [json_figures(p["totals"]) for p in both["assignments"]] == periods
    # The old period is past due: its 4 members are late, the three who finished among them.
    assert (both["assignments"][0]["totals"]["late"],
            both["assignments"][0]["totals"]["late_completed"]) == (4, 1)

    only_old = client.get(f"{url}?from={first}&to={today.isoformat()}").get_json()
    assert [p["assignment"]["id"] for p in only_old["assignments"]] == [old.id]
    bad = client.get(f"{url}?from={today.isoformat()}&to={first}")
    assert bad.status_code == 422 and "to" in bad.get_json()["errors"]["query"]


# --- scope --------------------------------------------------------------------------------------


def test_a_leader_gets_404_outside_their_branch(client, tree, make_assignment):
    org = tree.org
    elsewhere = make_assignment(tree.course, org.group_b, title="别的支部")
    as_user(client, "leader_in")
    urls = [
        f"/api/v1/reports/units/{org.branch_b.id}",
        f"/api/v1/reports/units/{org.committee.id}",
        report_url(tree.assignment, org.branch_b),
        report_url(tree.assignment, org.committee),
        report_url(tree.assignment, org.group_b, "/members"),
        report_url(tree.assignment, org.branch_b, f"/members/{tree.b1.id}"),
        # b1 is not on branch_a's roster: the detail at my unit does not reach them either.
        report_url(tree.assignment, org.branch_a, f"/members/{tree.b1.id}"),
        report_url(tree.assignment, org.branch_b, "/not-completed"),
        report_url(tree.assignment, org.branch_b, "/export.xlsx"),
        report_url(tree.assignment, org.branch_b, "/export.csv"),
        report_url(elsewhere, org.branch_a),  # an assignment that does not concern my unit
        report_url(SimpleNamespace(id=999_999), org.branch_a),
        f"/api/v1/reports/reminders?unit_id={org.branch_b.id}",
        f"/api/v1/reports/reminders?assignment_id={elsewhere.id}",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.get_json()["code"] == 404
    headers = {"X-CSRFToken": csrf_token(client)}
    assert client.post(report_url(tree.assignment, org.branch_b, "/reminders"), json={},
                       headers=headers).status_code == 404
    assert client.get(report_url(tree.assignment, org.branch_a,
                                 f"/members/{tree.a2.id}")).status_code == 200


def test_a_member_is_refused_everywhere(client, tree):
    org = tree.org
    headers = as_user(client, "member")
    urls = ["/api/v1/reports/units", f"/api/v1/reports/units/{org.group_a.id}",
            report_url(tree.assignment, org.group_a),
            report_url(tree.assignment, org.group_a, "/members"),
            report_url(tree.assignment, org.group_a, f"/members/{org.member.id}"),
            report_url(tree.assignment, org.group_a, "/not-completed"),
            report_url(tree.assignment, org.group_a, "/export.xlsx"),
            report_url(tree.assignment, org.group_a, "/export.csv"),
            "/api/v1/reports/reminders"]
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post(report_url(tree.assignment, org.group_a, "/reminders"), json={},
                       headers=headers).status_code == 403
    with client.application.app_context():
        assert db.session.scalar(select(Notification.id)) is None


def test_admin_sees_every_unit_and_member(client, tree):
    org = tree.org
    as_user(client, "admin")
    for unit in (org.committee, org.branch_a, org.branch_b, org.group_b):
        assert client.get(report_url(tree.assignment, unit)).status_code == 200
        assert client.get(f"/api/v1/reports/units/{unit.id}").status_code == 200
    response = client.get(report_url(tree.assignment, org.committee, f"/members/{tree.b1.id}"))
    assert response.status_code == 200
    assert response.get_json()["member"]["unit_name"] == "第二学习小组"


# --- members ------------------------------------------------------------------------------------


def test_members_are_paginated(client, tree):
    org = tree.org
    as_user(client, "leader_in")
    url = report_url(tree.assignment, org.branch_a, "/members")
    first = client.get(f"{url}?per_page=3").get_json()
    second = client.get(f"{url}?per_page=3&page=2").get_json()
    assert (first["total"], first["pages"], first["per_page"]) == (4, 2, 3)
    assert len(first["members"]) == 3 and len(second["members"]) == 1
    names = {m["name"] for m in first["members"] + second["members"]}
    assert names == {"委员甲", "成员甲", "成员乙", "成员丙"}
    assert client.get(f"{url}?per_page=3&page=3").get_json()["members"] == []
    done = client.get(f"{url}?status=completed").get_json()
    assert done["total"] == 1
    [row] = done["members"]
    assert (row["user_id"], row["status"], row["done"], row["total"], row["last_via"]) == (
        tree.a2.id, "completed", 2, 2, "reading")
    assert row["unit_name"] == "第一学习小组" and row["last_completed_at"]
    waiting = client.get(f"{url}?status=not_started").get_json()
    assert waiting["total"] == 3 and len(waiting["members"]) == 3
    assert client.get(f"{url}?per_page=201").status_code == 422
    assert client.get(f"{url}?status=done").status_code == 422


def test_member_detail_lists_each_module(client, tree):
    as_user(client, "leader_out")
    response = client.get(report_url(tree.assignment, tree.org.branch_b,
                                     f"/members/{tree.b1.id}"))
    assert response.status_code == 200
    data = response.get_json()
    assert (data["member"]["name"], data["member"]["status"]) == ("成员丁", "in_progress")
    first, second = data["modules"]
    assert [m["module_id"] for m in data["modules"]] == tree.course.module_ids
    assert first["completed_at"] and first["via"] == "reading" and not first["late"]
    assert second["completed_at"] is None and second["opened"] is False
    assert client.get(report_url(tree.assignment, tree.org.branch_b,
                                 "/members/999999")).status_code == 404


# --- 未学名单 -------------------------------------------------------------------------------------


def test_not_completed_groups_quizzes_and_paste_text(app, client, tree):
    with app.app_context():
        quiz = create_quiz(tree.course.id, tree.course.module_ids[0], title="第一单元测验",
                           pass_mark=60)
        db.session.commit()
        quiz_id = quiz.id
    as_user(client, "leader_in")
    response = client.get(report_url(tree.assignment, tree.org.branch_a, "/not-completed"))
    assert response.status_code == 200
    data = response.get_json()
    assert data["count"] == 3
    groups = {g["unit_name"]: g for g in data["groups"]}
    assert set(groups) == {"第一团支部", "第一学习小组"}
    assert groups["第一团支部"]["leaders"] == ["支书甲"]
    assert {m["name"] for m in groups["第一学习小组"]["members"]} == {"成员甲", "成员丙"}
    # Nobody has taken the quiz: the whole roster of the branch has not passed it.
    [quiz_row] = data["not_passed"]
    assert (quiz_row["quiz_id"], quiz_row["title"], quiz_row["pass_mark"]) == (
        quiz_id, "第一单元测验", 60)
    assert sum(len(g["members"]) for g in quiz_row["groups"]) == 4
    assert "成员甲" in data["paste_text"] and "成员丙" in data["paste_text"]
    assert "成员乙" not in data["paste_text"]


# --- exports ------------------------------------------------------------------------------------


def test_xlsx_export(client, tree):
    as_user(client, "leader_in")
    response = client.get(report_url(tree.assignment, tree.org.branch_a, "/export.xlsx"))
    assert response.status_code == 200
    assert response.mimetype == XLSX_MIME
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    # The name says what it is about: the unit's full path, course, period.
    assert f"filename*=UTF-8''{quote('测试团委-第一团支部-制度自信-第1期-')}" in disposition
    assert disposition.endswith(".xlsx")
    assert response.headers["Cache-Control"] == "no-store"
    workbook = load_workbook(BytesIO(response.data))
    assert len(workbook.sheetnames) == 4
    members = {cell.value for row in workbook.worksheets[1].iter_rows() for cell in row}
    assert {"委员甲", "成员甲", "成员乙", "成员丙"} <= members
    assert "成员丁" not in members and "支书甲" not in members


def test_csv_exports(client, tree):
    as_user(client, "leader_in")
    url = report_url(tree.assignment, tree.org.branch_a, "/export.csv")
    summary = client.get(url)
    assert summary.status_code == 200 and summary.mimetype == "text/csv"
    assert summary.data.startswith("\ufeff".encode())
    assert "第一学习小组" in summary.data.decode("utf-8-sig")
    disposition = summary.headers["Content-Disposition"]
    assert quote("测试团委-第一团支部-制度自信-第1期-分单位汇总-") in disposition
    assert disposition.endswith(".csv")
    members = client.get(f"{url}?kind=members").data.decode("utf-8-sig")
    assert "成员乙" in members and "成员甲" in members
    missing = client.get(f"{url}?kind=not_completed").data.decode("utf-8-sig")
    assert "成员甲" in missing and "成员乙" not in missing
    assert client.get(f"{url}?kind=everything").status_code == 422


# --- reminders ----------------------------------------------------------------------------------


def notified(app) -> dict[int, str]:
    with app.app_context():
        return dict(db.session.execute(select(Notification.user_id, Notification.kind)).all())


def test_a_reminder_notifies_the_not_completed_members_once(app, client, tree):
    org = tree.org
    headers = as_user(client, "leader_in")
    url = report_url(tree.assignment, org.branch_a, "/reminders")
    too_long = client.post(url, json={"message": "快" * 501}, headers=headers)
    assert too_long.status_code == 422
    assert "message" in too_long.get_json()["errors"]["json"]
    assert notified(app) == {}

    response = client.post(url, json={"message": "请抓紧学习"}, headers=headers)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    # The sender only leads the branch (not on its roster); 成员乙 finished.
    assert data["recipient_count"] == 3 and data["message"] == "请抓紧学习"
    assert (data["assignment_id"], data["unit_id"]) == (tree.assignment.id, org.branch_a.id)
    assert data["id"] and data["created_at"]
    assert "成员甲" in data["paste_text"] and "成员乙" not in data["paste_text"]
    assert notified(app) == {org.member.id: "reminder", tree.a3.id: "reminder",
                             tree.direct.id: "reminder"}

    again = client.post(url, json={"message": "再催一次"}, headers=headers)
    assert again.status_code == 429  # the service's cooldown answer
    assert again.get_json()["message"]
    assert len(notified(app)) == 3


def test_reminder_log_is_seen_by_the_leaders_above(app, client, tree, make_user):
    org = tree.org
    make_user("secretary", name="书记", units=[(org.committee, "leader")])
    headers = as_user(client, "leader_in")
    assert client.post(report_url(tree.assignment, org.group_a, "/reminders"), json={},
                       headers=headers).status_code == 201
    client = app.test_client()
    headers = as_user(client, "leader_out")
    assert client.post(report_url(tree.assignment, org.branch_b, "/reminders"),
                       json={"message": "加油"}, headers=headers).status_code == 201
    mine = client.get("/api/v1/reports/reminders").get_json()
    assert [r["unit_name"] for r in mine["reminders"]] == ["第二团支部"]

    client = app.test_client()
    as_user(client, "secretary")
    log = client.get("/api/v1/reports/reminders").get_json()
    assert log["total"] == 2
    newest, oldest = log["reminders"]
    assert (newest["sender_name"], newest["unit_id"], newest["message"]) == (
        "支书乙", org.branch_b.id, "加油")
    assert sorted(newest["recipients"]) == sorted(["成员丁"])
    assert newest["recipient_count"] == 1
    assert newest["assignment_title"] == "制度自信（第1期）"
    assert (oldest["sender_name"], oldest["unit_name"]) == ("支书甲", "第一学习小组")
    assert sorted(oldest["recipients"]) == sorted(["成员甲", "成员丙"])
    below_a = client.get(f"/api/v1/reports/reminders?unit_id={org.branch_a.id}").get_json()
    assert [r["id"] for r in below_a["reminders"]] == [oldest["id"]]
    paged = client.get("/api/v1/reports/reminders?per_page=1&page=2").get_json()
    assert [r["id"] for r in paged["reminders"]] == [oldest["id"]] and paged["pages"] == 2
    by_assignment = client.get(
        f"/api/v1/reports/reminders?assignment_id={tree.assignment.id}").get_json()
    assert by_assignment["total"] == 2


# --- the OpenAPI document -----------------------------------------------------------------------


def test_every_report_path_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    base = "/api/v1/reports/assignments/{assignment_id}/units/{unit_id}"
    expected = {
        "/api/v1/reports/units": "get",
        "/api/v1/reports/units/{unit_id}": "get",
        base: "get",
        base + "/members": "get",
        base + "/members/{user_id}": "get",
        base + "/not-completed": "get",
        base + "/export.xlsx": "get",
        base + "/export.csv": "get",
        base + "/reminders": "post",
        "/api/v1/reports/reminders": "get",
    }
    for path, method in expected.items():
        assert method in paths.get(path, {}), path
    assert "201" in paths[base + "/reminders"]["post"]["responses"]
    assert XLSX_MIME in paths[base + "/export.xlsx"]["get"]["responses"]["200"]["content"]
    parameters = {p["name"] for p in paths[base + "/members"]["get"]["parameters"]}
    assert {"status", "page", "per_page"} <= parameters
