"""Language choice: zh_CN by default, English as the second locale, switchable per browser."""

from flask import Blueprint, current_app, redirect, request, session

from learning.security import safe_next

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """The language the visitor picked, else the default (zh_CN)."""
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@bp.get("/lang/<code>")
def switch(code: str):
    """Remember the chosen language and go back to where the visitor was."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")))
