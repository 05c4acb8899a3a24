"""Rules for the organisation tree and memberships.

The tree is stored with materialised paths (see OrgUnit): subtree reads are one query, and a
move rewrites a whole subtree with one UPDATE.
"""

from flask_babel import gettext as _
from sqlalchemy import exists, func, select, update

from learning.accounts.models import User
from learning.audit.services import record
from learning.extensions import db
from learning.orgs.models import ROLES, UNIT_KINDS, Membership, OrgUnit


class OrgError(ValueError):
    """A rule about the organisation tree was broken; the message is shown to the user."""


def subtree_select(unit: OrgUnit):
    """SELECT of the ids of `unit` and every unit below it."""
    return select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path, autoescape=True))


def guess_kind(name: str, depth: int, is_leaf: bool) -> str:
    """The kind a unit's Chinese name announces (…团委, …团支部, …小组), else by its place."""
    for suffix, kind in (("团总支", "general_branch"), ("团委", "committee"),
                         ("支部", "branch"), ("小组", "group"), ("组", "group")):
        if name.endswith(suffix):
            return kind
    if depth == 0:
        return "committee"
    return "group" if is_leaf else "branch"


def _check_name(name: str, parent_id: int | None, exclude_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise OrgError(_("A unit name has 1 to 64 characters."))
    if "/" in name:
        raise OrgError(_("A unit name cannot contain '/' (it separates levels in roster files)."))
    same_parent = (OrgUnit.parent_id.is_(None) if parent_id is None
                   else OrgUnit.parent_id == parent_id)
    query = select(OrgUnit.id).where(OrgUnit.name == name, same_parent)
    if exclude_id is not None:
        query = query.where(OrgUnit.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise OrgError(_("There is already a unit called %(name)s at this place.", name=name))
    return name


def create_unit(name: str, kind: str, parent: OrgUnit | None, position: int = 0) -> OrgUnit:
    """Add a unit under `parent` (or as a root)."""
    if kind not in UNIT_KINDS:
        raise OrgError(_("Unknown unit kind."))
    name = _check_name(name, parent.id if parent else None)
    unit = OrgUnit(name=name, kind=kind, parent=parent, position=position,
                   depth=parent.depth + 1 if parent else 0)
    db.session.add(unit)
    db.session.flush()  # the id is part of the path
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    db.session.flush()
    record("unit.create", {"unit": unit.name}, target=unit,
           details={"path": unit.path, "kind": kind})
    return unit


def rename_unit(unit: OrgUnit, name: str, kind: str | None = None,
                position: int | None = None) -> None:
    """Rename a unit (and optionally change its kind and order)."""
    old = unit.name
    unit.name = _check_name(name, unit.parent_id, exclude_id=unit.id)
    if kind is not None:
        if kind not in UNIT_KINDS:
            raise OrgError(_("Unknown unit kind."))
        unit.kind = kind
    if position is not None:
        unit.position = position
    db.session.flush()
    if old != unit.name:
        record("unit.rename", {"old": old, "unit": unit.name}, target=unit)


def move_unit(unit: OrgUnit, new_parent: OrgUnit | None, new_name: str | None = None) -> None:
    """Move a unit with its whole subtree under `new_parent`; never under itself.

    `new_name` renames the unit in the same step: the name it will carry must be free at the
    new place, and both change in one UPDATE (in either order, the state in between could clash
    with a sibling's name at the old or the new place).
    """
    if new_parent is not None and new_parent.is_at_or_below(unit):
        raise OrgError(_("A unit cannot be moved under itself or one of its own sub-units."))
    if new_parent is not None and new_parent.id == unit.parent_id:
        return
    name = _check_name(new_name or unit.name, new_parent.id if new_parent else None,
                       exclude_id=unit.id)
    old_name, old_path, old_depth = unit.name, unit.path, unit.depth
    new_path = f"{new_parent.path if new_parent else '/'}{unit.id}/"
    shift = (new_parent.depth + 1 if new_parent else 0) - old_depth
    # One statement for the whole subtree; descendants keep their path suffix.
    db.session.execute(
        update(OrgUnit)
        .where(OrgUnit.path.startswith(old_path, autoescape=True))
        .values(path=new_path + func.substr(OrgUnit.path, len(old_path) + 1),
                depth=OrgUnit.depth + shift)
        .execution_options(synchronize_session=False)
    )
    unit.parent_id = new_parent.id if new_parent else None
    unit.name = name
    db.session.flush()
    db.session.expire_all()
    record("unit.move", {"unit": name, "old_path": old_path, "new_path": new_path}, target=unit,
           details={"from": old_path, "to": new_path})
    if name != old_name:
        record("unit.rename", {"old": old_name, "unit": name}, target=unit)


def subtree_member_count(unit: OrgUnit) -> int:
    """How many memberships exist in the unit and below."""
    return db.session.scalar(
        select(func.count(Membership.id)).where(Membership.unit_id.in_(subtree_select(unit)))
    )


def delete_unit(unit: OrgUnit) -> None:
    """Delete a unit and its (empty) sub-units; refused while anyone belongs to the subtree."""
    if subtree_member_count(unit):
        raise OrgError(_("The unit still has members; move or remove them first."))
    units = db.session.scalars(
        select(OrgUnit).where(OrgUnit.id.in_(subtree_select(unit))).order_by(OrgUnit.depth.desc())
    ).all()
    name, path = unit.name, unit.path
    for item in units:  # deepest first, so no parent goes before its children
        db.session.delete(item)
        db.session.flush()
    record("unit.delete", {"unit": name}, details={"path": path, "units": len(units)})


def unit_paths(units) -> dict[int, str]:
    """Readable paths ("团委/一支部/一组") for units, from one query over their ancestors."""
    ids = {i for unit in units for i in unit.ancestor_ids} | {unit.id for unit in units}
    names = dict(db.session.execute(select(OrgUnit.id, OrgUnit.name)
                                    .where(OrgUnit.id.in_(ids))).all()) if ids else {}
    return {unit.id: "/".join(names.get(i, "?") for i in [*unit.ancestor_ids, unit.id])
            for unit in units}


def set_membership(user: User, unit: OrgUnit, role: str) -> Membership:
    """Give `user` the role in `unit` (creating or changing the membership)."""
    if role not in ROLES:
        raise OrgError(_("Unknown role."))
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.unit_id == unit.id)
    )
    if membership is None:
        membership = Membership(user=user, unit=unit, role=role)
        db.session.add(membership)
        record("membership.add", {"user": user.display_name, "unit": unit.name, "role": role},
               target=user,
               details={"unit_id": unit.id, "role": role})
    elif membership.role != role:
        record("membership.role", {"user": user.display_name, "unit": unit.name,
                                   "old_role": membership.role, "role": role},
               target=user, details={"unit_id": unit.id, "from": membership.role, "to": role})
        membership.role = role
    db.session.flush()
    return membership


def remove_membership(membership: Membership) -> None:
    record("membership.remove", {"user": membership.user.display_name,
                                 "unit": membership.unit.name, "role": membership.role},
           target=membership.user, details={"unit_id": membership.unit_id})
    db.session.delete(membership)
    db.session.flush()


def has_children(unit: OrgUnit) -> bool:
    return db.session.scalar(select(exists().where(OrgUnit.parent_id == unit.id)))
