"""Chart geometry for the completion report: rates per child unit as bars, rates over periods.

Pure functions: numbers and short strings in, dataclasses out. The macros in
`learning/templates/reports/_charts.html` draw them (no script and no inline style, which the
CSP forbids; no chart library, nothing from another host) and put every word through `_()`, so
nothing here needs an app or a locale.

Text never scales with the picture (issue 18): a viewBox would shrink 13 units of text to 7 px
on a phone. So the bars are HTML rows (rank, name and rate as page text) with a small SVG per
bar, and the trend is an SVG without a viewBox: horizontal places are percentages of its width,
vertical ones CSS pixels, and its text is sized in CSS pixels by app.css. Period labels come in
two sets, thinned for a wide plot and for a phone's, and app.css shows the one that fits.

Bars are horizontal: long Chinese unit names stay readable on a 375 px phone, and the chart grows
downwards with the number of units. Percentages are floored ("79%" for 79.9%), so a unit shown
with the target's percentage has reached it and 100% means that everyone has finished.
"""

import math
import unicodedata
from dataclasses import dataclass, field

FONT = 13  # CSS px of chart text (app.css `.chart`), used to estimate label widths
# Colours for graphics on white, both >= 3:1 contrast, blue and orange so that colour-blind
# readers tell them apart; the at-target bars also carry a ✓.
MET, BELOW, LINE = "#0a58ca", "#ca6510", "#0a58ca"

# Trend, in CSS px: the target's legend above the plot (never over the line), the plot, period
# labels under it and under them a line of details (course, unit) when given.
_T_TOP, _T_PLOT, _T_LABEL_GAP, _T_DETAIL = 30, 150, 18, 16
# The narrowest plot each label set must fit (px): a 320 px phone less padding and the y axis,
# and the smallest "wide" layout (576 px); at most this many labels share the axis.
_NARROW_PX, _WIDE_PX = 250, 480
_NARROW_LABELS, _WIDE_LABELS = 4, 8
_LABEL_MAX = 140  # px: a label never takes more than this, however few periods there are


@dataclass
class BarRow:
    """One unit's bar: its texts and the bar's length as a share of the plot."""

    label: str
    rate_text: str  # "83%", or "—" without a roster
    rank_text: str  # "#1", or ""
    url: str | None
    met: bool  # at or above the target
    colour: str
    bar_percent: float  # 0..100 of the plot's width; 0 when there is no rate


@dataclass
class BarChart:
    """Horizontal bars, one per child unit, with a dashed target line at `target_percent`."""

    target_percent: float  # 0..100 of the plot's width
    target_text: str  # "80%"
    target_anchor: str  # where the target's label hangs off the line: start, middle, end
    rows: list[BarRow] = field(default_factory=list)


@dataclass
class AxisLabel:
    """A period's label under the trend's axis, in one of the two label sets."""

    x: float  # percent of the plot's width
    anchor: str  # SVG text-anchor: middle under its dot, start when it spans thinned slots
    text: str
    detail: str = ""


@dataclass
class TrendPoint:
    """One period on the trend: its x, its dot unless it has no rate, and its labels."""

    label: str  # the full period title
    rate_text: str
    x: float  # percent of the plot's width
    y: float | None  # px from the top; None: no rate, a gap in the line
    detail: str = ""  # what the period is about: course, and the unit it was assigned to
    wide: AxisLabel | None = None  # its label on a wide plot; None when thinned out
    narrow: AxisLabel | None = None  # its label on a phone


@dataclass
class TrendChart:
    """A line of rates over periods with 0/50/100% gridlines and a dashed target line."""

    height: float  # px
    top: float
    bottom: float
    label_y: float
    detail_y: float
    legend_y: float
    gridlines: list[tuple[float, str]]
    target_y: float
    target_text: str
    segments: list[tuple[float, float, float, float]]  # x1% y1 x2% y2, between adjacent dots
    points: list[TrendPoint]
    values_wide: bool  # values above the dots on a wide plot (when every period is labelled)
    values_narrow: bool  # ... and on a phone
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


def _clamp(rate: float) -> float:
    return min(max(rate, 0), 1)


def rate_bars(rows, target: float = 0.8) -> BarChart:
    """Bars for (label, rate 0..1 or None, rank or None, url or None) rows, in the given order."""
    target_percent = round(100 * _clamp(target), 2)
    # The label "Target 80%" is centred on the line unless that would push it out of the plot.
    anchor = "end" if target_percent > 75 else "start" if target_percent < 25 else "middle"
    chart = BarChart(target_percent=target_percent, target_text=f"{target * 100:g}%",
                     target_anchor=anchor)
    for label, rate, rank, url in rows:
        met = rate is not None and rate >= target
        chart.rows.append(BarRow(
            label=label, rate_text=percent(rate), rank_text=f"#{rank}" if rank is not None else "",
            url=url, met=met, colour=MET if met else BELOW,
            bar_percent=round(100 * _clamp(rate), 2) if rate is not None else 0))
    return chart


def _axis_labels(points, plot_px: float, most: int) -> tuple[list[AxisLabel | None], bool]:
    """Labels of every k-th period so that at most `most` share a plot `plot_px` wide, each cut
    to its room; and whether every period got one."""
    count = max(len(points), 1)
    slot = 100 / count
    step = max(1, math.ceil(len(points) / most))
    room = min(step * plot_px / count - 8, _LABEL_MAX)
    labels: list[AxisLabel | None] = []
    for index, (label, _rate, detail) in enumerate(points):
        if index % step:
            labels.append(None)
            continue
        # A label given the room of several slots starts at its own slot, so the first one is
        # not cut off at the plot's left edge.
        x, anchor = ((index + 0.5) * slot, "middle") if step == 1 else (index * slot, "start")
        labels.append(AxisLabel(round(x, 2), anchor, truncate(label, room, FONT - 1),
                                truncate(detail, room, FONT - 1) if detail else ""))
    return labels, step == 1


def rate_trend(points, target: float = 0.8) -> TrendChart:
    """A trend line for (period label, rate 0..1 or None) points in time order; a point may
    carry a third item, its detail (the course, the unit), drawn as a second line under the
    label (the chart grows by that line)."""
    points = [(point[0], point[1], point[2] if len(point) > 2 else "") for point in points]
    details = any(detail for _label, _rate, detail in points)
    bottom = _T_TOP + _T_PLOT
    label_y = bottom + _T_LABEL_GAP

    def y_of(rate: float) -> float:
        """The height of a rate on the plot, 0 at the bottom."""
        return round(bottom - _T_PLOT * _clamp(rate), 1)

    wide, all_wide = _axis_labels(points, _WIDE_PX, _WIDE_LABELS)
    narrow, all_narrow = _axis_labels(points, _NARROW_PX, _NARROW_LABELS)
    slot = 100 / max(len(points), 1)
    chart = TrendChart(
        height=label_y + (_T_DETAIL if details else 0) + 6, top=_T_TOP, bottom=bottom,
        label_y=label_y, detail_y=label_y + _T_DETAIL, legend_y=14,
        gridlines=[(y_of(r), percent(r)) for r in (0, 0.5, 1)],
        target_y=y_of(target), target_text=f"{target * 100:g}%", segments=[], points=[],
        values_wide=all_wide, values_narrow=all_narrow)
    previous = None
    for index, (label, rate, detail) in enumerate(points):
        x = round((index + 0.5) * slot, 2)
        y = y_of(rate) if rate is not None else None
        chart.points.append(TrendPoint(label, percent(rate), x, y, detail, wide[index],
                                       narrow[index]))
        # A period without a rate breaks the line; a lone dot between gaps has no line.
        if y is not None and previous is not None:
            chart.segments.append((previous[0], previous[1], x, y))
        previous = (x, y) if y is not None else None
    return chart
