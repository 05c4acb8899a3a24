"""Chart geometry for the completion report: rates per child unit as bars, rates over periods.

Pure functions: numbers and short strings in, dataclasses of viewBox coordinates out. The macros
in `learning/templates/reports/_charts.html` draw them as inline SVG (no script and no inline
style, which the CSP forbids; no chart library, nothing from another host) and put every word
through `_()`, so nothing here needs an app or a locale.

Bars are horizontal: long Chinese unit names stay readable on a 375 px phone, and the chart grows
downwards with the number of units. Percentages are floored ("79%" for 79.9%), so a unit shown
with the target's percentage has reached it and 100% means that everyone has finished.
"""

import math
import unicodedata
from dataclasses import dataclass, field

WIDTH = 480  # viewBox width of both charts; the <svg> scales to its container
FONT = 13  # text size in viewBox units (about 10 px on a phone)
# Colours for graphics on white, both >= 3:1 contrast, blue and orange so that colour-blind
# readers tell them apart; the at-target bars also carry a ✓.
MET, BELOW, LINE = "#0a58ca", "#ca6510", "#0a58ca"

# Bars: rank column, label column, plot, then room for "100% ✓" after the longest bar.
_RANK_W, _LABEL_W, _END_W = 34, 150, 52
_BAR_TOP, _ROW_H, _BAR_H = 24, 26, 16
# Trend: the target's legend above the plot (never over the line), y labels at the left,
# period labels under the plot, and under them a line of details (course, unit) when given.
_T_LEFT, _T_RIGHT, _T_TOP, _T_HEIGHT, _T_LABELS = 44, WIDTH - 10, 32, 240, 7
_T_DETAIL = 16  # the extra height of the details line


@dataclass
class BarRow:
    """One unit's bar: its texts and where to draw them."""

    label: str  # truncated to the label column
    full_label: str
    rate_text: str  # "83%", or "—" without a roster
    rank_text: str  # "#1", or ""
    url: str | None
    met: bool  # at or above the target
    colour: str
    y: float  # text baseline
    bar_y: float
    bar_width: float  # 0 when there is no rate
    value_x: float  # where the percentage starts


@dataclass
class BarChart:
    """Horizontal bars, one per child unit, with a dashed target line."""

    width: int
    height: float
    rank_x: float
    label_x: float  # labels end here (text-anchor end)
    plot_left: float
    plot_right: float
    bar_height: float
    target_x: float
    target_text: str  # "80%"
    top: float
    bottom: float
    rows: list[BarRow] = field(default_factory=list)


@dataclass
class TrendPoint:
    """One period on the trend: its x, and its dot unless it has no rate."""

    label: str  # the full period title
    short: str  # truncated x label; "" when thinned out
    rate_text: str
    x: float
    y: float | None  # None: no rate, a gap in the line
    detail: str = ""  # what the period is about: course, and the unit it was assigned to
    short_detail: str = ""  # truncated, under the x label; "" when thinned out


@dataclass
class TrendChart:
    """A line of rates over periods with 0/50/100% gridlines and a dashed target line."""

    width: int
    height: float
    left: float
    right: float
    top: float
    bottom: float
    label_y: float
    detail_y: float
    legend_y: float
    gridlines: list[tuple[float, str]]
    target_y: float
    target_text: str
    segments: list[str]  # polyline "x,y x,y" strings, one per run without gaps
    points: list[TrendPoint]
    show_values: bool  # values above the dots when every period is labelled
    colour: str = LINE


def percent(rate: float | None) -> str:
    """A rate 0..1 as a whole, floored percentage ("83%"), or "—" for no rate."""
    if rate is None:
        return "—"
    # The epsilon keeps 0.29 * 100 = 28.999... at 29.
    return f"{math.floor(rate * 100 + 1e-9)}%"


def text_width(text: str, size: float = FONT) -> float:
    """A generous estimate of a text's width: wide (CJK) characters 1 em, others 0.6 em."""
    # Ambiguous ones ("…", "—", "·") are full width in the Chinese fonts most readers have.
    return sum(size if unicodedata.east_asian_width(c) in "WFA" else 0.6 * size for c in text)


def truncate(text: str, width: float, size: float = FONT) -> str:
    """The text, cut and ended with "…" if it is wider than `width`."""
    if text_width(text, size) <= width:
        return text
    room = width - text_width("…", size)
    kept = ""
    for char in text:
        if text_width(kept + char, size) > room:
            break
        kept += char
    return kept + "…"


def rate_bars(rows, target: float = 0.8) -> BarChart:
    """Bars for (label, rate 0..1 or None, rank or None, url or None) rows, in the given order."""
    plot_left = _RANK_W + _LABEL_W
    plot_right = WIDTH - _END_W
    span = plot_right - plot_left
    chart = BarChart(
        width=WIDTH, height=_BAR_TOP + len(rows) * _ROW_H + 6, rank_x=0,
        label_x=plot_left - 6, plot_left=plot_left, plot_right=plot_right, bar_height=_BAR_H,
        target_x=round(plot_left + span * min(max(target, 0), 1), 1),
        target_text=f"{target * 100:g}%", top=_BAR_TOP - 4,
        bottom=_BAR_TOP + len(rows) * _ROW_H)
    for index, (label, rate, rank, url) in enumerate(rows):
        row_top = _BAR_TOP + index * _ROW_H
        bar_width = round(span * min(max(rate, 0), 1), 1) if rate is not None else 0
        met = rate is not None and rate >= target
        chart.rows.append(BarRow(
            label=truncate(label, _LABEL_W - 10), full_label=label, rate_text=percent(rate),
            rank_text=f"#{rank}" if rank is not None else "", url=url, met=met,
            colour=MET if met else BELOW, y=row_top + _ROW_H / 2 + FONT * 0.35,
            bar_y=row_top + (_ROW_H - _BAR_H) / 2, bar_width=bar_width,
            value_x=round(plot_left + bar_width + 4, 1)))
    return chart


def rate_trend(points, target: float = 0.8) -> TrendChart:
    """A trend line for (period label, rate 0..1 or None) points in time order; a point may
    carry a third item, its detail (the course, the unit), drawn as a second line under the
    label (the chart grows by that line)."""
    points = [(point[0], point[1], point[2] if len(point) > 2 else "") for point in points]
    details = any(detail for _label, _rate, detail in points)
    height = _T_HEIGHT + (_T_DETAIL if details else 0)
    bottom = _T_HEIGHT - 34
    plot_h = bottom - _T_TOP

    def y_of(rate: float) -> float:
        """The height of a rate on the plot, 0 at the bottom."""
        return round(bottom - plot_h * min(max(rate, 0), 1), 1)

    slot = (_T_RIGHT - _T_LEFT) / max(len(points), 1)
    # Show every k-th period title so that at most _T_LABELS of them share the axis.
    step = max(1, math.ceil(len(points) / _T_LABELS))
    label_room = min(step * slot - 6, 120)
    chart = TrendChart(
        width=WIDTH, height=height, left=_T_LEFT, right=_T_RIGHT, top=_T_TOP, bottom=bottom,
        label_y=bottom + 18, detail_y=bottom + 18 + _T_DETAIL, legend_y=12,
        gridlines=[(y_of(r), percent(r)) for r in (0, 0.5, 1)],
        target_y=y_of(target), target_text=f"{target * 100:g}%", segments=[], points=[],
        show_values=step == 1)
    runs: list[list[str]] = [[]]
    for index, (label, rate, detail) in enumerate(points):
        x = round(_T_LEFT + (index + 0.5) * slot, 1)
        y = y_of(rate) if rate is not None else None
        shown = index % step == 0
        short = truncate(label, label_room, FONT - 1) if shown else ""
        short_detail = truncate(detail, label_room, FONT - 2) if shown and detail else ""
        chart.points.append(TrendPoint(label, short, percent(rate), x, y, detail, short_detail))
        if y is None:
            runs.append([])  # a period without a rate breaks the line
        else:
            runs[-1].append(f"{x},{y}")
    # A lone point between gaps has no line, only its dot.
    chart.segments = [" ".join(run) for run in runs if len(run) >= 2]
    return chart
