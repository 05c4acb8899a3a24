"""API: who am I."""

from flask_login import current_user
from marshmallow import Schema, fields
from sqlalchemy import select

from learning.api import api_blueprint
from learning.extensions import db
from learning.orgs.models import Membership
from learning.orgs.services import unit_paths

blp = api_blueprint("api_accounts", __name__, "The caller's own account")


class MembershipSchema(Schema):
    unit_id = fields.Integer()
    unit_name = fields.String()
    unit_path = fields.String()
    role = fields.String()


class MeSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    is_admin = fields.Boolean()
    memberships = fields.List(fields.Nested(MembershipSchema))


@blp.get("/me")
@blp.response(200, MeSchema)
def me():
    """The authenticated user with their memberships."""
    memberships = db.session.scalars(
        select(Membership).where(Membership.user_id == current_user.id).join(Membership.unit)
    ).all()
    paths = unit_paths([m.unit for m in memberships])
    return {
        "id": current_user.id,
        "username": current_user.username,
        "display_name": current_user.display_name,
        "is_admin": current_user.is_admin,
        "memberships": [
            {"unit_id": m.unit_id, "unit_name": m.unit.name, "unit_path": paths[m.unit_id],
             "role": m.role}
            for m in memberships
        ],
    }
