"""The admin's member pages: search, filters, pagination, create, edit, memberships, deactivate.

Everything goes through HTTP with CSRF tokens; the database is read afterwards to see what was
really stored. Pages are read in English (/lang/en) so the tests do not depend on the catalogue.
"""

import re
from html import unescape

import pytest
from sqlalchemy import select

from learning.accounts.models import User
from learning.audit.models import AuditEntry
from learning.extensions import db
from learning.orgs.models import Membership
from tests.conftest import PASSWORD, csrf_token, login, post_form

PER_PAGE = 30  # learning.accounts.admin_views.PER_PAGE


def as_admin(client, username: str = "admin"):
    assert login(client, username).status_code == 302
    client.get("/lang/en")
    return client


def page_text(response) -> str:
    return unescape(response.get_data(as_text=True))


def listed_ids(response) -> list[int]:
    """The ids of the people in the member table, in page order."""
    assert response.status_code == 200
    return [int(i) for i in re.findall(r'href="/admin/members/(\d+)"', response.get_data(
        as_text=True))]


def user_row(app, user_id: int) -> dict:
    with app.app_context():
        user = db.session.get(User, user_id)
        return {"display_name": user.display_name, "phone": user.phone,
                "is_admin": user.is_admin, "active": user.active,
                "password_hash": user.password_hash,
                "must_change_password": user.must_change_password,
                "session_version": user.session_version}


def memberships_of(app, user_id: int) -> dict[int, str]:
    with app.app_context():
        return {m.unit_id: m.role for m in db.session.scalars(
            select(Membership).where(Membership.user_id == user_id))}


def audit_entries(app, action_prefix: str = "") -> list[AuditEntry]:
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.startswith(action_prefix))
            .order_by(AuditEntry.id)).all()
        db.session.expunge_all()
        return entries


# --- the list: search and filters -----------------------------------------------------------


@pytest.fixture
def people(org, make_user, make_unit):
    """A few more people to search for, on top of the `org` fixture."""
    p = {}
    p["zhang"] = make_user("zhangwei", name="张伟", phone="13800138000",
                           units=[(org.group_a, "member")])
    p["wang"] = make_user("wangfang", name="王芳", phone="13912345678",
                          units=[(org.group_b, "member")])
    p["zhang2"] = make_user("zhangli", name="张丽", units=[(org.branch_b, "member")])
    # Member of group_a and leader of branch_a: two memberships inside branch_a's subtree.
    p["both"] = make_user("liqiang", name="李强", units=[(org.group_a, "member"),
                                                        (org.branch_a, "leader")])
    p["gone"] = make_user("zhaolei", name="赵磊", active=False, units=[(org.group_a, "member")])
    p["nobody"] = make_user("sunyang", name="孙阳")
    return p


def test_search_by_name_username_and_phone(client, org, people):
    as_admin(client)
    p = people

    def search(q):
        return set(listed_ids(client.get("/admin/members/", query_string={"q": q})))

    assert search("张") == {p["zhang"].id, p["zhang2"].id}
    assert search("王芳") == {p["wang"].id}
    assert search("zhang") == {p["zhang"].id, p["zhang2"].id}
    assert search("ZHANGWEI") == {p["zhang"].id}  # usernames match without case
    assert search("1380013") == {p["zhang"].id}  # part of a phone number
    assert search("13912345678") == {p["wang"].id}
    assert search("  孙阳 ") == {p["nobody"].id}
    assert search("没有这个人") == set()
    assert "Nobody matches." in page_text(client.get("/admin/members/?q=没有这个人"))
    assert search("%") == set()  # a LIKE wildcard typed by the admin is not a wildcard ...
    assert search("_") == {org.leader_in.id, org.leader_out.id}  # ... nor is "_"


def test_filter_by_unit_includes_sub_units(client, org, people):
    as_admin(client)
    p = people

    def by_unit(unit, **extra):
        ids = listed_ids(client.get("/admin/members/", query_string={"unit": unit.id, **extra}))
        assert len(ids) == len(set(ids)), "someone is listed twice"
        return set(ids)

    assert by_unit(org.group_a) == {org.member.id, p["zhang"].id, p["both"].id, p["gone"].id}
    assert by_unit(org.branch_a) == {org.member.id, org.leader_in.id, p["zhang"].id,
                                     p["both"].id, p["gone"].id}
    assert by_unit(org.branch_b) == {org.leader_out.id, p["wang"].id, p["zhang2"].id}
    assert by_unit(org.committee) == by_unit(org.branch_a) | by_unit(org.branch_b)
    # Filters combine.
    assert by_unit(org.branch_a, role="leader") == {org.leader_in.id, p["both"].id}
    assert by_unit(org.branch_a, q="张") == {p["zhang"].id}


def test_filter_by_role(client, org, people):
    as_admin(client)
    p = people

    def by_role(role):
        return set(listed_ids(client.get("/admin/members/", query_string={"role": role})))

    assert by_role("leader") == {org.leader_in.id, org.leader_out.id, p["both"].id}
    assert by_role("member") == {org.member.id, p["zhang"].id, p["wang"].id, p["zhang2"].id,
                                 p["both"].id, p["gone"].id}
    assert by_role("admin") == {org.admin.id}
    assert by_role("inactive") == {p["gone"].id}
    everyone = by_role("")
    assert everyone == {org.member.id, org.leader_in.id, org.leader_out.id, org.admin.id,
                        *(user.id for user in p.values())}
    page = page_text(client.get("/admin/members/"))
    assert f"{len(everyone)} people found" in page


def test_bad_filter_values_show_everyone_rather_than_fail(client, org):
    as_admin(client)
    everyone = set(listed_ids(client.get("/admin/members/")))
    for query in ({"unit": "abc"}, {"unit": "999999"}, {"page": "abc"}, {"page": "999"}):
        response = client.get("/admin/members/", query_string=query)
        assert response.status_code == 200, query
    assert set(listed_ids(client.get("/admin/members/?unit=abc"))) == everyone
    assert listed_ids(client.get("/admin/members/?page=999")) == []


# --- pagination and query count -------------------------------------------------------------


def test_pagination_walks_the_list_in_username_order(app, client, org, make_user):
    for i in range(1, 66):
        make_user(f"p{i:03d}", name=f"成员{i:03d}", units=[(org.group_b, "member")])
    with app.app_context():
        ordered = list(db.session.scalars(select(User.id).order_by(User.username)))
    assert len(ordered) == 69  # 65 + the four people of `org`
    as_admin(client)
    pages = [listed_ids(client.get("/admin/members/", query_string={"page": n}))
             for n in (1, 2, 3)]
    assert pages == [ordered[:PER_PAGE], ordered[PER_PAGE:2 * PER_PAGE],
                     ordered[2 * PER_PAGE:]]
    assert len(pages[2]) == 9
    with app.app_context():
        names = dict(db.session.execute(select(User.id, User.display_name)).all())
    page2 = page_text(client.get("/admin/members/?page=2"))
    assert "69 people found" in page2
    assert all(names[i] in page2 for i in pages[1])
    assert not any(names[i] in page2 for i in pages[0] + pages[2]
                   if names[i].startswith("成员0"))

    # Filters survive paging: the page links keep the filter.
    filtered = client.get("/admin/members/", query_string={"unit": org.group_b.id})
    links = re.findall(r'href="([^"]*page=2[^"]*)"', filtered.get_data(as_text=True))
    assert links and all(f"unit={org.group_b.id}" in link for link in links)
    second = listed_ids(client.get("/admin/members/",
                                   query_string={"unit": org.group_b.id, "page": 3}))
    assert len(second) == 65 - 2 * PER_PAGE


def test_member_list_runs_a_constant_number_of_queries(app, client, org, make_user,
                                                       query_counter):
    def add_people(start, count):
        for i in range(start, start + count):
            units = [(org.group_a, "member"), (org.branch_b, "leader")] if i % 2 else [
                (org.group_b, "member")]
            make_user(f"q{i:03d}", units=units)

    as_admin(client)
    client.get("/admin/members/")  # warm up anything loaded once per process

    def count(url):
        with query_counter() as statements:
            response = client.get(url)
        assert response.status_code == 200
        return len(statements), len(listed_ids(response))

    filtered_url = f"/admin/members/?unit={org.committee.id}&role=member"
    add_people(0, 5)
    few, few_filtered = count("/admin/members/"), count(filtered_url)
    add_people(5, 55)
    many, many_filtered = count("/admin/members/"), count(filtered_url)
    second_page = count("/admin/members/?page=2")
    assert few[1] == 9 and many[1] == PER_PAGE and second_page[1] == PER_PAGE
    assert few_filtered[1] == 6 and many_filtered[1] == PER_PAGE
    assert few[0] == many[0] == second_page[0], (few, many, second_page)
    assert few_filtered[0] == many_filtered[0], (few_filtered, many_filtered)


# --- creating a member ----------------------------------------------------------------------


def test_create_member_shows_the_password_once_and_forces_a_change(app, client, org):
    as_admin(client)
    response = post_form(client, "/admin/members/new", {
        "username": "XiaoMing", "display_name": "小明", "phone": "13700137000",
        "submit": "Save"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"  # shown once, never cached
    page = page_text(response)
    password = re.search(r'id="initial-password">([^<]+)<', page).group(1).strip()
    assert len(password) >= 8

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "xiaoming"))
        assert (user.display_name, user.phone, user.is_admin, user.must_change_password) == (
            "小明", "13700137000", False, True)
        assert password not in user.password_hash
        user_id = user.id
    # Shown once: the member's page does not show it again.
    assert password not in page_text(client.get(f"/admin/members/{user_id}"))
    entry = audit_entries(app, "user.create")[-1]
    assert (entry.actor_name, entry.target_id) == ("admin", user_id)

    # The new member logs in with it and must choose their own password first.
    member_client = app.test_client()
    response = login(member_client, "xiaoming", password)
    assert response.status_code == 302
    assert response.location.endswith("/account/password")
    response = member_client.get("/")
    assert response.status_code == 302 and response.location.endswith("/account/password")


def test_create_member_refuses_bad_input_with_messages(app, client, org):
    as_admin(client)
    with app.app_context():
        before = db.session.scalars(select(User.username)).all()
    cases = [
        ({"username": "member", "display_name": "重名"}, "The username member is already taken."),
        ({"username": "has space", "display_name": "坏名"}, "A username has 2 to 64 letters"),
        ({"username": "okname", "display_name": "坏号", "phone": "12345"},
         "A mobile number has 11 digits and starts with 1."),
        ({"username": "okname", "display_name": ""}, "This field is required."),
    ]
    for data, message in cases:
        response = post_form(client, "/admin/members/new", {**data, "submit": "Save"})
        assert response.status_code == 200
        assert message in page_text(response), data
    with app.app_context():
        assert db.session.scalars(select(User.username)).all() == before


# --- editing a member -----------------------------------------------------------------------


def edit_form(name, phone="", admin=False) -> dict:
    data = {"display_name": name, "phone": phone, "submit": "Save"}
    if admin:
        data["is_admin"] = "y"
    return data


def test_edit_name_phone_and_admin_flag(app, client, org):
    as_admin(client)
    url = f"/admin/members/{org.member.id}"
    response = post_form(client, url, edit_form("成员甲乙", "13600136000"))
    assert response.status_code == 302
    assert "Saved." in page_text(client.get(response.location))
    row = user_row(app, org.member.id)
    assert (row["display_name"], row["phone"], row["is_admin"]) == (
        "成员甲乙", "13600136000", False)
    entry = audit_entries(app, "user.update")[-1]
    assert entry.details == {"display_name": ["成员甲", "成员甲乙"],
                             "phone": [None, "13600136000"]}

    assert post_form(client, url, edit_form("成员甲乙", "13600136000", admin=True)
                     ).status_code == 302
    assert user_row(app, org.member.id)["is_admin"] is True
    assert audit_entries(app, "user.update")[-1].details == {"is_admin": [False, True]}

    # Clearing the phone stores no phone.
    post_form(client, url, edit_form("成员甲乙", "", admin=True))
    assert user_row(app, org.member.id)["phone"] is None


@pytest.mark.parametrize("phone", ["12345", "23800138000", "1380013800a", "138001380001"])
def test_edit_refuses_a_malformed_phone(app, client, org, phone):
    as_admin(client)
    before = user_row(app, org.member.id)
    updates = len(audit_entries(app, "user.update"))
    response = post_form(client, f"/admin/members/{org.member.id}", edit_form("新名字", phone))
    assert response.status_code == 200
    assert "A mobile number has 11 digits and starts with 1." in page_text(response)
    assert user_row(app, org.member.id) == before
    assert len(audit_entries(app, "user.update")) == updates


def test_an_admin_cannot_remove_their_own_admin_rights(app, client, org):
    as_admin(client)
    before = user_row(app, org.admin.id)
    response = post_form(client, f"/admin/members/{org.admin.id}", edit_form("改名"))
    assert response.status_code == 200
    assert "You cannot remove your own administrator rights." in page_text(response)
    assert user_row(app, org.admin.id) == before
    # Keeping the flag, the same admin may edit their own name.
    assert post_form(client, f"/admin/members/{org.admin.id}",
                     edit_form("总管理员", admin=True)).status_code == 302
    assert user_row(app, org.admin.id)["display_name"] == "总管理员"


def test_another_admin_may_remove_an_admins_rights(app, client, org, make_user):
    make_user("admin2", admin=True)
    as_admin(client, "admin2")
    assert post_form(client, f"/admin/members/{org.admin.id}",
                     edit_form("管理员")).status_code == 302
    assert user_row(app, org.admin.id)["is_admin"] is False
    # The demoted admin's next request no longer opens admin pages.
    other = app.test_client()
    login(other, "admin")
    assert other.get("/admin/members/").status_code == 403


# --- memberships ----------------------------------------------------------------------------


def membership_form(client, unit_id, role) -> dict:
    # The form is prefixed "m-", its CSRF field too.
    return {"m-unit_id": unit_id, "m-role": role, "m-submit": "Add or change",
            "m-csrf_token": csrf_token(client)}


def test_add_change_and_remove_a_membership(app, client, org):
    as_admin(client)
    user_id = org.member.id
    url = f"/admin/members/{user_id}/memberships"
    page = page_text(client.get(f"/admin/members/{user_id}"))
    assert "测试团委/第一团支部/第一学习小组" in page

    response = client.post(url, data=membership_form(client, org.branch_b.id, "leader"))
    assert response.status_code == 302
    assert "Membership saved." in page_text(client.get(response.location))
    assert memberships_of(app, user_id) == {org.group_a.id: "member", org.branch_b.id: "leader"}

    client.post(url, data=membership_form(client, org.branch_b.id, "member"))
    assert memberships_of(app, user_id) == {org.group_a.id: "member", org.branch_b.id: "member"}

    # The same role again changes nothing and logs nothing.
    logged = len(audit_entries(app, "membership."))
    client.post(url, data=membership_form(client, org.branch_b.id, "member"))
    assert len(audit_entries(app, "membership.")) == logged

    with app.app_context():
        membership_id = db.session.scalar(select(Membership.id).where(
            Membership.user_id == user_id, Membership.unit_id == org.branch_b.id))
    response = post_form(client, f"/admin/members/{user_id}/memberships/{membership_id}/delete")
    assert response.status_code == 302
    assert "Membership removed." in page_text(client.get(response.location))
    assert memberships_of(app, user_id) == {org.group_a.id: "member"}

    entries = audit_entries(app, "membership.")
    assert [(e.action, e.actor_name, e.target_id) for e in entries] == [
        ("membership.add", "admin", user_id), ("membership.role", "admin", user_id),
        ("membership.remove", "admin", user_id)]
    assert entries[1].details == {"unit_id": org.branch_b.id, "from": "leader", "to": "member"}


def test_membership_form_refuses_bad_choices(app, client, org):
    as_admin(client)
    url = f"/admin/members/{org.member.id}/memberships"
    before = memberships_of(app, org.member.id)
    for unit_id, role in ((999999, "member"), (org.group_b.id, "boss")):
        response = client.post(url, data=membership_form(client, unit_id, role))
        assert response.status_code == 302
        assert "Choose a unit and a role." in page_text(client.get(response.location))
    assert memberships_of(app, org.member.id) == before


def test_removing_another_users_membership_through_the_wrong_url_does_nothing(app, client,
                                                                              org):
    as_admin(client)
    with app.app_context():
        leader_membership = db.session.scalar(select(Membership.id).where(
            Membership.user_id == org.leader_in.id))
    response = post_form(
        client, f"/admin/members/{org.member.id}/memberships/{leader_membership}/delete")
    assert response.status_code == 302
    assert memberships_of(app, org.leader_in.id) == {org.branch_a.id: "leader"}


# --- deactivating ---------------------------------------------------------------------------


def test_deactivate_and_reactivate(app, client, org):
    member_client = app.test_client()
    assert login(member_client, "member").status_code == 302
    assert member_client.get("/").status_code == 200

    as_admin(client)
    response = post_form(client, f"/admin/members/{org.member.id}/active")
    assert response.status_code == 302
    assert "Account deactivated." in page_text(client.get(response.location))
    assert user_row(app, org.member.id)["active"] is False
    assert set(listed_ids(client.get("/admin/members/?role=inactive"))) == {org.member.id}

    # The open session ends at once, and a new login is refused with a message.
    response = member_client.get("/")
    assert response.status_code == 302 and "/login" in response.location
    fresh = app.test_client()
    fresh.get("/lang/en")
    response = login(fresh, "member")
    assert response.status_code == 200
    assert "This account has been deactivated." in page_text(response)

    response = post_form(client, f"/admin/members/{org.member.id}/active")
    assert "Account activated." in page_text(client.get(response.location))
    assert user_row(app, org.member.id)["active"] is True
    assert login(app.test_client(), "member", PASSWORD).status_code == 302

    entries = audit_entries(app, "user.")
    assert [(e.action, e.actor_name, e.target_id, e.params["user"]) for e in entries] == [
        ("user.deactivate", "admin", org.member.id, "成员甲"),
        ("user.activate", "admin", org.member.id, "成员甲")]


def test_an_admin_cannot_deactivate_themself(app, client, org):
    as_admin(client)
    response = post_form(client, f"/admin/members/{org.admin.id}/active")
    assert "You cannot deactivate yourself." in page_text(client.get(response.location))
    assert user_row(app, org.admin.id)["active"] is True
    assert audit_entries(app, "user.") == []


def test_reset_password_shows_a_new_one_and_ends_old_sessions(app, client, org):
    member_client = app.test_client()
    login(member_client, "member")
    as_admin(client)
    before = user_row(app, org.member.id)
    response = post_form(client, f"/admin/members/{org.member.id}/reset-password")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = re.search(r'id="initial-password">([^<]+)<', page_text(response)).group(1)
    after = user_row(app, org.member.id)
    assert after["password_hash"] != before["password_hash"]
    assert after["must_change_password"] is True
    assert after["session_version"] == before["session_version"] + 1
    assert member_client.get("/").status_code == 302
    assert login(app.test_client(), "member", password.strip()).location.endswith(
        "/account/password")
    assert audit_entries(app, "user.reset_password")[-1].actor_name == "admin"


# --- who may use these pages ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["member", "leader_in", "leader_out"])
def test_member_pages_are_for_admins_only(app, client, org, persona):
    login(client, persona)
    before = user_row(app, org.member.id)
    for url in ("/admin/members/", "/admin/members/new", f"/admin/members/{org.member.id}"):
        assert client.get(url).status_code == 403, url
    token = csrf_token(client)
    for url, data in [
        (f"/admin/members/{org.member.id}", edit_form("越权", admin=True)),
        ("/admin/members/new", {"username": "sneaky", "display_name": "x"}),
        (f"/admin/members/{org.member.id}/active", {}),
        (f"/admin/members/{org.member.id}/memberships",
         {"m-unit_id": org.committee.id, "m-role": "leader"}),
    ]:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    assert user_row(app, org.member.id) == before
    assert memberships_of(app, org.member.id) == {org.group_a.id: "member"}
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "sneaky")) is None


def test_anonymous_visitors_are_sent_to_the_login_page(client, org):
    for url in ("/admin/members/", "/admin/members/new", f"/admin/members/{org.member.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location, url
