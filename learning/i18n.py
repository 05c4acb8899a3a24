"""Language choice: zh_CN by default, English as the second locale, switchable per browser."""

from flask import Blueprint, current_app, has_request_context, redirect, request, session

from learning.security import safe_next

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """The language the visitor picked, else the default (zh_CN).

    Babel reads "zh_CN" as zh_Hans_CN, which is why the Chinese catalogue lives in
    learning/translations/zh_Hans_CN.
    """
    # Outside a request (CLI, shell) there is no visitor: use the default language.
    chosen = session.get("lang") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@bp.get("/lang/<code>")
def switch(code: str):
    """Remember the chosen language and go back to where the visitor was."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")))
