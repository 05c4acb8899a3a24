"""Role-by-endpoint matrix of the completion report pages (see tests/matrix.py).

The course is assigned at the committee, so it concerns every unit; `other` is assigned to
group_b only, so it concerns neither group_a nor branch_a. Besides the shared personas a
committee leader (`committee_leader`, who leads the whole tree) asks every page. Reports are for
leaders and admins: a member is refused (403) on every page before anything is loaded; a leader
sees their own subtree only (a sibling branch, the committee above, a missing id or an
assignment that does not concern the unit is a 404 alike); admins see all. The member is on
group_a's roster, not on group_b's: their page there is a 404 even for admins. The reminder
rows change state and come last; group_a's member has not completed, so whoever may remind
group_a sends one and is sent back to the 未学名单 (302).
"""

import pytest
from sqlalchemy import func, select

from learning.extensions import db
from learning.reports.models import Reminder
from tests.matrix import PERSONAS, check

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

ALL_PERSONAS = (*PERSONAS, "committee_leader")

LEADERS = {"anonymous": "login", "member": 403, "leader_in": 200, "leader_out": 200,
           "admin": 200, "committee_leader": 200}
START = {**LEADERS, "leader_in": 302, "leader_out": 302, "admin": 302, "committee_leader": 302}
IN_GROUP_A = {**LEADERS, "leader_out": 404}
IN_BRANCH_B = {**LEADERS, "leader_in": 404}
COMMITTEE = {**LEADERS, "leader_in": 404, "leader_out": 404}
MISSING = {**LEADERS, "leader_in": 404, "leader_out": 404, "admin": 404,
           "committee_leader": 404}
BAD_DATE_IN_GROUP_A = {**IN_GROUP_A, "leader_in": 422, "admin": 422, "committee_leader": 422}
REMIND_GROUP_A = {**IN_GROUP_A, "leader_in": 302, "admin": 302, "committee_leader": 302}
REMIND_COMMITTEE = {**COMMITTEE, "admin": 302, "committee_leader": 302}

PERIOD = "/reports/assignments/{assignment}/units"
ENDPOINTS = [
    ("GET", "/reports/", START),
    ("GET", "/reports/units/{group_a}", IN_GROUP_A),
    ("GET", "/reports/units/{branch_a}?from=2020-01-01&to=2030-12-31", IN_GROUP_A),
    ("GET", "/reports/units/{group_a}?from=2026-02-30", BAD_DATE_IN_GROUP_A),
    ("GET", "/reports/units/{branch_b}", IN_BRANCH_B),
    ("GET", "/reports/units/{committee}", COMMITTEE),
    ("GET", "/reports/units/{missing}", MISSING),
    ("GET", PERIOD + "/{group_a}", IN_GROUP_A),
    ("GET", PERIOD + "/{branch_a}?status=not_started&page=2", IN_GROUP_A),
    ("GET", PERIOD + "/{group_b}", IN_BRANCH_B),
    ("GET", PERIOD + "/{committee}", COMMITTEE),
    ("GET", PERIOD + "/{missing}", MISSING),
    ("GET", "/reports/assignments/{missing}/units/{group_a}", MISSING),
    ("GET", "/reports/assignments/{other}/units/{group_a}", MISSING),
    ("GET", PERIOD + "/{group_a}/members/{member}", IN_GROUP_A),
    ("GET", PERIOD + "/{committee}/members/{member}", COMMITTEE),
    ("GET", PERIOD + "/{group_b}/members/{member}", MISSING),
    ("GET", PERIOD + "/{group_a}/not-completed", IN_GROUP_A),
    ("GET", PERIOD + "/{branch_b}/not-completed", IN_BRANCH_B),
    ("GET", PERIOD + "/{committee}/not-completed", COMMITTEE),
    ("GET", PERIOD + "/{group_a}/export.xlsx", IN_GROUP_A),
    ("GET", PERIOD + "/{committee}/export.xlsx", COMMITTEE),
    ("GET", PERIOD + "/{group_a}/export.csv", IN_GROUP_A),
    ("GET", PERIOD + "/{group_a}/export.csv?kind=members", IN_GROUP_A),
    ("GET", PERIOD + "/{group_a}/export.csv?kind=not_completed", IN_GROUP_A),
    ("GET", PERIOD + "/{committee}/export.csv", COMMITTEE),
    ("GET", PERIOD + "/{group_a}/export.csv?kind=everything", MISSING),
    ("GET", "/reports/reminders", LEADERS),
    ("POST", PERIOD + "/{missing}/reminders", MISSING),
    ("POST", "/reports/assignments/{other}/units/{group_a}/reminders", MISSING),
    ("POST", PERIOD + "/{group_a}/reminders", REMIND_GROUP_A),
    ("POST", PERIOD + "/{committee}/reminders", REMIND_COMMITTEE),
]


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_report_pages_role_matrix(app, client, org, persona, make_user, make_course,
                                  make_assignment):
    """Each persona gets exactly the expected status from every report page."""
    org.committee_leader = make_user("leader_top", name="书记",
                                     units=[(org.committee, "leader")])
    course = make_course(modules=2)
    assignment = make_assignment(course, org.committee)
    other = make_assignment(course, org.group_b, title="第二小组专场")
    ids = {"assignment": assignment.id, "other": other.id, "committee": org.committee.id,
           "branch_a": org.branch_a.id, "branch_b": org.branch_b.id,
           "group_a": org.group_a.id, "group_b": org.group_b.id, "member": org.member.id,
           "missing": 999_999}
    failures = check(client, org, persona, ENDPOINTS, ids)
    assert not failures, "\n".join(failures)
    with app.app_context():
        # Only the reminders that were answered with a redirect were sent.
        sent = db.session.scalar(select(func.count()).select_from(Reminder))
    assert sent == sum(1 for method, _t, expected in ENDPOINTS
                       if method == "POST" and expected[persona] == 302)
