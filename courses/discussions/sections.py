"""The discussion's part of other packages' pages: the module page shows its latest threads."""

from courses.discussions import services

MODULE_TEMPLATE = "courses/discussions/_module_threads.html"
LATEST = 3


def module_discussion(user, module):
    """(template, context) for the module page: the latest threads I may see, how many there
    are, and for the "posts" rule how many of the required posts I have written."""
    threads, count, unread = services.latest_threads(user, module, LATEST)
    posts_rule = module.completion_rule == "posts"
    return MODULE_TEMPLATE, {
        "module": module,
        "threads": threads,
        "count": count,
        "unread": unread,
        "min_posts": max(module.min_posts, 1) if posts_rule else None,
        "my_posts": services.posts_count(user.id, module.id) if posts_rule else None,
    }
