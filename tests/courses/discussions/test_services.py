"""Discussion rules, through discussions.services: scopes, posting, replies and @mentions,
the edit window, deleting, moderation (hide, unhide, lock, pin), reports, read markers, length
limits, counts, and the "posts" completion rule.

The `world` fixture is shared with test_api.py and test_api_matrix.py: the `org` tree, two more
members (peer in group_a, member_b in group_b), a course assigned to the whole committee whose
module completes with 2 posts, and a second course assigned to group_b only.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from courses.discussions import services
from courses.discussions.models import Post, PostReport, PostRevision, Thread
from courses.discussions.services import DiscussionError
from courses.models import Module, Progress
from learning.accounts.models import User
from learning.dbtypes import utcnow
from learning.extensions import db
from learning.notifications.models import Notification
from learning.orgs.models import OrgUnit


@pytest.fixture
def world(app, org, make_user, make_course, make_assignment):
    """The org tree, two more members, a module everyone studies, one only group_b studies."""
    peer = make_user("peer", name="成员丙", units=[(org.group_a, "member")])
    member_b = make_user("member_b", name="成员乙", units=[(org.group_b, "member")])
    course = make_course("讨论专题", modules=1, rule="posts")
    make_assignment(course, org.committee)
    other = make_course("外组专题", modules=1)
    make_assignment(other, org.group_b)
    with app.app_context():
        db.session.get(Module, course.module_ids[0]).min_posts = 2
        db.session.commit()
    return SimpleNamespace(org=org, peer=peer, member_b=member_b, module_id=course.module_ids[0],
                           other_module_id=other.module_ids[0])


@pytest.fixture
def ctx(app):
    """A request context (config, gettext, the per-request caches) for calling services."""
    with app.test_request_context():
        yield
        db.session.rollback()


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def unit(name: str) -> OrgUnit:
    return db.session.scalar(select(OrgUnit).where(OrgUnit.name == name))


def module(world) -> Module:
    return db.session.get(Module, world.module_id)


def group_a(world) -> OrgUnit:
    return db.session.get(OrgUnit, world.org.group_a.id)


def notifications(username: str, kind: str | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user(username).id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def module_thread(world, author="member_b", title="学习体会交流", body="大家谈谈体会"):
    return services.create_thread(user(author), module(world), title, body)


def group_thread(world, author="member", title="第一小组讨论", body="小组内交流"):
    return services.create_thread(user(author), module(world), title, body, scope="group",
                                  unit=group_a(world))


def refused(status: int, call, *args, **kwargs) -> DiscussionError:
    with pytest.raises(DiscussionError) as caught:
        call(*args, **kwargs)
    assert caught.value.status == status, str(caught.value)
    return caught.value


def assert_counts(thread: Thread) -> None:
    """The stored count and last activity agree with the posts themselves."""
    db.session.flush()
    db.session.refresh(thread)
    visible = list(db.session.scalars(select(Post).where(
        Post.thread_id == thread.id, Post.deleted_at.is_(None), Post.hidden_at.is_(None))))
    assert thread.post_count == len(visible) == services.visible_posts_count(thread)
    expected = max((p.created_at for p in visible), default=thread.created_at)
    assert thread.last_post_at == expected


# --- scopes ----------------------------------------------------------------------------------


def test_group_thread_is_seen_only_inside_its_group_and_by_leaders_above(world, ctx):
    thread = group_thread(world)
    everyone = module_thread(world)
    seen = {name: services.can_view_thread(user(name), thread)
            for name in ("member", "peer", "member_b", "leader_in", "leader_out", "admin")}
    assert seen == {"member": True, "peer": True, "member_b": False, "leader_in": True,
                    "leader_out": False, "admin": True}
    for name in ("member", "peer", "member_b", "leader_in", "leader_out", "admin"):
        assert services.can_view_thread(user(name), everyone)
        listed = set(db.session.scalars(services.visible_threads_select(user(name),
                                                                        module(world))))
        assert listed == ({thread, everyone} if seen[name] else {everyone}), name


def test_a_member_of_another_group_can_neither_post_nor_report_nor_open_there(world, ctx):
    thread = group_thread(world)
    first = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    outsider = user("member_b")
    refused(403, services.add_post, outsider, thread, "我也来说两句")
    refused(403, services.report_post, outsider, first, "广告")
    refused(403, services.create_thread, outsider, module(world), "题目", "内容", scope="group",
            unit=group_a(world))
    assert not services.can_post(outsider, thread)


def test_threads_of_a_module_the_member_does_not_study_are_invisible(world, ctx):
    other = db.session.get(Module, world.other_module_id)
    thread = services.create_thread(user("member_b"), other, "外组的讨论", "只有第二小组学这个")
    assert services.can_view_thread(user("member_b"), thread)
    assert not services.can_view_thread(user("member"), thread)
    assert list(db.session.scalars(services.visible_threads_select(user("member"), other))) == []
    refused(403, services.create_thread, user("member"), other, "题目", "内容")


def test_a_member_of_a_unit_below_sees_the_units_thread(world, ctx, make_user):
    """A thread kept inside branch_a is read by the members of group_a (below it)."""
    branch = db.session.get(OrgUnit, world.org.branch_a.id)
    thread = services.create_thread(user("leader_in"), module(world), "支部讨论", "全支部交流",
                                    scope="group", unit=branch)
    assert services.can_view_thread(user("member"), thread)
    assert not services.can_view_thread(user("member_b"), thread)
    assert not services.can_view_thread(user("leader_out"), thread)


def test_group_threads_are_opened_only_by_the_groups_people(world, ctx):
    refused(403, services.create_thread, user("leader_out"), module(world), "题目", "内容",
            scope="group", unit=group_a(world))
    refused(422, services.create_thread, user("member"), module(world), "题目", "内容",
            scope="group")
    refused(422, services.create_thread, user("member"), module(world), "题目", "内容",
            unit=group_a(world))
    by_leader = services.create_thread(user("leader_in"), module(world), "题目", "内容",
                                       scope="group", unit=group_a(world))
    assert by_leader.scope == "group" and by_leader.unit_id == world.org.group_a.id


def test_lesson_topics_are_pinned_and_opened_by_the_groups_leaders(world, ctx):
    refused(403, services.create_thread, user("member"), module(world), "话题", "提纲",
            scope="group", unit=group_a(world), kind="lesson_topic")
    refused(403, services.create_thread, user("leader_out"), module(world), "话题", "提纲",
            scope="group", unit=group_a(world), kind="lesson_topic")
    refused(422, services.create_thread, user("leader_in"), module(world), "话题", "提纲",
            kind="lesson_topic")
    topic = services.create_thread(user("leader_in"), module(world), "本周小组学习话题",
                                   "请结合回信谈体会", scope="group", unit=group_a(world),
                                   kind="lesson_topic")
    assert topic.kind == "lesson_topic" and topic.pinned
    refused(403, services.create_thread, user("member"), module(world), "置顶", "内容",
            pinned=True)


# --- posting, replies, mentions ----------------------------------------------------------------


def test_posting_counts_renders_and_notifies_the_parents_author(world, ctx, monkeypatch):
    thread = group_thread(world)
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    assert thread.post_count == 1
    later = utcnow() + timedelta(minutes=5)
    monkeypatch.setattr(services, "now", lambda: later)
    reply = services.add_post(user("peer"), thread, "同意 **楼上**", parent=opening)
    assert reply.parent_id == opening.id
    assert "<strong>楼上</strong>" in reply.body_html
    assert thread.post_count == 2 and thread.last_post_at == later
    [note] = notifications("member", "reply")
    assert note.url == f"/posts/{reply.id}"
    assert note.actor_id == user("peer").id
    # Replying to oneself notifies nobody.
    services.add_post(user("peer"), thread, "补充一句", parent=reply)
    assert notifications("peer") == []
    assert_counts(thread)


def test_replies_must_answer_a_shown_post_of_the_same_thread(world, ctx):
    thread, other = group_thread(world), module_thread(world)
    elsewhere = db.session.scalar(select(Post).where(Post.thread_id == other.id))
    error = refused(422, services.add_post, user("member"), thread, "回复", parent=elsewhere)
    assert error.field == "parent_id"
    mine = services.add_post(user("peer"), thread, "将被删除")
    services.delete_post(user("peer"), mine)
    refused(422, services.add_post, user("member"), thread, "回复", parent=mine)


def test_mentions_notify_only_those_who_can_read_the_thread(world, ctx):
    thread = group_thread(world)
    post = services.add_post(user("member"), thread,
                             "@peer你好，@member_b 和 @leader_out 看不到，@leader_in 请指导。"
                             "邮件 a@peer.cn 不算，@nobody 也不存在，@member 是我自己")
    assert [n.url for n in notifications("peer", "mention")] == [
        f"/posts/{post.id}"]
    assert notifications("leader_in", "mention") != []
    for name in ("member_b", "leader_out", "member"):
        assert notifications(name) == [], name


def test_a_chinese_username_is_found_inside_running_text(world, make_user, ctx):
    make_user("张三", units=[(world.org.group_a, "member")])
    make_user("张三丰", units=[(world.org.group_a, "member")])
    thread = group_thread(world)
    services.add_post(user("member"), thread, "请@张三丰来回答，@张三你好，@ＰＥＥＲ也看看。")
    for name in ("张三", "张三丰", "peer"):
        assert [n.kind for n in notifications(name)] == ["mention"], name
    assert [u.username for u in services.mentioned_users("@张三丰收")] == ["张三丰"]


def test_a_reply_that_mentions_the_parents_author_notifies_once(world, ctx):
    thread = group_thread(world)
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    services.add_post(user("peer"), thread, "@member 说得好", parent=opening)
    assert [n.kind for n in notifications("member")] == ["reply"]


def test_length_limits(world, ctx, app, monkeypatch):
    thread = module_thread(world)
    assert refused(422, services.add_post, user("member"), thread, "   \n ").field == "body"
    monkeypatch.setitem(app.config, "DISCUSSION_MAX_CHARS", 20)
    assert refused(422, services.add_post, user("member"), thread, "长" * 21).field == "body"
    services.add_post(user("member"), thread, "长" * 20)
    assert refused(422, services.create_thread, user("member"), module(world), "题" * 201,
                   "内容").field == "title"
    monkeypatch.delitem(app.config, "DISCUSSION_MAX_CHARS")
    services.add_post(user("member"), thread, "长" * 10_000)  # the default limit
    refused(422, services.add_post, user("member"), thread, "长" * 10_001)


# --- editing and deleting ----------------------------------------------------------------------


def test_edit_within_the_window_keeps_a_revision(world, ctx, monkeypatch):
    thread = module_thread(world)
    start = utcnow()
    monkeypatch.setattr(services, "now", lambda: start)
    post = services.add_post(user("member"), thread, "第一稿")
    monkeypatch.setattr(services, "now", lambda: start + timedelta(minutes=29))
    assert services.can_edit_post(user("member"), post)
    refused(403, services.edit_post, user("peer"), post, "别人的帖子")
    services.edit_post(user("member"), post, "第二稿 @peer")
    assert post.body_md == "第二稿 @peer" and "第二稿" in post.body_html
    assert post.edited_at == start + timedelta(minutes=29)
    [revision] = db.session.scalars(select(PostRevision).where(PostRevision.post_id == post.id))
    assert revision.body_md == "第一稿"
    assert [n.kind for n in notifications("peer")] == ["mention"]  # newly mentioned
    services.edit_post(user("member"), post, "第三稿 @peer")
    assert [n.kind for n in notifications("peer")] == ["mention"]  # not twice
    monkeypatch.setattr(services, "now", lambda: start + timedelta(minutes=31))
    assert not services.can_edit_post(user("member"), post)
    refused(403, services.edit_post, user("member"), post, "太晚了")
    assert db.session.scalar(select(func.count()).select_from(PostRevision)) == 2


def test_the_edit_window_follows_the_config(world, ctx, app, monkeypatch):
    thread = module_thread(world)
    start = utcnow()
    monkeypatch.setattr(services, "now", lambda: start)
    post = services.add_post(user("member"), thread, "第一稿")
    monkeypatch.setitem(app.config, "DISCUSSION_EDIT_MINUTES", 5)
    monkeypatch.setattr(services, "now", lambda: start + timedelta(minutes=6))
    refused(403, services.edit_post, user("member"), post, "第二稿")


def test_delete_own_post_only(world, ctx):
    thread = module_thread(world)
    post = services.add_post(user("member"), thread, "说错了")
    refused(403, services.delete_post, user("peer"), post)
    refused(403, services.delete_post, user("admin"), post)
    services.delete_post(user("member"), post)
    assert post.deleted_at is not None and post.body_md == "说错了"  # kept for moderators
    assert thread.post_count == 1
    refused(403, services.edit_post, user("member"), post, "复活")
    services.delete_post(user("member"), post)  # twice: nothing more happens
    assert_counts(thread)


# --- moderation ------------------------------------------------------------------------------


def test_hide_and_unhide_with_reason_notify_the_author(world, ctx):
    thread = group_thread(world)
    post = services.add_post(user("peer"), thread, "不当言论")
    refused(403, services.hide_post, user("member"), post, "不允许")
    refused(403, services.hide_post, user("leader_out"), post, "越权")
    assert refused(422, services.hide_post, user("leader_in"), post, "  ").field == "reason"
    assert services.hide_post(user("leader_in"), post, "与主题无关")
    assert post.hidden_at is not None and post.hidden_reason == "与主题无关"
    assert post.hidden_by_id == user("leader_in").id
    assert thread.post_count == 1
    [note] = notifications("peer", "moderation")
    assert "与主题无关" in note.text and note.url == f"/posts/{post.id}"
    assert not services.hide_post(user("admin"), post, "再藏一次")  # already hidden
    refused(403, services.unhide_post, user("leader_out"), post)
    assert services.unhide_post(user("admin"), post)
    assert post.hidden_at is None and post.hidden_reason == ""
    assert thread.post_count == 2
    assert len(notifications("peer", "moderation")) == 2
    assert not services.unhide_post(user("admin"), post)
    assert_counts(thread)


def test_module_thread_posts_are_moderated_by_the_authors_leaders(world, ctx):
    thread = module_thread(world)  # opened by member_b of group_b
    by_member = services.add_post(user("member"), thread, "第一小组成员的帖子")
    by_member_b = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                       Post.author_id == user("member_b").id))
    assert services.can_moderate_post(user("leader_in"), by_member)
    assert not services.can_moderate_post(user("leader_in"), by_member_b)
    assert services.can_moderate_post(user("leader_out"), by_member_b)
    assert not services.can_moderate_post(user("leader_out"), by_member)
    assert not services.can_moderate_post(user("member"), by_member)
    assert services.can_moderate_post(user("admin"), by_member_b)
    # Threads are moderated by the leaders of their author.
    assert services.can_moderate(user("leader_out"), thread)
    assert not services.can_moderate(user("leader_in"), thread)
    refused(403, services.set_locked, user("leader_in"), thread, True)
    services.set_locked(user("leader_out"), thread, True)
    # Pinning a module-wide thread puts it on top in every branch: admins only.
    refused(403, services.set_pinned, user("leader_out"), thread, True)
    services.set_pinned(user("admin"), thread, True)
    assert services.moderatable_post_ids(user("leader_in"), thread, [by_member, by_member_b]) \
        == {by_member.id}


def test_a_locked_thread_refuses_members_but_not_moderators(world, ctx):
    thread = group_thread(world)
    refused(403, services.set_locked, user("member"), thread, True)
    services.set_locked(user("leader_in"), thread, True)
    assert thread.locked
    assert refused(409, services.add_post, user("peer"), thread, "还能发吗").status == 409
    assert not services.can_post(user("peer"), thread)
    services.add_post(user("leader_in"), thread, "本帖已锁定，请移步新话题")
    services.add_post(user("admin"), thread, "管理员说明")
    services.set_locked(user("admin"), thread, False)
    services.add_post(user("peer"), thread, "又能发了")


def test_pinned_threads_come_first(world, ctx, monkeypatch):
    start = utcnow()
    monkeypatch.setattr(services, "now", lambda: start)
    old = group_thread(world, title="旧帖")
    monkeypatch.setattr(services, "now", lambda: start + timedelta(minutes=1))
    new = group_thread(world, title="新帖")
    listed = lambda: list(db.session.scalars(  # noqa: E731
        services.visible_threads_select(user("member"), module(world))))
    assert listed() == [new, old]
    refused(403, services.set_pinned, user("member"), old, True)
    services.set_pinned(user("leader_in"), old, True)
    assert listed() == [old, new]
    monkeypatch.setattr(services, "now", lambda: start + timedelta(minutes=2))
    services.add_post(user("peer"), new, "新帖有了新回复")
    assert listed() == [old, new]  # pinned stays on top
    services.set_pinned(user("admin"), old, False)
    assert listed() == [new, old]


# --- reports ---------------------------------------------------------------------------------


def test_reports_reach_the_moderators_in_scope(world, ctx):
    in_group = group_thread(world)
    spam = services.add_post(user("peer"), in_group, "广告")
    everyone = module_thread(world)
    spam_b = db.session.scalar(select(Post).where(Post.thread_id == everyone.id))
    refused(403, services.report_post, user("peer"), spam, "举报自己")
    assert refused(422, services.report_post, user("member"), spam, "").field == "reason"
    first = services.report_post(user("member"), spam, "发广告")
    refused(409, services.report_post, user("member"), spam, "再举报一次")
    services.report_post(user("member"), spam_b, "外组广告")
    assert [n.kind for n in notifications("leader_in")] == ["report"]
    assert [n.kind for n in notifications("leader_out")] == ["report"]

    def queue(name):
        return list(db.session.scalars(services.reports_queue_select(user(name))))

    assert queue("leader_in") == [first]
    assert [r.post_id for r in queue("leader_out")] == [spam_b.id]
    assert {r.post_id for r in queue("admin")} == {spam.id, spam_b.id}
    assert queue("member") == [] and queue("peer") == []


def test_resolve_by_hiding_or_dismissing(world, ctx):
    thread = group_thread(world)
    spam = services.add_post(user("peer"), thread, "广告")
    fine = services.add_post(user("peer"), thread, "正常发言")
    r1 = services.report_post(user("member"), spam, "发广告")
    r2 = services.report_post(user("leader_in"), spam, "确实是广告")
    r3 = services.report_post(user("member"), fine, "误报")
    refused(403, services.resolve_report, user("leader_out"), r1, True)
    refused(403, services.resolve_report, user("member"), r1, True)
    services.resolve_report(user("leader_in"), r1, True)
    assert spam.hidden_at is not None and spam.hidden_reason == "发广告"
    for report in (r1, r2):
        db.session.refresh(report)
        assert report.resolution == "hidden" and report.resolved_at is not None
        assert report.resolved_by_id == user("leader_in").id
    refused(409, services.resolve_report, user("admin"), r2, False)
    services.resolve_report(user("admin"), r3, False)
    assert r3.resolution == "dismissed" and fine.visible
    assert list(db.session.scalars(services.reports_queue_select(user("admin")))) == []
    assert "发广告" in notifications("peer", "moderation")[0].text
    refused(409, services.report_post, user("member"), spam, "已经隐藏了")
    assert_counts(thread)


def test_hiding_a_post_closes_its_reports(world, ctx):
    thread = group_thread(world)
    spam = services.add_post(user("peer"), thread, "广告")
    report = services.report_post(user("member"), spam, "发广告")
    services.hide_post(user("admin"), spam, "广告")
    db.session.refresh(report)
    assert report.resolution == "hidden"
    assert db.session.scalar(select(func.count()).select_from(PostReport)
                             .where(PostReport.resolved_at.is_(None))) == 0


# --- reading ---------------------------------------------------------------------------------


def test_read_markers(world, ctx, monkeypatch):
    start = utcnow()
    monkeypatch.setattr(services, "now", lambda: start)
    thread = group_thread(world)
    other = module_thread(world)
    ids = [thread.id, other.id]
    assert services.unread_thread_ids(user("peer"), ids) == {thread.id, other.id}
    assert services.unread_thread_ids(user("member"), ids) == {other.id}  # my own thread
    services.mark_read(user("peer"), thread)
    services.mark_read(user("peer"), thread)  # again: one row, no error
    assert services.unread_thread_ids(user("peer"), ids) == {other.id}
    monkeypatch.setattr(services, "now", lambda: start + timedelta(minutes=1))
    services.add_post(user("member"), thread, "新消息")
    assert services.unread_thread_ids(user("peer"), ids) == {thread.id, other.id}
    assert services.unread_thread_ids(user("member"), ids) == {other.id}
    assert services.unread_thread_ids(user("peer"), []) == set()


# --- counts ----------------------------------------------------------------------------------


def test_counts_stay_right_through_delete_hide_and_unhide(world, ctx, monkeypatch):
    start = utcnow()
    clock = iter(range(100))
    monkeypatch.setattr(services, "now", lambda: start + timedelta(minutes=next(clock)))
    thread = group_thread(world)
    a = services.add_post(user("peer"), thread, "甲")
    b = services.add_post(user("member"), thread, "乙")
    c = services.add_post(user("peer"), thread, "丙")
    assert_counts(thread)
    assert thread.post_count == 4 and thread.last_post_at == c.created_at
    services.hide_post(user("leader_in"), c, "隐藏最新的")
    assert_counts(thread)
    assert thread.post_count == 3 and thread.last_post_at == b.created_at
    services.delete_post(user("peer"), c)  # hidden, then deleted: no second decrement
    assert_counts(thread)
    assert thread.post_count == 3
    services.unhide_post(user("leader_in"), c)  # still deleted: stays out of the count
    assert_counts(thread)
    assert thread.post_count == 3
    services.delete_post(user("member"), b)
    services.hide_post(user("leader_in"), b, "已删除的也可以隐藏")
    assert_counts(thread)
    assert thread.post_count == 2 and thread.last_post_at == a.created_at
    services.hide_post(user("admin"), a, "甲")
    services.unhide_post(user("admin"), a)
    assert_counts(thread)
    assert thread.post_count == 2


# --- completion ------------------------------------------------------------------------------


def completion(world, name: str) -> Progress | None:
    return db.session.scalar(select(Progress).where(
        Progress.user_id == user(name).id, Progress.module_id == world.module_id,
        Progress.completed_at.is_not(None)))


def test_posts_rule_completes_at_the_second_post(world, ctx):
    thread = module_thread(world, author="member_b")
    assert services.posts_count(user("member_b").id, world.module_id) == 1
    assert completion(world, "member_b") is None
    services.add_post(user("member_b"), thread, "第二帖")
    done = completion(world, "member_b")
    assert done is not None and done.completed_via == "posts"
    # Posts in a group thread of the module count too.
    group = group_thread(world, author="member")
    assert completion(world, "member") is None
    services.add_post(user("member"), group, "第二帖")
    assert completion(world, "member").completed_via == "posts"


def test_a_hidden_post_does_not_count(world, ctx):
    thread = module_thread(world, author="member_b")
    first = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    services.hide_post(user("leader_out"), first, "不算数")
    services.add_post(user("member_b"), thread, "第二帖")
    assert services.posts_count(user("member_b").id, world.module_id) == 1
    assert completion(world, "member_b") is None
    deleted = services.add_post(user("member"), thread, "会被删除")
    services.delete_post(user("member"), deleted)
    services.add_post(user("member"), thread, "只有一帖")
    assert completion(world, "member") is None
    # Unhiding brings the count to two: completed then.
    services.unhide_post(user("leader_out"), first)
    assert completion(world, "member_b").completed_via == "posts"


def test_other_rules_are_not_completed_by_posts(world, ctx):
    mod = module(world)
    mod.completion_rule = "reading"
    db.session.flush()
    thread = module_thread(world)
    services.add_post(user("member_b"), thread, "第二帖")
    assert completion(world, "member_b") is None
    assert not services.check_completion(user("member_b").id, mod)


def thread_with_posts(app, world, n: int) -> int:
    """A group thread with n posts by three people: replies, an edit, a hidden and a deleted
    post, and a report (the query-count tests of the pages and the API)."""
    with app.test_request_context():
        thread = services.create_thread(user("member"), module(world), f"{n}帖", "开头",
                                        scope="group", unit=group_a(world))
        posts = [db.session.scalar(select(Post).where(Post.thread_id == thread.id))]
        authors = ["peer", "member", "leader_in"]
        for i in range(n - 1):
            parent = posts[i // 2] if i % 3 == 0 else None
            posts.append(services.add_post(user(authors[i % 3]), thread, f"第{i}帖 @peer",
                                           parent=parent))
        services.edit_post(user("member"), posts[2], "改过")
        services.hide_post(user("leader_in"), posts[3], "隐藏")
        services.delete_post(user("member"), [p for p in posts if p.author_id ==
                                              user("member").id][-1])
        services.report_post(user("member"), posts[1], "举报")
        db.session.commit()
        return thread.id
