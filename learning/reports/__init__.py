"""Completion reporting for leaders (issue 6): 学习率 by unit with ranking, drill-down, 未学名单,
reminders (催学), charts, exports and a printable report.

`learning.reports.figures` computes the figures from the database (GROUP BY, a constant number
of queries). Reports only read, with one exception: the reminder log (`reminders`). Nothing in
courses or quizzes imports this package.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the report pages, API, the navigation link and the benchmark generator."""
    from flask_babel import lazy_gettext as _l

    from learning.extensions import api
    from learning.permissions import is_admin, is_leader
    from learning.reports import models as _models  # noqa: F401  (tables known to migrations)
    from learning.reports.api import blp
    from learning.reports.dashboard import home_section
    from learning.reports.demo import load as load_demo
    from learning.reports.seed import bench_cli
    from learning.reports.series import series_section
    from learning.reports.views import bp

    app.register_blueprint(bp)
    api.register_blueprint(blp)
    app.cli.add_command(bench_cli)
    app.extensions.setdefault("series_sections", []).append(series_section)
    app.extensions.setdefault("demo_loaders", []).append(load_demo)  # after courses' and quizzes'
    app.extensions.setdefault("nav_links", []).append(
        (_l("Reports"), "reports.index", lambda u: is_admin(u) or is_leader(u)))
    # First on the start page: a leader's own study (if any) comes below their units.
    app.extensions.setdefault("home_sections", []).insert(0, home_section)
