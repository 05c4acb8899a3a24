"""How a report counts and what it says (issue 17), over HTTP: page, API and exports agree.

The tree (a course of two "confirm" modules, each with a quiz, assigned at the committee):

    某某团委 (书记 leads; nobody is a member of the committee itself)
    ├── 第一团支部 (支书 leads it and is a member of 第一小组): 委员 a member of the branch itself
    │   ├── 第一小组 (组长一 leads): 张佳怡, 甲二 (also a member of the branch: counted here,
    │   │   the deeper unit), 支书
    │   └── 第二小组 (组长二 leads): 乙一
    └── 第二团支部: 丙一

Pages are read in English.
"""

import csv
import io
import re
from datetime import timedelta
from html import unescape
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from courses import progress
from courses.models import Assignment
from courses.study.services import close_assignment
from learning.accounts.models import User
from learning.extensions import db
from learning.orgs.models import Membership
from quizzes.models import Attempt, Quiz
from tests.conftest import login

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


class Tree:
    pass


@pytest.fixture
def tree(app, make_unit, make_user, make_course, make_assignment):
    t = Tree()
    t.committee = make_unit("某某团委", kind="committee")
    t.branch = make_unit("第一团支部", t.committee, kind="branch")
    t.group1 = make_unit("第一小组", t.branch)
    t.group2 = make_unit("第二小组", t.branch)
    t.branch2 = make_unit("第二团支部", t.committee, kind="branch")
    t.people = {}
    for username, name, units in [
            ("secretary", "书记", [(t.committee, "leader")]),
            ("zhishu", "支书", [(t.branch, "leader"), (t.group1, "member")]),
            ("gl1", "组长一", [(t.group1, "leader")]),
            ("gl2", "组长二", [(t.group2, "leader")]),
            ("weiyuan", "委员", [(t.branch, "member")]),
            ("zhang", "张佳怡", [(t.group1, "member")]),
            ("jia2", "甲二", [(t.branch, "member"), (t.group1, "member")]),
            ("yi1", "乙一", [(t.group2, "member")]),
            ("bing1", "丙一", [(t.branch2, "member")])]:
        t.people[username] = make_user(username, name=name, units=units)
    t.course = make_course("制度自信", modules=2, rule="confirm")
    t.m1, t.m2 = t.course.module_ids
    t.assignment = make_assignment(t.course, t.committee, title="第3期")
    ids = {k: v.id for k, v in t.people.items()}
    with app.app_context():
        progress.complete_many([ids["weiyuan"], ids["bing1"]], [t.m1, t.m2], "confirm")
        quizzes = [Quiz(course_id=t.course.id, module_id=m, title=f"测验{n}", pass_mark=60.0)
                   for n, m in ((1, t.m1), (2, t.m2))]
        db.session.add_all(quizzes)
        db.session.flush()
        t.quiz1, t.quiz2 = (q.id for q in quizzes)
        # 张佳怡: 90% on the first quiz (passed), 35% on the second (not passed).
        for quiz_id, percent in ((t.quiz1, 90.0), (t.quiz2, 35.0)):
            db.session.add(Attempt(quiz_id=quiz_id, user_id=ids["zhang"], number=1,
                                   state="finished", percent=percent))
        # 甲二: 100% on the first quiz, but the module's rule is confirm and he has not.
        db.session.add(Attempt(quiz_id=t.quiz1, user_id=ids["jia2"], number=1,
                               state="finished", percent=100.0))
        db.session.commit()
    return t


def as_user(client, username: str) -> None:
    assert login(client, username).status_code == 302
    client.get("/lang/en")


def url(t, unit, tail: str = "", api: bool = False, assignment=None) -> str:
    base = "/api/v1/reports" if api else "/reports"
    return f"{base}/assignments/{(assignment or t.assignment).id}/units/{unit.id}{tail}"


def page_rows(page: str, width: int) -> dict[str, list[str]]:
    """First cell -> the cells of each table row of `width` cells."""
    found = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S):
        cells = [" ".join(unescape(re.sub(r"<[^>]+>", "", c)).split())
                 for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if len(cells) == width:
            found[cells[0]] = cells
    return found


def csv_table(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


# --- 1. each quiz's own score -------------------------------------------------------------------


def not_passed_names(page: str, quiz_title: str) -> str:
    section = re.search(r'id="quiz-heading".*?</section>', page, re.S).group(0)
    return unescape(re.sub(r"<[^>]+>", "", section.split(quiz_title, 1)[1].split("<h3", 1)[0]))


def test_not_passed_shows_each_members_score_on_that_quiz(app, client, tree):
    t = tree
    as_user(client, "secretary")
    page = client.get(url(t, t.committee, "/not-completed")).get_data(as_text=True)
    second = not_passed_names(page, "测验2")
    assert "张佳怡 (35%)" in second and "90%" not in second  # not her best over the period
    assert "甲二 (Not attempted)" in second
    first = not_passed_names(page, "测验1")
    assert "张佳怡" not in first and "甲二" not in first  # both passed it

    data = client.get(url(t, t.committee, "/not-completed", api=True)).get_json()
    quiz = next(q for q in data["not_passed"] if q["quiz_id"] == t.quiz2)
    members = {m["name"]: m for g in quiz["groups"] for m in g["members"]}
    assert (members["张佳怡"]["quiz_score"], members["张佳怡"]["quiz_attempts"]) == (35.0, 1)
    assert (members["甲二"]["quiz_score"], members["甲二"]["quiz_attempts"]) == (None, 0)

    table = csv_table(client.get(url(t, t.committee, "/export.csv?kind=not_passed")))
    rows = {(r[0], r[4]): r for r in table[1:]}
    assert rows["测验2", "张佳怡"][6] == "35.0%" and rows["测验2", "甲二"][6] == "Not attempted"
    assert ("测验1", "张佳怡") not in rows
    book = load_workbook(io.BytesIO(client.get(url(t, t.committee, "/export.xlsx")).data))
    sheet = {(r[0], r[4]): r for r in book["Not passed the quiz"].iter_rows(
        min_row=2, values_only=True)}
    assert sheet["测验2", "张佳怡"][6] == pytest.approx(0.35)


# --- 2 and 3. rows add up; one person, one place ---------------------------------------------


def test_rows_add_up_with_the_direct_members_on_page_api_and_exports(app, client, tree):
    t = tree
    as_user(client, "zhishu")
    page = client.get(url(t, t.branch)).get_data(as_text=True)
    rows = page_rows(page, 8)
    # 第一小组: 张佳怡, 甲二, 支书; 第二小组: 乙一; the branch itself: 委员 (甲二 is counted in
    # the deeper 第一小组, the secretary in the group where he is a member).
    assert rows["第一小组"][1:6] == ["3", "0", "0", "3", "0"]
    assert rows["第二小组"][1:6] == ["1", "0", "0", "1", "0"]
    assert rows["Members directly in this unit"][1:8] == ["1", "1", "0", "0", "0", "100.0%",
                                                          "—"]
    assert rows["Total"][1:6] == ["5", "1", "0", "4", "0"]

    data = client.get(url(t, t.branch, api=True)).get_json()
    shown = [*data["children"], data["direct"]]
    for key in ("roster", "completed", "in_progress", "not_started", "late"):
        assert sum(row[key] for row in shown) == data["totals"][key], key
    assert [row["roster"] for row in shown] == [3, 1, 1] and data["direct"]["direct"]

    summary = csv_table(client.get(url(t, t.branch, "/export.csv?kind=summary")))
    assert [r[:2] for r in summary[1:]] == [["第一小组", "3"], ["第二小组", "1"],
                                            ["Members directly in this unit", "1"],
                                            ["Total: 第一团支部", "5"]]
    book = load_workbook(io.BytesIO(client.get(url(t, t.branch, "/export.xlsx")).data))
    cells = [r[:2] for r in book["Summary by unit"].iter_rows(values_only=True)]
    assert ("Members directly in this unit", 1) in cells and ("Total: 第一团支部", 5) in cells


def test_a_leader_counts_where_he_is_a_member_and_his_group_leader_finds_him(app, client,
                                                                             tree):
    t = tree
    as_user(client, "gl1")
    page = client.get(url(t, t.group1, "/not-completed")).get_data(as_text=True)
    listed = re.search(r'id="list-heading".*?</section>', page, re.S).group(0)
    assert {"支书", "甲二", "张佳怡"} <= set(re.findall(r'">([^<]+)</a>', listed))
    members = client.get(url(t, t.group1, "/members", api=True)).get_json()["members"]
    assert {m["name"]: m["unit_name"] for m in members} == {
        "支书": "第一小组", "甲二": "第一小组", "张佳怡": "第一小组"}

    # Leading puts nobody on a roster: the committee's secretary and the group leaders are on
    # no list, and no 未学名单 names the secretary under the branch he leads.
    client = app.test_client()
    as_user(client, "secretary")
    data = client.get(url(t, t.committee, "/not-completed", api=True)).get_json()
    groups = {g["unit_name"]: {m["name"] for m in g["members"]} for g in data["groups"]}
    assert groups == {"第一小组": {"支书", "甲二", "张佳怡"}, "第二小组": {"乙一"}}
    everyone = client.get(url(t, t.committee, "/members?per_page=50", api=True)).get_json()
    assert {m["name"] for m in everyone["members"]} == {
        "委员", "张佳怡", "甲二", "支书", "乙一", "丙一"}
    names = [row[0] for row in csv_table(client.get(url(t, t.committee,
                                                        "/export.csv?kind=members")))[1:]]
    assert sorted(names) == sorted(["委员", "张佳怡", "甲二", "支书", "乙一", "丙一"])


def test_the_frozen_roster_counts_people_where_the_live_one_does(app, client, tree):
    t = tree
    as_user(client, "secretary")
    live = client.get(url(t, t.committee, "/members?per_page=50", api=True)).get_json()
    with app.app_context():
        close_assignment(db.session.get(Assignment, t.assignment.id))
        db.session.commit()
    frozen = client.get(url(t, t.committee, "/members?per_page=50", api=True)).get_json()
    assert {m["user_id"]: m["unit_id"] for m in frozen["members"]} == \
        {m["user_id"]: m["unit_id"] for m in live["members"]}


# --- 4. what the report is about -------------------------------------------------------------


def test_the_print_view_and_the_exports_say_what_the_report_is_about(app, client, tree,
                                                                     make_assignment):
    t = tree
    module_period = make_assignment(t.course, t.committee, module_id=t.m2, title="第4期")
    as_user(client, "zhishu")
    page = client.get(url(t, t.branch, assignment=module_period)).get_data(as_text=True)
    header = unescape(re.sub(r"<[^>]+>", "|", re.search(
        r'<header class="report-header.*?</header>', page, re.S).group(0)))
    lines = [part.strip() for part in header.split("|") if part.strip()]
    for label, value in (("Course", "制度自信"), ("Module", "第2单元"),
                         ("Unit", "某某团委 / 第一团支部"), ("Produced by", "支书")):
        assert lines[lines.index(label) + 1] == value, label
    period = lines[lines.index("Period") + 1]
    assert re.fullmatch(r"第4期 \(\d{4}-\d\d-\d\d \d\d:\d\d – \d{4}-\d\d-\d\d \d\d:\d\d\)", period)
    assert "Generated at" in lines
    css = client.get("/static/app.css").get_data(as_text=True)
    assert re.search(r"@page\s*\{[^}]*@bottom-center\s*\{[^}]*counter\(page\)", css)

    response = client.get(url(t, t.branch, "/export.xlsx", assignment=module_period))
    book = load_workbook(io.BytesIO(response.data))
    heading = {row[0]: row[1] for row in book["Summary by unit"].iter_rows(
        max_row=7, values_only=True)}
    assert book["Summary by unit"]["A1"].value == "第4期 · 制度自信 · 第2单元"
    assert (heading["Course"], heading["Module"], heading["Unit"], heading["Produced by"]) == (
        "制度自信", "第2单元", "某某团委 / 第一团支部", "支书")
    assert heading["Period"] == period and heading["Generated at"]

    response = client.get(url(t, t.branch, "/export.csv?kind=members",
                              assignment=module_period))
    name = unquote(response.headers["Content-Disposition"].split("UTF-8''")[1])
    assert name.startswith("某某团委-第一团支部-制度自信-第2单元-第4期-Member progress-")
    assert name.endswith(".csv")


# --- 7. why a module is or is not complete ---------------------------------------------------


def test_a_members_row_says_why_each_module_is_or_is_not_complete(app, client, tree):
    t = tree
    jia2 = t.people["jia2"].id
    as_user(client, "gl1")
    page = client.get(url(t, t.group1, f"/members/{jia2}")).get_data(as_text=True)
    rows = page_rows(page, 6)
    assert rows["第1单元"][2] == "Quiz 100% — This module needs a direct confirmation"
    assert rows["第2单元"][2] == "This module needs a direct confirmation"
    data = client.get(url(t, t.group1, f"/members/{jia2}", api=True)).get_json()
    assert [(m["rule"], m["reason"]) for m in data["modules"]] == [
        ("confirm", "Quiz 100% — This module needs a direct confirmation"),
        ("confirm", "This module needs a direct confirmation")]
    weiyuan = t.people["weiyuan"].id
    client = app.test_client()
    as_user(client, "zhishu")
    done = page_rows(client.get(url(t, t.branch, f"/members/{weiyuan}")).get_data(as_text=True),
                     6)
    assert done["第1单元"][2] == "Confirmed"  # how it was completed

    member = app.test_client()  # the module page tells the member the rule in one line
    as_user(member, "jia2")
    module_page = member.get(f"/study/modules/{t.m1}").get_data(as_text=True)
    rule = re.search(r'id="completion-rule">([^<]+)<', module_page)
    assert rule and "a quiz alone does not complete it" in unescape(rule.group(1))


# --- 8. deactivated members ------------------------------------------------------------------


def figures_everywhere(client, t, unit) -> dict:
    """The unit's totals as the page, the API and the CSV show them."""
    page = page_rows(client.get(url(t, unit)).get_data(as_text=True), 8)["Total"][1:6]
    api = client.get(url(t, unit, api=True)).get_json()["totals"]
    api = [str(api[k]) for k in ("roster", "completed", "in_progress", "not_started", "late")]
    exported = csv_table(client.get(url(t, unit, "/export.csv?kind=summary")))[-1][1:6]
    assert page == api == exported
    return dict(zip(("roster", "completed", "in_progress", "not_started", "late"),
                    map(int, page), strict=True))


def deactivate(app, user) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(active=False))
        db.session.commit()


def test_deactivated_members_in_an_open_and_a_closed_period(app, client, tree):
    """Open period: a deactivated account leaves the live roster (it can no longer study).
    Closing freezes the roster of active accounts; deactivating someone after the close
    changes no figure of that period, and their row stays readable."""
    t = tree
    as_user(client, "secretary")
    before = figures_everywhere(client, t, t.committee)
    assert before == {"roster": 6, "completed": 2, "in_progress": 0, "not_started": 4,
                      "late": 0}

    deactivate(app, t.people["yi1"])  # before the close: gone from the open period
    open_after = figures_everywhere(client, t, t.committee)
    assert open_after == {**before, "roster": 5, "not_started": 3}

    with app.app_context():
        close_assignment(db.session.get(Assignment, t.assignment.id),
                         at=db.session.get(Assignment, t.assignment.id).due_at
                         - timedelta(days=1))
        db.session.commit()
    closed = figures_everywhere(client, t, t.committee)
    assert closed["roster"] == 5  # 乙一 was not frozen in

    deactivate(app, t.people["weiyuan"])  # after the close: a completed member
    deactivate(app, t.people["zhang"])  # after the close: a laggard
    with app.app_context():  # and a transfer after the close changes nothing either
        db.session.execute(update(Membership).where(
            Membership.user_id == t.people["bing1"].id).values(unit_id=t.group2.id))
        db.session.commit()
    assert figures_everywhere(client, t, t.committee) == closed
    assert figures_everywhere(client, t, t.branch)["completed"] == 1  # 委员 still counts
    assert client.get(url(t, t.branch, f"/members/{t.people['weiyuan'].id}")).status_code == 200
    missing = client.get(url(t, t.committee, "/not-completed", api=True)).get_json()
    assert "张佳怡" in {m["name"] for g in missing["groups"] for m in g["members"]}
