"""A unit's date-range overview: its own periods and its sub-units' periods, told apart.

A period assigned to the unit or to a unit above it is studied by everyone counted here: those
are the unit's own periods, summed into its totals and its child units' rows. A period a
sub-unit assigned itself (a branch's own 第3期) is a different study that only that sub-unit's
people have: it is listed apart, labelled with the unit, and never added to the unit's rows.
"""

from dataclasses import dataclass, field
from datetime import datetime

from courses.models import Assignment
from learning.extensions import db
from learning.orgs.models import OrgUnit
from learning.orgs.services import unit_paths
from learning.reports import figures
from learning.reports.services import assignments_select


@dataclass
class PeriodLine:
    """One period of the overview with its figures at the viewed unit and its labels."""

    assignment: Assignment
    figures: figures.UnitFigures
    title: str  # the period's title, else its course
    course: str  # course, and module when one module was assigned
    unit_path: str  # the assigned unit, full path 「团委 / 一支部」
    unit_label: str | None  # below the viewed unit: its path from there; else None

    @property
    def below(self) -> bool:
        return self.unit_label is not None


@dataclass
class Overview:
    """The viewed unit's own periods summed over its child units, and its sub-units' periods."""

    report: figures.UnitReport  # over the own periods only
    own: list[PeriodLine] = field(default_factory=list)
    below: list[PeriodLine] = field(default_factory=list)


def course_label(assignment: Assignment) -> str:
    """「专题 · 单元」 when one module was assigned, else the course."""
    if assignment.module is not None:
        return f"{assignment.course.title} · {assignment.module.title}"
    return assignment.course.title


def range_overview(unit: OrgUnit, start: datetime, end: datetime) -> Overview:
    """The periods due in [start, end) that concern `unit`, split into its own (assigned at
    or above it) and its sub-units' (assigned below it), each with its figures at `unit`
    (7 queries)."""
    assignments = list(db.session.scalars(assignments_select(unit, start, end)))
    own = [a for a in assignments if unit.path.startswith(a.unit.path)]
    below = [a for a in assignments if not unit.path.startswith(a.unit.path)]
    report, own_periods = figures.range_report(own, unit)
    below_periods = figures.trend(below, unit) if below else []
    paths = unit_paths([unit, *{a.unit for a in assignments}])
    here = paths[unit.id] + "/"

    def line(assignment: Assignment, period: figures.Period, is_below: bool) -> PeriodLine:
        path = paths[assignment.unit_id]
        return PeriodLine(
            assignment, period.figures, assignment.title or assignment.course.title,
            course_label(assignment), path.replace("/", " / "),
            path.removeprefix(here).replace("/", " / ") if is_below else None)

    return Overview(
        report,
        [line(a, p, False) for a, p in zip(own, own_periods, strict=True)],
        [line(a, p, True) for a, p in zip(below, below_periods, strict=True)])


def trend_points(lines: list[PeriodLine]) -> list[tuple[str, float | None, str]]:
    """(label, rate, detail) of each period for charts.rate_trend: the course, and the unit
    first when the period was assigned below the viewed unit."""
    return [(line.title, line.figures.rate,
             f"{line.unit_label} · {line.course}" if line.below else line.course)
            for line in lines]
