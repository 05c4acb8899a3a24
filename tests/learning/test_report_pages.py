"""The completion report pages (issue 6) as a leader uses them, over HTTP.

The tree (a course of two "confirm" modules assigned at the committee; 第0期 was due three
days ago, 第1期 is due in a week):

    团委 (书记 leads): 干事 a member of the committee itself, nothing done
    ├── 第一团支部 (支书甲 leads): 委员甲 a member of the branch itself, done
    │   ├── 第一小组 (组长一 leads; done both on time): 甲一 done, 甲二 done but the second
    │   │   module after the due time, 甲三 the first module only; 组长二 (who leads 第二小组)
    │   │   is a member here, nothing done
    │   └── 第二小组 (组长二 leads): 乙一 nothing, 乙二 done
    └── 第二团支部 (支书乙 leads)
        ├── 第三小组 (组长三 leads): 丙一 done before 第0期 was due, 丙二 the first module;
        │   支书乙 is a member here, done
        └── 第四小组 (组长四 leads): 丁一 done, 丁二 done but deactivated

Who counts where (issue 17): members only, each in the deepest unit of their memberships;
leading puts nobody on a roster. So 第1期 at the committee counts 12 people: 7 in 第一团支部
(组长二 in 第一小组, 委员甲 directly in the branch), 4 in 第二团支部 (支书乙 in 第三小组), and
干事 directly in the committee. Pages are read in English.
"""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import func, select

from courses import progress
from courses.catalog.services import update_module
from courses.models import Assignment, CourseProgress, Module, Progress
from courses.offline.services import LessonInput, record_lesson
from learning.accounts.models import User
from learning.audit.models import AuditEntry
from learning.extensions import db
from learning.i18n import moment_text
from learning.notifications.models import Notification
from learning.orgs.models import Membership, OrgUnit
from learning.reports import figures
from learning.reports.models import Reminder
from tests.conftest import login, post_form

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

EVIL = "=cmd|' /C calc'!A0"


class Tree:
    pass


@pytest.fixture
def tree(app, make_unit, make_user, make_course, make_assignment):
    t = Tree()
    t.committee = make_unit("团委", kind="committee")
    t.branch_a = make_unit("第一团支部", t.committee, kind="branch")
    t.group_a1 = make_unit("第一小组", t.branch_a)
    t.group_a2 = make_unit("第二小组", t.branch_a)
    t.branch_b = make_unit("第二团支部", t.committee, kind="branch")
    t.group_b1 = make_unit("第三小组", t.branch_b)
    t.group_b2 = make_unit("第四小组", t.branch_b)
    t.admin = make_user("admin", name="管理员", admin=True)
    t.people = {}
    for username, name, unit, role, active in [
            ("secretary", "书记", t.committee, "leader", True),
            ("lead_a", "支书甲", t.branch_a, "leader", True),
            ("lead_b", "支书乙", t.branch_b, "leader", True),
            ("gl_a1", "组长一", t.group_a1, "leader", True),
            ("gl_a2", "组长二", t.group_a2, "leader", True),
            ("gl_b1", "组长三", t.group_b1, "leader", True),
            ("gl_b2", "组长四", t.group_b2, "leader", True),
            ("a1", "甲一", t.group_a1, "member", True),
            ("a2", "甲二", t.group_a1, "member", True),
            ("a3", "甲三", t.group_a1, "member", True),
            ("b1", "乙一", t.group_a2, "member", True),
            ("b2", "乙二", t.group_a2, "member", True),
            ("c1", "丙一", t.group_b1, "member", True),
            ("c2", "丙二", t.group_b1, "member", True),
            ("d1", "丁一", t.group_b2, "member", True),
            ("d2", "丁二", t.group_b2, "member", False),
            ("wy_a", "委员甲", t.branch_a, "member", True),
            ("gs", "干事", t.committee, "member", True)]:
        t.people[username] = make_user(username, name=name, units=[(unit, role)], active=active)
    # Leaders who are also members somewhere else (a second membership each).
    with app.app_context():
        db.session.add_all([
            Membership(user_id=t.people["gl_a2"].id, unit_id=t.group_a1.id, role="member"),
            Membership(user_id=t.people["lead_b"].id, unit_id=t.group_b1.id, role="member")])
        db.session.commit()
    t.course = make_course("制度自信", modules=2, rule="confirm")
    t.m1, t.m2 = t.course.module_ids
    t.past = make_assignment(t.course, t.committee, title="第0期", starts_in_days=-20,
                             due_in_days=-3)
    t.assignment = make_assignment(t.course, t.committee, title="第1期")
    p = {k: v.id for k, v in t.people.items()}
    late = t.assignment.due_at + timedelta(hours=1)
    before_past_due = t.past.due_at - timedelta(days=1)
    with app.app_context():
        progress.complete_many([p["a1"], p["b2"]], [t.m1, t.m2], "reading")
        progress.complete_many([p["gl_a1"]], [t.m1, t.m2], "offline")
        progress.complete_many([p["d1"], p["d2"], p["wy_a"], p["lead_b"]], [t.m1, t.m2],
                               "confirm")
        progress.complete_many([p["c1"]], [t.m1, t.m2], "reading", at=before_past_due)
        progress.complete(p["a2"], t.m1, "reading")
        progress.complete(p["a2"], t.m2, "offline", at=late)  # after 第1期's due time
        progress.complete_many([p["a3"], p["c2"]], [t.m1], "reading")
        db.session.commit()
    return t


# --- reading pages ---------------------------------------------------------------------------


class _Rows(HTMLParser):
    """The text of each table row's cells (th and td), in page order."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def rows(page: str) -> list[list[str]]:
    parser = _Rows()
    parser.feed(page)
    return parser.rows


def row_of(page: str, first: str, width: int) -> list[str]:
    """The one table row of `width` cells whose first cell reads `first`."""
    found = [r for r in rows(page) if len(r) == width and r and r[0] == first]
    assert len(found) == 1, (first, found)
    return found[0]


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def figure_cells(row: figures.UnitFigures) -> list[str]:
    """The figures table row the pages show for `row`."""
    return [row.name, str(row.roster), str(row.completed), str(row.in_progress),
            str(row.not_started), str(row.late), pct(row.rate), str(row.rank or "—")]


def computed(app, assignments, unit):
    """figures.unit_report of one assignment (or a list: a date range) at `unit`."""
    ids = [a.id for a in assignments] if isinstance(assignments, list) else [assignments.id]
    with app.app_context():
        loaded = [db.session.get(Assignment, i) for i in ids]
        return figures.unit_report(loaded if len(loaded) > 1 else loaded[0],
                                   db.session.get(OrgUnit, unit.id))


def as_user(client, username: str) -> None:
    assert login(client, username).status_code == 302
    client.get("/lang/en")


def period_url(assignment, unit, tail: str = "") -> str:
    return f"/reports/assignments/{assignment.id}/units/{unit.id}{tail}"


def test_period_page_shows_each_branch_as_computed_with_chart_totals_and_time(
        app, client, tree, monkeypatch):
    t = tree
    generated = datetime.now(UTC).replace(second=0, microsecond=0)
    monkeypatch.setattr("learning.reports.views.now", lambda: generated)
    as_user(client, "secretary")
    response = client.get(period_url(t.assignment, t.committee))
    assert response.status_code == 200
    page = response.get_data(as_text=True)

    # Worked out by hand from the tree (members only, each in their deepest unit; 丁二 is
    # deactivated, 甲二 is late); 干事 is the committee's direct member: the rows add up.
    expected = {"第一团支部": ["7", "3", "1", "2", "1", "42.9%", "2"],
                "第二团支部": ["4", "3", "1", "0", "0", "75.0%", "1"]}
    report = computed(app, t.assignment, t.committee)
    assert [figure_cells(c) for c in report.children] == [[n, *v] for n, v in expected.items()]
    for name, cells in expected.items():
        assert row_of(page, name, 8) == [name, *cells]
    assert row_of(page, "Members directly in this unit", 8) == [
        "Members directly in this unit", "1", "0", "0", "1", "0", "0.0%", "—"]
    assert row_of(page, "Total", 8) == ["Total", "12", "6", "2", "3", "1", "50.0%", ""]
    assert ("6 of 12 completed on time (50.0%); 1 late, 2 in progress, 3 not started"
            in unescape(page))
    with app.test_request_context("/"), force_locale("en"):
        stamp = moment_text(generated)  # the pages' date-time
    assert re.search(r"Generated at</dt>\s*<dd[^>]*>" + re.escape(stamp) + "</dd>", page)

    # The bars: one per branch in rank order, floored percentages, linked to the drill-down.
    svg = re.search(r'<div class="chart chart-bars" aria-hidden="true">.*?<details', page,
                    re.S).group(0)
    labels = re.findall(r'class="chart-bars-label">([^<]+)</span>', svg)
    assert labels == ["第二团支部", "第一团支部"]
    assert ">#1<" in svg and ">#2<" in svg and ">75%<" in svg and ">42%<" in svg
    assert f'href="{period_url(t.assignment, t.branch_a)}"' in svg
    assert "Target 80%" in svg

    # The member list: everyone on the roster, nobody deactivated, no leader who is only one.
    names = {r[0] for r in rows(page) if len(r) == 7} - {"Name"}
    assert len(names) == 12 and "丁二" not in names and {"干事", "甲二", "丙二"} <= names
    assert not names & {"书记", "支书甲", "组长一", "组长三", "组长四"}
    assert row_of(page, "支书乙", 7)[1] == "第三小组"  # the deepest unit, not the branch
    assert row_of(page, "组长二", 7)[1] == "第一小组"  # where he is a member, not where he leads


def test_drill_down_to_a_branch_and_a_member_with_each_module(app, client, tree):
    t = tree
    as_user(client, "secretary")
    page = client.get(period_url(t.assignment, t.committee)).get_data(as_text=True)
    branch = period_url(t.assignment, t.branch_a)
    assert f'href="{branch}"' in page
    page = client.get(branch).get_data(as_text=True)
    assert row_of(page, "第一小组", 8) == ["第一小组", "4", "1", "1", "1", "1", "25.0%", "2"]
    assert row_of(page, "第二小组", 8) == ["第二小组", "2", "1", "0", "1", "0", "50.0%", "1"]
    assert row_of(page, "Members directly in this unit", 8)[1:8] == [
        "1", "1", "0", "0", "0", "100.0%", "—"]
    assert row_of(page, "Total", 8)[1:6] == ["7", "3", "1", "2", "1"]
    assert "丙一" not in page  # another branch's member

    member = period_url(t.assignment, t.branch_a, f"/members/{t.people['a2'].id}")
    assert f'href="{member}"' in page
    assert row_of(page, "甲二", 7)[1:4] == ["第一小组", "Late", "2/2"]
    page = client.get(member).get_data(as_text=True)
    assert "甲二" in page and "2 of 2 modules" in page
    first, second = row_of(page, "第1单元", 6), row_of(page, "第2单元", 6)
    assert first[2] == "Reading" and "Late" not in first[1]
    assert second[2] == "Offline lesson" and second[1].endswith("Late")
    page = client.get(period_url(t.assignment, t.branch_a, f"/members/{t.people['a3'].id}")
                      ).get_data(as_text=True)
    assert row_of(page, "第2单元", 6)[1:3] == ["Not started",
                                               "This module needs a direct confirmation"]


def test_the_status_filter_lists_only_that_status(app, client, tree):
    t = tree
    as_user(client, "secretary")
    page = client.get(period_url(t.assignment, t.committee, "?status=in_progress")
                      ).get_data(as_text=True)
    assert {r[0] for r in rows(page) if len(r) == 7} - {"Name"} == {"甲三", "丙二"}


def test_unit_page_lists_the_periods_in_the_date_range(app, client, tree):
    t = tree
    today = date.today()
    as_user(client, "secretary")
    wide = f"?from={today - timedelta(days=30)}&to={today + timedelta(days=30)}"
    response = client.get(f"/reports/units/{t.committee.id}{wide}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert row_of(page, "第0期", 6)[3:] == ["12", "1", "8.3%"]  # only 丙一 was in time
    assert row_of(page, "第1期", 6)[3:] == ["12", "6", "50.0%"]
    assert f'href="{period_url(t.past, t.committee)}"' in page
    assert 'class="chart chart-trend"' in page  # the trend of two periods
    # Child units summed over both periods: every member counts once per period.
    report = computed(app, [t.past, t.assignment], t.committee)
    assert row_of(page, "第一团支部", 8) == figure_cells(report.children[0])
    assert row_of(page, "第一团支部", 8)[1:3] == ["14", "3"]
    assert row_of(page, "第二团支部", 8)[1:3] == ["8", "4"]
    assert row_of(page, "Members directly in this unit", 8)[1:3] == ["2", "0"]

    narrow = f"?from={today}&to={today + timedelta(days=30)}"
    page = client.get(f"/reports/units/{t.committee.id}{narrow}").get_data(as_text=True)
    assert "第1期" in page and "第0期" not in page


@pytest.mark.parametrize("query, field", [("?from=2026-13-01", "from"),
                                          ("?from=2026-03-10&to=2026-03-01", "to")])
def test_a_bad_date_is_422_and_names_the_field(app, client, tree, query, field):
    as_user(client, "secretary")
    response = client.get(f"/reports/units/{tree.committee.id}{query}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'<div class="invalid-feedback" id="{field}-error">([^<]+)</div>', page)
    assert error and error.group(1).strip()
    assert f'id="{field}" name="{field}"' in page
    other = "to" if field == "from" else "from"
    assert f'id="{other}-error"' not in page


# --- 未学名单 and reminders ------------------------------------------------------------------


def not_completed_groups(page: str) -> dict[str, tuple[str, list[str]]]:
    """unit name -> (the leaders line, the names listed), from the 未学名单 section."""
    section = re.search(r'id="list-heading".*?</section>', page, re.S).group(0)
    groups = {}
    for unit, leaders, items in re.findall(
            r'<h3 class="h6 mt-3 text-break">(.*?) <small class="text-muted">(.*?)</small></h3>'
            r'\s*<ul class="list-inline mb-2">(.*?)</ul>', section, re.S):
        groups[unescape(unit)] = (unescape(leaders), re.findall(r'">([^<]+)</a>', items))
    return groups


def test_not_completed_lists_exactly_who_has_not_finished_with_their_leaders(app, client,
                                                                             tree):
    t = tree
    as_user(client, "secretary")
    response = client.get(period_url(t.assignment, t.committee, "/not-completed"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # 甲二 finished late: not chased again. 丁二 is deactivated. Leaders are not on the list
    # of the unit they lead; 组长二 is on 第一小组's, where he is a member (组长一 chases him).
    groups = not_completed_groups(page)
    assert {unit: (leaders, sorted(names)) for unit, (leaders, names) in groups.items()} == {
        "团委": ("Leaders: 书记", ["干事"]),
        "第一小组": ("Leaders: 组长一", sorted(["甲三", "组长二"])),
        "第二小组": ("Leaders: 组长二", ["乙一"]),
        "第三小组": ("Leaders: 组长三", ["丙二"]),
    }
    assert "5 members have not completed" in page
    paste = unescape(re.search(r'<textarea[^>]*id="paste-text"[^>]*>(.*?)</textarea>', page,
                               re.S).group(1))
    assert "Not finished as of" in paste and "5 people" in paste
    assert "第三小组 (leaders: 组长三): 丙二" in paste
    head = "第一小组 (leaders: 组长一): "
    line = next(x for x in paste.splitlines() if x.startswith(head))
    assert sorted(line[len(head):].split(", ")) == sorted(["甲三", "组长二"])
    assert "甲二" not in paste and "丁二" not in paste and "甲一" not in paste


def reminders_sent(app) -> dict[str, int]:
    with app.app_context():
        return {
            "notifications": db.session.scalar(select(func.count()).select_from(Notification)
                                               .where(Notification.kind == "reminder")),
            "reminders": db.session.scalar(select(func.count()).select_from(Reminder)),
            "audit": db.session.scalar(select(func.count()).select_from(AuditEntry)
                                       .where(AuditEntry.action == "report.remind")),
        }


def test_reminder_form_notifies_the_laggards_logs_and_refuses_a_second_one(app, client, tree):
    t = tree
    as_user(client, "lead_a")
    url = period_url(t.assignment, t.branch_a, "/not-completed")
    page = client.get(url).get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]+/reminders)".*?</form>', page, re.S)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.group(0))
    assert form.group(1) == period_url(t.assignment, t.branch_a, "/reminders") and token

    response = client.post(form.group(1), data={"csrf_token": token.group(1),
                                                "message": "今晚之前学完"})
    assert response.status_code == 302 and response.location.endswith(url)
    with app.app_context():
        notified = set(db.session.scalars(
            select(Notification.user_id).where(Notification.kind == "reminder")))
        texts = {note.text for note in db.session.scalars(select(Notification))}  # a key: read
        reminder = db.session.scalars(select(Reminder)).one()
        assert (reminder.sender_id, reminder.unit_id, reminder.recipient_count) == \
            (t.people["lead_a"].id, t.branch_a.id, 3)
    # Not the sender (支书甲), not 甲二 who finished late, nobody outside the branch.
    assert notified == {t.people[k].id for k in ("a3", "b1", "gl_a2")}
    assert all("今晚之前学完" in text for text in texts)
    assert reminders_sent(app) == {"notifications": 3, "reminders": 1, "audit": 1}
    page = client.get(url).get_data(as_text=True)
    assert "Reminded 3 members." in page
    logged = re.search(r"支书甲 → 第一团支部: 3 members \(([^)]+)\)", unescape(page))
    assert logged and sorted(logged.group(1).split("、")) == sorted(["乙一", "甲三", "组长二"])

    again = post_form(client, form.group(1), {"message": ""})
    assert again.status_code == 429
    assert "You reminded 第一团支部 at" in again.get_data(as_text=True)
    assert reminders_sent(app) == {"notifications": 3, "reminders": 1, "audit": 1}

    # The leader above sees that the branch was chased.
    above = app.test_client()
    as_user(above, "secretary")
    log = above.get("/reports/reminders").get_data(as_text=True)
    assert "支书甲" in log and "第一团支部" in log and "今晚之前学完" in log


def test_a_reminder_without_the_csrf_token_is_refused_and_sends_nothing(app, client, tree):
    as_user(client, "lead_a")
    response = client.post(period_url(tree.assignment, tree.branch_a, "/reminders"),
                           data={"message": "x"})
    assert response.status_code == 400
    assert reminders_sent(app) == {"notifications": 0, "reminders": 0, "audit": 0}


# --- exports ---------------------------------------------------------------------------------


def test_xlsx_has_the_three_sheets_with_the_figures(app, client, tree):
    t = tree
    as_user(client, "secretary")
    response = client.get(period_url(t.assignment, t.committee, "/export.xlsx"))
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Summary by unit", "Member progress", "Not completed",
                               "Not passed the quiz"]
    summary = [list(r) for r in book["Summary by unit"].iter_rows(values_only=True)]
    table = summary[summary.index(["Unit", "Roster", "Completed", "In progress", "Not started",
                                   "Late", "Completion rate", "Rank"]) + 1:]
    assert table == [["第一团支部", 7, 3, 1, 2, 1, pytest.approx(3 / 7), 2],
                     ["第二团支部", 4, 3, 1, 0, 0, 0.75, 1],
                     ["Members directly in this unit", 1, 0, 0, 1, 0, 0, None],
                     ["Total: 团委", 12, 6, 2, 3, 1, 0.5, None]]
    members = list(book["Member progress"].iter_rows(min_row=2, values_only=True))
    assert len(members) == 12 and "丁二" not in {m[0] for m in members}
    by_name = {m[0]: m for m in members}
    assert by_name["甲二"][3:6] == ("Late", 2, 2)
    missing = list(book["Not completed"].iter_rows(min_row=2, values_only=True))
    assert len(missing) == 5
    assert ("第一小组", "组长一", "甲三") in {m[:3] for m in missing}


def test_csv_is_utf8_with_bom_and_has_the_figures(app, client, tree):
    t = tree
    as_user(client, "secretary")
    response = client.get(period_url(t.assignment, t.committee, "/export.csv?kind=summary"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0][0] == "Unit"
    assert [row[:6] for row in table[1:]] == [["第一团支部", "7", "3", "1", "2", "1"],
                                              ["第二团支部", "4", "3", "1", "0", "0"],
                                              ["Members directly in this unit", "1", "0", "0",
                                               "1", "0"],
                                              ["Total: 团委", "12", "6", "2", "3", "1"]]
    response = client.get(period_url(t.assignment, t.committee, "/export.csv?kind=not_completed"))
    assert len(list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))) == 1 + 5


def test_a_formula_as_a_name_is_neutralised_in_csv_and_xlsx(app, client, tree, make_user):
    t = tree
    make_user("evil", name=EVIL, units=[(t.group_b2, "member")])
    as_user(client, "secretary")
    for kind in ("members", "not_completed"):
        data = client.get(period_url(t.assignment, t.committee, f"/export.csv?kind={kind}")).data
        cells = [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in row]
        assert "'" + EVIL in cells, kind
        assert not any(c.startswith(("=", "+", "@")) for c in cells), kind
    book = load_workbook(io.BytesIO(
        client.get(period_url(t.assignment, t.committee, "/export.xlsx")).data))
    for sheet in ("Member progress", "Not completed"):
        cells = [c for row in book[sheet].iter_rows() for c in row if c.value is not None]
        evil = [c for c in cells if isinstance(c.value, str) and EVIL in c.value]
        assert [(c.value, c.data_type) for c in evil] == [("'" + EVIL, "s")], sheet
        assert not any(c.data_type == "f" for c in cells), sheet


# --- staleness -------------------------------------------------------------------------------


def test_the_report_shows_a_completion_made_over_http_at_once(app, client, tree):
    t = tree
    as_user(client, "lead_a")
    before = client.get(period_url(t.assignment, t.branch_a)).get_data(as_text=True)
    assert row_of(before, "第一小组", 8) == ["第一小组", "4", "1", "1", "1", "1", "25.0%", "2"]
    assert row_of(before, "Total", 8)[1:3] == ["7", "3"]

    member = app.test_client()  # 甲三, who has done the first module, confirms the second
    assert login(member, "a3").status_code == 302
    assert member.get(f"/study/modules/{t.m2}").status_code == 200
    done = post_form(member, f"/study/modules/{t.m2}/complete")
    assert done.status_code == 302
    with app.app_context():
        assert progress.get(t.people["a3"].id, t.m2).completed_via == "confirm"

    after = client.get(period_url(t.assignment, t.branch_a)).get_data(as_text=True)
    assert row_of(after, "第一小组", 8) == ["第一小组", "4", "2", "0", "1", "1", "50.0%", "1"]
    assert row_of(after, "Total", 8)[1:3] == ["7", "4"]
    assert row_of(after, "甲三", 7)[2:4] == ["Completed", "2/2"]
    missing = client.get(period_url(t.assignment, t.branch_a, "/not-completed")
                         ).get_data(as_text=True)
    assert "甲三" not in not_completed_groups(missing).get("第一小组", ("", []))[1]


def rollup_recount(app) -> tuple[dict, dict]:
    """CourseProgress as stored, and recounted here from Progress and Module in Python
    (rows that say "nothing yet" left out on both sides)."""
    with app.app_context():
        published = {m.id: m.course_id for m in db.session.scalars(select(Module))
                     if m.published}
        expected: dict = {}
        for row in db.session.scalars(select(Progress)):
            if row.module_id not in published:
                continue
            key = (row.user_id, published[row.module_id])
            done, opened, last = expected.get(key, (0, False, None))
            if row.completed_at is not None:
                done += 1
                last = row.completed_at if last is None else max(last, row.completed_at)
            opened = opened or bool(row.completed_at or row.first_opened_at
                                    or row.seconds_spent)
            expected[key] = (done, opened, last)
        stored = {(r.user_id, r.course_id): (r.done, r.opened, r.last_completed_at)
                  for r in db.session.scalars(select(CourseProgress))}
    empty = (0, False, None)
    return ({k: v for k, v in stored.items() if v != empty},
            {k: v for k, v in expected.items() if v != empty})


def test_the_course_rollup_equals_a_recount_after_every_kind_of_write(app, client, tree):
    t = tree
    p = {k: v.id for k, v in t.people.items()}
    stored, expected = rollup_recount(app)
    assert stored == expected and expected[p["a2"], t.course.id][0] == 2

    assert login(client, "b1").status_code == 302  # opens a module: in progress
    assert client.get(f"/study/modules/{t.m1}").status_code == 200
    stored, expected = rollup_recount(app)
    assert stored == expected and expected[p["b1"], t.course.id][:2] == (0, True)

    assert post_form(client, f"/study/modules/{t.m1}/complete").status_code == 302
    with app.app_context():  # an offline lesson of 第三小组 covering the second module
        record_lesson(db.session.get(OrgUnit, t.group_b1.id),
                      LessonInput(held_on=date.today(), place="团委会议室", topic="", notes="",
                                  module_ids=[t.m2], attendee_ids=[p["c2"], p["gl_b1"]]),
                      db.session.get(User, p["lead_b"]))
        db.session.commit()
    stored, expected = rollup_recount(app)
    assert stored == expected
    assert expected[p["b1"], t.course.id][0] == 1 and expected[p["c2"], t.course.id][0] == 2

    with app.app_context():  # withdrawing the first module: everyone counts one module less
        update_module(db.session.get(Module, t.m1), actor=db.session.get(User, t.admin.id),
                      published=False)
        db.session.commit()
    stored, expected = rollup_recount(app)
    assert stored == expected
    assert expected[p["c2"], t.course.id][0] == 1 and (p["b1"], t.course.id) not in expected

    # And the report follows: 丙二 did the kept one at the lesson (组长三 too, but leading
    # puts nobody on the roster); 支书乙, a member of 第三小组, had done both.
    report = computed(app, t.assignment, t.branch_b)
    assert [(c.name, c.completed) for c in report.children] == [("第三小组", 3),
                                                                ("第四小组", 1)]


# --- statements per page ---------------------------------------------------------------------


def _organisation(app, make_unit, make_user, make_assignment, course, tag, units, members):
    """A committee with `units` branches and `members` members spread over them, some done."""
    committee = make_unit(f"团委{tag}", kind="committee")
    branches = [make_unit(f"支部{tag}{i}", committee, kind="branch") for i in range(units)]
    people = [make_user(f"{tag}{i}", name=f"成员{tag}{i}",
                        units=[(branches[i % units], "member")]) for i in range(members)]
    with app.app_context():
        progress.complete_many([u.id for u in people[::2]], course.module_ids, "reading")
        progress.complete_many([u.id for u in people[1::3]], course.module_ids[:1], "reading")
        db.session.commit()
    return committee, make_assignment(course, committee)


def test_the_period_page_runs_the_same_statements_whatever_the_size(
        app, client, make_unit, make_user, make_course, make_assignment, query_counter):
    course = make_course(modules=3)
    make_user("admin", admin=True)
    small = _organisation(app, make_unit, make_user, make_assignment, course, "s", 3, 5)
    large = _organisation(app, make_unit, make_user, make_assignment, course, "l", 12, 40)
    login(client, "admin")
    counts = {}
    for label, (committee, assignment) in {"small": small, "large": large}.items():
        url = period_url(assignment, committee)
        assert client.get(url).status_code == 200  # warm up
        for tail in ("", "/not-completed"):
            with query_counter() as statements:
                page = client.get(url + tail).get_data(as_text=True)
            counts[label, tail] = len(statements)
            assert "成员" in page  # the members are listed on both pages
    assert counts["small", ""] == counts["large", ""], counts
    assert counts["small", "/not-completed"] == counts["large", "/not-completed"], counts


def test_the_period_page_counts_the_course_modules_once(
        app, client, make_unit, make_user, make_course, make_assignment, query_counter):
    """The figures and the member list share one count of the course's modules a request."""
    course = make_course(modules=3)
    make_user("admin", admin=True)
    committee, assignment = _organisation(app, make_unit, make_user, make_assignment, course,
                                          "c", 2, 6)
    login(client, "admin")
    url = period_url(assignment, committee)
    assert client.get(url).status_code == 200  # warm up
    with query_counter() as statements:
        page = client.get(url).get_data(as_text=True)
    counted = [s for s in statements if s.startswith("SELECT modules.course_id, count(*)")]
    assert len(counted) == 1, counted
    assert page.count(f'href="{url}/members/') == 6  # and every member is listed


def test_a_long_not_completed_list_folds_each_units_names_away(app, client):
    """A committee's 未学名单 of hundreds: a phone first shows each unit with its count."""
    from learning.reports.seed import BENCH_PASSWORD

    assert app.test_cli_runner().invoke(
        args=["bench", "seed", "--members", "600", "--modules", "3"]).exit_code == 0
    with app.app_context():
        from courses.models import Assignment

        open_period = db.session.scalar(select(Assignment).where(Assignment.closed_at.is_(None)))
        ids = (open_period.id, open_period.unit_id)
        groups = figures.not_completed(open_period, open_period.unit)
    assert sum(len(g.members) for g in groups) > 200
    assert login(client, "b-leader-1", BENCH_PASSWORD).status_code == 302
    page = client.get("/reports/assignments/{}/units/{}/not-completed".format(*ids))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count("<details class=\"mt-2\">") == len(groups)
    first = groups[0]
    assert f"· {len(first.members)} " in html or f"{len(first.members)} 人" in html
