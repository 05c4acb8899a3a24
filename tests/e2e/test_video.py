"""A member watches the demo's weekly video in the browser (issue 20): the player plays our own
file, the page reports heartbeats, the server credits what was played, the share rises and the
module completes; on return the page says so.

The demo (courses/series/demo.py) has 「青年大学习」 with a generated 4-second clip in each of
three weekly periods, rule "watched"; this week's period (第3期「学思践悟新思想」) is open, and
m005 / m014 have not watched it (they are in no other browser flow). The clip is let to play to
its end at normal speed, muted: the server credits at most 2× the wall time, so nothing faster
would count.
"""

from playwright.sync_api import expect

from tests.e2e.browser import login, shot

MODULE = "学思践悟新思想"
MEMBERS = {"phone": "m005", "desktop": "m014"}


def test_member_watches_the_weekly_video_and_the_module_completes(page):
    login(page, MEMBERS[page.viewport_name])
    page.get_by_role("link", name=MODULE).first.click()
    expect(page.get_by_role("heading", name=MODULE, level=1)).to_be_visible()
    progress = page.locator("#video-progress")
    expect(progress).to_have_attribute("value", "0")
    video = page.locator("article video").first
    expect(video).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], "the player does not fit the screen"
    video.scroll_into_view_if_needed()
    # Autoplay rules let a muted player start from a script; a person taps play instead.
    video.evaluate("v => { v.muted = true; return v.play(); }")
    # Wait on what the page shows from the server's answers: the share rises to the end.
    expect(page.locator("#video-watched")).to_have_text("已完成，可以继续学习。", timeout=20_000)
    # The browser's end and the server's probed length differ by a frame or so: 99% or 100%.
    assert int(progress.get_attribute("value")) >= 90
    assert video.evaluate("v => v.ended")
    shot(page, "video-watched")

    page.reload()
    expect(page.locator("#completion")).to_contain_text("完成。")
    assert int(page.locator("#video-progress").get_attribute("value")) >= 90
