"""The organisation tree: admin pages (create, rename, move, delete), subtree queries, scope.

Pages are driven through HTTP with CSRF tokens, as a browser would; the tree rules and the policy
functions are also checked directly. Messages are read in English (the /lang/en switch) so the
tests do not depend on the state of the Chinese catalogue.
"""

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from learning.audit.models import AuditEntry
from learning.extensions import db
from learning.orgs import services
from learning.orgs.models import Membership, OrgUnit
from learning.permissions import can_manage_unit, can_view_unit, scope_unit_ids
from tests.conftest import csrf_token, login, post_form


def as_admin(client, username: str = "admin"):
    """Log in and read pages in English."""
    assert login(client, username).status_code == 302
    client.get("/lang/en")
    return client


def page_text(response) -> str:
    return unescape(response.get_data(as_text=True))


def unit_rows(app) -> dict[int, tuple[str, str, int, int | None]]:
    """Every unit as id -> (name, path, depth, parent_id)."""
    with app.app_context():
        return {u.id: (u.name, u.path, u.depth, u.parent_id)
                for u in db.session.scalars(select(OrgUnit))}


def audit_actions(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.action, e.actor_name) for e in
                db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def unit_form(name: str, parent_id: int | None, kind: str = "group", position: int = 0) -> dict:
    return {"name": name, "kind": kind, "parent_id": parent_id or 0, "position": position,
            "submit": "Save"}


# --- creating units -------------------------------------------------------------------------


def test_admin_creates_a_tree_through_the_form(app, client, org):
    as_admin(client)
    response = post_form(client, "/admin/units/new", unit_form("市团委", None, "committee"))
    assert response.status_code == 302
    with app.app_context():
        root = db.session.scalar(select(OrgUnit).where(OrgUnit.name == "市团委"))
        root_id = root.id
        assert (root.path, root.depth, root.parent_id, root.kind) == (
            f"/{root.id}/", 0, None, "committee")

    assert post_form(client, "/admin/units/new",
                     unit_form("机关团总支", root_id, "general_branch")).status_code == 302
    with app.app_context():
        middle = db.session.scalar(select(OrgUnit).where(OrgUnit.name == "机关团总支"))
        middle_id = middle.id
        assert (middle.path, middle.depth, middle.parent_id) == (
            f"/{root_id}/{middle.id}/", 1, root_id)

    assert post_form(client, "/admin/units/new",
                     unit_form("第三团支部", middle_id, "branch")).status_code == 302
    assert post_form(client, "/admin/units/new",
                     unit_form("第九学习小组", None, "group")).status_code == 302
    with app.app_context():
        branch = db.session.scalar(select(OrgUnit).where(OrgUnit.name == "第三团支部"))
        assert branch.path == f"/{root_id}/{middle_id}/{branch.id}/"
        assert branch.depth == 2
        assert branch.kind == "branch"

    index = page_text(client.get("/admin/units/"))
    assert "Unit 第九学习小组 created." in index
    for name in ("市团委", "机关团总支", "第三团支部", "测试团委", "第一学习小组"):
        assert name in index


def test_the_unit_form_asks_for_the_unit_name(client, org):
    # "Name" reads 姓名 (a person's name) in Chinese, which the unit form is not asking for.
    as_admin(client)
    page = client.get("/admin/units/new").get_data(as_text=True)
    assert re.search(r'<label[^>]*for="name"[^>]*>\s*Unit name', page)


def test_create_refuses_a_duplicate_sibling_name_but_not_a_cousin(app, client, org):
    as_admin(client)
    before = unit_rows(app)
    response = post_form(client, "/admin/units/new",
                         unit_form("第一学习小组", org.branch_a.id))
    assert response.status_code == 200
    assert "There is already a unit called 第一学习小组 at this place." in page_text(response)
    assert unit_rows(app) == before

    # The same name under another parent is a different unit.
    response = post_form(client, "/admin/units/new", unit_form("第一学习小组", org.branch_b.id))
    assert response.status_code == 302
    assert len(unit_rows(app)) == len(before) + 1


def test_create_refuses_a_slash_and_a_blank_name(app, client, org):
    as_admin(client)
    before = unit_rows(app)
    response = post_form(client, "/admin/units/new", unit_form("一组/二组", org.branch_a.id))
    assert response.status_code == 200
    assert "cannot contain '/'" in page_text(response)
    response = post_form(client, "/admin/units/new", unit_form("   ", org.branch_a.id))
    assert response.status_code == 200
    assert unit_rows(app) == before


def test_create_unit_service_sets_paths_and_depths(app, make_unit):
    root = make_unit("团委")
    child = make_unit("团支部", root, kind="branch")
    grandchild = make_unit("小组", child)
    assert (root.path, root.depth) == (f"/{root.id}/", 0)
    assert (child.path, child.depth) == (f"/{root.id}/{child.id}/", 1)
    assert (grandchild.path, grandchild.depth) == (f"/{root.id}/{child.id}/{grandchild.id}/", 2)
    with app.test_request_context():  # messages are translated for a request
        assert db.session.get(OrgUnit, grandchild.id).ancestor_ids == [root.id, child.id]
        with pytest.raises(services.OrgError):
            services.create_unit("x", "department", None)


# --- the subtree query ----------------------------------------------------------------------


@pytest.fixture
def deep_tree(make_unit):
    """Two roots, four levels under the first; created so ids 1x exist beside id 1."""
    t = {}
    t["R"] = make_unit("区团委", kind="committee")
    t["G1"] = make_unit("机关团总支", t["R"], kind="general_branch")
    t["B1"] = make_unit("第一团支部", t["G1"], kind="branch")
    t["S1"] = make_unit("第一小组", t["B1"])
    t["S2"] = make_unit("第二小组", t["B1"])
    t["B2"] = make_unit("第二团支部", t["G1"], kind="branch")
    t["S3"] = make_unit("第三小组", t["B2"])
    t["G2"] = make_unit("学校团总支", t["R"], kind="general_branch")
    t["B3"] = make_unit("第三团支部", t["G2"], kind="branch")
    t["S4"] = make_unit("第四小组", t["B3"])
    t["R2"] = make_unit("另一团委", kind="committee")
    t["B4"] = make_unit("第四团支部", t["R2"], kind="branch")
    t["S5"] = make_unit("第五小组", t["B4"])
    return t


def descendants_by_parent_links(rows, unit_id) -> set[int]:
    """The test's oracle: walk parent links (the app must never do this)."""
    found, frontier = {unit_id}, {unit_id}
    while frontier:
        frontier = {i for i, row in rows.items() if row[3] in frontier}
        found |= frontier
    return found


def test_subtree_select_is_one_query_and_right_for_every_unit(app, deep_tree, query_counter):
    rows = unit_rows(app)
    assert max(depth for _n, _p, depth, _parent in rows.values()) == 3  # four levels
    with app.app_context():
        units = db.session.scalars(select(OrgUnit)).all()
        for unit in units:
            with query_counter() as statements:
                got = set(db.session.scalars(services.subtree_select(unit)))
            assert len(statements) == 1, statements
            assert got == descendants_by_parent_links(rows, unit.id), unit.name
    t = deep_tree
    assert {rows[i][0] for i in descendants_by_parent_links(rows, t["G1"].id)} == {
        "机关团总支", "第一团支部", "第一小组", "第二小组", "第二团支部", "第三小组"}


# --- rename ---------------------------------------------------------------------------------


def test_rename_through_the_form(app, client, org):
    as_admin(client)
    response = post_form(client, f"/admin/units/{org.group_a.id}",
                         unit_form("先锋学习小组", org.branch_a.id, position=3))
    assert response.status_code == 302
    name, path, depth, parent = unit_rows(app)[org.group_a.id]
    assert (name, path, depth, parent) == (
        "先锋学习小组", org.group_a.path, org.group_a.depth, org.branch_a.id)
    assert "Unit 先锋学习小组 saved." in page_text(client.get("/admin/units/"))
    assert ("unit.rename", "admin") in audit_actions(app)


def test_rename_to_a_sibling_name_is_refused_with_a_message(app, client, org):
    as_admin(client)
    before, logged = unit_rows(app), audit_actions(app)
    response = post_form(client, f"/admin/units/{org.branch_b.id}",
                         unit_form("第一团支部", org.committee.id, "branch"))
    assert response.status_code == 200
    assert "There is already a unit called 第一团支部 at this place." in page_text(response)
    assert unit_rows(app) == before
    assert audit_actions(app) == logged


# --- move -----------------------------------------------------------------------------------


def test_move_rewrites_the_whole_subtree_and_scope_follows(app, client, org, make_unit):
    deep = make_unit("突击队", org.group_a)  # a fourth level under branch_a
    with app.app_context():
        leader_in = db.session.get(type(org.leader_in), org.leader_in.id)
        leader_out = db.session.get(type(org.leader_out), org.leader_out.id)
        group_a = db.session.get(OrgUnit, org.group_a.id)
        assert can_view_unit(leader_in, group_a)
        assert not can_view_unit(leader_out, group_a)

    as_admin(client)
    response = post_form(client, f"/admin/units/{org.branch_a.id}",
                         unit_form("第一团支部", org.branch_b.id, "branch"))
    assert response.status_code == 302

    rows = unit_rows(app)
    c, a, b = org.committee.id, org.branch_a.id, org.branch_b.id
    assert rows[a][1:] == (f"/{c}/{b}/{a}/", 2, b)
    assert rows[org.group_a.id][1:] == (f"/{c}/{b}/{a}/{org.group_a.id}/", 3, a)
    assert rows[deep.id][1:] == (f"/{c}/{b}/{a}/{org.group_a.id}/{deep.id}/", 4,
                                 org.group_a.id)
    # Units outside the moved subtree are untouched.
    assert rows[b][1:] == (org.branch_b.path, 1, c)
    assert rows[org.group_b.id][1:] == (org.group_b.path, 2, b)
    assert rows[c][1:] == (org.committee.path, 0, None)
    assert ("unit.move", "admin") in audit_actions(app)

    with app.app_context():
        units = {u.id: u for u in db.session.scalars(select(OrgUnit))}
        leader_in = db.session.get(type(org.leader_in), org.leader_in.id)
        leader_out = db.session.get(type(org.leader_out), org.leader_out.id)
        # The leader of the moved branch still sees it and everything under it ...
        for unit_id in (a, org.group_a.id, deep.id):
            assert can_view_unit(leader_in, units[unit_id])
        assert not can_view_unit(leader_in, units[b])
        # ... and the leader of the new parent now sees the moved subtree too.
        for unit_id in (b, org.group_b.id, a, org.group_a.id, deep.id):
            assert can_view_unit(leader_out, units[unit_id])
        assert set(db.session.scalars(scope_unit_ids(leader_out))) == {
            b, org.group_b.id, a, org.group_a.id, deep.id}


def test_move_to_the_top_level_and_back(app, client, org):
    as_admin(client)
    g = org.group_b.id
    response = post_form(client, f"/admin/units/{g}", unit_form("第二学习小组", None))
    assert response.status_code == 302
    assert unit_rows(app)[g][1:] == (f"/{g}/", 0, None)
    assert post_form(client, f"/admin/units/{g}",
                     unit_form("第二学习小组", org.branch_a.id)).status_code == 302
    assert unit_rows(app)[g][1:] == (f"{org.branch_a.path}{g}/", 2, org.branch_a.id)


def test_move_into_a_name_clash_changes_nothing(app, client, org, make_unit):
    make_unit("第一学习小组", org.branch_b)  # branch_b now has a group of group_a's name
    as_admin(client)
    before = unit_rows(app)
    response = post_form(client, f"/admin/units/{org.group_a.id}",
                         unit_form("第一学习小组", org.branch_b.id))
    assert response.status_code == 200
    assert "There is already a unit called 第一学习小组 at this place." in page_text(response)
    assert unit_rows(app) == before


def test_move_and_rename_at_once_checks_the_new_name_at_the_new_place(app, client, org,
                                                                     make_unit):
    """The old parent's names do not matter once the unit leaves it, and vice versa."""
    make_unit("先锋小组", org.branch_a)  # a sibling of group_a at the old place
    make_unit("第一学习小组", org.branch_b)  # group_a's current name, at the new place
    as_admin(client)
    response = post_form(client, f"/admin/units/{org.group_a.id}",
                         unit_form("先锋小组", org.branch_b.id))
    assert response.status_code == 302
    name, path, depth, parent = unit_rows(app)[org.group_a.id]
    assert (name, parent, depth) == ("先锋小组", org.branch_b.id, 2)
    assert path == f"{org.branch_b.path}{org.group_a.id}/"
    assert audit_actions(app)[-2:] == [("unit.move", "admin"), ("unit.rename", "admin")]


@pytest.mark.parametrize("target", ["self", "child", "grandchild"])
def test_move_under_itself_or_a_descendant_is_refused(app, client, org, make_unit, target):
    grandchild = make_unit("突击队", org.group_a)
    target_id = {"self": org.branch_a.id, "child": org.group_a.id,
                 "grandchild": grandchild.id}[target]
    before = unit_rows(app)

    # Through the page: the unit's own subtree is not offered as a parent, and a forged choice
    # is refused by the form.
    as_admin(client)
    edit_page = page_text(client.get(f"/admin/units/{org.branch_a.id}"))
    assert f'<option value="{target_id}"' not in edit_page
    response = post_form(client, f"/admin/units/{org.branch_a.id}",
                         unit_form("第一团支部", target_id, "branch"))
    assert response.status_code == 200
    assert "Not a valid choice" in page_text(response)
    assert unit_rows(app) == before

    # The service rule itself, whoever calls it.
    with app.test_request_context():
        unit = db.session.get(OrgUnit, org.branch_a.id)
        with pytest.raises(services.OrgError, match="不能将组织移到其自身或其下级组织之下"):
            services.move_unit(unit, db.session.get(OrgUnit, target_id))
        db.session.rollback()
    assert unit_rows(app) == before
    assert not [a for a, _actor in audit_actions(app) if a == "unit.move"]


def test_move_does_not_confuse_ids_that_share_a_prefix(app, deep_tree):
    """Unit 1 and unit 11 must not look related because "/11/" starts with "/1"."""
    t = deep_tree
    rows = unit_rows(app)
    with app.app_context():
        r2 = db.session.get(OrgUnit, t["R2"].id)
        services.move_unit(r2, db.session.get(OrgUnit, t["S4"].id))
        db.session.commit()
    after = unit_rows(app)
    moved = descendants_by_parent_links(rows, t["R2"].id)
    for unit_id, (name, path, depth, parent) in after.items():
        if unit_id in moved:
            assert path.startswith(after[t["S4"].id][1]) and depth == rows[unit_id][2] + 4
        else:
            assert (name, path, depth, parent) == rows[unit_id], name


# --- delete ---------------------------------------------------------------------------------


def test_delete_is_refused_while_anyone_remains_in_the_subtree(app, client, org):
    as_admin(client)
    before = unit_rows(app)
    edit_page = page_text(client.get(f"/admin/units/{org.committee.id}"))
    assert "3 people belong to this unit or its sub-units" in edit_page

    for unit in (org.committee, org.branch_a, org.group_a, org.branch_b):
        response = post_form(client, f"/admin/units/{unit.id}/delete")
        assert response.status_code == 302
        assert response.location.endswith(f"/admin/units/{unit.id}")
        page = page_text(client.get(response.location))
        assert "The unit still has members; move or remove them first." in page
    assert unit_rows(app) == before
    assert not [a for a, _actor in audit_actions(app) if a == "unit.delete"]


def test_deleting_an_empty_subtree_removes_all_its_units(app, client, org, make_unit):
    extra = make_unit("第三团支部", org.committee, kind="branch")
    group = make_unit("第五学习小组", extra)
    make_unit("突击队", group)
    make_unit("第六学习小组", extra)
    before = unit_rows(app)

    as_admin(client)
    response = post_form(client, f"/admin/units/{extra.id}/delete")
    assert response.status_code == 302
    assert response.location.endswith("/admin/units/")
    assert "Unit 第三团支部 deleted." in page_text(client.get(response.location))

    after = unit_rows(app)
    assert set(before) - set(after) == descendants_by_parent_links(before, extra.id)
    assert len(before) - len(after) == 4
    assert all(after[i] == before[i] for i in after)
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "unit.delete"))
        assert entry.actor_name == "admin"
        assert entry.details["units"] == 4


def test_delete_without_the_csrf_token_is_refused(app, client, org, make_unit):
    extra = make_unit("第三团支部", org.committee, kind="branch")
    as_admin(client)
    response = client.post(f"/admin/units/{extra.id}/delete")
    assert response.status_code == 400
    assert extra.id in unit_rows(app)


def test_tree_changes_are_audited_with_who_did_them(app, client, org):
    as_admin(client)
    logged = len(audit_actions(app))
    post_form(client, "/admin/units/new", unit_form("临时小组", org.branch_a.id))
    with app.app_context():
        new_id = db.session.scalar(select(OrgUnit.id).where(OrgUnit.name == "临时小组"))
    post_form(client, f"/admin/units/{new_id}", unit_form("临时学习小组", org.branch_a.id))
    post_form(client, f"/admin/units/{new_id}", unit_form("临时学习小组", org.branch_b.id))
    post_form(client, f"/admin/units/{new_id}/delete")
    assert audit_actions(app)[logged:] == [("unit.create", "admin"), ("unit.rename", "admin"),
                       ("unit.move", "admin"), ("unit.delete", "admin")]
    log = page_text(client.get("/admin/audit/?action=unit"))
    for text in ("created the unit “临时小组”", "renamed the unit “临时小组” to “临时学习小组”",
                 "moved the unit “临时学习小组”", "deleted the unit “临时学习小组”"):
        assert text in log


def test_audit_log_pages_keep_their_filter(app, client, org):
    """Paging through a filtered log stays filtered (page links carry the filter)."""
    from learning.accounts.models import LoginEvent
    from learning.audit.services import record

    with app.app_context():
        for i in range(60):
            record("unit.rename", {"old": f"x{i}", "unit": f"y{i}"})
            record("user.update", {"user": f"u{i}"})
            db.session.add(LoginEvent(username=f"u{i}", success=False, reason="bad_password"))
            db.session.add(LoginEvent(username=f"ok{i}", success=True, reason="ok"))
        db.session.commit()
    as_admin(client)
    for url, kept, shown, hidden in [
        ("/admin/audit/?action=unit", "action=unit", "renamed the unit", "edited the account"),
        ("/admin/audit/logins?failed=1", "failed=1", "bad_password", ">success<"),
    ]:
        first = client.get(url).get_data(as_text=True)
        links = [unescape(link) for link in re.findall(r'href="([^"]*page=2[^"]*)"', first)]
        assert links and all(kept in link for link in links), (url, links)
        second = page_text(client.get(links[0]))
        assert shown in second and hidden not in second, url


# --- who may use the tree pages -------------------------------------------------------------


@pytest.mark.parametrize("persona", ["member", "leader_in", "leader_out"])
def test_tree_pages_are_for_admins_only(app, client, org, persona):
    login(client, persona)
    before, logged = unit_rows(app), audit_actions(app)
    for url in ("/admin/units/", "/admin/units/new", f"/admin/units/{org.branch_a.id}"):
        assert client.get(url).status_code == 403, url
    token = csrf_token(client)
    posts = [
        ("/admin/units/new", unit_form("越权小组", org.branch_a.id)),
        (f"/admin/units/{org.branch_a.id}", unit_form("改名", org.committee.id, "branch")),
        (f"/admin/units/{org.group_b.id}/delete", {}),
    ]
    for url, data in posts:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    assert unit_rows(app) == before
    assert audit_actions(app) == logged


def test_anonymous_visitors_are_sent_to_the_login_page(app, client, org):
    for url in ("/admin/units/", "/admin/units/new", f"/admin/units/{org.branch_a.id}"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.location
    response = client.post(f"/admin/units/{org.group_b.id}/delete",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302 and "/login" in response.location
    assert org.group_b.id in unit_rows(app)


# --- policy functions -----------------------------------------------------------------------


def test_scope_of_a_leader_of_two_units_an_admin_and_a_member(app, org, make_user, make_unit,
                                                              query_counter):
    deep = make_unit("突击队", org.group_b)
    make_user("two_hats", units=[(org.branch_a, "leader"), (org.group_b, "leader"),
                                 (org.committee, "member")])
    make_user("nested", units=[(org.branch_a, "leader"), (org.group_a, "leader")])
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(
            select(type(org.admin)).where(type(org.admin).username.in_(
                ["two_hats", "nested", "admin", "member"])))}
        all_ids = set(db.session.scalars(select(OrgUnit.id)))

        with query_counter() as statements:
            scope = set(db.session.scalars(scope_unit_ids(users["two_hats"])))
        assert len(statements) == 1
        assert scope == {org.branch_a.id, org.group_a.id, org.group_b.id, deep.id}
        # Being a plain member of the committee gives no leader scope over it.
        assert org.committee.id not in scope

        nested_scope = db.session.scalars(scope_unit_ids(users["nested"])).all()
        assert sorted(nested_scope) == sorted([org.branch_a.id, org.group_a.id])  # each once
        assert set(db.session.scalars(scope_unit_ids(users["admin"]))) == all_ids
        assert set(db.session.scalars(scope_unit_ids(users["member"]))) == set()

        # The scope is a SELECT usable inside other queries.
        count = db.session.scalar(select(func.count(Membership.id)).where(
            Membership.unit_id.in_(scope_unit_ids(users["two_hats"]))))
        assert count == 6  # member, leader_in, two_hats x2, nested x2


def test_can_view_unit_matrix(app, org):
    from flask_login import AnonymousUserMixin

    from learning.accounts.models import User

    expected = {
        "admin": {"committee", "branch_a", "group_a", "branch_b", "group_b"},
        "leader_in": {"branch_a", "group_a"},
        "leader_out": {"branch_b", "group_b"},
        "member": set(),
    }
    with app.app_context():
        units = {key: db.session.get(OrgUnit, getattr(org, key).id)
                 for key in ("committee", "branch_a", "group_a", "branch_b", "group_b")}
        for username, visible in expected.items():
            user = db.session.scalar(select(User).where(User.username == username))
            for key, unit in units.items():
                assert can_view_unit(user, unit) is (key in visible), (username, key)
                assert can_manage_unit(user, unit) is (key in visible), (username, key)
        for unit in units.values():
            assert can_view_unit(AnonymousUserMixin(), unit) is False

        # A deactivated admin sees nothing as an admin.
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        admin.active = False
        assert can_view_unit(admin, units["committee"]) is False
        db.session.rollback()


def test_database_refuses_two_top_level_units_with_one_name(app):
    """Two imports racing to create the same new committee cannot both succeed."""
    from sqlalchemy.exc import IntegrityError

    from learning.orgs.models import OrgUnit

    with app.app_context():
        db.session.add_all([OrgUnit(name="同名团委", kind="committee", path="/x/"),
                            OrgUnit(name="同名团委", kind="committee", path="/y/")])
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
