"""The discussion pages through HTTP, as a browser uses them (every form with its real CSRF
token): open a thread, reply with a quote, edit within the window and not after, delete, report
into the right leader's queue, hide with a reason, lock, group scoping, hostile Markdown, unread
markers, the module page's card, the posting rate limit, and a constant number of queries.

The `world` fixture (test_services.py here): member and peer in group_a, member_b
in group_b, leader_in above group_a, leader_out above group_b; a module everyone studies
(rule "posts", 2 posts), and another only group_b studies.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from courses.discussions import services
from courses.discussions.models import Post, PostReport, Thread
from learning.dbtypes import utcnow
from learning.extensions import db
from tests.conftest import csrf_token, login, post_form
from tests.courses.discussions import test_services
from tests.courses.discussions.test_services import group_a, module, user

world = test_services.world  # the shared fixture

HOSTILE = ("<script>alert(1)</script> 正文\n\n[x](javascript:alert(1))\n\n"
           "<img src=x onerror=alert(1)>")


def as_user(client, username: str) -> None:
    """Log out whoever is in, log in `username`, read the pages in English."""
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert login(client, username).status_code == 302
    client.get("/lang/en")


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def open_thread(client, module_id: int, title="学习体会", body="第一帖", where="module") -> int:
    response = post_form(client, f"/modules/{module_id}/threads",
                         {"title": title, "body": body, "where": where})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/threads/(\d+)$", response.location).group(1))


def post_reply(client, thread_id: int, body: str, parent_id: int | None = None) -> int:
    data = {"body": body, "parent_id": str(parent_id or "")}
    response = post_form(client, f"/threads/{thread_id}/posts", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"#post-(\d+)$", response.location).group(1))


def first_post_id(app, thread_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(Post.id).where(Post.thread_id == thread_id)
                                 .order_by(Post.id).limit(1))


def article(html: str, post_id: int) -> str:
    """The markup of one post on a thread page."""
    match = re.search(rf'<article[^>]*id="post-{post_id}".*?</article>', html, re.S)
    assert match, f"post {post_id} is not on the page"
    return match.group(0)


@pytest.fixture
def group_thread(app, world):
    """A group_a thread opened by the member (via the service); returns its id."""
    with app.test_request_context():
        thread = services.create_thread(user("member"), module(world), "第一小组讨论",
                                        "小组内交流", scope="group", unit=group_a(world))
        db.session.commit()
        return thread.id


# --- opening, replying, quoting --------------------------------------------------------------


def test_open_a_thread_and_reply_with_a_quote(app, client, world):
    as_user(client, "member")
    listing = page(client, f"/modules/{world.module_id}/threads")
    assert "New thread" in listing and 'value="module"' in listing
    assert f'value="group-{world.org.group_a.id}"' in listing
    assert "topic-" not in listing  # lesson topics are for leaders
    thread_id = open_thread(client, world.module_id, "学习 体会", "我的**体会**很长" * 25)
    opening = first_post_id(app, thread_id)

    as_user(client, "peer")
    listing = page(client, f"/modules/{world.module_id}/threads")
    assert "学习 体会" in listing and "Module-wide" in listing and "1 post" in listing
    form_page = page(client, f"/threads/{thread_id}?reply_to={opening}")
    assert f'name="parent_id" type="hidden" value="{opening}"' in form_page
    assert "Reply to 成员甲" in form_page
    reply_id = post_reply(client, thread_id, "同意你的看法", parent_id=opening)

    html = page(client, f"/threads/{thread_id}")
    quote = article(html, reply_id)
    assert f'href="#post-{opening}"' in quote and "In reply to 成员甲" in quote
    excerpt = re.search(r"</a>:\s*(.*?)\s*</blockquote>", quote, re.S).group(1)
    assert excerpt.startswith("我的体会很长") and excerpt.endswith("…") and len(excerpt) == 120
    assert "<strong>" not in quote.split("post-body")[0]  # the quote is plain text
    with app.app_context():
        thread = db.session.get(Thread, thread_id)
        assert thread.post_count == 2
        assert db.session.get(Post, reply_id).parent_id == opening


def test_a_refused_post_keeps_the_text_and_says_why(app, client, world, group_thread):
    as_user(client, "member")
    response = post_form(client, f"/threads/{group_thread}/posts", {"body": "   "})
    assert response.status_code == 422
    assert "Write something before posting." in response.get_data(as_text=True)
    app.config["DISCUSSION_MAX_CHARS"] = 20
    try:
        response = post_form(client, f"/threads/{group_thread}/posts", {"body": "长" * 21})
    finally:
        app.config["DISCUSSION_MAX_CHARS"] = 10_000
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "at most 20 characters" in text and "长" * 21 in text
    response = post_form(client, f"/modules/{world.module_id}/threads",
                         {"title": "", "body": "正文", "where": "module"})
    assert response.status_code == 422 and "Give the thread a title." in response.get_data(
        as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Thread)) == 1


def test_leaders_open_pinned_group_lesson_topics(app, client, world):
    as_user(client, "leader_in")
    listing = page(client, f"/modules/{world.module_id}/threads")
    assert f'value="topic-{world.org.group_a.id}"' in listing
    assert f'value="topic-{world.org.group_b.id}"' not in listing  # not theirs
    thread_id = open_thread(client, world.module_id, "小组学习话题", "请写下体会",
                            where=f"topic-{world.org.group_a.id}")
    with app.app_context():
        thread = db.session.get(Thread, thread_id)
        assert (thread.kind, thread.scope, thread.unit_id, thread.pinned) == (
            "lesson_topic", "group", world.org.group_a.id, True)
    as_user(client, "member")
    listing = page(client, f"/modules/{world.module_id}/threads")
    assert "Group lesson topic" in listing and "Pinned" in listing
    # A member cannot make one by sending a value the form did not offer.
    response = post_form(client, f"/modules/{world.module_id}/threads",
                         {"title": "x", "body": "y", "where": f"topic-{world.org.group_a.id}"})
    assert response.status_code == 422


# --- my posts: edit within the window, delete --------------------------------------------------


def test_edit_within_the_window_and_not_after(app, client, world, group_thread, monkeypatch):
    as_user(client, "member")
    post_id = post_reply(client, group_thread, "原来的文字")
    html = page(client, f"/threads/{group_thread}")
    assert f"/posts/{post_id}/edit" in html
    edit = page(client, f"/posts/{post_id}/edit")
    assert "原来的文字" in edit
    response = post_form(client, f"/posts/{post_id}/edit", {"body": "改过的文字"})
    assert response.status_code == 302 and response.location.endswith(f"#post-{post_id}")
    html = page(client, f"/threads/{group_thread}")
    assert "改过的文字" in article(html, post_id) and "(edited" in article(html, post_id)
    assert "Edit history" not in html  # members do not see earlier texts

    as_user(client, "leader_in")
    html = page(client, f"/threads/{group_thread}")
    assert "Edit history (1 earlier text)" in article(html, post_id)
    assert "原来的文字" in article(html, post_id)

    as_user(client, "member")
    later = utcnow() + timedelta(minutes=31)
    monkeypatch.setattr(services, "now", lambda: later)
    assert f"/posts/{post_id}/edit" not in page(client, f"/threads/{group_thread}")
    assert client.get(f"/posts/{post_id}/edit").status_code == 403
    late = post_form(client, f"/posts/{post_id}/edit", {"body": "太晚了"})
    assert late.status_code == 403 and "30 minutes" in late.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Post, post_id).body_md == "改过的文字"

    as_user(client, "peer")  # someone else's post
    assert client.get(f"/posts/{post_id}/edit").status_code == 403


def test_delete_my_own_post(app, client, world, group_thread):
    as_user(client, "member")
    post_id = post_reply(client, group_thread, "要删除的帖子")
    as_user(client, "peer")
    assert post_form(client, f"/posts/{post_id}/delete").status_code == 403
    as_user(client, "member")
    response = post_form(client, f"/posts/{post_id}/delete")
    assert response.status_code == 302
    html = article(page(client, f"/threads/{group_thread}"), post_id)
    assert "Deleted by its author." in html and "要删除的帖子" not in html
    assert f"/posts/{post_id}/delete" not in html
    as_user(client, "leader_in")  # kept for moderators
    html = article(page(client, f"/threads/{group_thread}"), post_id)
    assert "要删除的帖子" in html and "Deleted by its author" in html
    with app.app_context():
        assert db.session.get(Thread, group_thread).post_count == 1


# --- reports and moderation --------------------------------------------------------------------


def test_a_report_lands_in_the_queue_of_the_leader_in_scope(app, client, world):
    as_user(client, "member")
    thread_id = open_thread(client, world.module_id, "全体讨论", "成员甲的帖子")
    post_id = first_post_id(app, thread_id)
    assert post_form(client, f"/posts/{post_id}/report", {"reason": "自己"}).status_code == 403
    as_user(client, "member_b")  # group_b, studies the module too
    assert "Report the post" in page(client, f"/threads/{thread_id}")
    response = post_form(client, f"/posts/{post_id}/report", {"reason": "跑题了"})
    assert response.status_code == 302
    again = post_form(client, f"/posts/{post_id}/report", {"reason": "再次"}, follow_redirects=True)
    assert "already reported" in again.get_data(as_text=True)

    as_user(client, "leader_out")  # sees the thread, but the author is not in their branch
    queue = page(client, "/discussion-reports")
    assert "跑题了" not in queue and "No open reports." in queue
    as_user(client, "leader_in")
    queue = page(client, "/discussion-reports")
    assert "跑题了" in queue and "成员甲的帖子" in queue and "成员乙" in queue
    report_id = int(re.search(r"/discussion-reports/(\d+)/resolve", queue).group(1))
    response = post_form(client, f"/discussion-reports/{report_id}/resolve",
                         {"reason": "", "dismiss": "1"})
    assert response.status_code == 302
    assert "No open reports." in page(client, "/discussion-reports")
    with app.app_context():
        assert db.session.get(PostReport, report_id).resolution == "dismissed"
        assert db.session.get(Post, post_id).visible
    as_user(client, "member")
    assert client.get("/discussion-reports").status_code == 403


def test_resolving_a_report_by_hiding_the_post(app, client, world, group_thread):
    as_user(client, "peer")
    post_id = first_post_id(app, group_thread)
    post_form(client, f"/posts/{post_id}/report", {"reason": "不妥"})
    as_user(client, "leader_in")
    queue = page(client, "/discussion-reports")
    report_id = int(re.search(r"/discussion-reports/(\d+)/resolve", queue).group(1))
    response = post_form(client, f"/discussion-reports/{report_id}/resolve",
                         {"reason": "内容不妥", "hide": "1"})
    assert response.status_code == 302
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert post.hidden_reason == "内容不妥"
        assert db.session.get(PostReport, report_id).resolution == "hidden"


def test_hide_with_a_reason_placeholder_for_members_text_for_moderators(app, client, world,
                                                                        group_thread):
    post_id = first_post_id(app, group_thread)
    as_user(client, "member")
    assert post_form(client, f"/posts/{post_id}/hide", {"reason": "x"}).status_code == 403
    as_user(client, "leader_in")
    response = post_form(client, f"/posts/{post_id}/hide", {"reason": "与主题无关"})
    assert response.status_code == 302
    html = article(page(client, f"/threads/{group_thread}"), post_id)
    assert "小组内交流" in html and "Hidden by 支书甲: 与主题无关" in html
    assert f"/posts/{post_id}/unhide" in html

    for name in ("member", "peer"):
        as_user(client, name)
        html = article(page(client, f"/threads/{group_thread}"), post_id)
        assert "Hidden by a moderator: 与主题无关" in html and "小组内交流" not in html

    as_user(client, "admin")
    assert post_form(client, f"/posts/{post_id}/unhide").status_code == 302
    as_user(client, "peer")
    assert "小组内交流" in article(page(client, f"/threads/{group_thread}"), post_id)


def test_lock_stops_members_not_moderators(app, client, world, group_thread):
    as_user(client, "member")
    assert post_form(client, f"/threads/{group_thread}/lock").status_code == 403
    as_user(client, "leader_in")
    assert post_form(client, f"/threads/{group_thread}/lock").status_code == 302
    html = page(client, f"/threads/{group_thread}")
    assert "As a moderator you still can." in html and 'id="reply"' in html
    post_reply(client, group_thread, "组长在锁定后发言")

    as_user(client, "member")
    html = page(client, f"/threads/{group_thread}")
    assert "This thread is locked by a moderator" in html and 'id="reply"' not in html
    response = post_form(client, f"/threads/{group_thread}/posts", {"body": "我还想说"})
    assert response.status_code == 409 and "locked" in response.get_data(as_text=True)
    listing = page(client, f"/modules/{world.module_id}/threads")
    assert "Locked" in listing

    as_user(client, "leader_in")
    post_form(client, f"/threads/{group_thread}/unlock")
    post_form(client, f"/threads/{group_thread}/pin")
    as_user(client, "member")
    post_reply(client, group_thread, "解锁后可以发言")
    assert "Pinned" in page(client, f"/modules/{world.module_id}/threads")
    with app.app_context():
        assert db.session.get(Thread, group_thread).post_count == 3


# --- scope ------------------------------------------------------------------------------------


def test_group_threads_stay_inside_their_group(app, client, world):
    as_user(client, "member")
    thread_id = open_thread(client, world.module_id, "小组悄悄话", "只给本组",
                            where=f"group-{world.org.group_a.id}")
    post_id = first_post_id(app, thread_id)
    for name in ("member_b", "leader_out"):
        as_user(client, name)
        assert "小组悄悄话" not in page(client, f"/modules/{world.module_id}/threads")
        assert client.get(f"/threads/{thread_id}").status_code == 404
        assert client.get(f"/posts/{post_id}").status_code == 404
        assert post_form(client, f"/threads/{thread_id}/posts",
                         {"body": "闯入"}).status_code == 404
        assert post_form(client, f"/posts/{post_id}/report",
                         {"reason": "看看"}).status_code == 404
    as_user(client, "leader_in")
    assert "小组悄悄话" in page(client, f"/modules/{world.module_id}/threads")
    html = page(client, f"/threads/{thread_id}")
    assert "只给本组" in html and "Group: 第一学习小组" in html
    # A member of another group cannot open a thread in this one either.
    as_user(client, "member_b")
    response = post_form(client, f"/modules/{world.module_id}/threads",
                         {"title": "x", "body": "y", "where": f"group-{world.org.group_a.id}"})
    assert response.status_code == 422
    # The module only group_b studies: not there for the member at all.
    as_user(client, "member")
    assert client.get(f"/modules/{world.other_module_id}/threads").status_code == 404



def test_the_post_box_is_described_by_its_help_or_its_error(client, world):
    """The reply box on the thread page (its own light macro, not Bootstrap-Flask's) keeps its
    label, and screen readers hear the Markdown help, or the error once a post is refused."""
    as_user(client, "member")
    thread_id = open_thread(client, world.module_id)
    html = page(client, f"/threads/{thread_id}")
    box = re.search(r"<textarea[^>]*>", html).group(0)
    assert 'id="body"' in box and 'aria-describedby="body-note"' in box
    assert "is-invalid" not in box
    assert '<label class="form-label" for="body">Your post</label>' in html
    assert re.search(r'<small[^>]*id="body-note">Markdown', html)

    response = post_form(client, f"/threads/{thread_id}/posts", {"body": "  "})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    box = re.search(r"<textarea[^>]*>", html).group(0)
    assert "is-invalid" in box and 'aria-describedby="body-note"' in box
    error = re.search(r'<div class="invalid-feedback d-block" id="body-note">([^<]+)</div>', html)
    assert error and error.group(1).strip()
    assert 'id="body-note">Markdown' not in html

# --- safety -----------------------------------------------------------------------------------


def test_hostile_markdown_is_neutralised_on_the_thread_page(app, client, world):
    as_user(client, "member")
    thread_id = open_thread(client, world.module_id, "<script>alert(1)</script>标题", HOSTILE)
    opening = first_post_id(app, thread_id)
    as_user(client, "peer")
    reply_id = post_reply(client, thread_id, HOSTILE, parent_id=opening)
    html = page(client, f"/threads/{thread_id}")
    for post_id in (opening, reply_id):
        body = article(html, post_id)
        assert "<script" not in body and "alert(1)" not in body
        assert "javascript:" not in body.lower() and "onerror" not in body.lower()
        assert "<img" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;标题" in html  # the title is escaped
    assert "<script>alert(1)" not in html
    listing = page(client, f"/modules/{world.module_id}/threads")
    assert "<script>alert(1)" not in listing


# --- reading ----------------------------------------------------------------------------------


def test_unread_markers_disappear_after_reading(app, client, world):
    as_user(client, "member")
    thread_id = open_thread(client, world.module_id, "新话题", "请大家看看")
    assert ">New<" not in page(client, f"/modules/{world.module_id}/threads")  # my own
    as_user(client, "peer")
    listing = page(client, f"/modules/{world.module_id}/threads")
    assert ">New<" in listing and 'unread" href="/threads/' in listing
    assert ">New<" in page(client, f"/study/modules/{world.module_id}")
    page(client, f"/threads/{thread_id}")
    listing = page(client, f"/modules/{world.module_id}/threads")
    assert ">New<" not in listing and 'unread" href="/threads/' not in listing
    assert ">New<" not in page(client, f"/study/modules/{world.module_id}")
    as_user(client, "member")
    post_reply(client, thread_id, "新回复")
    as_user(client, "peer")
    assert ">New<" in page(client, f"/modules/{world.module_id}/threads")


def test_the_module_page_shows_the_discussion_card(app, client, world):
    as_user(client, "member")
    html = page(client, f"/study/modules/{world.module_id}")
    assert 'id="module-discussion"' in html and "No threads yet" in html
    assert "You have 0 of 2 posts this module asks for." in html
    thread_id = open_thread(client, world.module_id, "卡片上的话题", "一")
    html = page(client, f"/study/modules/{world.module_id}")
    assert "卡片上的话题" in html and f"/threads/{thread_id}" in html
    assert "You have 1 of 2 posts" in html and "All 1 thread" in html
    assert f"/modules/{world.module_id}/threads" in html
    post_reply(client, thread_id, "二")
    html = page(client, f"/study/modules/{world.module_id}")
    assert "You have 2 of 2 posts" in html and "Completed on" in html


def test_posting_is_rate_limited_with_the_normal_error_page(app, client, world, group_thread,
                                                           monkeypatch):
    monkeypatch.setitem(app.config, "DISCUSSION_POST_LIMIT", "2 per minute")
    as_user(client, "member")
    post_reply(client, group_thread, "一")
    open_thread(client, world.module_id)
    response = post_form(client, f"/threads/{group_thread}/posts", {"body": "三"})
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "<nav" in html and "Too many attempts" in html
    as_user(client, "peer")  # per user
    post_reply(client, group_thread, "我还可以")


# --- queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["member", "leader_in"])
def test_thread_page_issues_a_constant_number_of_queries(app, client, world, query_counter,
                                                         viewer):
    small = test_services.thread_with_posts(app, world, 5)
    large = test_services.thread_with_posts(app, world, 40)
    as_user(client, viewer)
    counts = []
    for thread_id, shown in ((small, 5), (large, 30)):
        url = f"/threads/{thread_id}?reply_to={first_post_id(app, thread_id)}"
        client.get(url)  # the first visit also creates the read marker
        with query_counter() as statements:
            html = page(client, url)
        assert html.count('<article class="card mb-2 post') == shown
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    if viewer == "leader_in":  # the later posts, with quotes of posts on the first page
        with query_counter() as statements:
            html = page(client, f"/threads/{large}?page=2")
        assert html.count('<article class="card mb-2 post') == 10
        assert len(statements) <= counts[1], statements


def test_thread_list_and_queue_issue_a_constant_number_of_queries(app, client, world,
                                                                  query_counter):
    def measure(url):
        client.get(url)
        with query_counter() as statements:
            page(client, url)
        return len(statements)

    test_services.thread_with_posts(app, world, 5)
    as_user(client, "leader_in")
    few = (measure(f"/modules/{world.module_id}/threads"), measure("/discussion-reports"),
           measure(f"/study/modules/{world.module_id}"))
    for _ in range(24):
        test_services.thread_with_posts(app, world, 5)
    html = page(client, f"/modules/{world.module_id}/threads")
    assert html.count('class="list-group-item" id="thread-') == 20 and "1 / 2" in html
    many = (measure(f"/modules/{world.module_id}/threads"), measure("/discussion-reports"),
            measure(f"/study/modules/{world.module_id}"))
    assert few == many


def test_thread_page_statements(app, client, world, query_counter):
    """What the thread page reads and writes: the thread with its module and course in one
    statement, the page of posts with their total in one, the assignments once; reading it
    again with nothing new writes no read marker (a new post is still marked New)."""
    thread_id = test_services.thread_with_posts(app, world, 40)
    as_user(client, "peer")
    page(client, f"/threads/{thread_id}")  # the first visit writes the read marker
    with query_counter() as statements:
        html = page(client, f"/threads/{thread_id}")
    assert html.count('<article class="card mb-2 post') == 30 and "1 / 2" in html
    selects_from = [re.search(r"\bFROM (\w+)", s).group(1) for s in statements
                    if s.lstrip().upper().startswith("SELECT")]
    assert selects_from.count("threads") == 1 and "modules" not in selects_from
    assert "courses" not in selects_from
    assert selects_from.count("posts") == 1 and selects_from.count("assignments") == 1
    assert not any("thread_reads" in s for s in statements if not s.lstrip().startswith("SELECT"))
    # A group thread: also "do I belong to it"; posts with an "@": the mentioned names.
    assert len(statements) <= 9, statements
    with query_counter() as statements:
        page(client, f"/threads/{thread_id}?page=3")  # past the end: counted separately
    assert sum(bool(re.search(r"\bFROM posts\b", s)) for s in statements) == 2
    as_user(client, "member")
    post_reply(client, thread_id, "新的一帖")
    as_user(client, "peer")
    assert ">New<" in page(client, f"/modules/{world.module_id}/threads")
    page(client, f"/threads/{thread_id}?page=2")
    assert ">New<" not in page(client, f"/modules/{world.module_id}/threads")


def test_thread_page_links_of_each_post(app, client, world):
    """Each post's links (built once per page, with the post's id put in) lead to that post's
    actions, and reply links stay on the page they are on."""
    thread_id = test_services.thread_with_posts(app, world, 40)
    with app.app_context():
        posts = db.session.scalars(select(Post).where(Post.thread_id == thread_id)
                                   .order_by(Post.created_at, Post.id)).all()
        mine = next(p.id for p in posts[30:] if p.author_id == world.org.member.id
                    and p.visible)
        theirs = next(p.id for p in posts[30:] if p.author_id != world.org.member.id
                      and p.visible)
    as_user(client, "member")
    html = page(client, f"/threads/{thread_id}?page=2")
    own = article(html, mine)
    assert f'href="/threads/{thread_id}?page=2&amp;reply_to={mine}#reply"' in own
    assert f'href="/posts/{mine}/edit"' in own and f'action="/posts/{mine}/delete"' in own
    assert "/report" not in own
    other = article(html, theirs)
    assert f'action="/posts/{theirs}/report"' in other and f'for="report-{theirs}"' in other
    assert "/edit" not in other and "/delete" not in other
    first = page(client, f"/threads/{thread_id}")
    assert f'href="/threads/{thread_id}?reply_to={posts[0].id}#reply"' in first
    as_user(client, "leader_in")
    html = page(client, f"/threads/{thread_id}?page=2")
    assert f'action="/posts/{theirs}/hide"' in article(html, theirs)
    hidden = next(p.id for p in posts[:30] if p.hidden_at is not None)
    assert f'action="/posts/{hidden}/unhide"' in article(page(client, f"/threads/{thread_id}"),
                                                       hidden)


@pytest.mark.parametrize("zone_name", ["Asia/Shanghai", "Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize("locale_name", ["en", "zh_Hans_CN"])
def test_post_times_read_as_the_house_date_time(app, zone_name, locale_name, monkeypatch):
    """Times are formatted with the lookups done once per request (learning/i18n.py: every
    template's `|datetimeformat('short')` and the thread's posts); the text is what Babel gives
    for the house pattern (DATE_FORMATS["datetime"]), across days, noon and midnight and the
    changes to and from summer time."""
    import flask_babel
    import pytz
    from babel import Locale
    from babel.dates import format_datetime

    from learning import i18n

    zone, locale = pytz.timezone(zone_name), Locale.parse(locale_name)
    start = datetime(2024, 1, 1, 0, 7, 30, tzinfo=UTC)
    times = [start + timedelta(hours=7 * i, minutes=13 * i) for i in range(1300)]
    times += [datetime(2024, 3, 31, 0, 59, tzinfo=UTC), datetime(2024, 3, 31, 1, 0, tzinfo=UTC),
              datetime(2024, 10, 27, 0, 59, tzinfo=UTC), datetime(2024, 10, 27, 1, 1, tzinfo=UTC),
              datetime(2024, 11, 3, 5, 30, tzinfo=UTC), datetime(2024, 6, 1, 12, 0)]  # naive
    with app.test_request_context():
        expected = [flask_babel.format_datetime(t, "yyyy-MM-dd HH:mm") for t in times[:50]]
        assert [i18n.short_datetime(t) for t in times[:50]] == expected  # the app's own
        monkeypatch.setattr(i18n, "get_timezone", lambda: zone)
        monkeypatch.setattr(i18n, "get_locale", lambda: locale)
        short = i18n.Moments("datetime")
        assert [short(t) for t in times] == [
            format_datetime(t, "yyyy-MM-dd HH:mm", tzinfo=zone, locale=locale) for t in times]
