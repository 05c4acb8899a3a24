"""The /api/v1 frame: bearer-token authentication, one JSON error shape, the OpenAPI document.

Endpoints live next to their feature (`learning/orgs/api.py`, ...) as flask-smorest blueprints;
the OpenAPI 3 document at /api/v1/openapi.json is generated from them, never written by hand.
A request that carries `Authorization: Bearer <token>` is authenticated by that token alone
(the session cookie is ignored). Such requests skip the CSRF check, and so do those with neither
a token nor a session: they are answered 401, as the document says, not "CSRF token missing".

Every integer a request carries (query, body) must fit the database's INTEGER, and a `page` must
be at most MAX_PAGE; the document says so (minimum/maximum on every integer), and a larger one is
a 422 naming the field.
"""

from collections.abc import Mapping
from functools import wraps

from flask import Flask, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from flask_smorest.pagination import PaginationMetadataSchema, PaginationParameters
from marshmallow import ValidationError
from webargs.flaskparser import FlaskParser

from learning.bounds import MAX_INT, MAX_PAGE, MIN_INT
from learning.errors import json_error
from learning.extensions import ErrorSchema, api, login_manager

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


def _largest(name) -> int:
    """The largest value an integer field called `name` may take."""
    return MAX_PAGE if name == "page" else MAX_INT


def _integers_out_of_range(value, path=()):
    """(path, largest) of each loaded integer in `value` out of MIN_INT..largest."""
    if isinstance(value, PaginationParameters):
        value = {"page": value.page, "page_size": value.page_size}
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        largest = _largest(path[-1] if path else None)
        if not MIN_INT <= value <= largest:
            yield path, largest
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _integers_out_of_range(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _integers_out_of_range(item, (*path, index))


def _integers_fit_the_database(data) -> bool:
    """webargs validator: refuse (422) any integer out of bounds, naming its field."""
    errors: dict = {}
    for path, largest in _integers_out_of_range(data):
        node = errors
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1] if path else "_schema"] = [
            _("Must be a whole number from %(min)d to %(max)d.", min=MIN_INT, max=largest)]
    if errors:
        raise ValidationError(errors)
    return True


class BoundedParser(FlaskParser):
    """flask-smorest's argument parser with every loaded integer bounded (a page number or an
    id past the database's INTEGER would otherwise overflow in the query: a 500)."""

    def parse(self, argmap, req=None, *, validate=None, **kwargs):
        if validate is None:
            validators = []
        else:
            validators = list(validate) if isinstance(validate, list | tuple) else [validate]
        return super().parse(argmap, req, validate=[*validators, _integers_fit_the_database],
                             **kwargs)


class ApiBlueprint(Blueprint):
    """A flask-smorest Blueprint with bounded integers and an honestly documented X-Pagination."""

    ARGUMENTS_PARSER = BoundedParser()
    PAGINATION_ARGUMENTS_PARSER = BoundedParser()

    def alt_response(self, status_code, response=None, *, schema=None, **kwargs):
        """Document another response; an error status answers the API's error shape
        (learning/errors.py), or that and the schema given (an import's row errors: 422)."""
        if response is None and str(int(status_code))[0] in "45":
            schema = ErrorSchema if schema is None else {"anyOf": [ErrorSchema, schema]}
        return super().alt_response(status_code, response, schema=schema, **kwargs)

    def _document_pagination_metadata(self, spec, resp_doc):
        # The header's value is JSON text, so the document says that (a header `content`),
        # not that the header is an object (flask-smorest's `schema`, which no client can match).
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = {
            "description": "Pagination metadata, as JSON",
            "content": {"application/json": {"schema": PaginationMetadataSchema}},
        }


def api_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    """A flask-smorest blueprint under /api/v1 whose every endpoint needs a logged-in user."""
    blp = ApiBlueprint(name, import_name, url_prefix=API_PREFIX, description=description)

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


def _integer_bounds(converter, field, ret, **kwargs) -> dict:
    """apispec attribute function: every integer is documented with the bounds BoundedParser
    enforces (narrowed further by the field's own Range, if any)."""
    types = ret.get("type")
    if "integer" not in (types if isinstance(types, list) else [types]):
        return {}
    largest = _largest(field.name)
    return {"minimum": max(ret.get("minimum", MIN_INT), MIN_INT),
            "maximum": min(ret.get("maximum", largest), largest)}


def init_app(app: Flask) -> None:
    """Describe the authentication scheme and the integers' bounds in the OpenAPI document."""
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "Personal API token"}
    )
    api.spec.options["security"] = [{"bearerAuth": []}]
    api.ma_plugin.converter.add_attribute_function(_integer_bounds)
