"""An admin's flow in the browser: import a GIFT question bank and a roster file through the web
forms (upload, dry run, import) and find what was imported.

Both viewports log in as admin on a server shared with the other flows, so every name, file and
username carries the viewport's name: the phone's import and the desktop's never meet.
"""

import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from tests.e2e.browser import check_page, login, nav_to

GIFT = """\
// Three questions for the browser test: single choice (Chinese), true/false, numerical.
$CATEGORY: 浏览器测试/{size}

::主题教育（{size}）::「绽放战疫青春·坚定制度自信」专题共有几个学习单元？{{
  =四个#正确。
  ~三个#不对。
  ~五个#不对。
}}

::True or false ({size})::A member can study on a phone. {{T}}

::Numbers ({size})::How many modules does the demo course have? {{#4}}
"""


@pytest.mark.usefixtures("live_server")
def test_the_admins_navigation_fits_one_line_on_a_desktop(page):
    """The admin sees every link; grouped into menus they fit one line at 1366 px (a second
    line would be twice the brand's height); on a phone they fold behind 菜单 and open."""
    login(page, "admin")
    bar = page.get_by_role("navigation", name="主导航")
    brand = page.locator(".navbar-brand").bounding_box()["height"]
    if page.viewport_name == "desktop":
        assert bar.bounding_box()["height"] < 2 * brand, "the navigation wraps to a second line"
        expect(bar.get_by_role("link", name="操作日志", exact=True)).to_be_hidden()
    nav_to(page, "操作日志")
    expect(page.get_by_role("heading", level=1)).to_have_text("操作日志")


@pytest.mark.usefixtures("live_server")
def test_admin_imports_a_gift_bank(page, tmp_path):
    size = page.viewport_name
    bank = f"浏览器测试题库（{size}）"
    gift = tmp_path / f"questions-{size}.gift"
    gift.write_text(GIFT.format(size=size), encoding="utf-8")
    login(page, "admin")

    nav_to(page, "测验")
    page.get_by_role("link", name="题库", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("题库")
    check_page(page, "banks")
    page.get_by_label("题库名称").fill(bank)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(bank)

    page.get_by_role("link", name="导入", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"向 {bank} 导入题目")
    check_page(page, "bank-import")
    preflight(page, "题目文件", gift)
    expect(page.locator("[data-summary=questions]")).to_have_text("3")
    expect(page.get_by_text(f"浏览器测试/{size}")).to_be_visible()  # the category to create
    check_page(page, "bank-import-plan")
    page.get_by_role("button", name="立即导入").click()

    expect(page.get_by_role("alert")).to_have_text(
        f"已向 {bank} 导入 3 道题目，跳过 0 道重复题目。")
    questions = page.locator("#questions")
    for text in (f"主题教育（{size}）", f"True or false ({size})", f"Numbers ({size})"):
        expect(questions.get_by_role("link", name=re.compile(re.escape(text)))).to_be_visible()
    expect(page.get_by_text("3 道题目", exact=True)).to_be_visible()
    check_page(page, "bank-imported")


@pytest.mark.usefixtures("live_server")
def test_admin_imports_a_roster(page, tmp_path):
    size = page.viewport_name
    group = f"浏览器测试小组{size}"
    # A new branch of its own: the leaders' reports of the demo branches stay as they were.
    path = f"示范大学团委/浏览器测试团支部/{group}"
    people = [("赵浏览", f"e2e-{size}-1", "组长"), ("钱浏览", f"e2e-{size}-2", "团员"),
              ("孙浏览", f"e2e-{size}-3", "团员")]
    roster = tmp_path / f"roster-{size}.xlsx"
    book = Workbook()
    book.active.append(["姓名", "用户名", "所属组织", "角色", "手机号"])
    for name, username, role in people:
        book.active.append([name, username, path, role, None])
    book.save(roster)
    login(page, "admin")

    nav_to(page, "花名册导入")
    expect(page.get_by_role("heading", level=1)).to_have_text("花名册导入")
    check_page(page, "roster-upload")
    preflight(page, "花名册文件（CSV 或 XLSX）", roster)
    expect(page.locator("[data-summary=new]")).to_have_text("3")
    expect(page.get_by_role("listitem").filter(has_text=path)).to_be_visible()
    check_page(page, "roster-plan")
    page.get_by_role("button", name="立即导入").click()

    expect(page.get_by_role("alert").filter(has_text="花名册已导入。")).to_be_visible()
    credentials = page.locator("#credentials")
    for name, username, _role in people:
        expect(credentials.get_by_role("row").filter(has_text=username)).to_contain_text(name)
    check_page(page, "roster-imported")

    # The new group in the organisation tree, and its members.
    nav_to(page, "组织架构")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=group, exact=True))
    row.get_by_role("link", name="3", exact=True).click()
    expect(page.get_by_text("共找到 3 人")).to_be_visible()
    for name, username, _role in people:
        line = page.get_by_role("row").filter(has_text=username)
        expect(line).to_contain_text(name)
        expect(line).to_contain_text(path)
    leader = page.get_by_role("row").filter(has_text=people[0][1])
    expect(leader).to_contain_text("负责人")
    check_page(page, "unit-members")


def preflight(page, field: str, path) -> None:
    """Upload `path` through the file field labelled `field` for the 预检 (the check before an
    import), and land on its result with no error found."""
    page.get_by_label(field).set_input_files(path)
    page.get_by_role("button", name="检查文件（预检）").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{path.name} 预检结果")
    expect(page.locator("[data-summary=errors]")).to_have_text("0")
