"""API: my notifications (newest first, with the unread count) and marking them read.

Only ever the caller's own: another person's notification ids are ignored, never marked.
"""

from flask_login import current_user
from marshmallow import Schema, fields, validate

from learning.api import api_blueprint
from learning.extensions import db
from learning.notifications import services
from learning.notifications.models import KINDS

blp = api_blueprint("api_notifications", __name__, "Notifications: replies, mentions, "
                    "moderation, reminders")

MAX_IDS = 500


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(KINDS)})
    text = fields.String(metadata={"description": "one line, in the caller's language (the "
                                   "session's choice, else the site's default)"})
    url = fields.String(metadata={"description": "a path on this site, or empty"})
    actor_id = fields.Integer(allow_none=True, metadata={"description": "who caused it"})
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True, metadata={"description": "null: unread"})


class NotificationPageSchema(Schema):
    notifications = fields.List(fields.Nested(NotificationSchema),
                                metadata={"description": "newest first"})
    unread_count = fields.Integer(metadata={"description": "all my unread notifications"})
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


class NotificationListArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    unread = fields.Boolean(load_default=False, metadata={"description": "only unread ones"})


class MarkReadSchema(Schema):
    ids = fields.List(fields.Integer(), load_default=None, allow_none=True,
                      validate=validate.Length(max=MAX_IDS),
                      metadata={"description": "the notifications to mark read; left out or "
                                "null: all of mine"})


class MarkedSchema(Schema):
    marked = fields.Integer(metadata={"description": "how many were unread and are now read"})
    unread_count = fields.Integer()


@blp.get("/notifications")
@blp.arguments(NotificationListArgs, location="query")
@blp.response(200, NotificationPageSchema)
def list_notifications(args):
    """My notifications, newest first (paginated), and how many are unread."""
    page = db.paginate(services.recent_select(current_user.id, unread_only=args["unread"]),
                       page=args["page"], per_page=args["page_size"], error_out=False)
    return {"notifications": page.items, "unread_count": services.unread_count(current_user.id),
            "page": page.page, "page_size": page.per_page, "total": page.total,
            "pages": page.pages}


@blp.post("/notifications/read")
@blp.arguments(MarkReadSchema)
@blp.response(200, MarkedSchema)
def mark_read(args):
    """Mark my notifications read: those of `ids`, or all of them."""
    marked = services.mark_read(current_user.id, args["ids"])
    return {"marked": marked, "unread_count": services.unread_count(current_user.id)}
