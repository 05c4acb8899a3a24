"""The server side of the Markdown editor (learning/static/js/editor.js): its live preview.

The module and question editors post their text as the author types. Each feature answers on
its own URL, loaded and authorised like its edit page, and hands `preview_answer` its renderer,
which goes through learning/markup.py: the preview shows exactly what saving would store.
"""

from collections.abc import Callable

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from learning.extensions import limiter
from learning.markup import MAX_SOURCE_CHARS


def _author_key() -> str:
    """Rate-limit key: the signed-in author (the views refuse everyone else first)."""
    return f"markup-preview:{getattr(current_user, 'id', '')}"


# One budget per author for every editor's preview; debounced typing sends one every pause.
preview_limit = limiter.shared_limit(
    lambda: current_app.config["MARKUP_PREVIEW_LIMIT"],
    scope="markup-preview", key_func=_author_key)


def preview_answer(render: Callable[[str], str]):
    """JSON {"html": ...} of the posted `text` through `render`; 422 when it is too long."""
    text = request.form.get("text", "")
    if len(text) > MAX_SOURCE_CHARS:
        return jsonify(message=_("The text is longer than %(n)d characters and cannot be "
                                 "previewed or saved.", n=MAX_SOURCE_CHARS)), 422
    return jsonify(html=str(render(text)))
