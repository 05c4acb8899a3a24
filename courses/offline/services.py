"""Offline group lessons (线下学习): record, correct, and the completions they create.

Recording completes every chosen module for every attendee via "offline" (courses.progress:
idempotent, an earlier completion by reading or quiz keeps its time and path).

Correction rule: before a correction the previous state is stored as an OfflineLessonRevision.
After it, pairs still (or newly) in the lesson are completed as on recording; a (member, module)
pair the correction removed loses its completion only when that completion came from an
offline lesson (completed_via "offline") and no offline lesson (this one as corrected, or any
other) still lists that member with that module. Completions by reading, confirm, quiz or posts
are never touched, and completed_at of a kept completion never moves.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import aliased, selectinload

from courses import progress
from courses.models import (
    Assignment,
    Course,
    Module,
    OfflineLesson,
    OfflineLessonRevision,
    Progress,
    offline_lesson_attendees,
    offline_lesson_modules,
)
from learning.accounts.models import User
from learning.audit.services import record
from learning.dbtypes import utcnow
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit
from learning.orgs.services import subtree_select
from learning.permissions import scope_unit_ids

PLACE_MAX = 200
TOPIC_MAX = 200
NOTES_MAX = 5000


class OfflineError(ValueError):
    """A lesson record broke a rule; `field` names the input, the message is shown to the user."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class LessonInput:
    """What a leader enters for a lesson (from the web form or the API), not yet checked."""

    held_on: date | None
    place: str
    topic: str
    notes: str
    module_ids: list[int]
    attendee_ids: list[int]


def roster_rows(unit: OrgUnit) -> list[tuple[User, OrgUnit]]:
    """The unit's roster: everyone with a membership at or below it, with that unit (one query).

    A person with memberships in two units of the subtree is listed once, under the first unit
    in tree order.
    """
    rows = db.session.execute(
        select(User, OrgUnit)
        .join(Membership, Membership.user_id == User.id)
        .join(OrgUnit, OrgUnit.id == Membership.unit_id)
        .where(OrgUnit.path.startswith(unit.path, autoescape=True), User.active)
        .order_by(OrgUnit.path, User.username)
    ).all()
    seen: set[int] = set()
    result = []
    for user, member_unit in rows:
        if user.id not in seen:
            seen.add(user.id)
            result.append((user, member_unit))
    return result


def roster_ids_select(unit: OrgUnit):
    """SELECT of the ids of the people on the unit's roster."""
    return select(Membership.user_id).where(Membership.unit_id.in_(subtree_select(unit)))


def module_choices(unit: OrgUnit) -> list[tuple[Module, bool]]:
    """Modules a lesson may cover: every published module of a published course, each with a
    flag saying whether it is assigned to the unit or a unit above it (those come first)."""
    at_or_above = [*unit.ancestor_ids, unit.id]
    assigned = exists().where(
        Assignment.course_id == Module.course_id,
        Assignment.unit_id.in_(at_or_above),
        (Assignment.module_id.is_(None)) | (Assignment.module_id == Module.id),
    ).correlate(Module)
    rows = db.session.execute(
        select(Module, assigned.label("assigned"))
        .join(Course, Course.id == Module.course_id)
        .where(Module.published, Course.published)
        .options(selectinload(Module.course))
        .order_by(Course.position, Course.id, Module.position, Module.id)
    ).all()
    return sorted(((m, bool(a)) for m, a in rows), key=lambda row: not row[1])


def lessons_in_scope_select(user):
    """SELECT of the lessons of every unit in `user`'s scope, newest first."""
    return (select(OfflineLesson)
            .where(OfflineLesson.unit_id.in_(scope_unit_ids(user)))
            .options(selectinload(OfflineLesson.unit))
            .order_by(OfflineLesson.held_on.desc(), OfflineLesson.id.desc()))


def revisions(lesson: OfflineLesson) -> list[OfflineLessonRevision]:
    """The lesson's correction history, newest first."""
    return list(db.session.scalars(
        select(OfflineLessonRevision).where(OfflineLessonRevision.lesson_id == lesson.id)
        .order_by(OfflineLessonRevision.id.desc())))


def snapshot(lesson: OfflineLesson) -> dict:
    """The lesson's state as plain JSON (what a revision keeps)."""
    return {
        "unit_id": lesson.unit_id,
        "held_on": lesson.held_on.isoformat(),
        "place": lesson.place,
        "topic": lesson.topic,
        "notes": lesson.notes,
        "modules": [{"id": m.id, "title": m.title}
                    for m in sorted(lesson.modules, key=lambda m: m.id)],
        "attendees": [{"id": u.id, "username": u.username, "name": u.display_name}
                      for u in sorted(lesson.attendees, key=lambda u: u.id)],
    }


def _check(unit: OrgUnit, data: LessonInput) -> tuple[list[Module], list[User]]:
    """Check every field against the rules and the unit; the loaded modules and attendees."""
    today = utcnow().date()
    if data.held_on is None:
        raise OfflineError("held_on", _("Enter the date the lesson was held."))
    # One day of slack: a lesson held this morning in China may still be "tomorrow" in UTC.
    if data.held_on > today + timedelta(days=1):
        raise OfflineError("held_on", _("The lesson date cannot be in the future."))
    if data.held_on < today - timedelta(days=3660):
        raise OfflineError("held_on", _("The lesson date is too far in the past."))
    data.place = (data.place or "").strip()
    if not data.place or len(data.place) > PLACE_MAX:
        raise OfflineError("place", _("Enter the place (1 to %(n)d characters).", n=PLACE_MAX))
    data.topic = (data.topic or "").strip()
    if len(data.topic) > TOPIC_MAX:
        raise OfflineError("topic", _("The topic has at most %(n)d characters.", n=TOPIC_MAX))
    data.notes = (data.notes or "").strip()
    if len(data.notes) > NOTES_MAX:
        raise OfflineError("notes", _("The notes have at most %(n)d characters.", n=NOTES_MAX))

    module_ids = sorted(set(data.module_ids))
    if not module_ids:
        raise OfflineError("module_ids", _("Choose at least one module the lesson covered."))
    modules = db.session.scalars(
        select(Module).join(Course, Course.id == Module.course_id)
        .where(Module.id.in_(module_ids), Module.published, Course.published)).all()
    unknown = sorted(set(module_ids) - {m.id for m in modules})
    if unknown:
        raise OfflineError("module_ids", _(
            "These modules do not exist or are not published: %(ids)s.",
            ids=", ".join(map(str, unknown))))

    attendee_ids = sorted(set(data.attendee_ids))
    if not attendee_ids:
        raise OfflineError("attendee_ids", _("Choose at least one attendee."))
    attendees = db.session.scalars(
        select(User).where(User.id.in_(attendee_ids), User.active,
                           User.id.in_(roster_ids_select(unit)))).all()
    outside = sorted(set(attendee_ids) - {u.id for u in attendees})
    if outside:
        raise OfflineError("attendee_ids", _(
            "These attendees are not on the roster of %(unit)s: %(ids)s.",
            unit=unit.name, ids=", ".join(map(str, outside))))
    return list(modules), list(attendees)


def completion_time(held_on: date) -> datetime:
    """When an attendee completed the lesson's modules: the start of the day it was held
    (local time), so a lesson recorded days later does not count as late; never in the future."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    start_of_day = datetime.combine(held_on, time.min, tzinfo=zone).astimezone(UTC)
    return min(start_of_day, utcnow())


def record_lesson(unit: OrgUnit, data: LessonInput, actor) -> OfflineLesson:
    """Record a lesson held by `unit` and complete its modules for its attendees (offline)."""
    modules, attendees = _check(unit, data)
    lesson = OfflineLesson(unit_id=unit.id, held_on=data.held_on, place=data.place,
                           topic=data.topic, notes=data.notes,
                           recorded_by_id=getattr(actor, "id", None),
                           modules=modules, attendees=attendees)
    db.session.add(lesson)
    db.session.flush()
    completed = progress.complete_many([u.id for u in attendees], [m.id for m in modules],
                                       "offline", at=completion_time(data.held_on))
    record("offline.record", f"recorded offline lesson {lesson.id} for {unit.name}",
           target=lesson, actor=actor,
           details={"held_on": data.held_on.isoformat(), "modules": [m.id for m in modules],
                    "attendees": [u.id for u in attendees], "completed": completed})
    return lesson


def correct_lesson(lesson: OfflineLesson, data: LessonInput,
                   editor) -> OfflineLessonRevision | None:
    """Correct a lesson: keep the previous state as a revision, then apply the correction rule
    (see the module docstring). A "correction" that changes nothing stores nothing (None)."""
    # Two leaders correcting at once: the second waits, then snapshots the first one's result
    # (PostgreSQL row lock; SQLite serialises writers anyway).
    db.session.refresh(lesson, with_for_update=True)
    unit = lesson.unit
    modules, attendees = _check(unit, data)
    before = snapshot(lesson)
    unchanged = (before["held_on"] == data.held_on.isoformat() and before["place"] == data.place
                 and before["topic"] == data.topic and before["notes"] == data.notes
                 and [m["id"] for m in before["modules"]] == sorted(m.id for m in modules)
                 and [a["id"] for a in before["attendees"]] == sorted(u.id for u in attendees))
    if unchanged:
        return None
    revision = OfflineLessonRevision(
        lesson_id=lesson.id, editor_id=getattr(editor, "id", None),
        editor_name=getattr(editor, "username", None) or "system", snapshot=before)
    db.session.add(revision)
    old_user_ids = [a["id"] for a in before["attendees"]]
    old_module_ids = [m["id"] for m in before["modules"]]

    lesson.held_on, lesson.place = data.held_on, data.place
    lesson.topic, lesson.notes = data.topic, data.notes
    lesson.modules, lesson.attendees = modules, attendees
    lesson.updated_at = utcnow()
    db.session.flush()

    completed = progress.complete_many([u.id for u in attendees], [m.id for m in modules],
                                       "offline", at=completion_time(data.held_on))
    withdrawn = _withdraw_orphaned(old_user_ids, old_module_ids)
    after = snapshot(lesson)
    changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    record("offline.correct", f"corrected offline lesson {lesson.id} of {unit.name}",
           target=lesson, actor=editor,
           details={"changes": changes, "completed": completed, "withdrawn": withdrawn})
    return revision


def _withdraw_orphaned(user_ids: list[int], module_ids: list[int]) -> int:
    """Clear offline completions among these pairs that no lesson supports any more."""
    if not user_ids or not module_ids:
        return 0
    att, mod = aliased(offline_lesson_attendees), aliased(offline_lesson_modules)
    supported = (
        select(att.c.lesson_id)
        .join(mod, and_(mod.c.lesson_id == att.c.lesson_id))
        .where(att.c.user_id == Progress.user_id, mod.c.module_id == Progress.module_id)
        .exists()
    )
    result = db.session.execute(
        update(Progress)
        .where(Progress.user_id.in_(user_ids), Progress.module_id.in_(module_ids),
               Progress.completed_via == "offline", ~supported)
        .values(completed_at=None, completed_via=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        progress.refresh_rollups(user_ids, module_ids=module_ids)
    db.session.expire_all()
    return result.rowcount


def revision_counts(lesson_ids: list[int]) -> dict[int, int]:
    """How many corrections each of these lessons has had (one query)."""
    if not lesson_ids:
        return {}
    return dict(db.session.execute(
        select(OfflineLessonRevision.lesson_id, func.count())
        .where(OfflineLessonRevision.lesson_id.in_(lesson_ids))
        .group_by(OfflineLessonRevision.lesson_id)).all())
