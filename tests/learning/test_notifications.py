"""The notification centre: notify, the unread badge in the navigation, the centre page,
opening (mark read, then only local redirects), read-all, and the JSON API.

Messages are read in English.
"""

import re

import pytest
from sqlalchemy import func, select

from learning.extensions import db
from learning.messages import TEXT_MAX
from learning.notifications import services
from learning.notifications.models import Notification
from tests.conftest import csrf_token, login, post_form

BADGE = re.compile(r'notification-badge">(\d+\+?)<')


# A message of each kind (learning/messages.py); `text` names the thread or the assignment.
MESSAGES = {"reply": "post.reply", "mention": "post.mention", "moderation": "post.hidden",
            "reminder": "study.reminder", "report": "post.reported"}


def _notify(app, user_ids, kind="reply", text="有人回复了你", url="/threads/1#post-2",
            actor_id=None) -> int:
    params = {"name": "张三", "thread": text, "title": text, "reason": "广告",
              "due": "2026-12-31T16:00:00+00:00"}
    with app.app_context():
        count = services.notify(user_ids, MESSAGES[kind], params, url=url, actor_id=actor_id)
        db.session.commit()
    return count


def _named(text: str) -> str:
    """What a rendered notification names between its quotes (「…」 or “…”)."""
    return re.search(r"[「“](.+?)[」”]", text).group(1)


def _rows(app, user_id):
    with app.app_context():
        return db.session.scalars(select(Notification).where(Notification.user_id == user_id)
                                  .order_by(Notification.id)).all()


def _ids(app, user_id) -> list[int]:
    return [n.id for n in _rows(app, user_id)]


def _badge(page: str) -> str | None:
    match = BADGE.search(page)
    return match.group(1) if match else None


def _english(client, username):
    client.get("/lang/en")
    assert login(client, username).status_code == 302


# --- the service --------------------------------------------------------------------------------


def test_notify_skips_the_actor_duplicates_and_inactive_users(app, org, make_user):
    gone = make_user("gone", active=False)
    count = _notify(app, [org.member.id, org.member.id, org.leader_in.id, org.admin.id, gone.id,
                          None, 987654], kind="mention", actor_id=org.admin.id)
    assert count == 2
    [note] = _rows(app, org.member.id)
    with app.app_context():  # read in the site's default language
        text = note.text
    assert (note.kind, text, note.url, note.actor_id, note.read_at) == (
        "mention", "张三 在「有人回复了你」中提到了你。", "/threads/1#post-2", org.admin.id, None)
    assert note.created_at is not None
    assert len(_rows(app, org.leader_in.id)) == 1
    assert _rows(app, org.admin.id) == [] and _rows(app, gone.id) == []
    assert _notify(app, [org.admin.id], actor_id=org.admin.id) == 0
    assert _notify(app, []) == 0


def test_notify_writes_everyone_in_one_statement(app, org, make_user, query_counter):
    people = [make_user(units=[(org.group_a, "member")]).id for _ in range(12)]
    with query_counter() as statements:
        assert _notify(app, people, actor_id=None) == 12
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1, inserts


def test_notify_keeps_text_on_one_line_and_refuses_foreign_urls_and_kinds(app, org):
    _notify(app, [org.member.id], text="第一行\n\n第二行   " + "长" * 400, url="")
    [note] = _rows(app, org.member.id)
    with app.app_context():
        text = note.text
    assert text.startswith("张三 回复了你在「第一行 第二行 长") and "\n" not in text
    assert len(text) == TEXT_MAX and text.endswith("…")
    assert note.url == ""
    with app.app_context():
        for url in ("//evil.example/x", "http://evil.example/", "javascript:alert(1)",
                    "threads/1", "/\\evil.example"):
            with pytest.raises(ValueError):
                services.notify([org.member.id], "post.reply", {}, url=url)
        for message in ("reply", "birthday", "legacy"):  # a kind is no message; legacy is old
            with pytest.raises(ValueError):
                services.notify([org.member.id], message, {})


def test_unread_count_recent_and_mark_read_only_touch_the_users_own(app, org):
    _notify(app, [org.member.id], text="一")
    _notify(app, [org.member.id], text="二")
    _notify(app, [org.member.id, org.leader_in.id], text="三")
    mine = _ids(app, org.member.id)
    [theirs] = _ids(app, org.leader_in.id)
    with app.app_context():
        assert services.unread_count(org.member.id) == 3
        newest = db.session.scalars(services.recent_select(org.member.id)).all()
        assert [_named(n.text) for n in newest] == ["三", "二", "一"]
        # Someone else's id is ignored; marking twice counts once.
        assert services.mark_read(org.member.id, [mine[0], theirs]) == 1
        assert services.mark_read(org.member.id, [mine[0]]) == 0
        assert services.mark_read(org.member.id, []) == 0
        assert services.unread_count(org.member.id) == 2
        assert [_named(n.text) for n in db.session.scalars(
            services.recent_select(org.member.id, unread_only=True))] == ["三", "二"]
        assert services.mark_read(org.member.id) == 2
        db.session.commit()
        assert services.unread_count(org.member.id) == 0
        assert services.unread_count(org.leader_in.id) == 1


# --- the navigation badge -------------------------------------------------------------------


def test_the_navigation_shows_my_unread_count_and_no_badge_at_zero(app, client, org,
                                                                  query_counter):
    _english(client, "member")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/notifications/"' in page and ">Notifications" in page
    assert _badge(page) is None

    _notify(app, [org.member.id, org.leader_in.id])
    _notify(app, [org.member.id])
    with query_counter() as statements:
        page = client.get("/").get_data(as_text=True)
    assert _badge(page) == "2"
    assert '2<span class="visually-hidden"> unread</span>' in page
    counts = [s for s in statements if "FROM notifications" in s]
    assert len(counts) == 1, counts  # one COUNT per page

    with app.app_context():
        services.mark_read(org.member.id)
        db.session.commit()
    assert _badge(client.get("/").get_data(as_text=True)) is None


def test_the_badge_caps_at_99(app, client, org):
    _english(client, "member")
    _notify(app, [org.member.id])
    with app.app_context():
        for _ in range(100):
            services.notify([org.member.id], "study.reminder", {"title": "请学习"}, url="/")
        db.session.commit()
    assert _badge(client.get("/").get_data(as_text=True)) == "99+"


def test_anonymous_pages_ask_nothing_about_notifications(app, client, org, query_counter):
    client.get("/lang/en")
    with query_counter() as statements:
        page = client.get("/login").get_data(as_text=True)
    assert "/notifications" not in page
    assert not [s for s in statements if "notifications" in s]


# --- the centre ---------------------------------------------------------------------------------


def test_the_centre_lists_only_my_notifications_newest_first_unread_marked(app, client, org):
    _notify(app, [org.member.id], text="较早的回复")
    _notify(app, [org.leader_in.id], text="别人的通知")
    _notify(app, [org.member.id], kind="moderation", text="较新的处理")
    first = _ids(app, org.member.id)[0]
    with app.app_context():
        services.mark_read(org.member.id, [first])
        db.session.commit()
    _english(client, "member")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "别人的通知" not in page
    assert page.index("较新的处理") < page.index("较早的回复")
    assert page.count("list-group-item-warning") == 1
    assert page.count(">Unread<") == 1
    assert "Moderation" in page and "Reply" in page
    for note_id in _ids(app, org.member.id):
        assert f'href="/notifications/{note_id}/open"' in page
    assert "Mark all read" in page


def test_an_empty_centre_says_so(client, org):
    _english(client, "member")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "No notifications yet." in page and "Mark all read" not in page


def test_opening_marks_read_and_follows_the_local_url(app, client, org):
    _notify(app, [org.member.id], url="/threads/7#post-9")
    [note_id] = _ids(app, org.member.id)
    _english(client, "member")
    response = client.get(f"/notifications/{note_id}/open")
    assert response.status_code == 302
    assert response.location == "/threads/7#post-9"
    [note] = _rows(app, org.member.id)
    assert note.read_at is not None
    assert _badge(client.get("/").get_data(as_text=True)) is None


@pytest.mark.parametrize("url", ["//evil.example/x", "http://evil.example/", "/\\evil.example",
                                 "/%09/evil.example", "https:evil.example", ""])
def test_opening_never_redirects_off_the_site(app, client, org, url):
    # Written past the service's own check (as an old row or a bad import might be).
    with app.app_context():
        note = Notification(user_id=org.member.id, kind="reply", message="post.reply",
                            params={"thread": "坏链接"}, url=url)
        db.session.add(note)
        db.session.commit()
        note_id = note.id
    _english(client, "member")
    response = client.get(f"/notifications/{note_id}/open")
    assert response.status_code == 302
    assert response.location == "/notifications/"
    assert _rows(app, org.member.id)[0].read_at is not None


def test_someone_elses_notification_cannot_be_opened(app, client, org):
    _notify(app, [org.leader_in.id])
    [theirs] = _ids(app, org.leader_in.id)
    _english(client, "member")
    assert client.get(f"/notifications/{theirs}/open").status_code == 404
    assert client.get("/notifications/999999/open").status_code == 404
    assert _rows(app, org.leader_in.id)[0].read_at is None


def test_read_all_needs_a_csrf_token_and_marks_only_mine(app, client, org):
    _notify(app, [org.member.id, org.leader_in.id])
    _notify(app, [org.member.id])
    _english(client, "member")
    assert client.post("/notifications/read-all").status_code == 400  # no token
    with app.app_context():
        assert services.unread_count(org.member.id) == 2
    response = post_form(client, "/notifications/read-all", follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "All notifications are marked read." in page
    assert _badge(page) is None
    with app.app_context():
        assert services.unread_count(org.member.id) == 0
        assert services.unread_count(org.leader_in.id) == 1


def test_the_centre_paginates(app, client, org):
    with app.app_context():
        for n in range(25):
            services.notify([org.member.id], "study.reminder", {"title": f"提醒{n:02d}"},
                            url="/")
        db.session.commit()
    _english(client, "member")
    first = client.get("/notifications/").get_data(as_text=True)
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert first.count("/open\"") == 20 and second.count("/open\"") == 5
    assert "提醒24" in first and "提醒00" in second and "提醒00" not in first


def test_the_centre_issues_the_same_queries_for_3_and_30_notifications(app, client, org,
                                                                     make_user, query_counter):
    counts = []
    for size in (3, 30):
        user = make_user()
        with app.app_context():
            for n in range(size):
                services.notify([user.id], "post.mention", {"thread": f"提及{n}"},
                                url=f"/threads/{n}", actor_id=org.admin.id)
            db.session.commit()
        other = app.test_client()
        assert login(other, user.username).status_code == 302
        with query_counter() as statements:
            page = other.get("/notifications/?page=1").get_data(as_text=True)
        assert page.count("list-group-item-warning") == min(size, 20)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# --- the API ------------------------------------------------------------------------------------


def test_api_lists_my_notifications_with_the_unread_count(app, client, org):
    _notify(app, [org.member.id], text="一", actor_id=org.admin.id)
    _notify(app, [org.member.id, org.leader_in.id], kind="mention", text="二")
    _notify(app, [org.member.id], kind="reminder", text="三", url="")
    first = _ids(app, org.member.id)[0]
    with app.app_context():
        services.mark_read(org.member.id, [first])
        db.session.commit()
    _english(client, "member")
    body = client.get("/api/v1/notifications?page_size=2").get_json()
    assert body["unread_count"] == 2
    assert (body["page"], body["page_size"], body["total"], body["pages"]) == (1, 2, 3, 2)
    assert [n["text"] for n in body["notifications"]] == [
        "Please finish the study assignment “三” soon (due Fri 2027-01-01 00:00).",
        "张三 mentioned you in “二”."]
    assert body["notifications"][0]["url"] == "" and body["notifications"][0]["read_at"] is None
    assert set(body["notifications"][0]) == {"id", "kind", "text", "url", "actor_id",
                                             "created_at", "read_at"}
    rest = client.get("/api/v1/notifications?page=2&page_size=2").get_json()
    assert [(_named(n["text"]), n["actor_id"], n["read_at"] is not None)
            for n in rest["notifications"]] == [("一", org.admin.id, True)]
    unread = client.get("/api/v1/notifications?unread=true").get_json()
    assert [_named(n["text"]) for n in unread["notifications"]] == ["三", "二"]
    assert client.get("/api/v1/notifications?page_size=1000").status_code == 422


def test_api_marks_read_by_id_or_all_and_never_someone_elses(app, client, org):
    _notify(app, [org.member.id, org.leader_in.id])
    _notify(app, [org.member.id])
    _notify(app, [org.member.id])
    mine = _ids(app, org.member.id)
    [theirs] = _ids(app, org.leader_in.id)
    _english(client, "member")
    headers = {"X-CSRFToken": csrf_token(client)}
    body = client.post("/api/v1/notifications/read", json={"ids": [mine[0], theirs]},
                       headers=headers).get_json()
    assert body == {"marked": 1, "unread_count": 2}
    with app.app_context():
        assert services.unread_count(org.leader_in.id) == 1
    assert client.post("/api/v1/notifications/read", json={"ids": ["x"]},
                       headers=headers).status_code == 422
    assert client.post("/api/v1/notifications/read", json={"ids": [theirs]},
                       headers=headers).get_json() == {"marked": 0, "unread_count": 2}
    body = client.post("/api/v1/notifications/read", json={}, headers=headers).get_json()
    assert body == {"marked": 2, "unread_count": 0}
    with app.app_context():
        assert services.unread_count(org.leader_in.id) == 1
        assert db.session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.read_at.is_(None))) == 1


def test_api_mark_read_with_the_session_cookie_needs_the_csrf_header(app, client, org):
    _notify(app, [org.member.id])
    _english(client, "member")
    assert client.post("/api/v1/notifications/read", json={}).status_code == 400
    with app.app_context():
        assert services.unread_count(org.member.id) == 1


def test_the_api_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/notifications" in spec["paths"]
    assert "post" in spec["paths"]["/api/v1/notifications/read"]
