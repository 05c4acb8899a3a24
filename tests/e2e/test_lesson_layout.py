"""Lessons fit the screen (issue 18, item 1): the demo module with a 1600 px poster, a 30-column
table and a 300-character link opens without sideways scrolling, at phone and desktop size.

m003 (phone) and m012 (desktop) read that module earlier (courses/demo.py), so opening it again
changes nothing another flow counts on.
"""

from playwright.sync_api import expect

from tests.e2e.browser import check_page, login, nav_to

COURSE = "绽放战疫青春·坚定制度自信"
MODULE = "制度优势的体现"
READER = {"phone": "m003", "desktop": "m012"}


def test_poster_table_and_long_link_fit_the_screen(page):
    login(page, READER[page.viewport_name])
    nav_to(page, "我的学习")
    page.get_by_role("link", name=COURSE).first.click()
    page.locator(f'a:text-is("{MODULE}")').first.click()
    expect(page.get_by_role("heading", name=MODULE, level=1)).to_be_visible()

    poster = page.locator(".module-body a > img[alt^='学习海报']")
    expect(poster).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth === 1600",
                           arg=poster.element_handle())
    view = page.viewport_size["width"]
    assert poster.bounding_box()["width"] <= view  # scaled to the column, not 1600 px
    box = page.locator(".table-scroll").last
    sizes = box.evaluate("el => ({inner: el.scrollWidth, outer: el.clientWidth})")
    assert sizes["inner"] > sizes["outer"]  # the 30 columns scroll inside their box
    assert box.bounding_box()["width"] <= view
    check_page(page, "lesson-layout")  # and the page itself does not scroll sideways
    # Tapping the poster opens the file itself, full size.
    href = poster.locator("xpath=..").get_attribute("href")
    assert href == poster.get_attribute("src") and href.startswith("/files/")
