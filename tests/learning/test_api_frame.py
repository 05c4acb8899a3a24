"""The /api/v1 frame: personal bearer tokens, CSRF only for cookie callers, errors, OpenAPI."""

import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from learning.accounts.models import ApiToken, User
from learning.dbtypes import utcnow
from learning.extensions import db
from tests.conftest import csrf_token, login, post_form

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

ROSTER_CSV = "姓名,用户名,所属组织,角色\n张三,zhangsan,测试团委/第一团支部/第一学习小组,成员\n"


def create_token(client, name: str = "script", days: int | None = None) -> str:
    """Create a token on the tokens page the way a user does, and read it off the page."""
    data = {"name": name, **({"days": days} if days else {})}
    response = post_form(client, "/account/tokens", data)
    assert response.status_code == 200
    match = re.search(r'id="new-token">([^<]+)<', response.get_data(as_text=True))
    assert match, "the new token is not shown"
    return match.group(1).strip()


def token_for(app, username: str, **kwargs) -> str:
    client = app.test_client()
    login(client, username)
    return create_token(client, **kwargs)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def roster_upload(csv: str = ROSTER_CSV):
    return {"file": (io.BytesIO(csv.encode("utf-8")), "roster.csv")}


def user_exists(app, username: str) -> bool:
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == username)) is not None


def assert_unauthorized(response):
    assert response.status_code == 401
    assert response.content_type == "application/json"
    body = response.get_json()
    assert body["code"] == 401 and body["status"] == "Unauthorized" and body["message"]


# --- /api/v1/me with a token ----------------------------------------------------------------------


def test_me_with_a_bearer_token(app, org):
    token = token_for(app, "member")
    response = app.test_client().get("/api/v1/me", headers=bearer(token))  # no cookie at all
    assert response.status_code == 200
    body = response.get_json()
    assert body["username"] == "member"
    assert body["display_name"] == "成员甲"
    assert body["is_admin"] is False
    assert body["memberships"] == [{
        "unit_id": org.group_a.id, "unit_name": "第一学习小组",
        "unit_path": "测试团委/第一团支部/第一学习小组", "role": "member"}]


def test_me_with_the_session_cookie(client, org):
    login(client, "leader_in")
    body = client.get("/api/v1/me").get_json()
    assert body["username"] == "leader_in"
    assert [(m["unit_id"], m["role"]) for m in body["memberships"]] == [
        (org.branch_a.id, "leader")]


def test_a_generated_password_does_not_open_the_api(client, make_user):
    """Until they choose their own password, a member with a generated one gets 403."""
    make_user("fresh", must_change_password=True)
    login(client, "fresh")
    response = client.get("/api/v1/me")
    assert response.status_code == 403
    assert response.get_json()["message"] == "请先在网站上修改密码。"  # zh_CN by default


def test_without_authentication_the_api_answers_401_json(client, org):
    assert_unauthorized(client.get("/api/v1/me"))
    assert_unauthorized(client.get("/api/v1/org/units"))


def test_unknown_token_is_refused(client, org):
    assert_unauthorized(client.get("/api/v1/me", headers=bearer("shk_not-a-real-token")))
    assert_unauthorized(client.get("/api/v1/me", headers=bearer("")))
    assert_unauthorized(client.get("/api/v1/me", headers=bearer("garbage")))


def test_revoked_token_is_refused(app, org):
    client = app.test_client()
    login(client, "member")
    token = create_token(client)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    page = client.get("/account/tokens").get_data(as_text=True)
    revoke_url = re.search(r'action="(/account/tokens/\d+/revoke)"', page).group(1)
    assert post_form(client, revoke_url).status_code == 302
    assert_unauthorized(app.test_client().get("/api/v1/me", headers=bearer(token)))


def test_expired_token_is_refused(app, org):
    token = token_for(app, "member", days=1)
    api = app.test_client()
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 200
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.expires_at > utcnow() + timedelta(hours=23)  # the page set one day
        row.expires_at = utcnow() - timedelta(seconds=1)  # ... and that day has passed
        db.session.commit()
    assert_unauthorized(api.get("/api/v1/me", headers=bearer(token)))


def test_token_of_a_deactivated_user_is_refused(app, org):
    token = token_for(app, "member")
    admin = app.test_client()
    login(admin, "admin")
    post_form(admin, f"/admin/members/{org.member.id}/active")
    assert_unauthorized(app.test_client().get("/api/v1/me", headers=bearer(token)))


def test_a_bad_bearer_token_does_not_fall_back_to_the_session(client, org):
    """A request that presents a token is judged by that token alone."""
    login(client, "admin")
    assert client.get("/api/v1/me").status_code == 200
    assert_unauthorized(client.get("/api/v1/me", headers=bearer("shk_stolen-or-stale")))


def test_a_bad_bearer_token_cannot_post_with_the_session_cookie(app, client, org):
    """The bearer header skips the CSRF check, so it must never carry the session's rights."""
    login(client, "admin")
    response = client.post("/api/v1/roster/import?dry_run=false", data=roster_upload(),
                           headers=bearer("shk_forged"))
    assert_unauthorized(response)
    assert not user_exists(app, "zhangsan")


def test_a_token_request_does_not_log_the_client_in(app, org):
    """The token authenticates one request; it must not turn into a session cookie."""
    token = token_for(app, "member")
    api = app.test_client()
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert_unauthorized(api.get("/api/v1/me"))
    assert api.get("/").status_code == 302


def test_token_of_a_user_who_is_also_logged_in_as_someone_else_wins(app, client, org):
    member_token = token_for(app, "member")
    login(client, "admin")
    body = client.get("/api/v1/me", headers=bearer(member_token)).get_json()
    assert body["username"] == "member"


# --- CSRF: exempt only when authenticated by token ------------------------------------------------


def test_token_authenticated_post_needs_no_csrf_token(app, org):
    token = token_for(app, "admin")
    api = app.test_client()
    response = api.post("/api/v1/roster/import?dry_run=true", data=roster_upload(),
                        headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["applied"] is False
    assert body["summary"]["new"] == 1
    assert not user_exists(app, "zhangsan")

    response = api.post("/api/v1/roster/import?dry_run=false", data=roster_upload(),
                        headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["applied"] is True
    assert user_exists(app, "zhangsan")


def test_cookie_authenticated_post_without_csrf_header_is_refused(app, client, org):
    login(client, "admin")
    response = client.post("/api/v1/roster/import?dry_run=false", data=roster_upload())
    assert response.status_code == 400
    assert response.content_type == "application/json"
    assert response.get_json()["code"] == 400
    assert not user_exists(app, "zhangsan")


def test_cookie_authenticated_post_with_the_csrf_header_works(app, client, org):
    login(client, "admin")
    response = client.post("/api/v1/roster/import?dry_run=false", data=roster_upload(),
                           headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 200, response.get_json()
    assert user_exists(app, "zhangsan")


def test_roster_import_api_is_for_admins_only(app, org):
    token = token_for(app, "leader_in")
    response = app.test_client().post("/api/v1/roster/import?dry_run=false",
                                      data=roster_upload(), headers=bearer(token))
    assert response.status_code == 403
    assert response.get_json()["code"] == 403
    assert not user_exists(app, "zhangsan")


# --- the OpenAPI document -------------------------------------------------------------------------


def test_openapi_document_describes_the_api(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/me", "/api/v1/org/units", "/api/v1/roster/import"):
        assert path in spec["paths"], path
    assert "get" in spec["paths"]["/api/v1/me"]
    assert "post" in spec["paths"]["/api/v1/roster/import"]
    schemes = spec["components"]["securitySchemes"]
    name, scheme = next((n, s) for n, s in schemes.items() if s.get("scheme") == "bearer")
    assert scheme["type"] == "http"
    assert {name: []} in spec["security"]


# --- the organisation tree as far as the caller may see it ----------------------------------------


def visible_unit_ids(client) -> set[int]:
    response = client.get("/api/v1/org/units")
    assert response.status_code == 200
    return {unit["id"] for unit in response.get_json()}


def test_admin_sees_every_unit(client, org):
    login(client, "admin")
    assert visible_unit_ids(client) == {org.committee.id, org.branch_a.id, org.group_a.id,
                                        org.branch_b.id, org.group_b.id}


def test_leader_sees_their_unit_and_everything_below_it_only(client, org):
    login(client, "leader_in")
    units = client.get("/api/v1/org/units").get_json()
    assert {u["id"] for u in units} == {org.branch_a.id, org.group_a.id}
    assert all(u["leader"] for u in units)
    assert [u["id"] for u in units] == [org.branch_a.id, org.group_a.id]  # parents first


def test_other_leader_sees_the_other_branch_only(client, org):
    login(client, "leader_out")
    assert visible_unit_ids(client) == {org.branch_b.id, org.group_b.id}


def test_member_sees_only_their_own_unit(client, org):
    login(client, "member")
    units = client.get("/api/v1/org/units").get_json()
    assert [(u["id"], u["leader"], u["member_count"]) for u in units] == [
        (org.group_a.id, False, 1)]


def test_leader_who_is_also_a_member_elsewhere_sees_both(client, org, make_user):
    make_user("both", units=[(org.group_a, "leader"), (org.group_b, "member")])
    login(client, "both")
    units = {u["id"]: u["leader"] for u in client.get("/api/v1/org/units").get_json()}
    assert units == {org.group_a.id: True, org.group_b.id: False}


# --- API errors -----------------------------------------------------------------------------------


def test_unknown_api_path_is_a_json_404(client, org):
    for path in ("/api/v1/nothing-here", "/api/v2/me"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["code"] == 404


def test_wrong_method_is_a_json_405(app, org):
    token = token_for(app, "member")
    api = app.test_client()
    for response in (api.get("/api/v1/roster/import", headers=bearer(token)),
                     api.post("/api/v1/me", headers=bearer(token))):
        assert response.status_code == 405
        assert response.get_json()["code"] == 405


# --- the tokens page ------------------------------------------------------------------------------


def test_tokens_page_lists_my_tokens_but_never_shows_them_again(client, org):
    login(client, "member")
    first = create_token(client, "laptop")
    create_token(client, "phone-script")
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "laptop" in page and "phone-script" in page
    assert first not in page
    assert first[:8] in page  # recognisable by its start


def test_tokens_page_shows_only_my_own_tokens(app, client, org):
    token_for(app, "admin", name="admins-secret-robot")
    login(client, "member")
    assert "admins-secret-robot" not in client.get("/account/tokens").get_data(as_text=True)


def test_revoking_someone_elses_token_is_not_found_and_changes_nothing(app, client, org):
    admin_token = token_for(app, "admin")
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    login(client, "member")
    assert post_form(client, f"/account/tokens/{token_id}/revoke").status_code == 404
    assert post_form(client, "/account/tokens/999999/revoke").status_code == 404
    assert app.test_client().get("/api/v1/me", headers=bearer(admin_token)).status_code == 200


def test_revoked_token_is_listed_as_revoked(client, org):
    client.get("/lang/en")
    login(client, "member")
    create_token(client, "old-script")
    page = client.get("/account/tokens").get_data(as_text=True)
    post_form(client, re.search(r'action="(/account/tokens/\d+/revoke)"', page).group(1))
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "revoked" in page
    assert "/revoke" not in page  # nothing left to revoke


def test_invalid_request_is_a_json_422_that_names_the_field(app, org):
    token = token_for(app, "admin")
    api = app.test_client()
    response = api.post("/api/v1/roster/import", headers=bearer(token))  # no file
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422 and body["status"] and body["message"]
    assert "file" in str(body["errors"])
    response = api.post("/api/v1/roster/import?dry_run=perhaps", data=roster_upload(),
                        headers=bearer(token))
    assert response.status_code == 422
    assert "dry_run" in str(response.get_json()["errors"])


# --- conformance with the OpenAPI document (the whole API: test_openapi_conformance.py) --------


def test_unauthenticated_writes_are_a_401_not_a_csrf_400(client, org):
    """The document says 401 for a caller without a session or token, so that comes first."""
    for method, path in (("POST", "/api/v1/courses"), ("PATCH", "/api/v1/courses/1"),
                         ("DELETE", "/api/v1/posts/1"), ("PUT", "/api/v1/attempts/1/answers"),
                         ("POST", "/api/v1/roster/import?dry_run=false")):
        assert_unauthorized(client.open(path, method=method, json={}))


def test_a_logged_out_session_cookie_writes_nothing_either(app, client, org):
    login(client, "admin")
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert_unauthorized(client.post("/api/v1/roster/import?dry_run=false",
                                    data=roster_upload()))
    assert not user_exists(app, "zhangsan")


def test_a_refused_method_names_the_allowed_ones(app, client, org):
    token = token_for(app, "member")
    response = app.test_client().open("/api/v1/me", method="TRACE", headers=bearer(token))
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}
    assert response.get_json()["code"] == 405
    login(client, "member")
    response = client.open("/account/tokens", method="TRACE")  # pages too
    assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_the_pagination_header_is_documented_as_the_json_it_is(app, org):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    documented = spec["paths"]["/api/v1/offline-lessons"]["get"]["responses"]["200"]["headers"]
    header = documented["X-Pagination"]
    assert "schema" not in header  # not "an object": a header is text
    assert header["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginationMetadata"}
    token = token_for(app, "leader_in")
    response = app.test_client().get("/api/v1/offline-lessons", headers=bearer(token))
    assert response.status_code == 200
    metadata = json.loads(response.headers["X-Pagination"])
    assert set(metadata) <= set(spec["components"]["schemas"]["PaginationMetadata"]["properties"])
    assert metadata["total"] == 0


def test_an_import_422_is_documented_as_the_error_shape_or_the_files_problems(app, org):
    """A request that fails validation answers the error shape; a file with bad rows answers
    the import's result; the document names both for 422."""
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    for path, result in (("/api/v1/roster/import", "RosterImportResult"),
                         ("/api/v1/banks/import", "BankImportResult")):
        content = spec["paths"][path]["post"]["responses"]["422"]["content"]["application/json"]
        assert content["schema"] == {"anyOf": [{"$ref": "#/components/schemas/Error"},
                                               {"$ref": f"#/components/schemas/{result}"}]}
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "status", "message"}
    token = token_for(app, "admin")
    api = app.test_client()
    invalid = api.post("/api/v1/roster/import", headers=bearer(token)).get_json()  # no file
    assert set(invalid) <= set(error["properties"]) and set(error["required"]) <= set(invalid)
    bad_row = "姓名,用户名,所属组织,角色\n张三,zhangsan,测试团委/第一团支部,队长\n"
    response = api.post("/api/v1/roster/import?dry_run=true", data=roster_upload(bad_row),
                        headers=bearer(token))
    assert response.status_code == 422
    result = spec["components"]["schemas"]["RosterImportResult"]["properties"]
    assert set(response.get_json()) <= set(result) and response.get_json()["errors"]
