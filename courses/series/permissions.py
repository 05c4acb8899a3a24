"""Who may see and run weekly series: both faces side by side (one object, and a query)."""

from learning.permissions import can_manage_unit, can_view_unit, is_admin, is_leader, scope_unit_ids


def can_list_series(user) -> bool:
    """The series pages are for admins and leaders (members see the periods as assignments)."""
    return is_admin(user) or is_leader(user)


def can_view_series(user, series) -> bool:
    """A series is seen by whoever may see its unit: admins, and leaders at or above it."""
    return can_view_unit(user, series.unit)


def can_manage_series(user, series) -> bool:
    """Changing, deleting and releasing a series' next period: whoever may assign to its unit."""
    return can_manage_unit(user, series.unit)


def series_unit_ids(user):
    """SELECT of the unit ids whose series `user` may see (can_view_series as a query)."""
    return scope_unit_ids(user)
