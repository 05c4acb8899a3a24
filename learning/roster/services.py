"""Roster import: plan (dry run) and apply, shared by the web page, the API and the CLI.

`plan_import` reads the file and compares it with the database without writing anything;
`apply_import` re-plans and, only when the plan has no errors, writes everything in the current
transaction (all-or-nothing: the caller commits once, or rolls back). Re-importing the same file
changes nothing; a changed file updates names, phones, units and roles.

What one row means: the person (by username) belongs to the unit with the role. A member belongs
to one unit as a member, so a row that puts a member in another unit is a transfer; a leader row
adds (or changes) the leadership of that unit and leaves the person's other units alone. An empty
phone cell never erases a stored phone number.
"""

from dataclasses import dataclass, field

from sqlalchemy import select

from learning.accounts import services as accounts
from learning.accounts.models import User
from learning.audit.services import record
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit
from learning.orgs.services import create_unit, guess_kind
from learning.roster.formats import RosterFileError, RowError, read_roster
from learning.workbooks import table_xlsx

__all__ = ["RosterFileError", "RosterImportError", "apply_import", "plan_import"]


class RosterImportError(ValueError):
    """Applying was refused because the file has errors; nothing was written."""

    def __init__(self, plan: "RosterPlan"):
        super().__init__(f"{len(plan.errors)} rows have errors")
        self.plan = plan


@dataclass
class RowChange:
    """What importing one row will do."""

    row: int
    username: str
    name: str
    unit_path: str
    role: str
    action: str  # "new", "updated" or "unchanged"
    changes: list[str] = field(default_factory=list)


@dataclass
class RosterPlan:
    """The dry run: every error, every row's effect, the units that will be created and the
    warnings (values worth a second look that do not stop the import)."""

    filename: str
    errors: list[RowError]
    changes: list[RowChange]
    units_to_create: list[str]
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)

    @property
    def summary(self) -> dict[str, int]:
        return {"rows": len(self.changes) + len({e.row for e in self.errors}),
                "new": self.count("new"), "updated": self.count("updated"),
                "unchanged": self.count("unchanged"), "units_to_create": len(self.units_to_create),
                "errors": len(self.errors)}


@dataclass
class ImportResult:
    """An applied import, with the generated passwords of the new accounts (shown once)."""

    plan: RosterPlan
    credentials: list[dict[str, str]]


def _unit_index() -> dict[tuple[str, ...], OrgUnit]:
    """Every unit by its path of names, from one query."""
    units = db.session.scalars(select(OrgUnit)).all()
    by_id = {unit.id: unit for unit in units}
    index = {}
    for unit in units:
        names = [by_id[i].name for i in unit.ancestor_ids if i in by_id] + [unit.name]
        index[tuple(names)] = unit
    return index


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _load_users(usernames: list[str]) -> dict[str, User]:
    users: dict[str, User] = {}
    for chunk in _chunks(usernames):
        for user in db.session.scalars(select(User).where(User.username.in_(chunk))):
            users[user.username] = user
    return users


def _load_memberships(user_ids: list[int]) -> dict[int, list[Membership]]:
    result: dict[int, list[Membership]] = {}
    for chunk in _chunks(user_ids):
        for membership in db.session.scalars(
            select(Membership).where(Membership.user_id.in_(chunk))
        ):
            result.setdefault(membership.user_id, []).append(membership)
    return result


def plan_import(data: bytes, filename: str) -> RosterPlan:
    """Dry run: read the file and say what applying it would do. Writes nothing."""
    parsed = read_roster(data, filename)
    units = _unit_index()
    users = _load_users([row.username for row in parsed.rows])
    memberships = _load_memberships([user.id for user in users.values()])
    by_unit_id = {unit.id: path for path, unit in units.items()}

    to_create: set[tuple[str, ...]] = set()
    changes = []
    for row in parsed.rows:
        for depth in range(1, len(row.unit_path) + 1):
            if row.unit_path[:depth] not in units:
                to_create.add(row.unit_path[:depth])
        path_text = "/".join(row.unit_path)
        user = users.get(row.username)
        if user is None:
            changes.append(RowChange(row.row, row.username, row.name, path_text, row.role, "new"))
            continue
        notes = []
        if user.display_name != row.name:
            notes.append(f"姓名: {user.display_name} → {row.name}")
        if row.phone and user.phone != row.phone:
            notes.append(f"手机号: {user.phone or '-'} → {row.phone}")
        unit = units.get(row.unit_path)
        current = {m.unit_id: m.role for m in memberships.get(user.id, [])}
        if unit is None or current.get(unit.id) != row.role:
            was = current.get(unit.id) if unit is not None else None
            notes.append(f"{path_text}: {was or '-'} → {row.role}")
        if row.role == "member":
            for unit_id, role in current.items():
                if role == "member" and (unit is None or unit_id != unit.id):
                    notes.append(f"{'/'.join(by_unit_id.get(unit_id, ('?',)))}: member → -")
        action = "updated" if notes else "unchanged"
        changes.append(RowChange(row.row, row.username, row.name, path_text, row.role, action,
                                 notes))
    return RosterPlan(filename, parsed.errors, changes,
                      sorted("/".join(path) for path in to_create), parsed.warnings)


def apply_import(data: bytes, filename: str, actor: User | None = None) -> ImportResult:
    """Apply a roster file in the current transaction, or raise RosterImportError untouched."""
    plan = plan_import(data, filename)
    if not plan.ok:
        raise RosterImportError(plan)
    parsed = read_roster(data, filename)
    units = _ensure_units(parsed.rows, plan)
    users = _load_users([row.username for row in parsed.rows])
    new_rows = [row for row in parsed.rows if row.username not in users]
    passwords = [accounts.generate_password() for _ in new_rows]
    for row, password_hash in zip(new_rows, accounts.hash_initial_passwords(passwords),
                                  strict=True):
        user = User(username=row.username, display_name=row.name, phone=row.phone,
                    password_hash=password_hash, must_change_password=True)
        db.session.add(user)
        users[row.username] = user
    db.session.flush()
    memberships = _load_memberships([user.id for user in users.values()])

    for row in parsed.rows:
        user = users[row.username]
        user.display_name = row.name
        if row.phone:
            user.phone = row.phone
        unit = units[row.unit_path]
        mine = memberships.get(user.id, [])
        if row.role == "member":
            for membership in mine:  # a member belongs to one unit: this is a transfer
                if membership.role == "member" and membership.unit_id != unit.id:
                    db.session.delete(membership)
        existing = next((m for m in mine if m.unit_id == unit.id), None)
        if existing is None:
            db.session.add(Membership(user_id=user.id, unit_id=unit.id, role=row.role))
        else:
            existing.role = row.role
    db.session.flush()

    credentials = [
        {"username": row.username, "name": row.name, "unit": "/".join(row.unit_path),
         "password": password}
        for row, password in zip(new_rows, passwords, strict=True)
    ]
    record("roster.import", {"file": filename}, actor=actor,
           details={**plan.summary, "units_created": plan.units_to_create,
                    "updated": [{"row": c.row, "username": c.username, "changes": c.changes}
                                for c in plan.changes if c.action == "updated"][:500]})
    return ImportResult(plan, credentials)


def _ensure_units(rows, plan: RosterPlan) -> dict[tuple[str, ...], OrgUnit]:
    """Create the missing units, parents first; returns every unit by name path."""
    units = _unit_index()
    paths = {row.unit_path for row in rows}
    for text in plan.units_to_create:  # sorted, so a parent comes before its children
        path = tuple(text.split("/"))
        is_leaf = not any(len(p) > len(path) and p[: len(path)] == path for p in paths)
        parent = units.get(path[:-1]) if len(path) > 1 else None
        units[path] = create_unit(path[-1], guess_kind(path[-1], len(path) - 1, is_leaf), parent)
    return units


def credentials_xlsx(credentials: list[dict[str, str]]) -> bytes:
    """The new accounts' initial passwords as a spreadsheet to print or hand out.

    Names and units come from the uploaded file: the shared writer keeps a name such as
    =HYPERLINK(...) a text, never a live formula in the file an admin opens.
    """
    return table_xlsx("初始密码", ["用户名", "姓名", "所属组织", "初始密码"], (18, 12, 40, 14),
                      ([item["username"], item["name"], item["unit"], item["password"]]
                       for item in credentials))
