"""The leader's start page (a part of "/"): for each unit they report on, the open periods
with 学习率 against the target, how many have not studied, 催学 and the way to the report.

The figures are the report's own (`figures.trend`): 3 queries per unit for all its periods
together, plus one for the periods, however many periods and members there are.
"""

from dataclasses import dataclass
from datetime import datetime

from courses.models import Assignment
from courses.study.services import now
from learning.extensions import db
from learning.orgs.models import OrgUnit
from learning.orgs.services import unit_paths
from learning.permissions import can_remind, is_admin, is_leader
from learning.reports import figures, services

TEMPLATE = "reports/_dashboard.html"


@dataclass
class DashboardPeriod:
    """One open period at one unit: its figures there, and whether 催学 is offered."""

    assignment: Assignment
    figures: figures.UnitFigures
    can_remind: bool

    @property
    def not_completed(self) -> int:
        """未学: on the roster and not done every module (finished late counts as done)."""
        f = self.figures
        return f.roster - f.completed - f.late_completed


@dataclass
class DashboardUnit:
    """A unit the leader reports on, with its open periods (soonest due first)."""

    unit: OrgUnit
    path: str
    periods: list[DashboardPeriod]


def open_periods_select(unit: OrgUnit, at: datetime):
    """SELECT of the periods that concern `unit`, started and not closed, soonest due first."""
    return services.assignments_select(unit).where(
        Assignment.closed_at.is_(None), Assignment.starts_at <= at)


def dashboard(user, at: datetime | None = None) -> list[DashboardUnit]:
    """The open periods of every unit the user reports on (the top units they lead; the roots
    for admins), with each period's figures at that unit."""
    at = at or now()
    units = services.report_units(user)
    paths = unit_paths(units)
    result = []
    for unit in units:
        assignments = list(db.session.scalars(open_periods_select(unit, at)).unique())
        remind = can_remind(user, unit)
        periods = figures.trend(assignments, unit, at) if assignments else []
        result.append(DashboardUnit(unit, paths[unit.id], [
            DashboardPeriod(a, p.figures, remind) for a, p in zip(assignments, periods,
                                                                  strict=True)]))
    return result


def home_section(user):
    """(template, context) of the dashboard on the start page, for leaders and admins."""
    if not (is_admin(user) or is_leader(user)):
        return None
    return TEMPLATE, {"units": dashboard(user), "target": services.target_rate()}
