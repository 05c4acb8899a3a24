"""One format per kind of date (learning/i18n.py DATE_FORMATS), the same in pages, the text for
a chat group (催学 / 未学名单) and exports; the Chinese chat text uses full-width punctuation.

The period is due 2030-06-30 10:00 UTC: 18:00 on a Sunday in Asia/Shanghai.
"""

import csv
import io
import re
from datetime import UTC, date, datetime
from html import unescape

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from courses import progress
from courses.models import Assignment
from learning.extensions import db
from learning.i18n import DATE_FORMATS, EXCEL_FORMATS, moment_text
from learning.workbooks import DATETIME, csv_bytes
from tests.conftest import login

DUE = datetime(2030, 6, 30, 10, 0, tzinfo=UTC)
SENT = datetime(2030, 6, 28, 1, 5, tzinfo=UTC)  # 09:05 in Shanghai

KINDS = {
    "en": {"date": "2030-06-30", "datetime": "2030-06-30 18:00",
           "due": "Sun 2030-06-30 18:00"},
    "zh_CN": {"date": "2030-06-30", "datetime": "2030-06-30 18:00",
              "due": "2030-06-30 周日 18:00"},
}


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_each_kind_has_one_format_in_each_language(app, lang):
    with app.test_request_context("/"), force_locale(lang):
        assert {kind: moment_text(DUE, kind) for kind in DATE_FORMATS} == KINDS[lang]
        assert moment_text(date(2030, 6, 30), "date") == "2030-06-30"
        assert moment_text(DUE.replace(tzinfo=None)) == "2030-06-30 18:00"  # naive is UTC
        assert moment_text(None) == ""


def test_an_excel_cell_reads_as_the_page_does():
    """The spreadsheet codes are the Babel patterns in Excel's spelling."""
    for kind in ("date", "datetime"):
        day, time = DATE_FORMATS[kind]["*"]
        assert EXCEL_FORMATS[kind] == " ".join(filter(None, [day, time])).lower()
    assert EXCEL_FORMATS["datetime"] == DATETIME


@pytest.fixture
def period(app, org, make_course, make_assignment):
    """A period due DUE at the committee; the member has finished nothing, the leader of
    第一团支部 reminded them at SENT."""
    from learning.accounts.models import User
    from learning.orgs.models import OrgUnit
    from learning.reports.reminders import send_reminder

    course = make_course("制度自信", modules=1)
    assignment = make_assignment(course, org.committee, title="第1期")
    with app.test_request_context("/"):
        row = db.session.get(Assignment, assignment.id)
        row.due_at = DUE
        send_reminder(row, db.session.get(OrgUnit, org.branch_a.id),
                      db.session.get(User, org.leader_in.id), at=SENT)
        db.session.commit()
    assignment.module_ids = course.module_ids
    return assignment


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_pages_print_the_due_time_and_the_moments_in_the_readers_format(app, client, org,
                                                                         period, lang):
    client.get(f"/lang/{lang}")
    assert login(client, "member").status_code == 302
    assert KINDS[lang]["due"] in _page(client, "/")  # 我的学习
    assert KINDS[lang]["due"] in _page(client, "/notifications/")  # the reminder's sentence
    centre = _page(client, "/notifications/")
    assert re.search(r"<time [^>]*>\d{4}-\d\d-\d\d \d\d:\d\d</time>", centre)  # when it came

    leader = app.test_client()
    leader.get(f"/lang/{lang}")
    assert login(leader, "leader_in").status_code == 302
    listing = _page(leader, f"/reports/assignments/{period.id}/units/{org.branch_a.id}"
                            "/not-completed")
    assert "2030-06-28 09:05" in listing  # the reminder log


def _chat_text(client, period, org) -> str:
    html = _page(client, f"/reports/assignments/{period.id}/units/{org.branch_a.id}"
                         "/not-completed")
    return re.search(r'<textarea[^>]*id="paste-text"[^>]*>(.*?)</textarea>', html,
                     re.S).group(1).strip()


def test_the_chinese_chat_text_has_the_due_format_and_full_width_punctuation(app, client, org,
                                                                             period):
    assert login(client, "leader_in").status_code == 302
    text = _chat_text(client, period, org)
    lines = text.splitlines()
    assert lines[1] == f"截止时间：{KINDS['zh_CN']['due']}"
    assert re.fullmatch(r"截至 \d{4}-\d\d-\d\d \d\d:\d\d，未完成 1 人", lines[2]), lines[2]
    # Half-width punctuation only inside numbers (2030-06-30, 18:00), never between words.
    assert not re.search(r"[,;!?()\[\]]|(?<!\d):|:(?!\d)", text), text


def test_the_english_chat_text_has_the_same_kinds(app, client, org, period):
    client.get("/lang/en")
    assert login(client, "leader_in").status_code == 302
    lines = _chat_text(client, period, org).splitlines()
    assert lines[1] == f"Due: {KINDS['en']['due']}"
    assert re.search(r"as of \d{4}-\d\d-\d\d \d\d:\d\d:", lines[2]), lines[2]


def test_exports_write_dates_as_the_pages_do(app, client, org, period):
    with app.app_context():
        progress.complete(org.member.id, period.module_ids[0], "reading", at=SENT)
        db.session.commit()
    assert login(client, "leader_in").status_code == 302
    base = f"/reports/assignments/{period.id}/units/{org.branch_a.id}"
    response = client.get(f"{base}/export.xlsx")
    assert response.status_code == 200
    cells = [cell for sheet in load_workbook(io.BytesIO(response.data))
             for row in sheet.iter_rows() for cell in row if isinstance(cell.value, datetime)]
    assert cells and {cell.number_format for cell in cells} == {EXCEL_FORMATS["datetime"]}
    with app.test_request_context("/"):
        data = csv_bytes(["完成时间", "日期"], [[SENT, date(2030, 6, 30)]])
    [_, row] = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert row == ["2030-06-28 09:05", "2030-06-30"]
