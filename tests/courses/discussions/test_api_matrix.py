"""Role-by-endpoint matrix of the discussions API (see tests/matrix.py).

The module's course is assigned to the whole committee; `other_module`'s only to group_b.
`group_thread` is kept inside group_a (opened by the member); `module_thread` is module-wide,
opened by member_b of group_b, so in it leader_out (not leader_in) moderates; only admins pin
it. `peer_post` is a group_a member's post in the group thread, `my_post` and `my_other_post`
the member's own, `hidden_post` a post leader_in hid, `report` the member's report of
`peer_post`. Bodies are empty (`{}`): where one is needed, a caller past the permission check
gets 422, everyone else their 401/403/404 before the body is read.
"""

import pytest

from tests.courses.discussions import test_services
from tests.courses.discussions.conftest import assert_only_the_member_deleted
from tests.matrix import ANY_USER_API, PERSONAS, check

world = test_services.world  # the shared fixture

ANY_BODY = {**ANY_USER_API, **{p: 422 for p in ("member", "leader_in", "leader_out", "admin")}}
NOT_MEMBER = {**ANY_USER_API, "member": 404}
NOT_MEMBER_BODY = {**ANY_BODY, "member": 404}
GROUP_A = {**ANY_USER_API, "leader_out": 404}
GROUP_A_BODY = {**ANY_BODY, "leader_out": 404}
GROUP_A_MODERATORS = {"anonymous": 401, "member": 403, "leader_in": 200, "leader_out": 404,
                      "admin": 200}
GROUP_A_MODERATORS_BODY = {**GROUP_A_MODERATORS, "leader_in": 422, "admin": 422}
# module_thread and its first post are member_b's: moderated by leader_out (group_b's branch).
GROUP_B_MODERATORS = {"anonymous": 401, "member": 403, "leader_in": 403, "leader_out": 200,
                      "admin": 200}
GROUP_B_MODERATORS_BODY = {**GROUP_B_MODERATORS, "leader_out": 422, "admin": 422}
ADMINS = {**GROUP_B_MODERATORS, "leader_out": 403}  # pinning a module-wide thread
NOT_MINE = {"anonymous": 401, "member": 403, "leader_in": 403, "leader_out": 404, "admin": 403}
MINE_BODY = {**NOT_MINE, "member": 422}
MINE = {**NOT_MINE, "member": 200}
MY_OWN_REPORT = {**GROUP_A_BODY, "member": 403}
REPORT_QUEUE = {"anonymous": 401, "member": 403, "leader_in": 200, "leader_out": 200,
                "admin": 200}
RESOLVE = {"anonymous": 401, "member": 403, "leader_in": 422, "leader_out": 404, "admin": 422}

ENDPOINTS = [
    ("GET", "/api/v1/modules/{module}/threads", ANY_USER_API),
    ("GET", "/api/v1/modules/{other_module}/threads", NOT_MEMBER),
    ("POST", "/api/v1/modules/{module}/threads", ANY_BODY),
    ("POST", "/api/v1/modules/{other_module}/threads", NOT_MEMBER_BODY),
    ("GET", "/api/v1/threads/{module_thread}", ANY_USER_API),
    ("GET", "/api/v1/threads/{group_thread}", GROUP_A),
    ("POST", "/api/v1/threads/{module_thread}/posts", ANY_BODY),
    ("POST", "/api/v1/threads/{group_thread}/posts", GROUP_A_BODY),
    ("POST", "/api/v1/threads/{group_thread}/lock", GROUP_A_MODERATORS),
    ("POST", "/api/v1/threads/{group_thread}/unlock", GROUP_A_MODERATORS),
    ("POST", "/api/v1/threads/{group_thread}/pin", GROUP_A_MODERATORS),
    ("POST", "/api/v1/threads/{group_thread}/unpin", GROUP_A_MODERATORS),
    ("POST", "/api/v1/threads/{module_thread}/lock", GROUP_B_MODERATORS),
    ("POST", "/api/v1/threads/{module_thread}/pin", ADMINS),
    ("PATCH", "/api/v1/posts/{peer_post}", NOT_MINE),
    ("PATCH", "/api/v1/posts/{my_post}", MINE_BODY),
    ("DELETE", "/api/v1/posts/{peer_post}", NOT_MINE),
    ("DELETE", "/api/v1/posts/{my_other_post}", MINE),
    ("POST", "/api/v1/posts/{peer_post}/report", GROUP_A_BODY),
    ("POST", "/api/v1/posts/{my_post}/report", MY_OWN_REPORT),
    ("POST", "/api/v1/posts/{peer_post}/hide", GROUP_A_MODERATORS_BODY),
    ("POST", "/api/v1/posts/{module_post_b}/hide", GROUP_B_MODERATORS_BODY),
    ("POST", "/api/v1/posts/{hidden_post}/unhide", GROUP_A_MODERATORS),
    ("POST", "/api/v1/posts/{module_post_b}/unhide", GROUP_B_MODERATORS),
    ("GET", "/api/v1/discussion-reports", REPORT_QUEUE),
    ("POST", "/api/v1/discussion-reports/{report}/resolve", RESOLVE),
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_discussion_api_role_matrix(app, client, org, persona, discussion):
    """Each persona gets exactly the expected status from every discussions API endpoint."""
    failures = check(client, org, persona, ENDPOINTS, discussion)
    assert not failures, "\n".join(failures)
    with app.app_context():
        assert_only_the_member_deleted(discussion, persona)
