"""Role-by-endpoint matrix of the discussion pages (see tests/matrix.py).

The module's course is assigned to the whole committee; `other_module`'s only to group_b (leaders
see every published module). `group_thread` is kept inside group_a (opened by the member);
`module_thread` is module-wide, opened by member_b of group_b, so in it leader_out (not
leader_in) moderates. `peer_post` is a group_a member's post in the group thread, `my_post` and
`my_other_post` the member's own, `hidden_post` a post leader_in hid, `report` the member's
report of `peer_post`. Forms carry only the CSRF token: where text is needed, a user past the
permission check gets the form back with a message (422), or, for the small forms on a thread
page, a redirect back with the message; everyone else their login/403/404 first. The rows that
change state come last.
"""

import pytest
from sqlalchemy import select

from courses.discussions.models import Thread
from learning.extensions import db
from tests.courses.discussions import test_services
from tests.courses.discussions.conftest import assert_only_the_member_deleted
from tests.matrix import ANY_USER, PERSONAS, check

world = test_services.world  # the shared fixture

VIEWERS_POST = {"anonymous": "login", "member": 302, "leader_in": 302, "leader_out": 302,
                "admin": 302}
ANY_FORM = {**ANY_USER, **{p: 422 for p in ("member", "leader_in", "leader_out", "admin")}}
NOT_MEMBER = {**ANY_USER, "member": 404}
NOT_MEMBER_FORM = {**ANY_FORM, "member": 404}
GROUP_A = {**ANY_USER, "leader_out": 404}
GROUP_A_FORM = {**ANY_FORM, "leader_out": 404}
GROUP_A_POST = {**VIEWERS_POST, "leader_out": 404}
GROUP_A_MODERATORS = {"anonymous": "login", "member": 403, "leader_in": 302, "leader_out": 404,
                      "admin": 302}
# module_thread and its first post are member_b's: moderated by leader_out (group_b's branch).
GROUP_B_MODERATORS = {"anonymous": "login", "member": 403, "leader_in": 403, "leader_out": 302,
                      "admin": 302}
NOT_MINE = {"anonymous": "login", "member": 403, "leader_in": 403, "leader_out": 404,
            "admin": 403}
MY_EDIT_PAGE = {**NOT_MINE, "member": 200}
MY_EDIT_FORM = {**NOT_MINE, "member": 422}
MINE_POST = {**NOT_MINE, "member": 302}
MY_OWN_REPORT = {**GROUP_A_POST, "member": 403}
REPORT_QUEUE = {"anonymous": "login", "member": 403, "leader_in": 200, "leader_out": 200,
                "admin": 200}

ENDPOINTS = [
    ("GET", "/modules/{module}/threads", ANY_USER),
    ("GET", "/modules/{other_module}/threads", NOT_MEMBER),
    ("POST", "/modules/{module}/threads", ANY_FORM),
    ("POST", "/modules/{other_module}/threads", NOT_MEMBER_FORM),
    ("GET", "/threads/{module_thread}", ANY_USER),
    ("GET", "/threads/{group_thread}", GROUP_A),
    ("GET", "/threads/{group_thread}?reply_to={peer_post}&page=1", GROUP_A),
    ("GET", "/posts/{peer_post}", GROUP_A_POST),
    ("GET", "/posts/{module_post_b}", VIEWERS_POST),
    ("POST", "/threads/{module_thread}/posts", ANY_FORM),
    ("POST", "/threads/{group_thread}/posts", GROUP_A_FORM),
    ("GET", "/posts/{peer_post}/edit", NOT_MINE),
    ("GET", "/posts/{my_post}/edit", MY_EDIT_PAGE),
    ("POST", "/posts/{peer_post}/edit", NOT_MINE),
    ("POST", "/posts/{my_post}/edit", MY_EDIT_FORM),
    ("POST", "/posts/{peer_post}/report", GROUP_A_POST),
    ("POST", "/posts/{my_post}/report", MY_OWN_REPORT),
    ("POST", "/posts/{peer_post}/hide", GROUP_A_MODERATORS),
    ("POST", "/posts/{module_post_b}/hide", GROUP_B_MODERATORS),
    ("GET", "/discussion-reports", REPORT_QUEUE),
    ("POST", "/discussion-reports/{report}/resolve", GROUP_A_MODERATORS),
    ("POST", "/posts/{hidden_post}/unhide", GROUP_A_MODERATORS),
    ("POST", "/posts/{module_post_b}/unhide", GROUP_B_MODERATORS),
    ("POST", "/posts/{peer_post}/delete", NOT_MINE),
    ("POST", "/posts/{my_other_post}/delete", MINE_POST),
    ("POST", "/threads/{group_thread}/pin", GROUP_A_MODERATORS),
    ("POST", "/threads/{group_thread}/unpin", GROUP_A_MODERATORS),
    # Module-wide threads are pinned by admins only (read across every branch).
    ("POST", "/threads/{module_thread}/pin", {**GROUP_B_MODERATORS, "leader_out": 403}),
    ("POST", "/threads/{module_thread}/unpin", {**GROUP_B_MODERATORS, "leader_out": 403}),
    ("POST", "/threads/{module_thread}/lock", GROUP_B_MODERATORS),
    ("POST", "/threads/{module_thread}/unlock", GROUP_B_MODERATORS),
    ("POST", "/threads/{group_thread}/lock", GROUP_A_MODERATORS),
    ("POST", "/threads/{group_thread}/unlock", GROUP_A_MODERATORS),
]

# JSON asked by the reply box's script, not a page to reach by links.
DEDICATED = {
    "/threads/<int:thread_id>/mentions": "test_mentions (its group only; outsiders 404; login)",
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_discussion_pages_role_matrix(app, client, org, persona, discussion):
    """Each persona gets exactly the expected status from every discussion page."""
    failures = check(client, org, persona, ENDPOINTS, discussion)
    assert not failures, "\n".join(failures)
    with app.app_context():
        assert_only_the_member_deleted(discussion, persona)
        # The moderators' state changes were undone in order.
        for thread in db.session.scalars(select(Thread)):
            assert not thread.locked and not thread.pinned
