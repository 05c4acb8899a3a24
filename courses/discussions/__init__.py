"""Discussion threads on modules: module-wide and study-group threads, posts, moderation.

Part of `courses` (as STYLE.md lays out the house): it uses the `learning` core (notifications)
and the rest of `courses` (modules, the "posts" completion rule); `courses.init_app` registers it.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Make the package's tables known (pages, API and hooks are registered as they land)."""
    from courses.discussions import models as _models  # noqa: F401  (tables known to migrations)
    from courses.discussions.api import blp as discussions_api
    from courses.discussions.demo import load as load_demo
    from courses.discussions.sections import module_discussion
    from courses.discussions.views import bp as pages
    from learning.extensions import api

    app.register_blueprint(pages)
    api.register_blueprint(discussions_api)
    app.extensions.setdefault("module_sections", []).append(module_discussion)
    app.extensions.setdefault("demo_loaders", []).append(load_demo)
    from flask_babel import lazy_gettext as _l

    from courses.discussions.permissions import can_view_reports

    app.extensions.setdefault("nav_links", []).append(
        (_l("Reported posts"), "discussions.reports", can_view_reports, "study"))
