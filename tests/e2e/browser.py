"""What the browser flows share: the watch on every page, screenshots, logging in, and the checks
every main page must pass (no sideways scrolling on a phone, every control labelled, axe-core).
"""

from pathlib import Path
from urllib.parse import urlsplit

from learning.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}

# Controls a person fills in or chooses; each needs a name a screen reader can read out.
UNLABELLED_CONTROLS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]),'
    + 'select, textarea')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby') && !el.title)
  .map(el => el.outerHTML.slice(0, 160))"""

SIDEWAYS = """() => ({page: document.documentElement.scrollWidth,
                     view: document.documentElement.clientWidth})"""


class Watch:
    """Collects console errors, script errors and requests to other hosts of one context."""

    def __init__(self, base: str) -> None:
        self.origin = urlsplit(base).netloc
        self.errors: list[str] = []
        self.foreign: list[str] = []

    def route(self, route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).netloc == self.origin:
            route.continue_()
        else:  # never let a page reach another host, and remember that it tried
            self.foreign.append(url)
            route.abort()

    def console(self, message) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} at {message.location.get('url')}")

    def page_error(self, error) -> None:
        self.errors.append(f"uncaught: {error}")


def shot(page, name: str) -> Path:
    """A full-page screenshot in test-artifacts/e2e/, named after the test and `name`."""
    path = ARTIFACTS / f"{page.artifact_prefix}-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the form, as a person would, and land on the home page."""
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)


def check_page(page, name: str) -> None:
    """The checks of every main page, then a screenshot named `name`:

    * at phone width nothing is wider than the screen (no sideways scrolling);
    * every form control has a label (or aria-label / aria-labelledby / title);
    * axe-core, loaded from node_modules into the page, finds no serious or critical violation.
    """
    page.wait_for_load_state("load")
    width = page.evaluate(SIDEWAYS)
    if page.viewport_name == "phone":
        assert width["page"] <= width["view"], (
            f"{name}: {width['page']} px wide on a {width['view']} px phone screen "
            f"(scrolls sideways): {_widest(page)}")
    unlabelled = page.evaluate(UNLABELLED_CONTROLS)
    assert not unlabelled, f"{name}: controls without a label: {unlabelled}"
    violations = axe(page)
    assert not violations, f"{name}: axe-core found: {violations}"
    shot(page, name)


def axe(page) -> list[str]:
    """Serious and critical axe-core violations of the page, one line each.

    The script is evaluated through the DevTools protocol, so the app's CSP (scripts from our
    own host only) needs no exception and no request leaves the page.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
            for v in result if v["impact"] in SERIOUS]


def _widest(page) -> list[str]:
    """The elements that stick out past the right edge (to say what to fix)."""
    return page.evaluate("""() => {
        const w = document.documentElement.clientWidth;
        return [...document.querySelectorAll('body *')]
          .filter(el => el.getBoundingClientRect().right > w + 1)
          .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                               + ' ' + Math.round(el.getBoundingClientRect().right) + 'px');
    }""")


def nav_to(page, name: str) -> None:
    """Follow the main navigation's link `name`, opening the menu first where it is folded
    away (on a phone), and the dropdown it is grouped in, as a person would."""
    menu = page.get_by_role("navigation", name="主导航")
    toggler = menu.get_by_role("button", name="菜单")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
    link = menu.get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        folded = menu.locator(".dropdown").filter(
            has=page.get_by_role("link", name=name, exact=True, include_hidden=True))
        folded.locator(".dropdown-toggle").click()
    link.click()
