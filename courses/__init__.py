"""Courses (专题), modules (学习单元), attachments, assignments, reading progress, offline lessons,
discussion threads.

Imports flow one way: `courses` uses the `learning` core; it never imports `quizzes`.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the package's CLI commands and its part of the demo data."""
    from courses.catalog.cli import markup_cli
    from courses.demo import load as load_demo
    from courses.study.cli import assignments_cli

    app.cli.add_command(markup_cli)
    app.cli.add_command(assignments_cli)
    app.extensions.setdefault("demo_loaders", []).append(load_demo)

    from flask_babel import lazy_gettext as _l

    from courses.permissions import can_author, can_list_offline_lessons
    from learning.permissions import is_admin, is_leader

    app.extensions.setdefault("nav_links", []).extend([
        # (label, endpoint, who sees it, the menu it folds into: learning/navigation.py)
        (_l("Study tasks"), "study.assignments", lambda u: is_admin(u) or is_leader(u), "study"),
        (_l("Offline lessons"), "offline.index", can_list_offline_lessons, "study"),
        (_l("Courses"), "catalog.course_index", can_author, "content"),
    ])
    from courses.series import init_app as init_series

    init_series(app)
    from courses.video import init_app as init_video

    init_video(app)
    # Last: its demo threads need the courses' demo modules loaded first.
    from courses.discussions import init_app as init_discussions

    init_discussions(app)
