"""Roster import: the plan/apply service, the admin's web flow, the API, and a 3,000-row file.

Files are built in memory (CSV in several encodings, XLSX with openpyxl). "Writes nothing" is
checked two ways: a snapshot of every stored row and value compared before and after, and the
SQL statements themselves (no INSERT, UPDATE or DELETE). Messages are read in English.
"""

import csv
import io
import re
from contextlib import contextmanager
from html import unescape

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from learning.accounts.models import User
from learning.audit.models import AuditEntry
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit
from learning.roster import services
from learning.roster.formats import MAX_FILE_BYTES
from learning.staging import StagedFile
from learning.workbooks import guard_formula
from tests.conftest import csrf_token, login, post_form
from tests.files import replace_member, xlsx_bytes

HEADER = ["姓名", "用户名", "所属组织", "角色", "手机号"]
C = "某某团委"
BASE = [
    ["张三", "zhangsan", f"{C}/第一团支部/第一学习小组", "成员", "13800138000"],
    ["李四", "lisi", f"{C}/第一团支部/第一学习小组", "组长", ""],
    ["王五", "wangwu", f"{C}/第一团支部/第二学习小组", "团员", "13900139000"],
    ["赵六", "zhaoliu", f"{C}/第一团支部", "团支书", ""],
    ["钱七", "qianqi", f"{C}/第二团支部/青年突击队", "", ""],
    ["孙八", "sunba", f"{C}/机关/综合组", "成员", ""],
]
BASE_UNITS = {  # path -> the kind guessed from the name (or, without a telling suffix, place)
    C: "committee",
    f"{C}/第一团支部": "branch",
    f"{C}/第一团支部/第一学习小组": "group",
    f"{C}/第一团支部/第二学习小组": "group",
    f"{C}/第二团支部": "branch",
    f"{C}/第二团支部/青年突击队": "group",
    f"{C}/机关": "branch",
    f"{C}/机关/综合组": "group",
}


# --- building files -------------------------------------------------------------------------


def csv_bytes(rows, *, header=HEADER, encoding="utf-8") -> bytes:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def roster_xlsx(rows, *, header=HEADER) -> bytes:
    """A roster workbook: the header row, then `rows`."""
    return xlsx_bytes([header, *rows])


def changed(rows, username, **cells):
    """A copy of `rows` with some cells of one person's row replaced."""
    index = {"name": 0, "unit": 2, "role": 3, "phone": 4}
    result = []
    for row in rows:
        row = list(row)
        if row[1] == username:
            for key, value in cells.items():
                row[index[key]] = value
        result.append(row)
    return result


# --- reading the database -------------------------------------------------------------------


def snapshot(app) -> dict:
    """Every stored row and value the import could touch (audit entries counted separately)."""
    with app.app_context():
        return {
            "users": sorted(
                (u.id, u.username, u.display_name, u.phone, u.password_hash,
                 u.must_change_password, u.active, u.is_admin, u.session_version)
                for u in db.session.scalars(select(User))),
            "units": sorted((u.id, u.name, u.kind, u.parent_id, u.path, u.depth, u.position)
                            for u in db.session.scalars(select(OrgUnit))),
            "memberships": sorted((m.id, m.user_id, m.unit_id, m.role)
                                  for m in db.session.scalars(select(Membership))),
            "staged": db.session.scalar(select(func.count(StagedFile.id))),
        }


def audit_count(app, action="roster.import") -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == action))


def unit_paths(app) -> dict[str, tuple[int, str]]:
    """Units by readable path -> (id, kind)."""
    with app.app_context():
        units = db.session.scalars(select(OrgUnit)).all()
        names = {u.id: u.name for u in units}
        return {"/".join(names[i] for i in [*u.ancestor_ids, u.id]): (u.id, u.kind)
                for u in units}


def roster_of(app) -> dict[str, dict]:
    """username -> name, phone and {unit path: role}."""
    paths = {unit_id: path for path, (unit_id, _kind) in unit_paths(app).items()}
    with app.app_context():
        people = {u.id: u for u in db.session.scalars(select(User))}
        result = {u.username: {"name": u.display_name, "phone": u.phone, "units": {}}
                  for u in people.values()}
        for m in db.session.scalars(select(Membership)):
            result[people[m.user_id].username]["units"][paths[m.unit_id]] = m.role
        return result


@contextmanager
def request_context(app):
    """Services run inside requests: a request context, messages in English."""
    with app.test_request_context(), force_locale("en"):
        yield


def writes(statements) -> list[str]:
    return [s for s in statements if s.lstrip().split(None, 1)[0].upper()
            in ("INSERT", "UPDATE", "DELETE")]


def apply_file(app, data: bytes, filename: str = "roster.csv"):
    with request_context(app):
        result = services.apply_import(data, filename)
        db.session.commit()
        return result


# --- the service: dry run -------------------------------------------------------------------


def test_dry_run_on_an_empty_database_plans_everything_and_writes_nothing(app, query_counter):
    before = snapshot(app)
    with request_context(app), query_counter() as statements:
        plan = services.plan_import(csv_bytes(BASE), "roster.csv")
        db.session.commit()
    assert writes(statements) == []
    assert snapshot(app) == before
    assert plan.ok
    assert plan.summary == {"rows": 6, "new": 6, "updated": 0, "unchanged": 0,
                            "units_to_create": 8, "errors": 0}
    assert plan.units_to_create == sorted(BASE_UNITS)
    assert [(c.row, c.username, c.action) for c in plan.changes] == [
        (2, "zhangsan", "new"), (3, "lisi", "new"), (4, "wangwu", "new"),
        (5, "zhaoliu", "new"), (6, "qianqi", "new"), (7, "sunba", "new")]


def test_dry_run_of_a_changed_file_counts_each_kind_and_writes_nothing(app, query_counter):
    apply_file(app, csv_bytes(BASE))
    rows = changed(BASE, "zhangsan", name="张三丰")
    rows = changed(rows, "qianqi", unit=f"{C}/第三团支部/新组")
    rows.append(["周九", "zhoujiu", f"{C}/第一团支部/第一学习小组", "", ""])
    before, audits = snapshot(app), audit_count(app)
    with request_context(app), query_counter() as statements:
        plan = services.plan_import(roster_xlsx(rows), "roster.xlsx")
        db.session.commit()
    assert writes(statements) == []
    assert snapshot(app) == before and audit_count(app) == audits
    assert plan.summary == {"rows": 7, "new": 1, "updated": 2, "unchanged": 4,
                            "units_to_create": 2, "errors": 0}
    assert plan.units_to_create == [f"{C}/第三团支部", f"{C}/第三团支部/新组"]
    by_user = {c.username: c for c in plan.changes}
    assert by_user["zhangsan"].changes == ["姓名: 张三 → 张三丰"]
    assert by_user["qianqi"].changes == [f"{C}/第三团支部/新组: - → member",
                                         f"{C}/第二团支部/青年突击队: member → -"]


# --- the service: apply ---------------------------------------------------------------------


def test_apply_creates_users_units_and_memberships(app):
    result = apply_file(app, csv_bytes(BASE))
    assert result.plan.summary["new"] == 6

    units = unit_paths(app)
    assert {path: kind for path, (_id, kind) in units.items()} == BASE_UNITS
    roster = roster_of(app)
    assert roster["zhangsan"] == {"name": "张三", "phone": "13800138000",
                                  "units": {f"{C}/第一团支部/第一学习小组": "member"}}
    assert roster["lisi"]["units"] == {f"{C}/第一团支部/第一学习小组": "leader"}
    assert roster["zhaoliu"]["units"] == {f"{C}/第一团支部": "leader"}
    assert roster["qianqi"] == {"name": "钱七", "phone": None,
                                "units": {f"{C}/第二团支部/青年突击队": "member"}}

    # Every new member got an initial password, hashed at the initial-password cost, and
    # must change it at first login.
    credentials = {c["username"]: c for c in result.credentials}
    assert set(credentials) == {row[1] for row in BASE}
    assert credentials["zhangsan"]["unit"] == f"{C}/第一团支部/第一学习小组"
    assert credentials["zhangsan"]["name"] == "张三"
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        for username, item in credentials.items():
            user = users[username]
            assert user.must_change_password is True
            assert user.password_hash.startswith("scrypt:4096:8:1$")
            assert check_password_hash(user.password_hash, item["password"])
        assert len({c["password"] for c in result.credentials}) == 6
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "roster.import"))
        assert entry.details["new"] == 6
        assert entry.details["units_created"] == sorted(BASE_UNITS)


def test_apply_uses_existing_units_and_leaves_other_people_alone(app, org):
    rows = [["张三", "zhangsan", "测试团委/第一团支部/第一学习小组", "", ""],
            ["李四", "lisi", "测试团委/第二团支部/第三学习小组", "", ""]]
    before = roster_of(app)
    units_before = unit_paths(app)
    result = apply_file(app, csv_bytes(rows))
    assert result.plan.units_to_create == ["测试团委/第二团支部/第三学习小组"]
    after = roster_of(app)
    assert {k: v for k, v in after.items() if k in before} == before
    assert after["zhangsan"]["units"] == {"测试团委/第一团支部/第一学习小组": "member"}
    units_after = unit_paths(app)
    assert {k: v for k, v in units_after.items() if k in units_before} == units_before
    assert units_after["测试团委/第二团支部/第三学习小组"][1] == "group"


def test_reimporting_the_same_file_writes_nothing(app, query_counter):
    data = roster_xlsx(BASE)
    apply_file(app, data, "roster.xlsx")
    before = snapshot(app)
    with request_context(app):
        plan = services.plan_import(data, "roster.xlsx")
        assert plan.summary == {"rows": 6, "new": 0, "updated": 0, "unchanged": 6,
                                "units_to_create": 0, "errors": 0}
        with query_counter() as statements:
            result = services.apply_import(data, "roster.xlsx")
            db.session.commit()
    assert result.credentials == []
    # The import itself is logged (who imported what, when); nothing else is written.
    assert [s.split("(")[0].strip() for s in writes(statements)] == ["INSERT INTO audit_entries"]
    assert snapshot(app) == before


def test_a_changed_file_updates_exactly_what_changed(app):
    apply_file(app, csv_bytes(BASE))
    before = roster_of(app)
    ids_before = {row[1]: row[0] for row in snapshot(app)["users"]}

    rows = changed(BASE, "zhangsan", name="张三丰")  # new name
    rows = changed(rows, "wangwu", phone="137-0013-7000")  # new phone
    rows = changed(rows, "qianqi", unit=f"{C}/第一团支部/第二学习小组")  # a transfer
    rows = changed(rows, "sunba", role="组长")  # member -> leader of the same unit
    with request_context(app):
        plan = services.plan_import(csv_bytes(rows), "roster.csv")
    assert {c.username: c.action for c in plan.changes} == {
        "zhangsan": "updated", "lisi": "unchanged", "wangwu": "updated",
        "zhaoliu": "unchanged", "qianqi": "updated", "sunba": "updated"}
    result = apply_file(app, csv_bytes(rows))
    assert result.credentials == []

    after = roster_of(app)
    expected = {k: {**v, "units": dict(v["units"])} for k, v in before.items()}
    expected["zhangsan"]["name"] = "张三丰"
    expected["wangwu"]["phone"] = "13700137000"
    expected["qianqi"]["units"] = {f"{C}/第一团支部/第二学习小组": "member"}
    expected["sunba"]["units"] = {f"{C}/机关/综合组": "leader"}
    assert after == expected
    # Same accounts (no duplicates, ids kept), no unit created or lost.
    assert {row[1]: row[0] for row in snapshot(app)["users"]} == ids_before
    assert set(unit_paths(app)) == set(BASE_UNITS)


def test_a_leader_row_adds_leadership_and_keeps_the_persons_own_unit(app):
    apply_file(app, csv_bytes(BASE))
    rows = changed(BASE, "zhangsan", unit=f"{C}/第二团支部", role="负责人")
    apply_file(app, csv_bytes(rows))
    assert roster_of(app)["zhangsan"]["units"] == {
        f"{C}/第一团支部/第一学习小组": "member", f"{C}/第二团支部": "leader"}


def test_an_empty_phone_cell_does_not_erase_a_stored_phone(app):
    apply_file(app, csv_bytes(BASE))
    before = snapshot(app)
    rows = changed(BASE, "zhangsan", phone="")
    with request_context(app):
        plan = services.plan_import(csv_bytes(rows), "roster.csv")
    assert {c.username: c.action for c in plan.changes}["zhangsan"] == "unchanged"
    apply_file(app, csv_bytes(rows))
    assert roster_of(app)["zhangsan"]["phone"] == "13800138000"
    assert snapshot(app) == before


def test_one_bad_row_among_good_ones_writes_nothing(app, org):
    rows = [
        *BASE[:3],
        ["", "nobody", f"{C}/第一团支部", "", ""],  # row 5: no name
        ["周九", "zhoujiu", f"{C}/第一团支部", "路人", ""],  # row 6: unknown role
        ["吴十", "wushi", f"{C}/第一团支部", "", "1380013"],  # row 7: malformed phone
        ["张三", "ZhangSan", f"{C}/第一团支部", "", ""],  # row 8: duplicate username
        ["郑一", "zhengyi", f"{C}//第一团支部", "", ""],  # row 9: empty level in the path
        *BASE[3:],
    ]
    before, audits = snapshot(app), audit_count(app)
    with request_context(app):
        with pytest.raises(services.RosterImportError) as info:
            services.apply_import(csv_bytes(rows), "roster.csv")
        db.session.commit()  # even a caller that commits regardless finds nothing to write
        errors = [(e.row, e.column, str(e.message)) for e in info.value.plan.errors]
    assert snapshot(app) == before
    assert audit_count(app) == audits
    assert [(row, column) for row, column, _message in errors] == [
        (5, "姓名"), (6, "角色"), (7, "手机号"), (8, "用户名"), (9, "所属组织")]
    assert errors[0][2] == "required value is missing"
    assert errors[1][2].startswith("unknown role 路人")
    assert "1380013" in errors[2][2]
    assert errors[3][2] == "username zhangsan already appears in row 2"
    assert info.value.plan.summary["errors"] == 5


@pytest.mark.parametrize(("filename", "encoding"), [
    ("名单.csv", "gbk"), ("名单.csv", "gb18030"), ("名单.csv", "utf-8-sig"), ("名单.xlsx", None),
])
def test_gbk_csv_and_xlsx_import_the_same_roster(app, filename, encoding):
    data = roster_xlsx(BASE) if encoding is None else csv_bytes(BASE, encoding=encoding)
    apply_file(app, data, filename)
    roster = roster_of(app)
    assert {username: person["name"] for username, person in roster.items()} == {
        row[1]: row[0] for row in BASE}
    assert set(unit_paths(app)) == set(BASE_UNITS)


# --- the web flow ---------------------------------------------------------------------------


def as_admin(client, username: str = "admin"):
    assert login(client, username).status_code == 302
    client.get("/lang/en")
    return client


def page_text(response) -> str:
    return unescape(response.get_data(as_text=True))


def upload(client, data: bytes, filename: str):
    return post_form(client, "/admin/roster/", {"file": (io.BytesIO(data), filename)},
                     content_type="multipart/form-data")


def staged_token(response) -> str:
    match = re.search(r'name="token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no apply form on the page"
    return match.group(1)


def apply_staged(client, token: str):
    return post_form(client, "/admin/roster/apply", {"token": token})


def credentials_on_page(response) -> list[tuple[str, str, str, str]]:
    return re.findall(r'<tr><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td><td class="text-break">'
                      r'([^<]+)</td><td class="password-cell">([^<]+)</td></tr>',
                      page_text(response))


def test_upload_with_errors_lists_every_bad_row_and_offers_no_import(app, client, org):
    rows = [*BASE[:2], ["", "a1", C, "", ""], ["x", "a2", C, "外星人", "12"], *BASE[2:]]
    as_admin(client)
    before = snapshot(app)
    response = upload(client, csv_bytes(rows), "roster.csv")
    assert response.status_code == 200
    page = page_text(response)
    table = page.split('id="errors"')[1].split("</table>")[0]
    cells = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", table)
    assert [(row, column) for row, column, _message in cells] == [
        ("4", "姓名"), ("5", "角色"), ("5", "手机号")]
    assert "required value is missing" in cells[0][2]
    assert "unknown role 外星人" in cells[1][2]
    assert "The file has 3 errors." in page
    assert 'data-summary="errors">3<' in page
    assert "/admin/roster/apply" not in page and 'name="token"' not in page
    assert snapshot(app) == before  # not even staged


def test_upload_apply_and_download_the_passwords_once(app, client, org):
    as_admin(client)
    before = snapshot(app)
    response = upload(client, csv_bytes(BASE, encoding="gbk"), "名单.csv")
    assert response.status_code == 200
    page = page_text(response)
    assert 'data-summary="new">6<' in page
    assert f"{C}/机关/综合组" in page  # units that will be created are listed
    token = staged_token(response)
    # The dry run imported nothing (the file is only kept for the next step).
    after_dry_run = snapshot(app)
    assert after_dry_run["staged"] == 1
    assert {k: v for k, v in after_dry_run.items() if k != "staged"} == {
        k: v for k, v in before.items() if k != "staged"}

    response = apply_staged(client, token)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"  # passwords: shown once
    assert "The roster has been imported." in page_text(response)
    shown = credentials_on_page(response)
    assert sorted(username for username, *_rest in shown) == sorted(row[1] for row in BASE)
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        for username, name, _unit, password in shown:
            assert users[username].display_name == name
            assert check_password_hash(users[username].password_hash, password)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "roster.import"))
        assert entry.actor_name == "admin"

    link = re.search(r'href="(/admin/roster/passwords/[^"]+)"', page_text(response)).group(1)
    download = client.get(link)
    assert download.status_code == 200
    assert download.headers["Cache-Control"] == "no-store"
    assert "attachment" in download.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(download.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("用户名", "姓名", "所属组织", "初始密码")
    assert sorted(rows[1:]) == sorted(shown)
    assert client.get(link).status_code == 404  # once
    assert snapshot(app)["staged"] == 0  # neither the roster nor the passwords are kept

    # The staged roster was used up: applying it again imports nothing twice.
    response = apply_staged(client, token)
    assert response.status_code == 302
    assert "expired" in page_text(client.get(response.location))
    assert audit_count(app) == 1


def test_another_admin_cannot_use_the_first_admins_files(app, client, org, make_user):
    make_user("admin2", admin=True)
    as_admin(client)
    token = staged_token(upload(client, csv_bytes(BASE), "roster.csv"))
    before = snapshot(app)

    other = as_admin(app.test_client(), "admin2")
    response = apply_staged(other, token)
    assert response.status_code == 302
    assert response.location.endswith("/admin/roster/")
    assert "The checked file has expired. Please upload it again." in page_text(
        other.get(response.location))
    assert snapshot(app) == before
    assert audit_count(app) == 0

    # The owner still can; then the other admin cannot download the owner's passwords.
    response = apply_staged(client, token)
    link = re.search(r'href="(/admin/roster/passwords/[^"]+)"', page_text(response)).group(1)
    assert other.get(link).status_code == 404
    assert client.get(link).status_code == 200


def test_a_staged_file_expires(app, client, org):
    as_admin(client)
    token = staged_token(upload(client, csv_bytes(BASE), "roster.csv"))
    with app.app_context():
        staged = db.session.scalar(select(StagedFile).where(StagedFile.token == token))
        staged.expires_at = staged.created_at  # an hour has passed
        db.session.commit()
    before = snapshot(app)
    response = apply_staged(client, token)
    assert response.status_code == 302
    assert "expired" in page_text(client.get(response.location))
    assert snapshot(app) == before


def test_apply_without_a_token_or_with_a_forged_one_imports_nothing(app, client, org):
    as_admin(client)
    before = snapshot(app)
    for data in ({}, {"token": "not-a-real-token"}):
        response = post_form(client, "/admin/roster/apply", data)
        assert response.status_code == 302
        assert "expired" in page_text(client.get(response.location))
    assert snapshot(app) == before


def _oversized_csv() -> bytes:
    return csv_bytes(BASE) + b"#" * MAX_FILE_BYTES


def _exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200)


def _zip_bomb() -> bytes:
    return replace_member(roster_xlsx(BASE), "xl/worksheets/sheet1.xml", b" " * (10 << 20))


def _xml_bomb() -> bytes:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
              b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row>'
              b"</sheetData></worksheet>")
    return replace_member(roster_xlsx(BASE), "xl/worksheets/sheet1.xml", laughs)


@pytest.mark.parametrize(("make", "filename", "message"), [
    (_oversized_csv, "roster.csv", "larger than 5 MB"),
    (_exe, "roster.xlsx", "not a zip archive"),
    (_exe, "roster.csv", "binary data"),
    (_exe, "roster.exe", "Only .csv and .xlsx files can be imported."),
    (lambda: roster_xlsx(BASE), "roster.csv", "XLSX (zip) file"),
    (_zip_bomb, "roster.xlsx", "expands to too much data"),
    (_xml_bomb, "roster.xlsx", "forbidden XML"),
    (lambda: csv_bytes([], header=["姓名", "备注"]), "roster.csv",
     "missing required column(s): 用户名/团员编号, 所属组织, 角色"),
], ids=["oversized", "exe-as-xlsx", "exe-as-csv", "exe", "xlsx-as-csv", "zip-bomb", "xml-bomb",
        "no-headers"])
def test_hostile_or_wrong_files_are_refused_with_a_message(app, client, org, make, filename,
                                                          message):
    as_admin(client)
    before = snapshot(app)
    response = upload(client, make(), filename)
    assert response.status_code == 200
    page = page_text(response)
    assert message in page
    assert 'name="token"' not in page
    assert snapshot(app) == before


def test_a_request_over_the_upload_limit_is_refused(app, client, org):
    as_admin(client)
    before = snapshot(app)
    too_big = b"#" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = upload(client, too_big, "roster.csv")
    assert response.status_code == 413
    assert "The file is too large." in page_text(response)
    assert snapshot(app) == before


def test_upload_without_a_file_or_without_csrf(app, client, org):
    as_admin(client)
    response = post_form(client, "/admin/roster/", {})
    assert response.status_code == 200
    assert "Choose a file." in page_text(response)
    response = client.post("/admin/roster/", data={"file": (io.BytesIO(csv_bytes(BASE)),
                                                            "roster.csv")})
    assert response.status_code == 400
    assert snapshot(app)["staged"] == 0


def test_the_template_is_an_xlsx_with_the_expected_headers(app, client, org):
    as_admin(client)
    response = client.get("/admin/roster/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0] == ("姓名", "用户名", "所属组织", "角色", "手机号")
    # The example row is itself a valid roster line.
    with request_context(app):
        plan = services.plan_import(response.data, "template.xlsx")
    assert plan.ok and plan.summary["new"] == 1


@pytest.mark.parametrize("persona", ["member", "leader_in"])
def test_roster_pages_are_for_admins_only(app, client, org, persona):
    login(client, persona)
    assert client.get("/admin/roster/").status_code == 403
    assert client.get("/admin/roster/template.xlsx").status_code == 403
    assert upload(client, csv_bytes(BASE), "roster.csv").status_code == 403
    assert snapshot(app)["staged"] == 0


# --- the API --------------------------------------------------------------------------------


def api_import(client, data: bytes, filename: str, *, dry_run: bool = True, token=None):
    query = {} if dry_run else {"dry_run": "false"}
    headers = {"X-CSRFToken": token if token is not None else csrf_token(client)}
    return client.post("/api/v1/roster/import", query_string=query, headers=headers,
                       data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_api_dry_run_then_apply(app, client, org):
    as_admin(client)
    before = snapshot(app)
    response = api_import(client, roster_xlsx(BASE), "roster.xlsx")
    assert response.status_code == 200
    body = response.get_json()
    assert body["applied"] is False
    assert body["summary"] == {"rows": 6, "new": 6, "updated": 0, "unchanged": 0,
                               "units_to_create": 8, "errors": 0}
    assert body["errors"] == [] and body["credentials"] == []
    assert body["changes"][0] == {"row": 2, "username": "zhangsan", "name": "张三",
                                  "unit_path": f"{C}/第一团支部/第一学习小组",
                                  "role": "member", "action": "new", "changes": []}
    assert snapshot(app) == before

    response = api_import(client, roster_xlsx(BASE), "roster.xlsx", dry_run=False)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["applied"] is True
    credentials = {c["username"]: c["password"] for c in body["credentials"]}
    assert set(credentials) == {row[1] for row in BASE}
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "lisi"))
        assert check_password_hash(user.password_hash, credentials["lisi"])
    assert set(roster_of(app)) >= set(credentials)

    again = api_import(client, roster_xlsx(BASE), "roster.xlsx", dry_run=False).get_json()
    assert again["summary"]["unchanged"] == 6 and again["credentials"] == []


def test_api_reports_row_errors_with_422_and_writes_nothing(app, client, org):
    as_admin(client)
    rows = [*BASE, ["", "bad", C, "外星人", ""]]
    before = snapshot(app)
    for dry_run in (True, False):
        response = api_import(client, csv_bytes(rows), "roster.csv", dry_run=dry_run)
        assert response.status_code == 422
        body = response.get_json()
        assert body["applied"] is False
        assert [(e["row"], e["column"]) for e in body["errors"]] == [(8, "姓名"), (8, "角色")]
        assert body["credentials"] == []
    assert snapshot(app) == before
    assert audit_count(app) == 0


def test_api_refuses_an_unreadable_file_with_a_json_400(app, client, org):
    as_admin(client)
    before = snapshot(app)
    for dry_run in (True, False):
        response = api_import(client, _exe(), "roster.xlsx", dry_run=dry_run)
        assert response.status_code == 400
        body = response.get_json()
        assert body["code"] == 400 and body["status"] == "Bad Request"
        assert "not an XLSX file" in body["message"]
    assert snapshot(app) == before


@pytest.mark.parametrize("persona", ["member", "leader_in", "leader_out"])
def test_api_refuses_non_admins(app, client, org, persona):
    login(client, persona)
    before = snapshot(app)
    response = api_import(client, csv_bytes(BASE), "roster.csv", dry_run=False)
    assert response.status_code == 403
    assert response.get_json()["code"] == 403
    assert snapshot(app) == before


def test_api_with_the_session_cookie_needs_the_csrf_header(app, client, org):
    as_admin(client)
    before = snapshot(app)
    response = api_import(client, csv_bytes(BASE), "roster.csv", dry_run=False, token="")
    assert response.status_code == 400
    assert snapshot(app) == before


def test_api_with_a_bearer_token_needs_no_csrf(app, client, org):
    from learning.accounts.services import create_token

    with app.app_context():
        _token, plain = create_token(db.session.get(User, org.admin.id), "import")
        db.session.commit()
    response = app.test_client().post(
        "/api/v1/roster/import?dry_run=false", headers={"Authorization": f"Bearer {plain}"},
        data={"file": (io.BytesIO(csv_bytes(BASE)), "roster.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 200
    assert len(response.get_json()["credentials"]) == 6
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "roster.import"))
        assert entry.actor_name == "admin"


# --- scale ----------------------------------------------------------------------------------


def test_a_3000_row_xlsx_applies_in_one_go(app, client, org):
    """Ten branches of five groups of sixty: one file, one transaction, all or nothing."""
    rows = []
    for n in range(3000):
        branch, group = n // 300 + 1, n // 60 % 5 + 1
        role = "组长" if n % 60 == 0 else "成员"
        rows.append([f"成员{n:04d}", f"m{n:04d}", f"{C}/第{branch}团支部/第{group}学习小组",
                     role, f"139{n:08d}"])
    as_admin(client)
    before = snapshot(app)

    # One bad row at the end spoils the whole file: nothing is written.
    bad = roster_xlsx([*rows, ["坏行", "m0000", f"{C}/第一团支部", "", ""]])
    response = upload(client, bad, "big.xlsx")
    assert 'data-summary="errors">1<' in page_text(response)
    with request_context(app):
        with pytest.raises(services.RosterImportError):
            services.apply_import(bad, "big.xlsx")
        db.session.rollback()
    assert snapshot(app) == before

    response = upload(client, roster_xlsx(rows), "big.xlsx")
    assert 'data-summary="new">3000<' in page_text(response)
    assert 'data-summary="units_to_create">61<' in page_text(response)
    response = apply_staged(client, staged_token(response))
    assert response.status_code == 200
    assert len(credentials_on_page(response)) == 3000

    with app.app_context():
        def count(*criteria, model=User):
            return db.session.scalar(select(func.count(model.id)).where(*criteria))

        assert count() == 4 + 3000  # the `org` fixture's four people, and the roster
        assert count(User.must_change_password.is_(True)) == 3000
        assert count(User.password_hash.startswith("scrypt:4096:8:1$")) == 3000
        assert count(model=OrgUnit) == 5 + 61
        assert count(model=Membership) == 3 + 3000
        assert count(Membership.role == "leader", model=Membership) == 2 + 50
        assert count(AuditEntry.action == "roster.import", model=AuditEntry) == 1
    link = re.search(r'href="(/admin/roster/passwords/[^"]+)"', page_text(response)).group(1)
    sheet = load_workbook(io.BytesIO(client.get(link).data), read_only=True).active
    assert sum(1 for _row in sheet.iter_rows(min_row=2, values_only=True)) == 3000


def test_dry_run_messages_quoting_the_file_are_escaped(app, client, org):
    """A message built from a cell of the file shows the cell as text, never as markup."""
    as_admin(client)
    hostile = f"{C}//<img src=x onerror=alert(1)>"
    response = upload(client, csv_bytes([["张三", "zhangsan", hostile, "成员", ""]]), "r.csv")
    body = response.get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<img src=x" not in body


# --- names that look like spreadsheet formulas ------------------------------------------------

# A member named =HYPERLINK(...) must not become a live formula in the passwords file an admin
# opens. Tab and CR before a formula are trimmed like any cell's layout whitespace.
FORMULA_ROWS = [
    ['=HYPERLINK("http://x","y")', "hyper", f"{C}/第一团支部", "", ""],  # row 2
    ["+SUM(1,2)", "plus", f"{C}/第一团支部", "", ""],
    ["-2+3", "minus", f"{C}/第一团支部", "", ""],
    ["@cmd", "at", f"{C}/第一团支部", "", ""],
    ["\t=1+1", "tab", f"{C}/第一团支部", "", ""],
    ["\r=1+1", "cr", f"{C}/第一团支部", "", ""],
    ["张三", "@zhang", f"{C}/=第一团支部", "", ""],  # row 8: username and unit
]
FORMULA_NAMES = {"hyper": '=HYPERLINK("http://x","y")', "plus": "+SUM(1,2)", "minus": "-2+3",
                 "at": "@cmd", "tab": "=1+1", "cr": "=1+1", "@zhang": "张三"}
FORMULA_WARNINGS = [(2, "姓名"), (3, "姓名"), (4, "姓名"), (5, "姓名"), (6, "姓名"), (7, "姓名"),
                    (8, "用户名"), (8, "所属组织")]


def formula_roster() -> bytes:
    """FORMULA_ROWS as a CSV, quoted as Excel writes one."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *FORMULA_ROWS])
    return buffer.getvalue().encode("utf-8")


def assert_names_are_text(workbook_data: bytes) -> None:
    """Every name in a passwords file is a text cell, guarded, never a formula."""
    sheet = load_workbook(io.BytesIO(workbook_data)).active
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == len(FORMULA_NAMES)
    for username_cell, name_cell, unit_cell, _password in rows:
        for cell in (username_cell, name_cell, unit_cell):
            assert cell.data_type != "f" and cell.data_type == "s", cell.value
        username = username_cell.value.removeprefix("'")
        assert name_cell.value == guard_formula(FORMULA_NAMES[username])
    assert rows[0][1].value == '\'=HYPERLINK("http://x","y")'
    assert {row[0].value for row in rows} >= {"hyper", "'@zhang"}
    assert {row[2].value for row in rows} == {f"{C}/第一团支部", f"{C}/=第一团支部"}


def test_names_like_formulas_are_warned_about_and_stay_text_in_the_passwords_file(app, client,
                                                                                 org):
    as_admin(client)
    response = upload(client, formula_roster(), "名单.csv")
    assert response.status_code == 200
    page = page_text(response)
    table = page.split('id="warnings"')[1].split("</table>")[0]
    cells = re.findall(r'<tr><td>(\d+)</td><td>([^<]*)</td><td[^>]*>([^<]*)</td></tr>', table)
    assert [(int(row), column) for row, column, _message in cells] == FORMULA_WARNINGS
    assert ('=HYPERLINK("http://x","y") begins with =, as a spreadsheet formula does'
            in cells[0][2])
    assert "The file has" not in page  # a warning, not an error: the import may go ahead

    response = apply_staged(client, staged_token(response))
    assert response.status_code == 200
    with app.app_context():  # stored exactly as written
        names = {u.username: u.display_name for u in db.session.scalars(select(User))}
    assert {k: v for k, v in names.items() if k in FORMULA_NAMES} == FORMULA_NAMES
    link = re.search(r'href="(/admin/roster/passwords/[^"]+)"', page_text(response)).group(1)
    assert_names_are_text(client.get(link).data)


def test_api_dry_run_lists_the_formula_warnings(app, client, org):
    as_admin(client)
    body = api_import(client, formula_roster(), "roster.csv").get_json()
    assert body["errors"] == []
    assert [(w["row"], w["column"]) for w in body["warnings"]] == FORMULA_WARNINGS
    assert api_import(client, roster_xlsx(BASE), "roster.xlsx").get_json()["warnings"] == []


def test_an_over_long_file_name_is_refused_with_a_message_not_a_500(app, client, org):
    """The staged file's name holds 255 characters: PostgreSQL would refuse a longer one."""
    as_admin(client)
    before = snapshot(app)
    name = "名" * 296 + ".csv"  # 300 characters
    response = upload(client, csv_bytes(BASE), name)
    assert response.status_code == 200
    assert ("The file name is 300 characters long; rename the file to at most 255 characters "
            "and upload it again." in page_text(response))
    assert 'name="token"' not in page_text(response)
    assert snapshot(app) == before  # not staged
    # 255 characters are kept whole.
    response = upload(client, csv_bytes(BASE), "名" * 251 + ".csv")
    assert staged_token(response)
    with app.app_context():
        assert db.session.scalar(select(StagedFile.filename)) == "名" * 251 + ".csv"
