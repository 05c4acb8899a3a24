"""The discussion's part of other packages' pages: the module page shows its latest threads."""

from sqlalchemy import func, select

from courses.discussions import services
from courses.discussions.models import Thread
from learning.extensions import db

MODULE_TEMPLATE = "courses/discussions/_module_threads.html"
LATEST = 3


def module_discussion(user, module):
    """(template, context) for the module page: the latest threads I may see, how many there
    are, and for the "posts" rule how many of the required posts I have written."""
    visible = services.visible_threads_select(user, module)
    count = db.session.scalar(
        select(func.count()).select_from(visible.order_by(None).subquery()))
    threads = list(db.session.scalars(
        visible.order_by(None).order_by(Thread.last_post_at.desc(), Thread.id.desc())
        .limit(LATEST)))
    posts_rule = module.completion_rule == "posts"
    return MODULE_TEMPLATE, {
        "module": module,
        "threads": threads,
        "count": count,
        "unread": services.unread_thread_ids(user, [t.id for t in threads]),
        "min_posts": max(module.min_posts, 1) if posts_rule else None,
        "my_posts": services.posts_count(user.id, module.id) if posts_rule else None,
    }
