"""API: the player's heartbeats and a member's watched share of a module's video.

The page's player (static/js/video.js) uses the same endpoints with the session cookie and
the CSRF header. Positions are the client's word, so the server credits only what the wall
clock allows (courses.video.crediting); nothing else in the body is trusted.
"""

from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, fields

from courses.models import Module
from courses.permissions import can_view_module
from courses.study.services import load_module
from courses.video import services
from learning.api import api_blueprint

blp = api_blueprint("api_video", __name__, "Video lessons: heartbeats and watched share")


class HeartbeatSchema(Schema):
    position = fields.Float(required=True, allow_nan=False, metadata={
        "description": "the player's position, seconds from the start"})
    playing = fields.Boolean(required=True, metadata={
        "description": "whether the player is playing now (false on pause, end, seeking)"})


class WatchSchema(Schema):
    attachment_id = fields.Integer(allow_none=True, metadata={
        "description": "the video the watched rules measure (null: the module has none)"})
    url = fields.String(allow_none=True)
    duration_seconds = fields.Float(allow_none=True)
    watched_seconds = fields.Float(metadata={"description": "distinct seconds credited"})
    share = fields.Float(metadata={"description": "watched share, 0 to 1"})
    required_share = fields.Float(metadata={"description": "share the watched rules need"})
    watched = fields.Boolean()
    position = fields.Float(metadata={"description": "where playing resumes"})
    credited = fields.Float(metadata={"description": "seconds this heartbeat added"})
    completed = fields.Boolean(metadata={"description": "the module is complete for me"})


def _load_module(module_id: int) -> Module:
    module = load_module(module_id)
    if module is None or not can_view_module(current_user, module):
        abort(404)
    return module


def _answer(module: Module, view: services.WatchView) -> dict:
    return {**view.__dict__, "watched": view.watched,
            "completed": services.is_complete(current_user.id, module.id)}


@blp.get("/modules/<int:module_id>/video")
@blp.response(200, WatchSchema)
def watching(module_id: int):
    """My watching of the module's video: share watched, the share needed, resume position."""
    module = _load_module(module_id)
    return _answer(module, services.watch_view(current_user, module))


@blp.post("/modules/<int:module_id>/video/heartbeat")
@blp.arguments(HeartbeatSchema)
@blp.response(200, WatchSchema)
@blp.alt_response(422, description="no measured video in the module, or a bad position")
def heartbeat(args, module_id: int):
    """The player's position: the server credits the stretch played since my last heartbeat,
    if the wall clock allows it (at most 2× speed), and completes a "watched" module."""
    module = _load_module(module_id)
    try:
        view = services.heartbeat(current_user, module, args["position"], args["playing"])
    except services.VideoError as error:
        abort(422, message=str(error), errors={"json": {"position": [str(error)]}})
    return _answer(module, view)
