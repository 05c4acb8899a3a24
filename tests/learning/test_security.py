"""The security frame: CSRF, headers, no inline script or outside host, errors, stored secrets."""

import collections
import hashlib
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from learning.accounts.models import ApiToken, LoginEvent, User
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit
from tests.conftest import PASSWORD, csrf_token, login, post_form

# --- CSRF -----------------------------------------------------------------------------------------


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_login_without_csrf_token_is_refused_and_not_attempted(app, client, org):
    response = client.post("/login", data={"username": "member", "password": PASSWORD})
    assert response.status_code == 400
    assert "text/html" in response.content_type
    assert count(app, LoginEvent) == 0
    assert client.get("/").status_code == 302


def test_csrf_error_page_says_what_to_do(client):
    client.get("/lang/en")
    response = client.post("/login", data={"username": "member", "password": PASSWORD})
    assert "Reload and try again" in response.get_data(as_text=True)


def test_csrf_token_of_another_session_is_refused(app, org):
    attacker, victim = app.test_client(), app.test_client()
    login(victim, "admin")
    token = csrf_token(attacker)
    response = victim.post("/admin/units/new", data={
        "csrf_token": token, "name": "伪造支部", "kind": "branch", "parent_id": org.committee.id})
    assert response.status_code == 400
    assert count(app, OrgUnit, OrgUnit.name == "伪造支部") == 0


def test_logout_without_csrf_token_keeps_the_session(client, org):
    login(client, "member")
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_token_creation_without_csrf_token_creates_nothing(app, client, org):
    login(client, "member")
    assert client.post("/account/tokens", data={"name": "script"}).status_code == 400
    assert count(app, ApiToken) == 0


def test_unit_creation_without_csrf_token_creates_nothing(app, client, org):
    login(client, "admin")
    response = client.post("/admin/units/new", data={
        "name": "新支部", "kind": "branch", "parent_id": org.committee.id})
    assert response.status_code == 400
    assert count(app, OrgUnit, OrgUnit.name == "新支部") == 0


def test_destructive_posts_without_csrf_token_change_nothing(app, client, org):
    login(client, "admin")
    assert client.post(f"/admin/units/{org.group_b.id}/delete").status_code == 400
    assert client.post(f"/admin/members/{org.member.id}/active").status_code == 400
    assert count(app, OrgUnit, OrgUnit.id == org.group_b.id) == 1
    assert count(app, User, User.id == org.member.id, User.active) == 1


def test_a_bearer_header_does_not_exempt_pages_from_csrf(app, client, org):
    """Only /api/ calls authenticated by a token skip the check; pages never do."""
    login(client, "admin")
    response = client.post("/admin/units/new", headers={"Authorization": "Bearer shk_x"}, data={
        "name": "新支部", "kind": "branch", "parent_id": org.committee.id})
    assert response.status_code == 400
    assert count(app, OrgUnit, OrgUnit.name == "新支部") == 0


def test_every_form_post_needs_the_csrf_token(app, client, org):
    """Every POST route outside the API, asked by an admin without the token, answers 400."""
    login(client, "admin")
    with app.app_context():
        membership_id = db.session.scalar(select(Membership.id).where(
            Membership.user_id == org.member.id))
    values = {"user_id": org.member.id, "unit_id": org.group_b.id,
              "membership_id": membership_id, "token_id": 1, "token": "x"}
    # Any other id in a route (course_id, lesson_id ...) may point nowhere: without the token
    # the request must be refused before the object is even looked up.
    values = collections.defaultdict(lambda: 1, values)
    adapter = app.url_map.bind("localhost")
    checked = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        url = adapter.build(rule.endpoint, {k: values[k] for k in rule.arguments})
        response = client.post(url, data={"name": "x", "username": "x"})
        assert response.status_code == 400, url
        checked.append(url)
    assert len(checked) >= 12  # the frame's forms are all there
    assert count(app, Membership, Membership.id == membership_id) == 1


def test_next_is_escaped_in_the_login_form(client):
    response = client.get('/login?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E')
    page = response.get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert not scan(response).problems


# --- security headers -----------------------------------------------------------------------------


def csp(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name.lower()] = sources
    return directives


@pytest.mark.parametrize("path", ["/login", "/", "/no-such-page", "/api/v1/me"])
def test_security_headers(client, org, path):
    login(client, "member")
    response = client.get(path)
    policy = csp(response)
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts == ["'self'"], policy
    assert not any("unsafe" in source for source in scripts)
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in {
        "strict-origin-when-cross-origin", "same-origin", "no-referrer", "strict-origin"}


def test_no_style_or_script_from_another_host_is_allowed_by_the_policy(client):
    policy = csp(client.get("/login"))
    for directive in ("default-src", "script-src", "style-src", "font-src", "img-src",
                      "connect-src"):
        for source in policy.get(directive, []):
            assert source in {"'self'", "data:", "'none'"}, (directive, source)


# --- pages: no inline script, nothing from another host -------------------------------------------


class PageScan(HTMLParser):
    """Collects what a strict CSP would block or what leaves the intranet."""

    URL_ATTRIBUTES = frozenset({"src", "href", "action", "formaction", "poster", "srcset", "data"})

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src"):
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("inline <style>")
        for name, value in attrs.items():
            value = (value or "").strip()
            if name.startswith("on"):
                self.problems.append(f"inline handler {name}={value!r}")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            if name in self.URL_ATTRIBUTES:
                lowered = value.lower().replace("\\", "/")
                if lowered.startswith(("http:", "https:", "//", "javascript:")):
                    self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and attrs.get("src"):
            self.assets.append(attrs["src"])
        if tag == "link" and "stylesheet" in (attrs.get("rel") or ""):
            self.assets.append(attrs["href"])


def scan(response) -> PageScan:
    parser = PageScan()
    parser.feed(response.get_data(as_text=True))
    return parser


def html_pages(app, org):
    """Every page without URL arguments, plus the ones that take an object id."""
    paths = [rule.rule for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.arguments
             and not rule.rule.startswith("/api/")]
    paths += [f"/admin/units/{org.group_a.id}", f"/admin/members/{org.member.id}",
              "/no-such-page"]
    return paths


def test_no_page_has_inline_script_or_refers_to_another_host(app, org):
    anonymous = app.test_client()
    admin = app.test_client()
    login(admin, "admin")
    post_form(admin, "/account/tokens", {"name": "scan"})  # the page with a new token shown
    member = app.test_client()
    login(member, "member")
    pages = [("anonymous", anonymous, "/login"), ("member", member, "/"),
             ("member", member, "/admin/members/")]  # 403 page
    pages += [("admin", admin, path) for path in html_pages(app, org)]
    scanned = 0
    assets = set()
    for who, client, path in pages:
        response = client.get(path)
        if "text/html" not in response.content_type:
            continue
        found = scan(response)
        assert not found.problems, (who, path, found.problems)
        assets.update(found.assets)
        scanned += 1
    assert scanned >= 12
    reset = post_form(admin, f"/admin/members/{org.member.id}/reset-password")
    assert not scan(reset).problems
    assert any(a.startswith("/bootstrap/static/") and a.endswith(".css") for a in assets)
    assert any(a.startswith("/bootstrap/static/") and ".js" in a for a in assets)
    for asset in assets:
        response = anonymous.get(asset)
        assert response.status_code == 200, asset
        kind = "text/css" if ".css" in asset else "javascript"
        assert kind in response.content_type, (asset, response.content_type)


# --- error pages ----------------------------------------------------------------------------------


def in_layout(response) -> bool:
    page = response.get_data(as_text=True)
    return "text/html" in response.content_type and 'class="navbar' in page and "</html>" in page


def test_404_page_is_html_in_the_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert in_layout(response)


def test_403_page_is_html_in_the_layout(client, org):
    login(client, "member")
    response = client.get("/admin/members/")
    assert response.status_code == 403
    assert in_layout(response)


def test_405_page_is_html_in_the_layout(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert in_layout(response)


def broken_view(app, monkeypatch, endpoint: str, before=None):
    """Make `endpoint` fail with an unexpected exception (after `before()`, if given)."""

    def boom(*args, **kwargs):
        if before:
            before()
        raise RuntimeError("secret internal detail")

    monkeypatch.setitem(app.view_functions, endpoint, boom)


def test_500_page_is_html_in_the_layout_without_details(app, client, org, monkeypatch):
    login(client, "member")
    broken_view(app, monkeypatch, "home.index")
    response = client.get("/")
    assert response.status_code == 500
    assert in_layout(response)
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_failing_request_stores_nothing(app, client, org, monkeypatch):
    """One transaction per request: what a view changed before it failed is rolled back."""
    login(client, "member")

    def rename():
        db.session.get(User, org.member.id).display_name = "半途而废"
        db.session.flush()

    broken_view(app, monkeypatch, "home.index", before=rename)
    assert client.get("/").status_code == 500
    assert count(app, User, User.display_name == "半途而废") == 0


ERROR_SHAPE = {"code", "status", "message"}


def assert_json_error(response, code: int) -> dict:
    assert response.status_code == code
    assert response.content_type == "application/json"
    body = response.get_json()
    assert ERROR_SHAPE <= set(body) <= {*ERROR_SHAPE, "errors"}
    assert body["code"] == code
    assert isinstance(body["status"], str) and body["status"]
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_api_errors_are_json_in_one_shape(app, client, org, monkeypatch):
    assert_json_error(client.get("/api/v1/me"), 401)
    assert_json_error(client.get("/api/v1/no-such-thing"), 404)
    assert_json_error(client.get("/api/v1/roster/import"), 405)
    login(client, "member")
    assert_json_error(client.get("/api/v1/no-such-thing"), 404)
    broken_view(app, monkeypatch, "api_accounts.me")
    body = assert_json_error(client.get("/api/v1/me"), 500)
    assert "secret internal detail" not in body["message"]


# --- what is stored -------------------------------------------------------------------------------


def stored_user(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(user)
        return user


def test_passwords_are_stored_as_scrypt_hashes(app, client, org):
    login(client, "admin")
    page = post_form(client, "/admin/members/new",
                     {"username": "newbie", "display_name": "新人"}).get_data(as_text=True)
    initial = re.search(r'id="initial-password">([^<]+)<', page).group(1).strip()
    stored = stored_user(app, "newbie").password_hash
    assert stored.startswith("scrypt:")
    assert initial not in stored

    newbie = app.test_client()
    login(newbie, "newbie", initial)
    chosen = "Mein-eigenes-2024"
    post_form(newbie, "/account/password", {"current": initial, "new": chosen, "confirm": chosen})
    stored = stored_user(app, "newbie").password_hash
    assert stored.startswith("scrypt:32768:8:1$")  # a chosen password gets the full cost
    assert chosen not in stored


def test_api_tokens_are_stored_only_as_sha256_digests(app, client, org):
    login(client, "member")
    page = post_form(client, "/account/tokens", {"name": "laptop"}).get_data(as_text=True)
    plain = re.search(r'id="new-token">([^<]+)<', page).group(1).strip()
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        values = [str(getattr(row, column.key)) for column in ApiToken.__table__.columns]
    assert row.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert not any(plain in value for value in values)
    assert len(row.prefix) < len(plain) // 4  # enough to recognise it, far too little to use
    assert plain not in client.get("/account/tokens").get_data(as_text=True)  # shown once
