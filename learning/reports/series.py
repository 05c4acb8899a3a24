"""The figures section of a weekly series' page: each period's 参学率 over time at the series'
unit. Registered in app.extensions["series_sections"] (courses.series cannot import reports);
three queries for all the periods together (figures.trend), none per period."""

from flask import url_for

from learning.permissions import can_view_report
from learning.reports import charts, figures
from learning.reports.services import target_rate


def series_section(user, series):
    """(template, context) of the series' trend and per-period table, or None for a viewer
    who may not see the unit's reports or a series without periods."""
    if not series.periods or not can_view_report(user, series.unit):
        return None
    periods = list(series.periods)
    found = figures.trend([p.assignment for p in periods], series.unit)
    lines = [(p, f.figures, url_for("reports.period", assignment_id=p.assignment_id,
                                   unit_id=series.unit_id))
             for p, f in zip(periods, found, strict=True)]
    trend = charts.rate_trend([(p.assignment.title, f.rate, p.module.title)
                               for p, f, _url in lines], target=target_rate())
    return "reports/_series.html", {"lines": lines, "trend": trend, "target": target_rate()}
