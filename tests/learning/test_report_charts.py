"""The report charts: bar and trend geometry (pure), and the SVG the macros draw from it."""

import re

import pytest
from flask import render_template_string, session
from pytest import approx
from sqlalchemy import select

from courses import progress
from courses.models import Assignment
from learning.extensions import db
from learning.orgs.models import OrgUnit
from learning.reports import figures
from learning.reports.charts import (
    BELOW,
    MET,
    percent,
    rate_bars,
    rate_trend,
    text_width,
    truncate,
)
from tests.conftest import login


def bars(*rates, target=0.8):
    """A bar chart for units U0, U1 ... with these rates."""
    return rate_bars([(f"U{i}", rate, i + 1, None) for i, rate in enumerate(rates)], target)


# Bars ---------------------------------------------------------------------------------------

def test_bar_lengths_are_the_rate_as_a_share_of_the_plot():
    chart = bars(0.0, 0.25, 0.5, 1.0)
    assert [row.bar_percent for row in chart.rows] == [0, 25, 50, 100]
    assert [row.rate_text for row in chart.rows] == ["0%", "25%", "50%", "100%"]
    assert bars(1.7).rows[0].bar_percent == 100  # never past the plot


def test_target_line_sits_at_the_target_share_of_the_plot_with_its_label_inside():
    assert bars(0.5).target_percent == 80
    assert bars(0.5, target=0.6).target_percent == 60
    assert bars(0.5).target_text == "80%"
    assert bars(0.5, target=0.825).target_text == "82.5%"
    # "Target 80%" hangs to the left of a line near the right edge, so it stays in the plot.
    assert [bars(0.5, target=t).target_anchor for t in (0.8, 0.5, 0.1)] == [
        "end", "middle", "start"]


def test_colour_and_mark_split_at_the_target_with_exactly_at_target_met():
    below, exact, above = bars(0.79, 4 / 5, 0.9).rows
    assert (below.met, below.colour) == (False, BELOW)
    assert (exact.met, exact.colour) == (True, MET)
    assert (above.met, above.colour) == (True, MET)
    assert MET != BELOW


def test_a_unit_without_roster_shows_a_dash_and_no_bar():
    (row,) = rate_bars([("空小组", None, None, "/r/1")]).rows
    assert (row.rate_text, row.bar_percent, row.met, row.rank_text) == ("—", 0, False, "")
    assert row.url == "/r/1"


def test_rows_keep_order_rank_url_and_the_whole_name():
    name = "某某大学团委第一团总支第三团支部第一学习小组"
    chart = rate_bars([("甲", 0.9, 1, "/a"), (name, 0.5, 12, "/b")])
    # The page wraps or cuts a long name with CSS; the geometry keeps it whole.
    assert [(r.label, r.rank_text, r.url) for r in chart.rows] == [("甲", "#1", "/a"),
                                                                  (name, "#12", "/b")]


def test_truncate_measures_wide_characters_wider():
    # At 13 units a letter takes 7.8, a Chinese character (and "…") 13.
    assert truncate("abcdefghij", 60) == "abcdef…"
    assert truncate("一二三四五六", 60) == "一二三…"
    assert truncate("abcdefg", 60) == "abcdefg"
    assert truncate("短", 60) == "短"


def test_percent_floors_so_a_unit_below_the_target_never_shows_it():
    assert percent(0.799) == "79%"
    assert percent(0.29) == "29%"  # 0.29 * 100 is 28.999... in floating point
    assert percent(0.999) == "99%"
    assert percent(1) == "100%"
    assert percent(None) == "—"


# Trend --------------------------------------------------------------------------------------

def test_trend_maps_rates_to_heights_between_the_gridlines():
    chart = rate_trend([("一期", 0.0), ("二期", 0.5), ("三期", 1.0)])
    grid = dict((text, y) for y, text in chart.gridlines)
    assert list(grid) == ["0%", "50%", "100%"]
    assert [p.y for p in chart.points] == [grid["0%"], grid["50%"], grid["100%"]]
    assert grid["0%"] == chart.bottom and grid["100%"] == chart.top
    assert chart.target_y == approx(chart.bottom - 0.8 * (chart.bottom - chart.top), abs=0.1)
    p = chart.points
    assert chart.segments == [(p[0].x, p[0].y, p[1].x, p[1].y), (p[1].x, p[1].y, p[2].x, p[2].y)]
    # x is a share of the plot's width: the middle of each period's slot.
    assert [pt.x for pt in p] == approx([100 / 6, 50, 500 / 6], abs=0.01)


def test_a_period_without_a_rate_breaks_the_line():
    chart = rate_trend([("1", 0.5), ("2", 0.6), ("3", None), ("4", 0.7), ("5", None),
                        ("6", 0.8), ("7", 0.9)])
    p = chart.points
    assert p[2].y is None and p[2].rate_text == "—"
    # Two lines: 1-2 and 6-7; point 4 stands alone between gaps, drawn as a dot only.
    assert chart.segments == [(p[0].x, p[0].y, p[1].x, p[1].y), (p[5].x, p[5].y, p[6].x, p[6].y)]
    assert p[3].y is not None


def test_a_single_point_is_a_dot_without_a_line():
    chart = rate_trend([("唯一一期", 0.6)])
    assert chart.segments == []
    (point,) = chart.points
    assert point.x == 50 and point.y is not None
    assert point.wide.text == point.narrow.text == "唯一一期"
    assert chart.values_wide and chart.values_narrow


def test_many_periods_show_every_kth_label_so_they_do_not_overlap_wide_or_narrow():
    chart = rate_trend([(f"第{i}期学习任务", 0.5) for i in range(1, 31)])
    for kind, most, plot_px in (("wide", 8, 480), ("narrow", 4, 250)):
        shown = [getattr(p, kind) for p in chart.points if getattr(p, kind)]
        assert 1 < len(shown) <= most
        assert chart.points[0].wide and chart.points[0].narrow
        # Each label starts at its slot and fits in the px it has before the next one.
        gap_px = (shown[1].x - shown[0].x) * plot_px / 100
        assert all(label.anchor == "start" for label in shown)
        assert all(text_width(label.text, 12) < gap_px for label in shown)
    assert not chart.values_wide and not chart.values_narrow
    assert all(p.y is not None for p in chart.points)  # thinning hides labels, not points
    seven = rate_trend([(str(i), 0.5) for i in range(7)])
    assert len(seven.segments) == 6
    assert all(p.wide and p.wide.anchor == "middle" for p in seven.points)
    # On a phone four labels at most: some are thinned out, and no values crowd the dots.
    assert not all(p.narrow for p in seven.points) and not seven.values_narrow


# Rendering ----------------------------------------------------------------------------------

TEMPLATE = """{% import "reports/_charts.html" as charts %}
<h2>B</h2>{{ charts.bars(bar_chart) }}
<h2>T</h2>{{ charts.trend(trend_chart) }}"""


def test_macros_draw_escaped_labels_links_and_the_target_without_outside_references(app):
    bar_chart = rate_bars([("<script>alert(1)</script>", 0.9, 1, "/reports/units/7?a=1&b=2"),
                           ("第二团支部", 0.5, 2, None), ("空小组", None, None, None)])
    trend_chart = rate_trend([("<b>一期</b>", 0.4), ("二期", None), ("三期", 0.85)])
    with app.test_request_context():
        session["lang"] = "en"
        html = render_template_string(TEMPLATE, bar_chart=bar_chart, trend_chart=trend_chart)
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;一期&lt;/b&gt;" in html
    assert 'href="/reports/units/7?a=1&amp;b=2"' in html
    # Pictures for pointer users only: hidden from assistive technology (no image role around
    # links), the links out of the keyboard order; the <details> tables carry the same.
    assert html.count('<div class="chart ') == html.count('aria-hidden="true"') == 2
    chart_links = re.findall(r'<a class="chart-bars-row"[^>]*>', html)
    assert 'role="img"' not in html and len(chart_links) == 1
    assert all('tabindex="-1"' in link for link in chart_links)
    assert "Target 80%" in html and 'class="chart-target"' in html
    assert "90% ✓" in html and "50% ✓" not in html
    assert "第二团支部" in html and "—" in html
    assert 'stroke="#0a58ca"' not in html  # 一期 and 三期 are split by the gap: dots only
    assert html.count("<circle") == 2
    assert html.count("<details") == 2
    assert "http" not in html and "xmlns" not in html
    assert not re.search(r"\sstyle=|<script", html)  # the CSP allows neither


# Periods told apart (issue 17) ----------------------------------------------------------------


def test_trend_points_may_carry_a_detail_line_that_grows_the_chart():
    plain = rate_trend([("第1期", 0.5), ("第2期", 0.6)])
    chart = rate_trend([("第1期", 0.5, "制度自信专题"), ("第2期", 0.6, "第一团支部 · 回信精神")])
    assert chart.height > plain.height and chart.detail_y > chart.label_y
    assert chart.bottom == plain.bottom  # the plot keeps its size
    assert [p.detail for p in chart.points] == ["制度自信专题", "第一团支部 · 回信精神"]
    assert all(p.wide.detail and p.narrow.detail for p in chart.points)
    assert not any(p.detail or p.wide.detail for p in plain.points)
    many = rate_trend([(f"第{i}期", 0.5, f"很长很长的专题名称第{i}期") for i in range(30)])
    for kind in ("wide", "narrow"):  # thinned alike, and cut to the label's room
        labels = [getattr(p, kind) for p in many.points]
        assert all(label is None or label.detail for label in labels)
        assert all(text_width(label.detail, 12) <= 140 for label in labels if label)


def test_the_trend_macro_draws_the_detail_under_the_label_and_in_its_table(app):
    chart = rate_trend([("第1期", 0.5, "<i>专题</i>"), ("第2期", 0.7, "第一团支部 · 回信")])
    with app.test_request_context():
        session["lang"] = "en"
        html = render_template_string(
            '{% import "reports/_charts.html" as charts %}{{ charts.trend(chart) }}',
            chart=chart)
    assert "<i>" not in html and "&lt;i&gt;专题&lt;/i&gt;" in html
    assert f'y="{chart.detail_y}"' in html
    assert '<small class="text-muted">第一团支部 · 回信</small>' in html
    assert "第2期: 70% (第一团支部 · 回信)" in html


@pytest.fixture
def periods(app, org, make_user, make_course, make_assignment):
    """The committee's own period, a branch's own period and a group's own period."""
    org.member_b = make_user("member_b", name="成员乙", units=[(org.group_b, "member")])
    org.course = make_course("制度自信专题")
    org.branch_course = make_course("支部读书专题", modules=1)
    org.own = make_assignment(org.course, org.committee, title="第1期")
    org.earlier = make_assignment(org.course, org.committee, title="第0期", starts_in_days=-9,
                                  due_in_days=-2)
    org.branch = make_assignment(org.branch_course, org.branch_a, title="支部第3期",
                                 module_id=org.branch_course.module_ids[0])
    org.group = make_assignment(org.branch_course, org.group_a, title="小组自学")
    with app.app_context():  # the branch's own study is done: it must not lift the committee
        progress.complete(org.member.id, org.branch_course.module_ids[0], "reading")
        db.session.commit()
    return org


def _figures(row) -> list:
    return [row.roster, row.completed, row.rate]


def test_a_committee_sees_sub_units_periods_apart_and_never_summed(app, client, periods):
    o = periods
    login(client, "admin")
    page = client.get(f"/reports/units/{o.committee.id}?from=2000-01-01&to=2100-01-01"
                      ).get_data(as_text=True)
    own, below = page.split('id="below-heading"')
    # Own periods: the course beside each, the trend over them with the course under each.
    assert "第0期" in own and "第1期" in own and "支部第3期" not in own
    assert own.count("制度自信专题") >= 2 and 'class="chart chart-trend"' in own
    # Sub-units' periods: apart, each with the unit it was assigned to and its course.
    assert "支部第3期" in below and "小组自学" in below and "第1期" not in below
    assert "第一团支部 / 第一学习小组" in below and "支部读书专题 · 第1单元" in below
    assert "第一团支部 · 支部读书专题 · 第1单元" in below  # the trend's detail line
    with app.app_context():
        committee = db.session.get(OrgUnit, o.committee.id)
        assignments = {a.id: a for a in db.session.scalars(select(Assignment))}
        mine = figures.range_report([assignments[o.earlier.id], assignments[o.own.id]],
                                    committee)[0]
        mixed = figures.range_report(list(assignments.values()), committee)[0]
    # The child units' rows are those of the committee's own periods only.
    assert _figures(mine.children[0]) != _figures(mixed.children[0])
    api = client.get(f"/api/v1/reports/units/{o.committee.id}?from=2000-01-01&to=2100-01-01"
                     ).get_json()
    assert [p["assignment"]["id"] for p in api["assignments"]] == [o.earlier.id, o.own.id]
    assert [p["unit_label"] for p in api["assignments"]] == [None, None]
    assert [(p["assignment"]["id"], p["unit_label"], p["course"])
            for p in api["sub_unit_assignments"]] == [
        (o.branch.id, "第一团支部", "支部读书专题 · 第1单元"),
        (o.group.id, "第一团支部 / 第一学习小组", "支部读书专题")]
    assert [api["totals"][k] for k in ("roster", "completed")] == [
        mine.unit.roster, mine.unit.completed]
    assert [[c["roster"], c["completed"], c["rate"]] for c in api["children"]] == [
        _figures(row) for row in mine.children]
    # Each sub-unit's period has its own figures: the branch's study is done by its member.
    branch_period = api["sub_unit_assignments"][0]["totals"]
    assert branch_period["completed"] == 1


def test_at_the_branch_its_own_period_and_the_committees_are_both_its_own(app, client,
                                                                       periods):
    o = periods
    login(client, "leader_in")
    page = client.get(f"/reports/units/{o.branch_a.id}?from=2000-01-01&to=2100-01-01"
                      ).get_data(as_text=True)
    own, below = page.split('id="below-heading"')
    assert "支部第3期" in own and "第1期" in own
    assert "小组自学" in below and "第一学习小组" in below
    api = client.get(f"/api/v1/reports/units/{o.branch_a.id}?from=2000-01-01&to=2100-01-01"
                     ).get_json()
    assert {p["assignment"]["id"] for p in api["assignments"]} == {o.earlier.id, o.own.id,
                                                                  o.branch.id}
    assert [p["unit_label"] for p in api["sub_unit_assignments"]] == ["第一学习小组"]
