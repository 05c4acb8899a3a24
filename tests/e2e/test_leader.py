"""A leader's flow in the browser: open the report, drill down to a child unit and to one member,
download the XLSX (opened with openpyxl, its figures checked against the page) and send a
reminder (催学) from the 未学名单.

Each viewport has its own branch leader: zhishu1 (第一团支部) on the phone, zhishu2
(第二团支部) on the desktop, so the two runs share the server without touching each other.
"""

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.browser import check_page, login, nav_to

LEADERS = {"phone": ("zhishu1", "第一团支部", "第一学习小组"),
           "desktop": ("zhishu2", "第二团支部", "第三学习小组")}
OFFICERS = {"第一团支部": "郑晓明", "第二团支部": "冯晓红"}  # members directly in the branch
SUMMARY_HEADER = ["组织", "应学人数", "已完成", "学习中", "未开始", "逾期", "学习率", "排名"]
MEMBERS_HEADER = ["姓名", "用户名", "组织", "状态", "已完成单元", "学习单元", "最近完成时间",
                  "完成方式", "测验最高分", "发帖"]
NOT_COMPLETED_HEADER = ["组织", "负责人", "姓名", "用户名", "状态", "已完成单元", "学习单元"]

# The text of every cell of a table's rows, row by row (header cells included).
TABLE_CELLS = """table => [...table.querySelectorAll('tbody tr, tfoot tr')]
  .map(tr => [...tr.cells].map(cell => cell.innerText.trim()))"""


def _when(moment) -> str:
    """A date cell as the page writes it (the house date-time: yyyy-MM-dd HH:mm)."""
    return "—" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def _pct(rate) -> str:
    """A rate cell (a fraction) as the page writes it."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


@pytest.mark.usefixtures("live_server")
def test_leader_reports_drills_down_exports_and_reminds(page, tmp_path):
    username, branch, group = LEADERS[page.viewport_name]
    login(page, username)

    # The report: a branch leader leads one unit, so 报表 opens it and lists its study periods.
    nav_to(page, "报表")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"学习情况报表：{branch}")
    check_page(page, "unit-report")
    page.get_by_role("link", name="第1期", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"学习情况报表：{branch}")
    units = page.get_by_role("table", name="组织")
    expect(units).to_be_visible()
    check_page(page, "period-report")
    period_url = page.url

    # Drill down to a study group, and back up through the breadcrumb.
    units.get_by_role("link", name=group).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"学习情况报表：{group}")
    check_page(page, "group-report")
    breadcrumb = page.locator("nav.d-print-none ol.breadcrumb")
    expect(breadcrumb.get_by_text(group)).to_have_attribute("aria-current", "page")
    breadcrumb.get_by_role("link", name=branch).click()
    expect(page).to_have_url(period_url)

    # One member's page: someone part-way through the course.
    members = page.locator("section[aria-labelledby=members-heading] table")
    member = members.locator("tbody tr").filter(has_text="学习中").first.get_by_role("link")
    name = member.inner_text().strip()
    member.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.get_by_role("row").filter(has_text="青年在抗疫中的担当")).to_be_visible()
    check_page(page, "member-report")
    page.go_back()

    # What the page shows, to compare with the workbook.
    summary_rows = units.evaluate(TABLE_CELLS)
    member_rows = members.evaluate(TABLE_CELLS)
    missing = int(re.search(r"\((\d+)\)", page.get_by_role("link", name=re.compile("^未学名单"))
                            .inner_text()).group(1))

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 XLSX").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    _check_workbook(path, branch, summary_rows, member_rows, missing)

    # 未学名单 and the reminder.
    page.get_by_role("link", name=re.compile("^未学名单")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"未学名单：{branch}")
    expect(page.get_by_role("heading", name=f"未完成 {missing} 人")).to_be_visible()
    check_page(page, "not-completed")
    # The secretary only leads the branch: not on its roster, not on the list. The branch's
    # committee member belongs to the branch itself and has not studied: listed under it.
    listed = page.locator("section[aria-labelledby=list-heading]")
    expect(listed.get_by_role("link", name=f"{branch}书记", exact=True)).to_have_count(0)
    expect(listed.get_by_role("link", name=OFFICERS[branch], exact=True)).to_be_visible()
    reminded = missing
    page.get_by_label("附言（可选）").fill(f"请本周内完成学习（{page.viewport_name}）")
    page.get_by_role("button", name="发送催学").click()
    expect(page.get_by_role("alert")).to_have_text(f"已向 {reminded} 人发送催学提醒。")
    log = page.locator("section[aria-labelledby=log-heading] li").first
    expect(log).to_contain_text(re.compile(f"{branch}书记 → {branch}[:：] ?{reminded} 人"))
    check_page(page, "reminded")


def _check_workbook(path, branch: str, summary_rows: list, member_rows: list,
                    missing: int) -> None:
    """The four sheets, their header rows, and the same figures as the page."""
    book = load_workbook(path)
    assert book.sheetnames == ["分单位汇总", "成员学习情况", "未学名单", "测验未通过"]

    summary = [list(row) for row in book["分单位汇总"].iter_rows(values_only=True)]
    assert ["组织", f"示范大学团委 / {branch}"] in [row[:2] for row in summary]
    assert ["填报人", f"{branch}书记"] in [row[:2] for row in summary]
    header_at = summary.index(SUMMARY_HEADER)
    data = summary[header_at + 1:]
    assert [[str(row[0]), *map(str, row[1:6]), _pct(row[6]), str(row[7] or "—")]
            for row in data[:-1]] == summary_rows[:-1]
    total = data[-1]
    assert total[0] == f"合计：{branch}"
    assert [*map(str, total[1:6]), _pct(total[6])] == summary_rows[-1][1:7]

    members = [list(row) for row in book["成员学习情况"].iter_rows(values_only=True)]
    assert members[0] == MEMBERS_HEADER
    assert len(members) - 1 == int(summary_rows[-1][1])  # the unit's roster
    # Names repeat (two 刘俊杰), so the rows are compared as sorted lists, in the page's words.
    as_shown = sorted([row[0], row[2], row[3], f"{row[4]}/{row[5]}", _when(row[6]),
                       "—" if row[8] is None else f"{row[8] * 100:.0f}%", str(row[9])]
                      for row in members[1:])
    assert as_shown == sorted(member_rows)

    not_completed = [list(row) for row in book["未学名单"].iter_rows(values_only=True)]
    assert not_completed[0] == NOT_COMPLETED_HEADER
    assert len(not_completed) - 1 == missing
