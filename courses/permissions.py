"""Who may see and do what with courses, modules, assignments and offline lessons.

The course-level companion of learning/permissions.py (which cannot import course models:
imports flow from the core outwards). Unit scope questions are delegated to the core policies.
"""

from functools import cache

from flask import g, has_request_context
from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.orm import aliased

from courses.models import Assignment, AssignmentMember, Course, Module
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit
from learning.permissions import can_manage_unit, can_view_unit, is_admin, is_leader


def assignments_for_user_select(user):
    """SELECT of the assignments that apply to `user`.

    Open periods follow the live tree (the user is a member of the assigned unit or of one
    below it: leading a unit puts nobody on its roster, as in roster_select); closed periods
    follow their frozen roster, so later transfers change nothing.
    """
    return _assignments_select(user.id)


def _assignments_select(user_id):
    """assignments_for_user_select for a user id: a number, or a bind parameter when the
    statement is built once and run for many users (_assigned_modules_select)."""
    my_units = (
        select(OrgUnit.path)
        .join(Membership, Membership.unit_id == OrgUnit.id)
        .where(Membership.user_id == user_id, Membership.role == "member")
        .subquery()
    )
    assigned_unit = aliased(OrgUnit)
    live = exists().where(my_units.c.path.like(assigned_unit.path + "%"))
    frozen = exists().where(AssignmentMember.assignment_id == Assignment.id,
                            AssignmentMember.user_id == user_id)
    return (
        select(Assignment)
        .join(assigned_unit, assigned_unit.id == Assignment.unit_id)
        .where(or_(and_(Assignment.closed_at.is_(None), live),
                   and_(Assignment.closed_at.is_not(None), frozen)))
    )


@cache
def _assigned_modules_select():
    """The module ids of one course's assignments that apply to one user (bind parameters
    `user_id`, `course_id`). Built once per process: putting this statement together and
    computing its cache key costs several milliseconds, far more than running it."""
    user_id = bindparam("user_id")
    return (_assignments_select(user_id).with_only_columns(Assignment.module_id)
            .where(Assignment.course_id == bindparam("course_id")))


def assigned_module_ids(user, course_id: int) -> frozenset:
    """The modules of `course_id` assigned to `user`; None among them means the whole course,
    an empty set that nothing of it is. One query per user and course per request (the module
    page asks the view, the discussion card and the previous/next links)."""
    memo = g.setdefault("_assigned_modules", {}) if has_request_context() else {}
    key = (user.id, course_id)
    if key not in memo:
        memo[key] = frozenset(db.session.scalars(
            _assigned_modules_select(), {"user_id": user.id, "course_id": course_id}))
    return memo[key]


def forget_assignments() -> None:
    """Drop this request's memo of assigned_module_ids (after an assignment is created or
    closed, so a check later in the same request sees the change)."""
    if has_request_context():
        g.pop("_assigned_modules", None)


def _is_assigned(user, course_id: int, module_id: int | None = None) -> bool:
    covered = assigned_module_ids(user, course_id)
    if module_id is None:
        return bool(covered)
    return None in covered or module_id in covered


def can_author(user) -> bool:
    """Courses, modules and attachments are written by admins."""
    return is_admin(user)


def can_view_course(user, course: Course) -> bool:
    """Admins see every course; leaders every published one (to assign it); members the
    published courses assigned to them."""
    if is_admin(user):
        return True
    if not course.published or not getattr(user, "is_authenticated", False):
        return False
    return is_leader(user) or _is_assigned(user, course.id)


def can_view_module(user, module: Module) -> bool:
    """Like courses; a module-only assignment opens just that module."""
    if is_admin(user):
        return True
    if not (module.published and module.course.published):
        return False
    if not getattr(user, "is_authenticated", False):
        return False
    return is_leader(user) or _is_assigned(user, module.course_id, module.id)


def can_assign(user, unit: OrgUnit) -> bool:
    """Admins, and leaders inside their own subtree, assign study to a unit."""
    return can_manage_unit(user, unit)


def can_manage_assignment(user, assignment: Assignment) -> bool:
    """Closing or changing an assignment: whoever could have created it."""
    return can_manage_unit(user, assignment.unit)


def can_view_assignment(user, assignment: Assignment) -> bool:
    """Leaders above the assigned unit, admins, and the people it is assigned to."""
    if can_view_unit(user, assignment.unit):
        return True
    query = assignments_for_user_select(user).where(Assignment.id == assignment.id)
    return db.session.scalar(query) is not None


def can_record_offline(user, unit: OrgUnit) -> bool:
    """Leaders record offline lessons for units in their scope; admins for any unit."""
    return can_manage_unit(user, unit)


def can_list_offline_lessons(user) -> bool:
    """The offline-lesson pages and API are for leaders (their scope) and admins (all)."""
    return is_admin(user) or is_leader(user)


def can_correct_offline(user, lesson) -> bool:
    """Seeing and correcting a lesson record: whoever may record lessons for its unit."""
    return can_record_offline(user, lesson.unit)


def viewable_courses_select(user):
    """SELECT of the courses `user` may view (the list form of can_view_course)."""
    query = select(Course)
    if is_admin(user):
        return query
    if not getattr(user, "is_authenticated", False):
        return query.where(Course.id.is_(None))
    query = query.where(Course.published.is_(True))
    if is_leader(user):
        return query
    assigned = assignments_for_user_select(user).with_only_columns(Assignment.course_id)
    return query.where(Course.id.in_(assigned))


def viewable_modules(user, course: Course) -> list[Module]:
    """The modules of `course` that `user` may view, in order, in at most two queries."""
    query = select(Module).where(Module.course_id == course.id) \
        .order_by(Module.position, Module.id)
    if is_admin(user):
        return list(db.session.scalars(query))
    if not (course.published and getattr(user, "is_authenticated", False)):
        return []
    query = query.where(Module.published.is_(True))
    if not is_leader(user):
        covered = assigned_module_ids(user, course.id)
        if not covered:
            return []
        if None not in covered:  # only module assignments: just those modules
            query = query.where(Module.id.in_(covered))
    return list(db.session.scalars(query))
