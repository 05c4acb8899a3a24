"""Demo data: an organisation with leaders, members and an admin, loaded idempotently."""

from sqlalchemy import select

from learning.accounts import services as accounts
from learning.accounts.models import User
from learning.extensions import db
from learning.orgs import services as orgs
from learning.orgs.models import OrgUnit

DEMO_PASSWORD = "demo2026!"  # noqa: S105 - printed for the demo on purpose
COMMITTEE = "示范大学团委"
BRANCHES = {
    "第一团支部": ["第一学习小组", "第二学习小组"],
    "第二团支部": ["第三学习小组", "第四学习小组"],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
OFFICERS = ["郑晓明", "冯晓红"]  # one member directly in each branch
GIVEN = ["子涵", "欣怡", "浩然", "梓轩", "雨桐", "思远", "佳怡", "宇航", "诗涵", "俊杰"]


def _unit(name: str, kind: str, parent: OrgUnit | None) -> OrgUnit:
    same_parent = OrgUnit.parent_id.is_(None) if parent is None else OrgUnit.parent_id == parent.id
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.name == name, same_parent))
    return unit or orgs.create_unit(name, kind, parent)


def _user(username: str, name: str, password_hash: str, *, admin: bool = False) -> User:
    user = accounts.get_by_username(username)
    if user is None:
        user = User(username=username, display_name=name, password_hash=password_hash,
                    is_admin=admin)
        db.session.add(user)
        db.session.flush()
    return user


def load() -> list[tuple[str, str, str]]:
    """Create what is missing; returns (role, username, password) for the printed logins."""
    # Everyone shares the printed demo password: hash it once, not once per account (forty-four
    # full-cost scrypt hashes made `make run` wait several seconds).
    pw = accounts.hash_password(DEMO_PASSWORD)
    logins = [("admin", "admin", DEMO_PASSWORD)]
    _user("admin", "管理员", pw, admin=True)
    committee = _unit(COMMITTEE, "committee", None)
    secretary = _user("tuanwei", "团委书记", pw)
    orgs.set_membership(secretary, committee, "leader")
    logins.append(("committee leader 团委书记", "tuanwei", DEMO_PASSWORD))
    serial = 0
    for b, (branch_name, groups) in enumerate(BRANCHES.items(), start=1):
        branch = _unit(branch_name, "branch", committee)
        leader = _user(f"zhishu{b}", f"{branch_name}书记", pw)
        orgs.set_membership(leader, branch, "leader")
        logins.append((f"branch leader {branch_name}", leader.username, DEMO_PASSWORD))
        # A branch committee member (支部委员) belongs to the branch itself, not to a group: the
        # branch's report shows them in its own row (直属成员), so the rows add up.
        officer = _user(f"weiyuan{b}", OFFICERS[b - 1], pw)
        orgs.set_membership(officer, branch, "member")
        for group_name in groups:
            group = _unit(group_name, "group", branch)
            for i in range(10):
                serial += 1
                name = SURNAMES[serial % len(SURNAMES)] + GIVEN[(serial * 3) % len(GIVEN)]
                user = _user(f"m{serial:03d}", name, pw)
                role = "leader" if i == 0 else "member"
                orgs.set_membership(user, group, role)
                if i == 0:
                    logins.append((f"group leader {group_name}", user.username, DEMO_PASSWORD))
                elif serial == 2:
                    logins.append(("member", user.username, DEMO_PASSWORD))
    return logins
