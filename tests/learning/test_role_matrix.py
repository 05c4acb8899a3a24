"""Role-by-endpoint matrix of the learning core, and the check that every route is in a matrix.

See tests/matrix.py for how a feature adds its own matrix.
"""

import pytest

from tests.matrix import (
    ADMIN_API,
    ADMIN_PAGE,
    ADMIN_POST,
    ANY_USER,
    ANY_USER_API,
    PERSONAS,
    check,
    matrix_modules,
    shape,
    upload,
)

ENDPOINTS = [
    ("GET", "/", ANY_USER),
    ("GET", "/account/", ANY_USER),
    ("GET", "/account/password", ANY_USER),
    ("GET", "/account/tokens", ANY_USER),
    ("GET", "/admin/units/", ADMIN_PAGE),
    ("GET", "/admin/units/new", ADMIN_PAGE),
    ("GET", "/admin/units/{group_a}", ADMIN_PAGE),
    ("POST", "/admin/units/{group_a}/delete", ADMIN_POST),
    ("GET", "/admin/members/", ADMIN_PAGE),
    ("GET", "/admin/members/new", ADMIN_PAGE),
    ("GET", "/admin/members/{member}", ADMIN_PAGE),
    ("POST", "/admin/members/{member}/reset-password", ADMIN_PAGE),  # admin: password page
    ("POST", "/admin/members/{member}/active", ADMIN_POST),
    ("POST", "/admin/members/{member}/memberships", ADMIN_POST),
    ("GET", "/admin/roster/", ADMIN_PAGE),
    ("GET", "/admin/roster/template.xlsx", ADMIN_PAGE),
    ("POST", "/admin/roster/apply", ADMIN_POST),
    ("GET", "/admin/audit/", ADMIN_PAGE),
    ("GET", "/admin/audit/logins", ADMIN_PAGE),
    ("GET", "/api/v1/me", ANY_USER_API),
    ("GET", "/api/v1/org/units", ANY_USER_API),
    ("POST", "/api/v1/roster/import", ADMIN_API),
]
DEDICATED = {
    "/account/tokens/<int:token_id>/revoke": "test_api_frame (someone else's token -> 404)",
    "/admin/members/<int:user_id>/memberships/<int:membership_id>/delete": "test_people",
    "/admin/roster/passwords/<token>": "test_roster_import (download once, owner only)",
}
PUBLIC = {"/login", "/logout", "/healthz", "/lang/<code>", "/static/<path:filename>",
          "/bootstrap/static/<path:filename>", "/api/v1/openapi.json"}
ROSTER_CSV = "姓名,用户名,所属组织,角色\n张三,zhangsan,测试团委/第一团支部/第一学习小组,成员\n"


@pytest.mark.parametrize("persona", PERSONAS)
def test_role_matrix(client, org, persona):
    """Each persona gets exactly the expected status from every endpoint of the core."""
    ids = {"group_a": org.group_a.id, "member": org.member.id}
    files = {"/api/v1/roster/import": upload("roster.csv", ROSTER_CSV.encode())}
    failures = check(client, org, persona, ENDPOINTS, ids, files)
    assert not failures, "\n".join(failures)


def test_matrix_covers_every_route(app):
    """A new route must be added to a matrix (or be public, or name its dedicated test)."""
    covered = {(shape(t)) for _m, t, _e in ENDPOINTS} | {shape(r) for r in [*DEDICATED, *PUBLIC]}
    for module in matrix_modules():
        covered |= {shape(t) for _m, t, _e in module.ENDPOINTS}
        covered |= {shape(r) for r in getattr(module, "DEDICATED", {})}
    missing = sorted(rule.rule for rule in app.url_map.iter_rules()
                     if shape(rule.rule) not in covered)
    assert not missing, f"routes missing from every role matrix: {missing}"
