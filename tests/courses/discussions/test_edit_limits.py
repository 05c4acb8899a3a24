"""Editing a post is bounded like posting (issue 16, item 6): edits spend the same
DISCUSSION_POST_LIMIT budget as threads and replies, pages and API together, and a post keeps
its text as posted plus only the latest DISCUSSION_REVISIONS_KEPT - 1 earlier texts."""

from sqlalchemy import select

from courses.discussions.models import PostRevision
from learning.extensions import db
from tests.conftest import post_form
from tests.courses.discussions import test_api, test_pages

world = test_api.world
group_thread_id = test_api.group_thread_id


def test_api_edits_count_against_the_posting_limit(app, client, world, group_thread_id,
                                                   monkeypatch):
    monkeypatch.setitem(app.config, "DISCUSSION_POST_LIMIT", "3 per minute")
    thread_id, _ = group_thread_id
    headers = test_api.as_user(client, "member")
    post = test_api.reply(client, headers, thread_id, "原文").get_json()
    for body in ("改一", "改二"):
        response = client.patch(f"/api/v1/posts/{post['id']}", json={"body": body},
                                headers=headers)
        assert response.status_code == 200
    # Three accepted in the minute: the next edit and the next reply are both refused.
    response = client.patch(f"/api/v1/posts/{post['id']}", json={"body": "改三"},
                            headers=headers)
    assert response.status_code == 429
    assert test_api.reply(client, headers, thread_id, "又一帖").status_code == 429
    with app.app_context():
        assert [r.body_md for r in db.session.scalars(select(PostRevision))] == ["原文", "改一"]


def test_page_edits_count_against_the_posting_limit_and_reading_does_not(
        app, client, world, group_thread_id, monkeypatch):
    monkeypatch.setitem(app.config, "DISCUSSION_POST_LIMIT", "2 per minute")
    thread_id, _ = group_thread_id
    test_pages.as_user(client, "member")
    post_id = test_pages.post_reply(client, thread_id, "原文")
    for _ in range(3):  # opening the edit page costs nothing
        assert client.get(f"/posts/{post_id}/edit").status_code == 200
    response = post_form(client, f"/posts/{post_id}/edit", {"body": "改一"})
    assert response.status_code == 302
    response = post_form(client, f"/posts/{post_id}/edit", {"body": "改二"})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_history_keeps_the_original_and_the_latest_revisions(app, client, world,
                                                             group_thread_id, monkeypatch):
    monkeypatch.setitem(app.config, "DISCUSSION_POST_LIMIT", "100 per minute")
    monkeypatch.setitem(app.config, "DISCUSSION_REVISIONS_KEPT", 3)
    thread_id, _ = group_thread_id
    headers = test_api.as_user(client, "member")
    post = test_api.reply(client, headers, thread_id, "原文" * 1000).get_json()
    for number in range(1, 7):
        response = client.patch(f"/api/v1/posts/{post['id']}", json={"body": f"改{number}"},
                                headers=headers)
        assert response.status_code == 200
    with app.app_context():
        kept = db.session.scalars(select(PostRevision.body_md).where(
            PostRevision.post_id == post["id"]).order_by(PostRevision.id)).all()
    assert kept == ["原文" * 1000, "改4", "改5"]
    # Moderators see exactly that history.
    headers = test_api.as_user(client, "leader_in")
    shown = client.get(f"/api/v1/threads/{thread_id}").get_json()["posts"]
    revisions = next(p for p in shown if p["id"] == post["id"])["revisions"]
    assert [r["body_md"] for r in revisions] == kept
