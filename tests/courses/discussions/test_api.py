"""The discussions API through the test client, as a browser script calls it (session cookie
and X-CSRFToken header) and once with a personal bearer token: threads, posts, replies, edits,
deletes, reports and moderation; hostile Markdown; scoping 404s; placeholders; the posting rate
limit; a constant number of queries per thread page; the OpenAPI document.
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from courses.discussions import services
from courses.discussions.models import Post, PostReport, Thread
from learning.accounts.models import User
from learning.accounts.services import create_token
from learning.dbtypes import utcnow
from learning.extensions import db
from learning.notifications.models import Notification
from tests.conftest import csrf_token, login
from tests.courses.discussions import test_services
from tests.courses.discussions.test_services import group_a, module, user

world = test_services.world  # the shared fixture

HOSTILE = (
    "正文 <script>alert('x1')</script>\n\n"
    "[点我](javascript:alert('x2')) [也点我](JaVaScRiPt&#58;alert('x3'))\n\n"
    "<img src=x onerror=\"alert('x4')\"> ![图](http://evil.example/x.png)\n\n"
    "<a href=\"#\" onclick=\"alert('x5')\">链接</a> <iframe src=\"/x\">框</iframe>\n\n"
    "<svg onload=\"alert('x6')\"><circle/></svg> <b style=\"x\">粗</b>"
)


def as_user(client, username: str) -> dict:
    """Log in, read messages in English, and return the headers of a cookie API call."""
    client.post("/logout", headers={"X-CSRFToken": csrf_token(client)})
    assert login(client, username).status_code == 302
    client.get("/lang/en")
    return {"X-CSRFToken": csrf_token(client)}


def new_thread(client, headers, module_id: int, **body):
    payload = {"title": "学习体会", "body": "第一帖", **body}
    return client.post(f"/api/v1/modules/{module_id}/threads", json=payload, headers=headers)


def reply(client, headers, thread_id: int, body: str = "回复", parent_id: int | None = None):
    payload = {"body": body} if parent_id is None else {"body": body, "parent_id": parent_id}
    return client.post(f"/api/v1/threads/{thread_id}/posts", json=payload, headers=headers)


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def notes(app, username: str, kind: str) -> list[str]:
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == username))
        return list(db.session.scalars(select(Notification.url).where(
            Notification.user_id == uid, Notification.kind == kind)))


@pytest.fixture
def group_thread_id(app, world):
    """A group_a thread opened by the member, with a post by peer; returns (thread, post) ids."""
    with app.test_request_context():
        thread = services.create_thread(user("member"), module(world), "小组讨论", "小组内交流",
                                        scope="group", unit=group_a(world))
        post = services.add_post(user("peer"), thread, "同伴的帖子")
        db.session.commit()
        return thread.id, post.id


# --- the flow ----------------------------------------------------------------------------------


def test_threads_posts_replies_and_read_markers(app, client, world):
    headers = as_user(client, "member")
    created = new_thread(client, headers, world.module_id, title="  学习  体会 ",
                         body="我的**体会**")
    assert created.status_code == 201, created.get_json()
    thread = created.get_json()
    assert thread["title"] == "学习 体会" and thread["scope"] == "module"
    assert thread["post_count"] == 1 and thread["author_name"] == "成员甲"
    assert thread["unread"] is False

    headers = as_user(client, "peer")
    listed = client.get(f"/api/v1/modules/{world.module_id}/threads")
    assert listed.status_code == 200
    assert [(t["id"], t["unread"], t["post_count"]) for t in listed.get_json()] == [
        (thread["id"], True, 1)]
    assert "X-Pagination" in listed.headers
    page = client.get(f"/api/v1/threads/{thread['id']}").get_json()
    assert page["can_post"] is True and page["can_moderate"] is False
    [first] = page["posts"]
    assert first["body_html"] == "<p>我的<strong>体会</strong></p>"
    assert first["body_md"] is None and first["revisions"] is None  # not mine, not moderator
    assert first["can_report"] and not first["can_edit"] and not first["can_delete"]
    assert page["total"] == 1 and page["pages"] == 1
    listed = client.get(f"/api/v1/modules/{world.module_id}/threads").get_json()
    assert listed[0]["unread"] is False

    answered = reply(client, headers, thread["id"], "同意 @member", parent_id=first["id"])
    assert answered.status_code == 201, answered.get_json()
    post = answered.get_json()
    assert post["parent"] == {"id": first["id"], "author_name": "成员甲", "shown": True,
                              "excerpt": "我的体会"}
    assert post["can_edit"] and post["can_delete"] and post["body_md"] == "同意 @member"
    assert notes(app, "member", "reply") == [f"/posts/{post['id']}"]
    assert notes(app, "member", "mention") == []  # one notification for a reply that mentions

    edited = client.patch(f"/api/v1/posts/{post['id']}", json={"body": "非常同意"},
                          headers=headers)
    assert edited.status_code == 200 and edited.get_json()["edited_at"] is not None
    refused = client.patch(f"/api/v1/posts/{first['id']}", json={"body": "改别人的"},
                           headers=headers)
    assert refused.status_code == 403 and refused.get_json()["message"]

    deleted = client.delete(f"/api/v1/posts/{post['id']}", headers=headers)
    assert deleted.status_code == 200
    assert deleted.get_json()["state"] == "deleted" and deleted.get_json()["body_html"] is None

    as_user(client, "member")
    listed = client.get(f"/api/v1/modules/{world.module_id}/threads").get_json()
    assert listed[0]["post_count"] == 1
    assert listed[0]["unread"] is False  # peer's reply, the only newer post, was deleted
    page = client.get(f"/api/v1/threads/{thread['id']}").get_json()
    gone = page["posts"][1]
    assert gone["state"] == "deleted" and gone["body_html"] is None and gone["body_md"] is None


def test_group_threads_and_lesson_topics(client, world):
    headers = as_user(client, "leader_in")
    topic = new_thread(client, headers, world.module_id, scope="group",
                       unit_id=world.org.group_a.id, kind="lesson_topic",
                       title="本周小组学习话题", body="请结合回信谈体会")
    assert topic.status_code == 201, topic.get_json()
    assert topic.get_json()["pinned"] and topic.get_json()["unit_name"] == "第一学习小组"
    headers = as_user(client, "member")
    missing_unit = new_thread(client, headers, world.module_id, scope="group")
    assert missing_unit.status_code == 422
    assert "unit_id" in missing_unit.get_json()["errors"]["json"]
    no_unit = new_thread(client, headers, world.module_id, scope="group", unit_id=999_999)
    assert no_unit.status_code == 422
    other_group = new_thread(client, headers, world.module_id, scope="group",
                             unit_id=world.org.group_b.id)
    assert other_group.status_code == 403
    not_leader = new_thread(client, headers, world.module_id, scope="group",
                            unit_id=world.org.group_a.id, kind="lesson_topic")
    assert not_leader.status_code == 403


def test_bearer_token(app, client, world, group_thread_id):
    thread_id, post_id = group_thread_id
    with app.app_context():
        _token, plain = create_token(db.session.get(User, world.peer.id), "手机")
        db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    page = client.get(f"/api/v1/threads/{thread_id}", headers=headers)
    assert page.status_code == 200
    made = reply(client, headers, thread_id, "用令牌发帖", parent_id=post_id)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["author_name"] == "成员丙"
    # A session without the CSRF header is refused; the token needs none.
    as_user(client, "peer")
    assert reply(client, {}, thread_id, "没有令牌").status_code == 400


# --- safety ----------------------------------------------------------------------------------


def test_hostile_markdown_comes_out_sanitised(app, client, world):
    headers = as_user(client, "member")
    thread = new_thread(client, headers, world.module_id, body=HOSTILE).get_json()
    made = reply(client, headers, thread["id"], HOSTILE).get_json()
    page = client.get(f"/api/v1/threads/{thread['id']}").get_json()
    for html in [made["body_html"]] + [p["body_html"] for p in page["posts"]]:
        lowered = html.lower()
        for bad in ("<script", "javascript", "alert", "onerror", "onclick", "onload",
                    "<iframe", "<svg", "<img", "style=", "evil.example", "x1", "x4", "x5", "x6"):
            assert bad not in lowered, (bad, html)
        assert "正文" in html and "<b>粗</b>" in html
    with app.app_context():
        for post in db.session.scalars(select(Post)):
            assert "<script" not in post.body_html.lower()


def test_scoping_404s(client, world, group_thread_id):
    thread_id, post_id = group_thread_id
    for name in ("member_b", "leader_out"):
        headers = as_user(client, name)
        assert client.get(f"/api/v1/threads/{thread_id}").status_code == 404
        assert reply(client, headers, thread_id, "闯入").status_code == 404
        assert client.patch(f"/api/v1/posts/{post_id}", json={"body": "x"},
                            headers=headers).status_code == 404
        assert client.delete(f"/api/v1/posts/{post_id}", headers=headers).status_code == 404
        assert client.post(f"/api/v1/posts/{post_id}/report", json={"reason": "x"},
                           headers=headers).status_code == 404
        assert client.post(f"/api/v1/posts/{post_id}/hide", json={"reason": "x"},
                           headers=headers).status_code == 404
        assert client.post(f"/api/v1/threads/{thread_id}/lock",
                           headers=headers).status_code == 404
        listed = client.get(f"/api/v1/modules/{world.module_id}/threads").get_json()
        assert thread_id not in [t["id"] for t in listed]
    headers = as_user(client, "member")
    assert client.get(f"/api/v1/modules/{world.other_module_id}/threads").status_code == 404
    assert new_thread(client, headers, world.other_module_id).status_code == 404
    assert client.get("/api/v1/threads/999999").status_code == 404
    assert client.get("/api/v1/modules/999999/threads").status_code == 404


def test_validation_errors_name_the_field(app, client, world, group_thread_id):
    thread_id, _post_id = group_thread_id
    headers = as_user(client, "member")
    app.config["DISCUSSION_MAX_CHARS"] = 50
    try:
        too_long = reply(client, headers, thread_id, "长" * 51)
    finally:
        del app.config["DISCUSSION_MAX_CHARS"]
    assert too_long.status_code == 422
    assert "50" in too_long.get_json()["errors"]["json"]["body"][0]
    empty = reply(client, headers, thread_id, "  ")
    assert empty.status_code == 422 and "body" in empty.get_json()["errors"]["json"]
    assert reply(client, headers, thread_id, "x", parent_id=999_999).status_code == 422
    assert client.post(f"/api/v1/threads/{thread_id}/posts", json={},
                       headers=headers).status_code == 422
    assert count(app, Post) == 2  # nothing was stored


# --- moderation ------------------------------------------------------------------------------


def test_placeholders_for_readers_text_and_history_for_moderators(app, client, world,
                                                                 group_thread_id):
    thread_id, post_id = group_thread_id
    headers = as_user(client, "peer")
    assert client.patch(f"/api/v1/posts/{post_id}", json={"body": "改过的帖子"},
                        headers=headers).status_code == 200
    headers = as_user(client, "member")
    assert client.post(f"/api/v1/posts/{post_id}/hide", json={"reason": "不可以"},
                       headers=headers).status_code == 403
    headers = as_user(client, "leader_in")
    hidden = client.post(f"/api/v1/posts/{post_id}/hide", json={"reason": "与主题无关"},
                         headers=headers)
    assert hidden.status_code == 200, hidden.get_json()
    shown_to_moderator = hidden.get_json()
    assert shown_to_moderator["state"] == "hidden"
    assert shown_to_moderator["body_html"] == "<p>改过的帖子</p>"
    assert shown_to_moderator["hidden_reason"] == "与主题无关"
    assert [r["body_md"] for r in shown_to_moderator["revisions"]] == ["同伴的帖子"]
    assert notes(app, "peer", "moderation") == [f"/posts/{post_id}"]

    def seen_by(name):
        as_user(client, name)
        page = client.get(f"/api/v1/threads/{thread_id}").get_json()
        return next(p for p in page["posts"] if p["id"] == post_id)

    member_view = seen_by("member")
    assert member_view["state"] == "hidden"
    for key in ("body_html", "body_md", "hidden_by_id", "revisions"):
        assert member_view[key] is None, key
    assert member_view["hidden_reason"] == "与主题无关"  # as the thread page shows it
    author_view = seen_by("peer")
    assert author_view["body_html"] is None and author_view["hidden_reason"] == "与主题无关"
    admin_view = seen_by("admin")
    assert admin_view["body_html"] == "<p>改过的帖子</p>" and admin_view["can_moderate"]
    assert [r["body_md"] for r in admin_view["revisions"]] == ["同伴的帖子"]

    headers = as_user(client, "leader_in")
    shown = client.post(f"/api/v1/posts/{post_id}/unhide", headers=headers)
    assert shown.status_code == 200 and shown.get_json()["state"] == "visible"
    assert seen_by("member")["body_html"] == "<p>改过的帖子</p>"


def test_lock_and_pin(client, world, group_thread_id):
    thread_id, _post_id = group_thread_id
    headers = as_user(client, "member")
    assert client.post(f"/api/v1/threads/{thread_id}/lock", headers=headers).status_code == 403
    other = new_thread(client, headers, world.module_id, title="后来的帖子").get_json()
    headers = as_user(client, "leader_in")
    locked = client.post(f"/api/v1/threads/{thread_id}/lock", headers=headers)
    assert locked.status_code == 200 and locked.get_json()["locked"] is True
    assert reply(client, headers, thread_id, "组长可以发").status_code == 201
    assert client.post(f"/api/v1/threads/{thread_id}/pin", headers=headers).get_json()["pinned"]

    headers = as_user(client, "peer")
    refused = reply(client, headers, thread_id, "还能发吗")
    assert refused.status_code == 409 and "locked" in refused.get_json()["message"]
    page = client.get(f"/api/v1/threads/{thread_id}").get_json()
    assert page["can_post"] is False and page["thread"]["locked"]
    listed = client.get(f"/api/v1/modules/{world.module_id}/threads").get_json()
    assert [t["id"] for t in listed] == [thread_id, other["id"]]  # pinned first

    headers = as_user(client, "admin")
    assert client.post(f"/api/v1/threads/{thread_id}/unlock", headers=headers).status_code == 200
    assert client.post(f"/api/v1/threads/{thread_id}/unpin", headers=headers).status_code == 200
    headers = as_user(client, "peer")
    assert reply(client, headers, thread_id, "又能发了").status_code == 201


def test_reports_queue_and_resolve(app, client, world, group_thread_id):
    _thread_id, post_id = group_thread_id
    headers = as_user(client, "member")
    made = client.post(f"/api/v1/posts/{post_id}/report", json={"reason": "发广告"},
                       headers=headers)
    assert made.status_code == 201, made.get_json()
    report_id = made.get_json()["id"]
    again = client.post(f"/api/v1/posts/{post_id}/report", json={"reason": "再举报"},
                        headers=headers)
    assert again.status_code == 409
    assert client.get("/api/v1/discussion-reports").status_code == 403
    assert notes(app, "leader_in", "report") == [f"/posts/{post_id}"]
    assert notes(app, "leader_out", "report") == []

    as_user(client, "leader_out")
    assert client.get("/api/v1/discussion-reports").get_json() == []
    headers = as_user(client, "leader_in")
    [queued] = client.get("/api/v1/discussion-reports").get_json()
    assert queued["id"] == report_id and queued["reporter_name"] == "成员甲"
    assert queued["post"]["body_html"] == "<p>同伴的帖子</p>" and queued["post"]["can_moderate"]
    resolved = client.post(f"/api/v1/discussion-reports/{report_id}/resolve",
                           json={"hide": True, "reason": "广告"}, headers=headers)
    assert resolved.status_code == 200, resolved.get_json()
    assert resolved.get_json()["resolution"] == "hidden"
    assert resolved.get_json()["post"]["state"] == "hidden"
    assert resolved.get_json()["post"]["hidden_reason"] == "广告"
    twice = client.post(f"/api/v1/discussion-reports/{report_id}/resolve",
                        json={"hide": False}, headers=headers)
    assert twice.status_code == 409
    assert client.get("/api/v1/discussion-reports").get_json() == []
    assert count(app, PostReport, PostReport.resolution == "hidden") == 1


def test_posting_rate_limit(client, world, group_thread_id):
    thread_id, _post_id = group_thread_id
    headers = as_user(client, "member")
    assert reply(client, headers, thread_id, "").status_code == 422  # refused: not counted
    assert new_thread(client, headers, world.module_id).status_code == 201
    for n in range(9):
        assert reply(client, headers, thread_id, f"第{n}帖").status_code == 201, n
    eleventh = reply(client, headers, thread_id, "第十一帖")
    assert eleventh.status_code == 429
    body = eleventh.get_json()
    assert body["code"] == 429 and "too fast" in body["message"]
    assert new_thread(client, headers, world.module_id).status_code == 429  # shared budget
    # The limit is per user: someone else may still post.
    headers = as_user(client, "peer")
    assert reply(client, headers, thread_id, "我还可以").status_code == 201


# --- queries and the document ----------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["member", "leader_in", "admin"])
def test_thread_page_issues_a_constant_number_of_queries(app, client, world, query_counter,
                                                         viewer):
    small = test_services.thread_with_posts(app, world, 5)
    large = test_services.thread_with_posts(app, world, 40)
    as_user(client, viewer)
    counts = []
    for thread_id, n in ((small, 5), (large, 40)):
        client.get(f"/api/v1/threads/{thread_id}?page_size=50")  # warm: first visit
        with query_counter() as statements:
            response = client.get(f"/api/v1/threads/{thread_id}?page_size=50")
        assert response.status_code == 200 and len(response.get_json()["posts"]) == n
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_thread_list_and_queue_issue_a_constant_number_of_queries(app, client, world,
                                                                  query_counter):
    def measure(url):
        client.get(url)
        with query_counter() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    test_services.thread_with_posts(app, world, 5)
    as_user(client, "leader_in")
    few = (measure(f"/api/v1/modules/{world.module_id}/threads"),
           measure("/api/v1/discussion-reports"))
    for _ in range(4):
        test_services.thread_with_posts(app, world, 5)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Thread)) == 5
    many = (measure(f"/api/v1/modules/{world.module_id}/threads"),
            measure("/api/v1/discussion-reports"))
    assert few == many


def test_edit_window_through_the_api(client, world, group_thread_id, monkeypatch):
    thread_id, _post_id = group_thread_id
    headers = as_user(client, "member")
    post = reply(client, headers, thread_id, "原文").get_json()
    later = utcnow() + timedelta(minutes=31)
    monkeypatch.setattr(services, "now", lambda: later)
    page = client.get(f"/api/v1/threads/{thread_id}").get_json()
    assert not next(p for p in page["posts"] if p["id"] == post["id"])["can_edit"]
    late = client.patch(f"/api/v1/posts/{post['id']}", json={"body": "太晚"}, headers=headers)
    assert late.status_code == 403 and "30 minutes" in late.get_json()["message"]


def test_openapi_document_describes_the_discussion_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    for path, methods in {
        "/api/v1/modules/{module_id}/threads": {"get", "post"},
        "/api/v1/threads/{thread_id}": {"get"},
        "/api/v1/threads/{thread_id}/posts": {"post"},
        "/api/v1/posts/{post_id}": {"patch", "delete"},
        "/api/v1/posts/{post_id}/report": {"post"},
        "/api/v1/posts/{post_id}/hide": {"post"},
        "/api/v1/posts/{post_id}/unhide": {"post"},
        "/api/v1/threads/{thread_id}/lock": {"post"},
        "/api/v1/threads/{thread_id}/unlock": {"post"},
        "/api/v1/threads/{thread_id}/pin": {"post"},
        "/api/v1/threads/{thread_id}/unpin": {"post"},
        "/api/v1/discussion-reports": {"get"},
        "/api/v1/discussion-reports/{report_id}/resolve": {"post"},
    }.items():
        assert methods <= set(paths[path]), path
    schemas = spec["components"]["schemas"]
    for name in ("Thread", "ThreadCreate", "ThreadDetail", "Post", "PostCreate", "PostEdit",
                 "Reason", "Report", "Resolve"):
        assert name in schemas, name
    assert "body_html" in schemas["Post"]["properties"]
