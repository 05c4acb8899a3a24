"""Role-by-endpoint matrix: every page and API endpoint, asked by each kind of person.

Personas: anonymous, a member of group_a, a leader of branch_a (inside the scope of group_a),
a leader of branch_b (outside it) and an admin. Every later feature adds its endpoints to
ENDPOINTS. A row says what each persona gets; `login` means the login redirect for pages.
"""

import io

import pytest

from tests.conftest import csrf_token, login

PERSONAS = ("anonymous", "member", "leader_in", "leader_out", "admin")

# (method, url template, {persona: expected status}); templates see the `org` fixture's ids.
ADMIN_PAGE = {"anonymous": "login", "member": 403, "leader_in": 403, "leader_out": 403,
              "admin": 200}
ADMIN_POST = {**ADMIN_PAGE, "admin": 302}
ANY_USER = {"anonymous": "login", "member": 200, "leader_in": 200, "leader_out": 200,
            "admin": 200}
ANY_USER_API = {**ANY_USER, "anonymous": 401}
ADMIN_API = {"anonymous": 401, "member": 403, "leader_in": 403, "leader_out": 403, "admin": 200}

ENDPOINTS = [
    ("GET", "/", ANY_USER),
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

ROSTER_CSV = "姓名,用户名,所属组织,角色\n张三,zhangsan,测试团委/第一团支部/第一学习小组,成员\n"


def _ids(org) -> dict[str, int]:
    return {"group_a": org.group_a.id, "member": org.member.id}


@pytest.mark.parametrize("persona", PERSONAS)
def test_role_matrix(client, org, persona):
    """Each persona gets exactly the expected status from every endpoint."""
    if persona != "anonymous":
        assert login(client, getattr(org, persona).username).status_code == 302
    token = csrf_token(client)
    failures = []
    for method, template, expected_by_persona in ENDPOINTS:
        url = template.format(**_ids(org))
        expected = expected_by_persona[persona]
        if method == "GET":
            response = client.get(url)
        elif url.startswith("/api/"):
            response = client.post(
                url, headers={"X-CSRFToken": token},
                data={"file": (io.BytesIO(ROSTER_CSV.encode()), "roster.csv")},
                content_type="multipart/form-data",
            )
        else:
            response = client.post(url, data={"csrf_token": token})
        if expected == "login":
            ok = response.status_code == 302 and "/login" in response.location
        else:
            ok = response.status_code == expected
        if not ok:
            failures.append(f"{method} {url}: expected {expected}, got {response.status_code}")
    assert not failures, "\n".join(failures)


def test_matrix_covers_every_route(app):
    """A new route must be added to the matrix (or to the list of public routes below)."""
    public = {"/login", "/logout", "/healthz", "/lang/<code>", "/static/<path:filename>",
              "/bootstrap/static/<path:filename>", "/api/v1/openapi.json"}
    # Object routes whose permission is covered by a dedicated test instead:
    dedicated = {
        "/account/tokens/<int:token_id>/revoke": "test_api_frame (someone else's token -> 404)",
        "/admin/members/<int:user_id>/memberships/<int:membership_id>/delete": "test_people",
        "/admin/roster/passwords/<token>": "test_roster_import (download once, owner only)",
    }
    covered = {template.replace("{group_a}", "<int:unit_id>").replace("{member}", "<int:user_id>")
               for _m, template, _e in ENDPOINTS}
    missing = [rule.rule for rule in app.url_map.iter_rules()
               if rule.rule not in covered | public | set(dedicated)]
    assert not missing, f"routes missing from the role matrix: {missing}"
