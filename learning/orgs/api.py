"""API: the organisation tree as far as the caller may see it."""

from flask_login import current_user
from marshmallow import Schema, fields
from sqlalchemy import func, or_, select

from learning.api import api_blueprint
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit
from learning.permissions import scope_unit_ids

blp = api_blueprint("api_orgs", __name__, "The organisation tree")


class UnitSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    parent_id = fields.Integer(allow_none=True)
    depth = fields.Integer()
    position = fields.Integer()
    member_count = fields.Integer(metadata={"description": "memberships in this unit itself"})
    leader = fields.Boolean(metadata={"description": "the caller may see this unit's subtree"})


def visible_units_select(user):
    """Units the caller sees: their leader scope (everything for admins) and their own units."""
    own = select(Membership.unit_id).where(Membership.user_id == user.id)
    return select(OrgUnit).where(or_(OrgUnit.id.in_(scope_unit_ids(user)), OrgUnit.id.in_(own)))


@blp.get("/org/units")
@blp.response(200, UnitSchema(many=True))
def units():
    """Flat list of the visible units in tree order (parents before children)."""
    scope = set(db.session.scalars(scope_unit_ids(current_user)))
    rows = db.session.scalars(
        visible_units_select(current_user).order_by(OrgUnit.depth, OrgUnit.position, OrgUnit.name)
    ).all()
    counts = dict(db.session.execute(
        select(Membership.unit_id, func.count()).where(Membership.unit_id.in_([u.id for u in rows]))
        .group_by(Membership.unit_id)
    ).all()) if rows else {}
    return [
        {"id": u.id, "name": u.name, "kind": u.kind, "parent_id": u.parent_id, "depth": u.depth,
         "position": u.position, "member_count": counts.get(u.id, 0), "leader": u.id in scope}
        for u in rows
    ]
