"""Fixtures shared by the discussion tests: the `world` of test_services.py, and the threads,
posts and report both role matrices (pages and API) ask about."""

import pytest
from sqlalchemy import func, select

from courses.discussions import services
from courses.discussions.models import Post, Thread
from learning.extensions import db
from tests.courses.discussions import test_services
from tests.courses.discussions.test_services import group_a, module, user

world = test_services.world  # the shared fixture


@pytest.fixture
def discussion(app, world):
    """The threads, posts and report of the matrix; ids by name."""
    with app.test_request_context():
        group = services.create_thread(user("member"), module(world), "小组讨论", "开头",
                                       scope="group", unit=group_a(world))
        everyone = services.create_thread(user("member_b"), module(world), "全体讨论", "开头")
        peer_post = services.add_post(user("peer"), group, "同伴的帖子")
        my_post = services.add_post(user("member"), group, "我的帖子")
        my_other_post = services.add_post(user("member"), group, "我的另一帖")
        hidden = services.add_post(user("peer"), group, "将被隐藏")
        services.hide_post(user("leader_in"), hidden, "隐藏")
        report = services.report_post(user("member"), peer_post, "举报")
        module_post_b = db.session.scalar(select(Post).where(Post.thread_id == everyone.id))
        db.session.commit()
        return {"module": world.module_id, "other_module": world.other_module_id,
                "group_thread": group.id, "module_thread": everyone.id,
                "peer_post": peer_post.id, "my_post": my_post.id,
                "my_other_post": my_other_post.id, "hidden_post": hidden.id,
                "module_post_b": module_post_b.id, "report": report.id}


def assert_only_the_member_deleted(discussion, persona) -> None:
    """After a matrix run: the empty forms or bodies created nothing (two threads, the six
    posts of the fixture), and only the member deleted their own post."""
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 2
    assert db.session.scalar(select(func.count()).select_from(Post)) == 6
    mine = db.session.get(Post, discussion["my_other_post"])
    assert (mine.deleted_at is not None) == (persona == "member")
