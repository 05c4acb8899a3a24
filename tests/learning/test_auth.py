"""Logging in and out, the session and remember-me cookies, passwords and the login limits."""

import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from learning.accounts.models import ApiToken, LoginEvent, User
from learning.audit.models import AuditEntry
from learning.extensions import db
from tests.conftest import PASSWORD, login, post_form
from tests.learning.conftest import GOOD_SECRET_KEY
from tests.learning.test_api_frame import assert_unauthorized, bearer, create_token, token_for

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

NEW_PASSWORD = "Fresh-Start-2024"
EVIL_TARGETS = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil",
    "/\t/evil.example",
    "/\n/evil.example",
    "/%09/evil.example",
    "/%2F/evil.example",
    " //evil.example",
    "https://evil.example",
    "http:/evil.example",
    "HTTPS://evil.example/admin/units/",
    "javascript:alert(1)",
    "evil.example",
]


def alerts(response) -> list[str]:
    """The flashed messages on a page."""
    return re.findall(r'role="alert">(.*?)</div>', response.get_data(as_text=True), re.S)


def in_english(client) -> None:
    """Messages below are asserted in English, whichever catalogues are compiled."""
    client.get("/lang/en")


def is_logged_in(client) -> bool:
    """The start page opens (True) or sends the visitor to log in (False)."""
    response = client.get("/")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
        return False
    assert response.status_code == 200
    return True


def cookie(response, name: str) -> tuple[str, set[str]]:
    """(value, lower-cased attributes) of the Set-Cookie header for `name`."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            first, *attributes = [part.strip() for part in header.split(";")]
            return first.partition("=")[2], {a.lower() for a in attributes}
    raise AssertionError(f"no {name} cookie set; got {response.headers.getlist('Set-Cookie')}")


def login_from(client, address: str, username: str, password: str = PASSWORD, **kwargs):
    """Log in from another network address (`login` passes extra keywords as form fields)."""
    return post_form(client, "/login", {"username": username, "password": password},
                     environ_base={"REMOTE_ADDR": address}, **kwargs)


def db_user(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(user)
        return user


# --- logging in -----------------------------------------------------------------------------------


def test_login_with_the_right_password_goes_to_the_start_page(client, org):
    response = login(client, "member")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "成员甲" in client.get("/").get_data(as_text=True)


def test_username_is_matched_without_case_or_width(client, org):
    assert login(client, "ＭＥＭＢＥＲ").headers["Location"] == "/"


def test_wrong_password_is_refused(client, org):
    in_english(client)
    response = login(client, "member", "not-the-password1")
    assert response.status_code == 200
    assert alerts(response) == ["Wrong username or password."]
    assert not is_logged_in(client)


def test_unknown_user_and_wrong_password_look_the_same(app, org):
    """The answer must not tell a guesser which usernames exist."""
    pages = []
    for username in ("member", "no-such-person"):
        client = app.test_client()
        in_english(client)
        response = login(client, username, "not-the-password1")
        assert response.status_code == 200
        pages.append(alerts(response))
    assert pages[0] == pages[1] == ["Wrong username or password."]


def test_deactivated_user_cannot_log_in(client, make_user):
    make_user("gone", active=False)
    in_english(client)
    response = login(client, "gone")
    assert response.status_code == 200
    assert "deactivated" in alerts(response)[0]
    assert not is_logged_in(client)


def test_deactivated_user_with_a_wrong_password_gets_the_generic_message(client, make_user):
    make_user("gone", active=False)
    in_english(client)
    assert alerts(login(client, "gone", "not-the-password1")) == ["Wrong username or password."]


def test_deactivating_a_logged_in_user_ends_their_session(app, org):
    member = app.test_client()
    login(member, "member")
    assert is_logged_in(member)
    admin = app.test_client()
    login(admin, "admin")
    assert post_form(admin, f"/admin/members/{org.member.id}/active").status_code == 302
    assert not db_user(app, "member").active
    response = member.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_session_is_renewed_at_login(client, org):
    """A value planted in the session before login (session fixation) does not survive it."""
    with client.session_transaction() as session:
        session["planted"] = "x"
    assert login(client, "member").status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")


def test_language_choice_is_kept_across_the_session_renewal(client, org):
    client.get("/lang/en")
    login(client, "member")
    with client.session_transaction() as session:
        assert session.get("lang") == "en"


# --- cookies --------------------------------------------------------------------------------------


def test_remember_me_and_session_cookies_are_httponly_and_samesite_lax(client, org):
    response = login(client, "member", remember="y")
    _value, remember = cookie(response, "remember_token")
    assert {"httponly", "samesite=lax"} <= remember
    _value, session = cookie(response, "session")
    assert {"httponly", "samesite=lax"} <= session


def test_without_remember_me_no_remember_cookie_is_set(client, org):
    response = login(client, "member")
    assert not any(h.startswith("remember_token=") for h in response.headers.getlist("Set-Cookie"))


@pytest.fixture
def production_app(app, build_app, tmp_path):
    """The app as deployed (APP_ENV=production) on the test database."""
    application = build_app(env="production", config={
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": GOOD_SECRET_KEY,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
    })
    yield application
    with application.app_context():
        db.engine.dispose()


def test_cookies_are_secure_in_production(production_app, org):
    client = production_app.test_client()
    response = login(client, "member", remember="y")
    assert response.status_code == 302
    _value, remember = cookie(response, "remember_token")
    assert {"secure", "httponly", "samesite=lax"} <= remember
    _value, session = cookie(response, "session")
    assert {"secure", "httponly", "samesite=lax"} <= session


def test_cookies_are_not_secure_outside_production(client, org):
    """Counter-check for the production test: the attribute depends on the environment."""
    response = login(client, "member", remember="y")
    assert "secure" not in cookie(response, "remember_token")[1]


def test_remember_me_cookie_logs_the_user_back_in(client, org):
    login(client, "member", remember="y")
    client.delete_cookie("session")
    assert is_logged_in(client)


def test_remember_me_cookie_stops_working_after_a_password_reset(app, org):
    member = app.test_client()
    login(member, "member", remember="y")
    admin = app.test_client()
    login(admin, "admin")
    post_form(admin, f"/admin/members/{org.member.id}/reset-password")
    member.delete_cookie("session")
    assert not is_logged_in(member)


# --- where to go after login ----------------------------------------------------------------------


def test_next_to_one_of_our_pages_is_followed(client, org):
    for target in ("/admin/units/", "/account/tokens?tab=1"):
        response = login(client, "admin", next=target)
        assert response.headers["Location"] == target
        post_form(client, "/logout")


def test_next_to_one_of_our_pages_is_followed_from_the_query_string(client, org):
    login(client, "admin")
    response = client.get("/login?next=" + quote("/admin/units/", safe=""))
    assert response.headers["Location"] == "/admin/units/"


def test_next_in_the_login_form_never_leaves_the_site(client, org):
    """The hidden `next` field of the login form: every trick lands on the start page."""
    for target in EVIL_TARGETS:
        response = login(client, "member", next=target)
        assert response.status_code == 302, target
        assert response.headers["Location"] == "/", target
        post_form(client, "/logout")


def test_next_in_the_query_string_never_leaves_the_site(client, org):
    """GET /login?next=... for someone already logged in (and the target of the login form)."""
    login(client, "member")
    for target in EVIL_TARGETS:
        response = client.get("/login?next=" + quote(target, safe=""))
        assert response.status_code == 302, target
        assert response.headers["Location"] == "/", target


def test_login_form_posted_to_a_url_with_an_evil_next_lands_home(client, org):
    """The browser posts the form back to /login?next=...: the query string counts too."""
    url = "/login?next=" + quote("//evil.example", safe="")
    response = post_form(client, url, {"username": "member", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_language_switch_never_leaves_the_site(client):
    for target in EVIL_TARGETS:
        response = client.get("/lang/en?next=" + quote(target, safe=""))
        assert response.status_code == 302, target
        assert response.headers["Location"] == "/", target
    assert client.get("/lang/en?next=%2Flogin").headers["Location"] == "/login"


# --- rate limits ----------------------------------------------------------------------------------


def test_failed_logins_are_limited_per_account_whatever_the_address(client, org):
    # However the guesser writes the name, it is one account and one counter.
    spellings = ["member", "MEMBER", "ＭＥＭＢＥＲ", " member ", "Member"]
    for n, username in enumerate(spellings):
        response = login_from(client, f"203.0.113.{n + 1}", username, f"guess-{n}-wrong")
        assert response.status_code == 200
    blocked = login_from(client, "203.0.113.99", "member", PASSWORD)
    assert blocked.status_code == 429  # even with the right password: the account is locked
    other = login_from(client, "203.0.113.99", "leader_in")
    assert other.status_code == 302  # other accounts, from that address too, are not


def test_a_classroom_behind_one_address_is_not_locked_out_by_its_neighbours_typos(
        app, org, make_user):
    """Over 30 failures from one NAT (the default limit): a right password still logs in, for
    an account that never failed and for one that failed but is not itself locked."""
    school = "192.0.2.77"
    classmates = [make_user(f"pupil{n}").username for n in range(8)]
    for n in range(31):  # none of them reaches the account limit of 5
        response = login_from(app.test_client(), school, classmates[n % 8], f"typo-{n}")
        assert response.status_code == 200
    assert login_from(app.test_client(), school, "member").status_code == 302
    assert login_from(app.test_client(), school, "pupil1").status_code == 302  # failed 4 times
    # pupil6's fourth failure was the address's 31st: past the limit, it locked pupil6.
    assert login_from(app.test_client(), school, "pupil6").status_code == 429
    with app.app_context():
        failures = db.session.scalar(select(func.count()).select_from(LoginEvent)
                                     .where(LoginEvent.ip == school, ~LoginEvent.success))
    assert failures == 31


def test_past_the_address_limit_each_failure_locks_its_account(client, app, org, monkeypatch):
    """A guesser behind one address gets one try per account, not five, once it is over."""
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "3 per 15 minutes")
    here = "198.51.100.9"
    for n in range(3):
        assert login_from(client, here, f"nobody{n}", "wrong-1").status_code == 200
    assert login_from(client, here, "leader_in").status_code == 302  # the right one gets in
    assert login_from(app.test_client(), here, "member", "wrong-1").status_code == 200
    # That one failure locked the account: for everyone, and the right password too.
    assert login_from(app.test_client(), "198.51.100.10", "member").status_code == 429
    assert login_from(app.test_client(), here, "member").status_code == 429
    # Under the address limit an account still has its five tries.
    other = "198.51.100.11"
    assert login_from(app.test_client(), other, "leader_out", "wrong-1").status_code == 200
    assert login_from(app.test_client(), other, "leader_out").status_code == 302


def test_forged_forwarded_for_headers_do_not_dodge_the_address_limit(client, app, org,
                                                                    monkeypatch):
    """Without a trusted proxy configured, X-Forwarded-For is the client's word, not an address."""
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "3 per 15 minutes")
    here = "198.51.100.9"
    for n in range(3):
        forged = {"X-Forwarded-For": f"10.0.0.{n}"}
        assert login_from(client, here, f"nobody{n}", "wrong-1", headers=forged).status_code == 200
    forged = {"X-Forwarded-For": "10.0.0.99"}
    assert login_from(client, here, "member", "wrong-1", headers=forged).status_code == 200
    # Counted against the real address, which is over its limit: one failure locked the account.
    assert login_from(client, here, "member", headers=forged).status_code == 429
    with app.app_context():
        assert set(db.session.scalars(select(LoginEvent.ip))) == {here}


def test_behind_a_trusted_proxy_the_member_address_is_limited_and_logged(app, build_app,
                                                                         tmp_path, org):
    """PROXY_COUNT=1 (one load balancer): its X-Forwarded-For hop is the member's address."""
    behind = build_app(env="production", config={
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": GOOD_SECRET_KEY, "UPLOAD_DIR": str(tmp_path / "uploads"),
        "PROXY_COUNT": 1, "LOGIN_LIMIT_PER_ADDRESS": "2 per 15 minutes"})
    try:
        client = behind.test_client()
        balancer = "10.0.0.2"
        member_a = {"X-Forwarded-For": "203.0.113.20"}
        for n in range(2):
            response = login_from(client, balancer, f"nobody{n}", "wrong-1", headers=member_a)
            assert response.status_code == 200
        assert login_from(client, balancer, "leader_in", "wrong-1",
                          headers=member_a).status_code == 200
        assert login_from(client, balancer, "leader_in", headers=member_a).status_code == 429
        # Member B is counted on their own: their one failure does not lock the account (it
        # would, were the balancer's address counted: it has seen four failures).
        member_b = {"X-Forwarded-For": "203.0.113.21"}
        assert login_from(client, balancer, "member", "wrong-1",
                          headers=member_b).status_code == 200
        assert login_from(client, balancer, "member", headers=member_b).status_code == 302
        with app.app_context():
            assert set(db.session.scalars(select(LoginEvent.ip))) == {"203.0.113.20",
                                                                     "203.0.113.21"}
    finally:
        with behind.app_context():
            db.engine.dispose()


def test_account_limit_is_read_from_the_config(client, app, org, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "2 per 15 minutes")
    assert login_from(client, "203.0.113.1", "member", "wrong-1").status_code == 200
    assert login_from(client, "203.0.113.2", "member", "wrong-2").status_code == 200
    assert login_from(client, "203.0.113.3", "member", "wrong-3").status_code == 429


def test_successful_logins_do_not_count_against_the_limits(app, org, monkeypatch):
    """A class logging in from one school NAT must not lock out the next member."""
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "2 per 15 minutes")
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "2 per 15 minutes")
    school = "192.0.2.50"
    for _ in range(4):
        response = login_from(app.test_client(), school, "member")
        assert response.status_code == 302
        assert response.headers["Location"] == "/"
    client = app.test_client()
    assert login_from(client, school, "member", "wrong-1").status_code == 200
    assert login_from(client, school, "member", "wrong-2").status_code == 200
    assert login_from(client, school, "member", "wrong-3").status_code == 429
    with app.app_context():
        successes = db.session.scalars(select(LoginEvent).where(LoginEvent.success)).all()
    assert len(successes) == 4


# --- the login log --------------------------------------------------------------------------------


def test_failed_and_successful_logins_are_logged_with_reason_and_address(app, org, make_user):
    make_user("gone", active=False)
    client = app.test_client()
    ua = {"User-Agent": "TestPhone/1.0"}
    login_from(client, "203.0.113.5", "member", "wrong-1", headers=ua)
    login_from(client, "203.0.113.6", "Nobody", "wrong-1")
    login_from(client, "203.0.113.8", "gone")
    login_from(client, "203.0.113.7", "member")
    with app.app_context():
        events = {(e.username, e.success, e.reason, e.ip, e.user_id is not None)
                  for e in db.session.scalars(select(LoginEvent))}
        agent = db.session.scalar(select(LoginEvent.user_agent).where(
            LoginEvent.ip == "203.0.113.5"))
    assert events == {
        ("member", False, "bad_password", "203.0.113.5", True),
        ("nobody", False, "unknown_user", "203.0.113.6", False),
        ("gone", False, "inactive", "203.0.113.8", True),
        ("member", True, "ok", "203.0.113.7", True),
    }
    assert agent == "TestPhone/1.0"


def test_admin_reads_the_login_log(app, org):
    login_from(app.test_client(), "203.0.113.5", "member", "wrong-1")
    login_from(app.test_client(), "203.0.113.7", "leader_in")
    admin = app.test_client()
    login(admin, "admin")
    page = admin.get("/admin/audit/logins").get_data(as_text=True)
    assert "203.0.113.5" in page and "bad_password" in page
    assert "203.0.113.7" in page and "leader_in" in page
    failed = admin.get("/admin/audit/logins?failed=1").get_data(as_text=True)
    assert "203.0.113.5" in failed
    assert "203.0.113.7" not in failed


# --- changing one's password ----------------------------------------------------------------------


def change_password(client, current: str, new: str, confirm: str | None = None):
    confirm = new if confirm is None else confirm
    return post_form(client, "/account/password",
                     {"current": current, "new": new, "confirm": confirm})


def test_change_password_refuses_a_wrong_current_password(app, client, org):
    in_english(client)
    login(client, "member")
    before = db_user(app, "member").password_hash
    response = change_password(client, "not-the-password1", NEW_PASSWORD)
    assert response.status_code == 200
    assert "The current password is not correct." in response.get_data(as_text=True)
    assert db_user(app, "member").password_hash == before


@pytest.mark.parametrize("new, message", [
    ("Ab1!", "The password must have at least 8 characters."),
    ("onlyletters", "The password must mix letters with digits or symbols."),
    ("1234567890", "The password must mix letters with digits or symbols."),
    (PASSWORD, "The new password must differ from the current one."),
])
def test_change_password_refuses_a_weak_password_with_a_message(app, client, org, new, message):
    in_english(client)
    login(client, "member")
    before = db_user(app, "member").password_hash
    response = change_password(client, PASSWORD, new)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db_user(app, "member").password_hash == before


def test_change_password_refuses_a_mistyped_confirmation(app, client, org):
    in_english(client)
    login(client, "member")
    response = change_password(client, PASSWORD, NEW_PASSWORD, confirm=NEW_PASSWORD + "x")
    assert "The two passwords differ." in response.get_data(as_text=True)


def test_change_password_ends_other_sessions_and_replaces_the_old_password(app, org):
    here, phone = app.test_client(), app.test_client()
    login(here, "member")
    login(phone, "member", remember="y")
    response = change_password(here, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_logged_in(here)  # the session that changed it goes on
    assert not is_logged_in(phone)  # the other one (and its remember-me cookie) is out
    assert login(app.test_client(), "member", PASSWORD).status_code == 200
    assert login(app.test_client(), "member", NEW_PASSWORD).headers["Location"] == "/"



# --- personal API tokens end with the password ----------------------------------------------------


def me_status(app, token: str) -> int:
    """What /api/v1/me answers to `token`, from a client with no session."""
    return app.test_client().get("/api/v1/me", headers=bearer(token)).status_code


def test_changing_ones_password_ends_ones_api_tokens(app, org):
    """A token copied before the change (say, by whoever learnt the old password) stops working."""
    client = app.test_client()
    login(client, "member")
    old = create_token(client, "laptop")
    assert me_status(app, old) == 200
    assert change_password(client, PASSWORD, NEW_PASSWORD).status_code == 302
    assert_unauthorized(app.test_client().get("/api/v1/me", headers=bearer(old)))
    new = create_token(client, "laptop again")
    assert me_status(app, new) == 200
    assert me_status(app, old) == 401
    with app.app_context():
        states = dict(db.session.execute(select(ApiToken.name, ApiToken.revoked_at)).all())
    assert states["laptop"] is not None and states["laptop again"] is None


def test_an_admin_password_reset_ends_the_members_api_tokens(app, org):
    old = token_for(app, "member")
    admin = app.test_client()
    login(admin, "admin")
    page = post_form(admin, f"/admin/members/{org.member.id}/reset-password")
    password = re.search(r'id="initial-password">([^<]+)<', page.get_data(as_text=True))
    assert me_status(app, old) == 401
    member = app.test_client()
    login(member, "member", password.group(1).strip())
    assert change_password(member, password.group(1).strip(), NEW_PASSWORD).status_code == 302
    assert me_status(app, create_token(member)) == 200
    assert me_status(app, old) == 401


def test_deactivation_ends_api_tokens_for_good(app, org):
    """Reactivating the account later does not bring the old tokens back."""
    old = token_for(app, "member")
    admin = app.test_client()
    login(admin, "admin")
    post_form(admin, f"/admin/members/{org.member.id}/active")  # deactivate
    assert me_status(app, old) == 401
    post_form(admin, f"/admin/members/{org.member.id}/active")  # and reactivate
    assert db_user(app, "member").active
    assert me_status(app, old) == 401
    assert me_status(app, token_for(app, "member")) == 200


def test_an_admin_password_reset_leaves_other_members_tokens_alone(app, org):
    others = token_for(app, "leader_in")
    admin = app.test_client()
    login(admin, "admin")
    post_form(admin, f"/admin/members/{org.member.id}/reset-password")
    assert me_status(app, others) == 200


def test_must_change_password_users_are_sent_to_change_it_first(app, client, make_user):
    make_user("newbie", must_change_password=True)
    response = login(client, "newbie", next="/account/tokens")
    assert response.headers["Location"] == "/account/password"
    for path in ("/", "/account/tokens", "/admin/units/", "/login"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/password", path
    assert client.get("/account/password").status_code == 200
    assert change_password(client, PASSWORD, NEW_PASSWORD).headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert not db_user(app, "newbie").must_change_password


def test_must_change_password_users_may_still_log_out(client, make_user):
    make_user("newbie", must_change_password=True)
    login(client, "newbie")
    assert post_form(client, "/logout").headers["Location"] == "/login"
    assert not is_logged_in(client)


# --- an admin resets a password -------------------------------------------------------------------


def test_admin_resets_a_password(app, org):
    member = app.test_client()
    login(member, "member")
    admin = app.test_client()
    login(admin, "admin")
    response = post_form(admin, f"/admin/members/{org.member.id}/reset-password")
    assert response.status_code == 200
    password = re.search(r'id="initial-password">([^<]+)<', response.get_data(as_text=True))
    assert password
    password = password.group(1).strip()

    assert not is_logged_in(member)  # the member's open session ends with the old password
    assert login(app.test_client(), "member", PASSWORD).status_code == 200
    fresh = app.test_client()
    assert login(fresh, "member", password).headers["Location"] == "/account/password"
    assert fresh.get("/").headers["Location"] == "/account/password"

    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "user.reset_password"))
        assert entry.actor_name == "admin"
        assert (entry.target_type, entry.target_id) == ("User", org.member.id)
        assert password not in entry.summary and password not in str(entry.details)
    assert "user.reset_password" in admin.get("/admin/audit/").get_data(as_text=True)


def test_password_reset_without_csrf_token_changes_nothing(app, client, org):
    login(client, "admin")
    before = db_user(app, "member").password_hash
    response = client.post(f"/admin/members/{org.member.id}/reset-password")
    assert response.status_code == 400
    assert db_user(app, "member").password_hash == before
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "user.reset_password")) is None


def test_only_admins_reset_passwords(app, client, org):
    login(client, "leader_in")
    before = db_user(app, "member").password_hash
    assert post_form(client, f"/admin/members/{org.member.id}/reset-password").status_code == 403
    assert db_user(app, "member").password_hash == before


# --- logging out ----------------------------------------------------------------------------------


def test_logout_is_post_only(client, org):
    login(client, "member")
    assert client.get("/logout").status_code == 405
    assert is_logged_in(client)


def test_logout_without_csrf_token_is_refused(client, org):
    """Otherwise any site could log members out with a self-submitting form."""
    login(client, "member")
    assert client.post("/logout").status_code == 400
    assert is_logged_in(client)


def test_logout_ends_the_session(client, org):
    login(client, "member")
    response = post_form(client, "/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert not is_logged_in(client)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_logout_also_ends_a_remember_me_login(client, org):
    """A member on a shared PC who ticked "keep me logged in" must be out after logging out."""
    login(client, "member", remember="y")
    response = post_form(client, "/logout")
    remember_value, _attributes = cookie(response, "remember_token")
    assert remember_value == ""  # the browser is told to drop it
    assert not is_logged_in(client)
