"""`flask demo` adds discussion threads on the demo modules, in both scopes, exactly once."""

import pytest
from sqlalchemy import func, select

from courses.demo import COURSE_TITLE
from courses.discussions import services
from courses.discussions.models import Post, PostReport, Thread, ThreadRead
from courses.models import Course
from learning.accounts.models import User
from learning.extensions import db
from learning.notifications.models import Notification
from learning.orgs.models import Membership, OrgUnit


@pytest.fixture
def runner(app, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
    return app.test_cli_runner()


def counts() -> dict:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Thread, Post, PostReport, ThreadRead, Notification)}


def test_demo_loads_threads_in_both_scopes_once(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.title == COURSE_TITLE))
        module_ids = {m.id for m in course.modules}
        threads = list(db.session.scalars(select(Thread)))
        assert threads and {t.module_id for t in threads} <= module_ids
        assert len({t.module_id for t in threads}) >= 3
        assert {t.scope for t in threads} == {"module", "group"}

        groups = {db.session.get(OrgUnit, t.unit_id).name for t in threads if t.scope == "group"}
        assert len(groups) >= 2
        topics = [t for t in threads if t.kind == "lesson_topic"]
        assert topics and all(t.pinned and t.scope == "group" for t in topics)
        for topic in topics:  # opened by a leader of that very group
            role = db.session.scalar(select(Membership.role).where(
                Membership.user_id == topic.author_id, Membership.unit_id == topic.unit_id))
            assert role == "leader"

        posts = list(db.session.scalars(select(Post)))
        assert all(t.post_count == services.visible_posts_count(t) >= 3 for t in threads)
        assert len({p.author_id for p in posts}) >= 10
        assert sum(p.parent_id is not None for p in posts) >= 8  # replies that quote
        assert any("@m0" in p.body_md for p in posts)
        mentioned = db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "mention"))
        assert mentioned >= 2
        replies_noted = db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "reply"))
        assert replies_noted >= 5

        [hidden] = [p for p in posts if p.hidden_at is not None]
        assert hidden.hidden_reason and hidden.hidden_by_id is not None
        [report] = db.session.scalars(select(PostReport)).all()
        assert report.resolved_at is None and report.reason
        # The open report is in the queue of the author's branch secretary.
        secretary = db.session.scalar(select(User).where(User.username == "zhishu1"))
        assert report.id in {r.id for r in db.session.scalars(
            services.reports_queue_select(secretary))}
        # The posts are spread over time, oldest first in each thread.
        for thread in threads:
            times = [p.created_at for p in posts if p.thread_id == thread.id]
            assert len(set(times)) == len(times)
            assert thread.created_at == min(times)
        before = counts()

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    with app.app_context():
        assert counts() == before


def test_the_demo_thread_pages_open(app, runner, client):
    """A demo member sees the module-wide threads and their own group's, and the hidden post
    as a placeholder."""
    from tests.conftest import login

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        threads = list(db.session.scalars(select(Thread)))
        hidden = db.session.scalar(select(Post).where(Post.hidden_at.is_not(None)))
        group_one = db.session.scalar(select(OrgUnit.id).where(OrgUnit.name == "第一学习小组"))
    assert login(client, "m002", "demo2026!").status_code == 302
    client.get("/lang/en")
    for thread in threads:
        expected = 200 if thread.scope == "module" or thread.unit_id == group_one else 404
        assert client.get(f"/threads/{thread.id}").status_code == expected, thread.title
    html = client.get(f"/threads/{hidden.thread_id}").get_data(as_text=True)
    assert "Hidden by a moderator: " + hidden.hidden_reason in html
    assert hidden.body_md not in html
