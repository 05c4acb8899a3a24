"""Report charts and tables read at both sizes (issue 18, item 2): chart text keeps 12-16 CSS px
on a 375 px phone and a 1366 px screen (it never scales with a picture), the target line is drawn
and labelled, report tables stack into cards on the phone, and no page scrolls sideways.

Read-only: a branch leader opens the unit report, a period report and a quiz's statistics.
"""

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import check_page, login, nav_to

# The rendered size of every piece of chart text: HTML text and SVG <text>, the latter measured
# on the screen (bounding box against the text's own box), so a viewBox's scaling would show.
CHART_TEXT_PX = """() => [...document.querySelectorAll('.chart')].flatMap(chart => {
  const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).display !== 'none';
  const svg = [...chart.querySelectorAll('svg text')].filter(t => shown(t) && t.textContent.trim())
    .map(t => { const box = t.getBBox(), rect = t.getBoundingClientRect();
                const scale = box.height ? rect.height / box.height : 1;
                return parseFloat(getComputedStyle(t).fontSize) * scale; });
  const html = [...chart.querySelectorAll('span, a, div')].filter(el => shown(el)
      && [...el.childNodes].some(n => n.nodeType === 3 && n.data.trim()))
    .map(el => parseFloat(getComputedStyle(el).fontSize));
  return svg.concat(html);
})"""

SIDEWAYS = """() => document.documentElement.scrollWidth - document.documentElement.clientWidth"""


def _charts_readable(page, what: str) -> None:
    """Every chart's text is 12-16 px and the page does not scroll sideways."""
    sizes = page.evaluate(CHART_TEXT_PX)
    assert sizes, f"{what}: no chart text found"
    assert min(sizes) >= 12 and max(sizes) <= 16.5, f"{what}: chart text sizes {sorted(set(sizes))}"
    assert page.evaluate(SIDEWAYS) <= 0, f"{what}: scrolls sideways"


@pytest.mark.usefixtures("live_server")
def test_report_charts_and_tables_are_readable_at_both_sizes(page):
    login(page, "zhishu1")
    nav_to(page, "报表")
    expect(page.locator(".chart-bars")).to_be_visible()
    _charts_readable(page, "unit report")
    target = page.locator(".chart-bars .chart-target-label")
    expect(target).to_have_text("目标 80%")
    bars = page.locator(".chart-bars .chart-bars-row:not(.chart-bars-head)")
    assert page.locator(".chart-bars line.chart-target").count() == bars.count() > 0
    check_page(page, "charts-unit-report")

    page.get_by_role("link", name="第1期", exact=True).click()
    expect(page.locator(".chart-bars")).to_be_visible()
    _charts_readable(page, "period report")
    units = page.get_by_role("table", name="组织")
    rate = units.locator("tbody tr").first.locator(".cell-rate")
    display = units.locator("tbody tr").first.evaluate("tr => getComputedStyle(tr).display")
    if page.viewport_name == "phone":
        # A card: the unit's name on top, its rate large beside it, the other figures labelled.
        assert display == "flex"
        assert float(rate.evaluate("td => getComputedStyle(td).fontSize").removesuffix("px")) >= 19
        assert units.locator("thead").evaluate("el => el.getBoundingClientRect().width") <= 1
    else:
        assert display == "table-row"
    check_page(page, "charts-period-report")

    # The statistics of the period's quizzes are linked from it (folded when there are several).
    page.goto(page.locator("a[href*='/statistics']").first.get_attribute("href"))
    expect(page.locator(".chart-distribution svg")).to_be_visible()
    assert page.locator(".chart-distribution svg").get_attribute("viewBox") is None
    _charts_readable(page, "quiz statistics")
    check_page(page, "charts-statistics")
