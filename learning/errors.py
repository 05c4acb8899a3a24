"""Error pages: HTML in the site layout, or JSON in one shape under /api/.

The JSON shape is flask-smorest's documented error schema, so the OpenAPI document describes it:
``{"code": 404, "status": "Not Found", "message": "...", "errors": {...}}``.
"""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError

from learning.transactions import roll_back

MESSAGES = {
    400: lambda: _("The request could not be understood. Reload the page and try again."),
    401: lambda: _("Please log in."),
    403: lambda: _("You do not have permission to open this page."),
    404: lambda: _("The page you asked for does not exist, or you may not see it."),
    405: lambda: _("This action is not allowed here."),
    413: lambda: _("The file is too large."),
    429: lambda: _("Too many attempts. Please wait a few minutes and try again."),
    500: lambda: _("Something went wrong on our side. The problem has been logged."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(code: int, message: str | None = None, errors=None):
    """A JSON error response in the API's one shape."""
    from http import HTTPStatus

    body = {"code": code, "status": HTTPStatus(code).phrase,
            "message": message or MESSAGES.get(code, lambda: HTTPStatus(code).phrase)()}
    if errors:
        body["errors"] = errors
    return jsonify(body), code


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        roll_back()  # first: after a database error nothing else could be read (transactions.py)
        code = error.code or 500
        # The error's own headers (Allow on a 405, Retry-After ...) stay; its Content-Type does not.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        if wants_json():
            data = getattr(error, "data", None) or {}
            custom = error.description != type(error).description
            message = data.get("message") or (error.description if custom else None)
            body, _code = json_error(code, message, data.get("messages") or data.get("errors"))
            return body, code, headers
        if code == 400 and getattr(error, "description", "").startswith("The CSRF"):
            message = _("Your form expired or was sent from another site. Reload and try again.")
        else:
            message = MESSAGES.get(code, lambda: error.description)()
        return render_template("errors/error.html", code=code, message=message), code, headers

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _http_error(InternalServerError())
