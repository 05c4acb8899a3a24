"""Role-by-endpoint matrix of the notification centre and its API.

See tests/matrix.py. Everyone logged in has a centre of their own; `mine` is the member's
notification, so only the member may open it (others get 404, like a missing one). The rows
that change state come last.
"""

import pytest

from learning.extensions import db
from tests.matrix import ANY_USER, ANY_USER_API, PERSONAS, check

ANY_USER_POST = {**ANY_USER, "member": 302, "leader_in": 302, "leader_out": 302, "admin": 302}
OWNER_ONLY_POST = {"anonymous": "login", "member": 302, "leader_in": 404, "leader_out": 404,
                   "admin": 404}

ENDPOINTS = [
    ("GET", "/notifications/", ANY_USER),
    ("GET", "/api/v1/notifications", ANY_USER_API),
    ("GET", "/notifications/{mine}/open", OWNER_ONLY_POST),
    ("POST", "/notifications/read-all", ANY_USER_POST),
    ("POST", "/api/v1/notifications/read", ANY_USER_API),
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_notifications_role_matrix(app, client, org, persona):
    """Each persona gets exactly the expected status from every notification endpoint."""
    from learning.notifications import services

    with app.app_context():
        services.notify([org.member.id], "post.reply", {"thread": "有人回复了你"}, url="/")
        db.session.commit()
        [mine] = db.session.scalars(db.select(services.Notification.id)).all()
    failures = check(client, org, persona, ENDPOINTS, {"mine": mine})
    assert not failures, "\n".join(failures)
    with app.app_context():
        # Only the member herself marked it read (opening it, then read-all).
        assert (services.unread_count(org.member.id) == 0) == (persona == "member")
