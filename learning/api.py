"""The /api/v1 frame: bearer-token authentication, one JSON error shape, the OpenAPI document.

Endpoints live next to their feature (`learning/orgs/api.py`, ...) as flask-smorest blueprints;
the OpenAPI 3 document at /api/v1/openapi.json is generated from them, never written by hand.
A request that carries `Authorization: Bearer <token>` is authenticated by that token alone
(the session cookie is ignored), and only such requests skip the CSRF check.
"""

from functools import wraps

from flask import Flask, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from learning.errors import json_error
from learning.extensions import api, login_manager

API_PREFIX = "/api/v1"


def bearer_token() -> str | None:
    """The bearer token of an API request, if it has one."""
    header = request.headers.get("Authorization", "")
    if request.path.startswith("/api/") and header.startswith("Bearer "):
        return header[len("Bearer ") :].strip()
    return None


@login_manager.request_loader
def _load_user_from_token(req):
    from learning.accounts.services import user_for_token

    token = bearer_token()
    return user_for_token(token) if token else None


@login_manager.unauthorized_handler
def _unauthorized():
    if request.path.startswith("/api/"):
        return json_error(401)
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def api_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    """A flask-smorest blueprint under /api/v1 whose every endpoint needs a logged-in user."""
    blp = Blueprint(name, import_name, url_prefix=API_PREFIX, description=description)

    @blp.before_request
    def _require_login():
        if not current_user.is_authenticated:
            return json_error(401)
        if current_user.must_change_password:
            # A generated or reset password only opens the change-password page.
            return json_error(403, _("Change your password on the website first."))
        return None

    return blp


def api_requires(policy):
    """Refuse with 403 unless `policy(current_user)`; checked before the body is parsed."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not policy(current_user):
                return json_error(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


class ErrorSchema(Schema):
    code = fields.Integer(required=True)
    status = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict()


def init_app(app: Flask) -> None:
    """Describe the authentication scheme in the OpenAPI document."""
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "Personal API token"}
    )
    api.spec.options["security"] = [{"bearerAuth": []}]
