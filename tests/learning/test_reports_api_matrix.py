"""Role-by-endpoint matrix of the completion-report API (see tests/matrix.py).

The course is assigned at the committee, so it concerns every unit. Reports are for leaders and
admins: a member is refused (403) before anything is loaded; a leader sees their own subtree
only (a sibling branch, the committee above or a missing id is a 404 alike); admins see all.
The member is on group_a's roster, not on group_b's: their detail there is a 404 even for admins.
"""

import pytest

from tests.matrix import PERSONAS, check

LEADERS = {"anonymous": 401, "member": 403, "leader_in": 200, "leader_out": 200, "admin": 200}
IN_GROUP_A = {**LEADERS, "leader_out": 404}
ADMINS_ONLY = {**LEADERS, "leader_in": 404, "leader_out": 404}
MISSING = {**LEADERS, "leader_in": 404, "leader_out": 404, "admin": 404}
# group_a's member has not completed, so whoever may remind group_a sends one reminder.
REMIND_GROUP_A = {**IN_GROUP_A, "leader_in": 201, "admin": 201}

REPORT = "/api/v1/reports/assignments/{assignment}/units"
ENDPOINTS = [
    ("GET", "/api/v1/reports/units", LEADERS),
    ("GET", "/api/v1/reports/units/{group_a}", IN_GROUP_A),
    ("GET", "/api/v1/reports/units/{branch_a}?from=2020-01-01&to=2030-12-31", IN_GROUP_A),
    ("GET", "/api/v1/reports/units/{committee}", ADMINS_ONLY),
    ("GET", "/api/v1/reports/units/{missing}", MISSING),
    ("GET", REPORT + "/{group_a}", IN_GROUP_A),
    ("GET", REPORT + "/{committee}", ADMINS_ONLY),
    ("GET", "/api/v1/reports/assignments/{missing}/units/{group_a}", MISSING),
    ("GET", REPORT + "/{group_a}/members", IN_GROUP_A),
    ("GET", REPORT + "/{group_a}/members?status=not_started&per_page=200", IN_GROUP_A),
    ("GET", REPORT + "/{group_a}/members/{member}", IN_GROUP_A),
    ("GET", REPORT + "/{group_b}/members/{member}", MISSING),
    ("GET", REPORT + "/{group_a}/not-completed", IN_GROUP_A),
    ("GET", REPORT + "/{committee}/not-completed", ADMINS_ONLY),
    ("GET", REPORT + "/{group_a}/export.xlsx", IN_GROUP_A),
    ("GET", REPORT + "/{committee}/export.xlsx", ADMINS_ONLY),
    ("GET", REPORT + "/{group_a}/export.csv", IN_GROUP_A),
    ("GET", REPORT + "/{group_a}/export.csv?kind=not_completed", IN_GROUP_A),
    ("POST", REPORT + "/{group_a}/reminders", REMIND_GROUP_A),
    ("POST", REPORT + "/{missing}/reminders", MISSING),
    ("GET", "/api/v1/reports/reminders", LEADERS),
    ("GET", "/api/v1/reports/reminders?assignment_id={assignment}", LEADERS),
    ("GET", "/api/v1/reports/reminders?unit_id={group_a}", IN_GROUP_A),
    ("GET", "/api/v1/reports/reminders?unit_id={committee}", ADMINS_ONLY),
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_reports_api_role_matrix(client, org, persona, make_course, make_assignment):
    """Each persona gets exactly the expected status from every report endpoint."""
    assignment = make_assignment(make_course(modules=2), org.committee)
    ids = {"assignment": assignment.id, "committee": org.committee.id,
           "branch_a": org.branch_a.id, "group_a": org.group_a.id, "group_b": org.group_b.id,
           "member": org.member.id, "missing": 999_999}
    failures = check(client, org, persona, ENDPOINTS, ids)
    assert not failures, "\n".join(failures)
