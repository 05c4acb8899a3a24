"""Mentions by name in the browser (issue 18, item 7): in the group thread's reply box, "@" and a
few letters list the people who may read the thread; the keyboard picks one (Enter) and the
posted mention shows the person's name.

m028 / m029 belong to 第三学习小组 (learning/demo.py), whose group thread is on the first module;
zhishu2 (「第二团支部书记」) leads the branch above it and may read it, zhishu1 may not.
"""

import re

from playwright.sync_api import expect

from tests.e2e.browser import check_page, login, nav_to
from tests.e2e.test_member import COURSE, FIRST_MODULE, GROUP_THREAD, member, study_item


def test_at_and_letters_offer_the_readers_and_enter_inserts_the_mention(page):
    login(page, member(page, "group_post"))
    nav_to(page, "我的学习")
    study_item(page).get_by_role("link", name=re.compile(COURSE)).click()
    page.locator(".course-outline").get_by_role("link", name=FIRST_MODULE).click()
    page.locator("#module-discussion").get_by_role("link", name=GROUP_THREAD).click()
    expect(page.get_by_role("heading", name=GROUP_THREAD, level=1)).to_be_visible()

    box = page.get_by_label("你的帖子")
    box.click()
    box.press_sequentially("请@zhis")
    options = page.get_by_role("listbox", name="可提及的人").get_by_role("option")
    expect(options).to_have_count(1)  # zhishu1 leads the other branch: not offered
    expect(options.first).to_contain_text("第二团支部书记")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-expanded", "true")
    check_page(page, "mention-list")
    box.press("Enter")
    expect(page.get_by_role("listbox", name="可提及的人")).to_be_hidden()
    expect(box).to_have_value("请@zhishu2 ")
    box.press_sequentially(f"看看（{page.viewport_name}）")
    page.get_by_role("button", name="发表").click()

    mine = page.locator("article.post").filter(has_text=f"看看（{page.viewport_name}）")
    expect(mine.locator(".mention")).to_have_text("@第二团支部书记")
