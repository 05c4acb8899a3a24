"""Weekly series (每周一期): a course's modules released one per release day as periods 第N期.

Part of `courses`: a period is an Assignment made by courses.study; `courses.init_app` registers
the package. The series page shows each period's 参学率 through a section the reports package
registers in app.extensions["series_sections"] (courses never import reports).
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the tables, pages, API, the `series` CLI, the demo and the navigation link."""
    from flask_babel import lazy_gettext as _l

    from courses.series import models as _models  # noqa: F401  (tables known to migrations)
    from courses.series.api import blp as series_api
    from courses.series.cli import series_cli
    from courses.series.demo import load as load_demo
    from courses.series.permissions import can_list_series
    from courses.series.views import bp as pages
    from learning.extensions import api

    app.register_blueprint(pages)
    api.register_blueprint(series_api)
    app.cli.add_command(series_cli)
    app.extensions.setdefault("demo_loaders", []).append(load_demo)  # after the courses' demo
    app.extensions.setdefault("nav_links", []).append(
        (_l("Weekly series"), "series.index", can_list_series, "study"))
