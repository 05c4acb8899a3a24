"""The command line: `flask demo`, `flask users create`, `flask roster import`.

Commands run through app.test_cli_runner(), the way `flask --app wsgi ...` runs them, each as
one transaction. Output is checked for what an operator needs (logins, summary, row numbers),
the database for what was really stored.
"""

import io
import os
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from learning.accounts.models import User
from learning.demo import DEMO_PASSWORD
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit
from tests.conftest import login
from tests.learning.test_roster_import import BASE, BASE_UNITS, C, csv_bytes, roster_xlsx, snapshot


@pytest.fixture
def runner(app, monkeypatch):
    """A CLI runner; commands speak the default locale, English here (whatever is compiled)."""
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
    return app.test_cli_runner()


# --- demo -----------------------------------------------------------------------------------


def test_demo_loads_an_organisation_and_prints_the_logins(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output

    with app.app_context():
        units = db.session.scalars(select(OrgUnit)).all()
        kinds = sorted(unit.kind for unit in units)
        assert kinds == ["branch"] * 2 + ["committee"] + ["group"] * 4
        committee = next(unit for unit in units if unit.kind == "committee")
        assert all(unit.path.startswith(committee.path) for unit in units)

        leaders = {unit_id: n for unit_id, n in db.session.execute(
            select(Membership.unit_id, func.count()).where(Membership.role == "leader")
            .group_by(Membership.unit_id))}
        for unit in units:  # a leader for every group and branch (and the committee)
            assert leaders.get(unit.id) == 1, unit.name
        members = db.session.scalar(select(func.count(func.distinct(Membership.user_id)))
                                    .where(Membership.role == "member"))
        assert members >= 36
        people = db.session.scalar(select(func.count(User.id)))
        assert people - 1 >= 40  # everyone but the admin belongs somewhere
        admins = db.session.scalars(select(User.username).where(User.is_admin)).all()
        assert admins == ["admin"]

        printed = re.findall(r"^\s+.+?\s+(\S+)\s+" + re.escape(DEMO_PASSWORD) + r"$",
                             result.output, re.MULTILINE)
        leader_names = set(db.session.scalars(select(User.username).join(Membership).where(
            Membership.role == "leader")))
    assert "admin" in printed
    assert leader_names <= set(printed)  # every leader's login is printed
    # The printed logins work.
    response = login(app.test_client(), printed[-1], DEMO_PASSWORD)
    assert response.status_code == 302 and "/login" not in response.location


def test_demo_is_idempotent(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    first = snapshot(app)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert snapshot(app) == first
    assert "admin" in result.output


# --- users create ---------------------------------------------------------------------------


def test_users_create_reads_the_password_from_stdin(app, runner):
    result = runner.invoke(args=["users", "create", "Zhang.Wei", "--admin", "--name", "张伟"],
                           input="Str0ng-passw0rd\n")
    assert result.exit_code == 0, result.output
    assert "Created admin user zhang.wei." in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "zhang.wei"))
        assert (user.display_name, user.is_admin, user.must_change_password) == (
            "张伟", True, False)
        assert check_password_hash(user.password_hash, "Str0ng-passw0rd")
    client = app.test_client()
    assert login(client, "zhang.wei", "Str0ng-passw0rd").status_code == 302
    assert client.get("/admin/members/").status_code == 200

    result = runner.invoke(args=["users", "create", "lisi"], input="An0ther-pass\n")
    assert result.exit_code == 0
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "lisi"))
        assert (user.display_name, user.is_admin) == ("lisi", False)


@pytest.mark.parametrize(("password", "reason"), [
    ("short1", "at least 8"),
    ("12345678", "mix letters"),
    ("abcdefghij", "mix letters"),
    ("", "at least 8"),
])
def test_users_create_refuses_a_weak_password(app, runner, password, reason):
    result = runner.invoke(args=["users", "create", "weakling", "--admin"],
                           input=f"{password}\n")
    assert result.exit_code != 0
    assert reason in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_users_create_refuses_a_taken_or_malformed_username(app, runner, org):
    before = snapshot(app)
    result = runner.invoke(args=["users", "create", "MEMBER"], input="Str0ng-passw0rd\n")
    assert result.exit_code != 0
    assert "already taken" in result.output
    result = runner.invoke(args=["users", "create", "has space"], input="Str0ng-passw0rd\n")
    assert result.exit_code != 0
    assert snapshot(app) == before


# --- roster import --------------------------------------------------------------------------


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_roster_dry_run_prints_the_summary_and_changes_nothing(app, runner, tmp_path):
    path = write(tmp_path, "名单.xlsx", roster_xlsx(BASE))
    out = tmp_path / "pw.xlsx"
    before = snapshot(app)
    result = runner.invoke(args=["roster", "import", str(path), "--dry-run",
                                 "--passwords-out", str(out)])
    assert result.exit_code == 0, result.output
    assert ("rows 6, new 6, updated 0, unchanged 0, units to create 8, errors 0"
            in result.output)
    for unit in BASE_UNITS:
        assert f"new unit: {unit}" in result.output
    assert "Dry run: nothing was changed." in result.output
    assert snapshot(app) == before
    assert not out.exists()


def test_roster_errors_are_printed_with_row_numbers_and_nothing_is_imported(app, runner,
                                                                           tmp_path):
    rows = [*BASE[:3],
            ["", "nobody", C, "", ""],  # row 5
            ["周九", "zhoujiu", C, "路人", ""],  # row 6
            ["吴十", "wushi", C, "", "1380013"],  # row 7
            *BASE[3:]]
    path = write(tmp_path, "roster.csv", csv_bytes(rows, encoding="gbk"))
    before = snapshot(app)
    for extra in ([], ["--dry-run"]):
        result = runner.invoke(args=["roster", "import", str(path), *extra,
                                     "--passwords-out", str(tmp_path / "pw.xlsx")])
        assert result.exit_code != 0
        errors = re.findall(r"^roster\.csv: row (\d+) \[([^\]]+)\]: (.+)$", result.stderr,
                            re.MULTILINE)
        assert [(row, column) for row, column, _message in errors] == [
            ("5", "姓名"), ("6", "角色"), ("7", "手机号")]
        assert "路人" in errors[1][2] and "1380013" in errors[2][2]
        assert "errors 3" in result.output
        assert "nothing was imported" in result.output
    assert snapshot(app) == before
    assert not (tmp_path / "pw.xlsx").exists()


def test_roster_import_writes_the_initial_passwords_file(app, runner, tmp_path):
    path = write(tmp_path, "roster.csv", csv_bytes(BASE))
    out = tmp_path / "passwords.xlsx"
    result = runner.invoke(args=["roster", "import", str(path), "--passwords-out", str(out)])
    assert result.exit_code == 0, result.output
    assert "rows 6, new 6" in result.output
    assert "Imported." in result.output
    assert f"Initial passwords of 6 new members: {out}" in result.output
    assert os.stat(out).st_mode & 0o777 == 0o600  # passwords are for the operator's eyes only

    rows = list(load_workbook(io.BytesIO(out.read_bytes())).active.iter_rows(values_only=True))
    assert rows[0] == ("用户名", "姓名", "所属组织", "初始密码")
    assert sorted(row[0] for row in rows[1:]) == sorted(row[1] for row in BASE)
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        for username, name, _unit, password in rows[1:]:
            assert users[username].display_name == name
            assert users[username].must_change_password is True
            assert check_password_hash(users[username].password_hash, password)
        assert db.session.scalar(select(func.count(OrgUnit.id))) == len(BASE_UNITS)

    # Running it again changes nothing and writes no passwords file.
    before = snapshot(app)
    again = tmp_path / "again.xlsx"
    result = runner.invoke(args=["roster", "import", str(path), "--passwords-out", str(again)])
    assert result.exit_code == 0, result.output
    assert "new 0, updated 0, unchanged 6" in result.output
    assert snapshot(app) == before
    assert not again.exists()


def test_roster_import_is_undone_when_the_passwords_cannot_be_written(app, runner, tmp_path):
    """The passwords exist nowhere else: importing without them would lock the members out."""
    path = write(tmp_path, "roster.csv", csv_bytes(BASE))
    out = tmp_path / "no-such-folder" / "passwords.xlsx"
    before = snapshot(app)
    result = runner.invoke(args=["roster", "import", str(path), "--passwords-out", str(out)])
    assert result.exit_code != 0
    assert f"cannot write {out}" in result.output
    assert "nothing was imported" in result.output
    assert snapshot(app) == before


def test_roster_import_replaces_an_existing_passwords_file_privately(app, runner, tmp_path):
    path = write(tmp_path, "roster.csv", csv_bytes(BASE))
    out = write(tmp_path, "passwords.xlsx", b"old")
    out.chmod(0o644)
    result = runner.invoke(args=["roster", "import", str(path), "--passwords-out", str(out)])
    assert result.exit_code == 0, result.output
    assert os.stat(out).st_mode & 0o777 == 0o600
    assert load_workbook(io.BytesIO(out.read_bytes())).active.max_row == 1 + len(BASE)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("roster.xlsx", b"MZ\x90\x00" + bytes(100), "not a zip archive"),
    ("roster.txt", b"hello", "unsupported file type"),
    ("roster.csv", b"", "empty"),
])
def test_roster_import_refuses_an_unreadable_file(app, runner, tmp_path, name, data, message):
    path = write(tmp_path, name, data)
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code != 0
    assert message in result.output
    assert str(path) in result.output
    assert snapshot(app)["users"] == []


def test_roster_import_of_a_missing_file_fails_cleanly(runner, tmp_path):
    result = runner.invoke(args=["roster", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


# --- where the passwords go -------------------------------------------------------------------


def test_roster_import_without_passwords_out_writes_a_private_file_in_the_instance_folder(
        app, runner, tmp_path, monkeypatch):
    """No password file lands in whatever folder the command happened to run in."""
    instance = tmp_path / "instance"  # not there yet: created, for its owner only
    monkeypatch.setattr(app, "instance_path", str(instance))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    path = write(tmp_path, "roster.csv", csv_bytes(BASE[:3]))
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code == 0, result.output
    files = sorted(instance.glob("initial-passwords-*.xlsx"))
    assert len(files) == 1
    assert f"Initial passwords of 3 new members: {files[0]}" in result.output
    assert os.stat(files[0]).st_mode & 0o777 == 0o600
    assert os.stat(instance).st_mode & 0o777 == 0o700
    assert list(cwd.iterdir()) == []
    sheet = load_workbook(files[0]).active
    assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == sorted(
        row[1] for row in BASE[:3])

    # A second import never replaces the first one's file (its passwords may not be out yet).
    path = write(tmp_path, "more.csv", csv_bytes(BASE[3:]))
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert len(list(instance.glob("initial-passwords-*.xlsx"))) == 2
    assert files[0].read_bytes()  # untouched


def test_roster_names_like_formulas_are_warned_about_and_stay_text(app, runner, tmp_path):
    from tests.learning.test_roster_import import (
        FORMULA_WARNINGS,
        assert_names_are_text,
        formula_roster,
    )

    path = write(tmp_path, "roster.csv", formula_roster())
    result = runner.invoke(args=["roster", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    warnings = re.findall(r"^roster\.csv: row (\d+) \[([^\]]+)\]: warning: (.+)$",
                          result.stderr, re.MULTILINE)
    assert [(int(row), column) for row, column, _message in warnings] == FORMULA_WARNINGS
    assert "begins with =, as a spreadsheet formula does" in warnings[0][2]

    out = tmp_path / "passwords.xlsx"
    result = runner.invoke(args=["roster", "import", str(path), "--passwords-out", str(out)])
    assert result.exit_code == 0, result.output
    assert os.stat(out).st_mode & 0o777 == 0o600
    assert_names_are_text(out.read_bytes())
