"""Who may do what: every permission is a named policy function here.

Views, the API and templates all ask these functions; nothing else decides access. A leader's
scope is a query ("units at or below the units I lead"), never a walk over the tree in Python.
"""

from flask import abort, g, has_request_context
from sqlalchemy import select

from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit


def _is_admin(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_admin and user.active)


def led_paths(user) -> tuple[str, ...]:
    """Materialised paths of the units `user` leads (cached for the request)."""
    if not getattr(user, "is_authenticated", False):
        return ()
    cache = g.setdefault("_led_paths", {}) if has_request_context() else {}
    if user.id not in cache:
        cache[user.id] = tuple(db.session.scalars(
            select(OrgUnit.path).join(Membership, Membership.unit_id == OrgUnit.id)
            .where(Membership.user_id == user.id, Membership.role == "leader")
        ))
    return cache[user.id]


def scope_unit_ids(user):
    """SELECT of the ids of every unit `user` may see as a leader (all units for admins)."""
    if _is_admin(user):
        return select(OrgUnit.id)
    return led_unit_ids_select(getattr(user, "id", None))


def led_unit_ids_select(user_id):
    """SELECT of the ids of the units at or below those the user `user_id` leads (a number,
    or a bind parameter in a statement built once per process); scope_unit_ids for non-admins.
    """
    led = (
        select(OrgUnit.path)
        .join(Membership, Membership.unit_id == OrgUnit.id)
        .where(Membership.user_id == user_id, Membership.role == "leader")
        .subquery()
    )
    below = OrgUnit.path.like(led.c.path + "%")
    # distinct: a unit below two led units (a branch and one of its groups) is listed once.
    return select(OrgUnit.id).join(led, below).distinct()


def is_admin(user) -> bool:
    """Admins manage the tree, the roster and everything else."""
    return _is_admin(user)


def is_leader(user) -> bool:
    """The user leads at least one unit."""
    return bool(led_paths(user))


def can_view_unit(user, unit: OrgUnit) -> bool:
    """Admins see every unit; leaders see the units they lead and everything below them."""
    if _is_admin(user):
        return True
    return any(unit.path.startswith(path) for path in led_paths(user))


def can_manage_unit(user, unit: OrgUnit) -> bool:
    """Leader actions on a unit (assigning, reminding, recording lessons): same scope as viewing."""
    return can_view_unit(user, unit)


def can_view_report(user, unit: OrgUnit) -> bool:
    """Completion reports of a unit: its leaders and the leaders above (their subtree), admins."""
    return can_view_unit(user, unit)


def can_remind(user, unit: OrgUnit) -> bool:
    """Sending a reminder (催学) to a unit's laggards: whoever may report on the unit."""
    return can_view_report(user, unit)


def can_manage_org(user) -> bool:
    """Changing the tree itself (create, rename, move, delete units) is for admins."""
    return _is_admin(user)


def can_manage_users(user) -> bool:
    """Editing accounts, resetting passwords and importing the roster is for admins."""
    return _is_admin(user)


def can_view_audit_log(user) -> bool:
    return _is_admin(user)


def can_view_user(user, other) -> bool:
    """A user sees themself; admins everyone; leaders the people in their subtree."""
    if getattr(user, "id", None) == other.id or _is_admin(user):
        return True
    paths = led_paths(user)
    return any(m.unit.path.startswith(p) for m in other.memberships for p in paths)


def require(allowed: bool) -> None:
    """Stop with 404 unless allowed: a forbidden object looks just like a missing one."""
    if not allowed:
        abort(404)


def require_role(allowed: bool) -> None:
    """Stop with 403 unless allowed: for whole pages that only some roles may open."""
    if not allowed:
        abort(403)
