"""Mentions by name, through HTTP: the reply box's lookup offers only the people who may read
the thread (a group thread: its group), tells repeated names apart by unit, refuses outsiders
like a missing thread and is rate-limited; a mention notifies the person named, and the thread
page and the API show the mentioned person's current name, in a constant number of queries.

The `world` fixture (test_services.py here): member and peer (成员丙) in group_a, member_b
(成员乙) in group_b, leader_in (支书甲) above group_a, leader_out (支书乙) above group_b.
"""

import re

import pytest

from courses.discussions import services
from learning.accounts.models import User
from learning.extensions import db
from learning.markup import render_markdown, show_mentions
from tests.conftest import csrf_token, post_form
from tests.courses.discussions import test_services
from tests.courses.discussions.test_pages import article, as_user, page, post_reply
from tests.courses.discussions.test_services import (
    group_a,
    module,
    notifications,
    user,
)

world = test_services.world  # the shared fixture


@pytest.fixture
def threads(app, world):
    """A group_a thread and a module-wide thread, both opened by the member: their ids."""
    with app.test_request_context():
        group = services.create_thread(user("member"), module(world), "小组讨论", "开头",
                                       scope="group", unit=group_a(world))
        everyone = services.create_thread(user("member"), module(world), "全体讨论", "开头")
        db.session.commit()
        return {"group": group.id, "module": everyone.id}


def lookup(client, thread_id: int, q: str, status: int = 200) -> list[dict]:
    response = client.get(f"/threads/{thread_id}/mentions", query_string={"q": q})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["people"] if status == 200 else []


def test_a_group_thread_offers_only_its_group(client, world, threads):
    as_user(client, "member")
    assert [p["username"] for p in lookup(client, threads["group"], "成员")] == ["peer"]
    # The leader above the group may read it, the other branch's leader may not.
    assert [p["username"] for p in lookup(client, threads["group"], "支书")] == ["leader_in"]
    assert lookup(client, threads["group"], "管理") == []  # admins read it, but are no group
    people = lookup(client, threads["module"], "成员")
    assert {p["username"] for p in people} == {"peer", "member_b"}  # never the writer
    assert {p["username"] for p in lookup(client, threads["module"], "支书")} == {
        "leader_in", "leader_out"}
    assert people[0].keys() == {"id", "name", "username", "unit"}


def test_username_prefix_and_contains_starts_first(client, world, threads, make_user):
    make_user("a_peer", name="阿成", units=[(world.org.group_a, "member")])
    as_user(client, "member")
    assert [p["username"] for p in lookup(client, threads["module"], "PEE")] == [
        "peer", "a_peer"]  # starts with it, then contains it
    found = {p["username"] for p in lookup(client, threads["module"], "leader")}
    assert found == {"leader_in", "leader_out"}
    assert lookup(client, threads["module"], "   ") == []
    assert lookup(client, threads["module"], "%") == []  # a LIKE wildcard is just a character


def test_outsiders_get_nothing(client, world, threads):
    as_user(client, "member_b")  # group_b: cannot see group_a's thread
    lookup(client, threads["group"], "成员", status=404)
    lookup(client, 999_999, "成员", status=404)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    response = client.get(f"/threads/{threads['module']}/mentions?q=成员")
    assert response.status_code == 302 and "/login" in response.location


def test_repeated_names_carry_the_deepest_unit(client, world, threads, make_user):
    make_user("wang_a", name="王芳", units=[(world.org.group_a, "member")])
    make_user("wang_b", name="王芳", units=[(world.org.branch_b, "member"),
                                            (world.org.group_b, "member")])
    make_user("wang_c", name="王芳芳", units=[(world.org.group_b, "member")])
    as_user(client, "member")
    people = {p["username"]: p for p in lookup(client, threads["module"], "王芳")}
    assert people["wang_a"]["unit"] == "第一学习小组"
    assert people["wang_b"]["unit"] == "第二学习小组"  # the deepest of two
    assert people["wang_c"]["unit"] is None  # a name nobody else has needs no unit
    # In the group thread only one 王芳 can read along: no unit needed.
    only = lookup(client, threads["group"], "王芳")
    assert [(p["username"], p["unit"]) for p in only] == [("wang_a", None)]


def test_the_lookup_is_rate_limited(app, client, world, threads, monkeypatch):
    monkeypatch.setitem(app.config, "DISCUSSION_LOOKUP_LIMIT", "2 per minute")
    as_user(client, "member")
    lookup(client, threads["module"], "成")
    lookup(client, threads["module"], "成员")
    lookup(client, threads["module"], "成员丙", status=429)
    as_user(client, "peer")  # per reader
    lookup(client, threads["module"], "成员")


def mention_span(html: str, username: str) -> str:
    match = re.search(rf'<span class="mention" title="@{username}">([^<]*)</span>', html)
    assert match, f"no mention of {username}"
    return match.group(1)


def test_a_mention_notifies_and_shows_the_current_name(app, client, world, threads):
    as_user(client, "member")
    post_id = post_reply(client, threads["group"], "请@peer 和 @member_b 看看")
    with app.app_context():
        assert len(notifications("peer", "mention")) == 1
        assert notifications("member_b", "mention") == []  # cannot read the thread
    html = article(page(client, f"/threads/{threads['group']}"), post_id)
    assert mention_span(html, "peer") == "@成员丙"
    assert "@member_b" in html and 'title="@member_b"' not in html  # no name given away
    with app.app_context():
        db.session.get(User, user("peer").id).display_name = "改名后"
        db.session.commit()
    html = article(page(client, f"/threads/{threads['group']}"), post_id)
    assert mention_span(html, "peer") == "@改名后" and "成员丙" not in html
    body = client.get(f"/api/v1/threads/{threads['group']}").get_json()
    posted = next(p for p in body["posts"] if p["id"] == post_id)
    assert mention_span(posted["body_html"], "peer") == "@改名后"
    with app.app_context():  # the stored HTML keeps the username, not the name
        stored = db.session.get(services.Post, post_id).body_html
        assert "@peer" in stored and "成员丙" not in stored


def test_editing_names_new_people_once(app, client, world, threads):
    as_user(client, "member")
    post_id = post_reply(client, threads["module"], "你好 @peer")
    post_form(client, f"/posts/{post_id}/edit", {"body": "你好 @peer 和 @member_b"})
    html = article(page(client, f"/threads/{threads['module']}"), post_id)
    assert mention_span(html, "member_b") == "@成员乙"
    with app.app_context():
        assert len(notifications("peer", "mention")) == 1
        assert len(notifications("member_b", "mention")) == 1


def test_mentions_cost_one_query_whatever_the_page(app, client, world, query_counter):
    small = test_services.thread_with_posts(app, world, 5)  # every post names @peer
    large = test_services.thread_with_posts(app, world, 40)
    as_user(client, "member")
    counts = []
    for thread_id in (small, large):
        client.get(f"/threads/{thread_id}")
        with query_counter() as statements:
            html = page(client, f"/threads/{thread_id}")
        assert html.count('<span class="mention" title="@peer">@成员丙</span>') >= 2
        assert sum("post_mentions" in s for s in statements) == 1
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_show_mentions_leaves_code_links_and_addresses_alone():
    stored = str(render_markdown(
        "@Peer 你好，@peer2 不是，`@peer`、[@peer](/x) 与 a@peer.cn 都不是；请@张三看"))
    shown = str(show_mentions(stored, {"peer": "成员<丙>", "张三": "张三"}))
    assert shown.count('class="mention"') == 2
    assert '<span class="mention" title="@peer">@成员&lt;丙&gt;</span> 你好' in shown
    assert "@peer2" in shown and "<code>@peer</code>" in shown and "a@peer.cn" in shown
    assert '请<span class="mention" title="@张三">@张三</span>看' in shown
    assert str(show_mentions(stored, {})) == stored
