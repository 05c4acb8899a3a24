"""Offline group lessons (线下学习): record, correct, and the completions they create.

Recording completes every chosen module for every attendee via "offline" (courses.progress:
idempotent, an earlier completion by reading or quiz keeps its time and path).

Correction rule: before a correction the previous state is stored as an OfflineLessonRevision.
After it, pairs still (or newly) in the lesson are completed as on recording; a (member, module)
pair the correction removed loses its completion only when that completion came from an
offline lesson (completed_via "offline") and no offline lesson (this one as corrected, or any
other) still lists that member with that module. Completions by reading, confirm, quiz or posts
are never touched, and completed_at of a kept completion never moves.

History rule (issue 17): a lesson cannot rewrite a period's history. Its date may not be in the
future (the site's day) nor more than OFFLINE_BACKDATE_DAYS days back. A lesson whose
completions would count in a closed period (an attendee on its frozen roster, a module it
counts, not complete yet, and the lesson day starting before the close) is refused: that
period's roster and figures are frozen. A correction that changes the date, modules or
attendees of a lesson that counts in a closed period is refused the same way (place, topic and
notes can still be corrected), and the date rules apply to it as to a new lesson. A lesson
entered after the due time of a period that is still open is accepted and marked 补录
(OfflineLateEntry, per period and member, and an "offline.entered_late" audit entry) for the
attendees it completes a module of that period for.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import aliased, joinedload, selectinload

from courses import progress
from courses.models import (
    Assignment,
    AssignmentMember,
    Course,
    Module,
    OfflineLateEntry,
    OfflineLesson,
    OfflineLessonRevision,
    Progress,
    offline_lesson_attendees,
    offline_lesson_modules,
)
from courses.study.services import assignment_label
from learning.accounts.models import User
from learning.audit.services import record
from learning.dbtypes import utcnow
from learning.extensions import db
from learning.i18n import moment_text
from learning.orgs.models import Membership, OrgUnit
from learning.orgs.services import subtree_select
from learning.permissions import scope_unit_ids

PLACE_MAX = 200
TOPIC_MAX = 200
NOTES_MAX = 5000


class OfflineError(ValueError):
    """A lesson record broke rules: `errors` maps each input to its messages, all of them at
    once; `field` is the first input named."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(" ".join(m for messages in errors.values() for m in messages))
        self.errors = errors
        self.field = next(iter(errors))


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


FIELDS = ("held_on", "place", "topic", "notes", "module_ids", "attendee_ids")


def local_today() -> date:
    """Today in the site's time zone: a lesson date is a day of the people who held it."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return utcnow().astimezone(zone).date()


def check_lesson(unit: OrgUnit, data: LessonInput, lesson: OfflineLesson | None = None
                 ) -> tuple[list[Module], list[User]]:
    """Check a new lesson (or a correction of `lesson`) against the rules, the unit and the
    periods' history; the loaded modules and attendees. Reads only, so a page can report
    every problem at once: OfflineError names them all."""
    problems: dict[str, list[str]] = {name: [] for name in FIELDS}
    data.place = (data.place or "").strip()
    if not data.place or len(data.place) > PLACE_MAX:
        problems["place"].append(_("Enter the place (1 to %(n)d characters).", n=PLACE_MAX))
    data.topic = (data.topic or "").strip()
    if len(data.topic) > TOPIC_MAX:
        problems["topic"].append(_("The topic has at most %(n)d characters.", n=TOPIC_MAX))
    data.notes = (data.notes or "").strip()
    if len(data.notes) > NOTES_MAX:
        problems["notes"].append(_("The notes have at most %(n)d characters.", n=NOTES_MAX))

    modules: list[Module] = []
    module_ids = sorted(set(data.module_ids))
    if not module_ids:
        problems["module_ids"].append(_("Choose at least one module the lesson covered."))
    else:
        modules = list(db.session.scalars(
            select(Module).join(Course, Course.id == Module.course_id)
            .where(Module.id.in_(module_ids), Module.published, Course.published)))
        unknown = sorted(set(module_ids) - {m.id for m in modules})
        if unknown:
            problems["module_ids"].append(_(
                "These modules do not exist or are not published: %(ids)s.",
                ids=", ".join(map(str, unknown))))

    attendees: list[User] = []
    attendee_ids = sorted(set(data.attendee_ids))
    if not attendee_ids:
        problems["attendee_ids"].append(_("Choose at least one attendee."))
    else:
        attendees = list(db.session.scalars(
            select(User).where(User.id.in_(attendee_ids), User.active,
                               User.id.in_(roster_ids_select(unit)))))
        outside = sorted(set(attendee_ids) - {u.id for u in attendees})
        if outside:
            problems["attendee_ids"].append(_(
                "These attendees are not on the roster of %(unit)s: %(ids)s.",
                unit=unit.name, ids=", ".join(map(str, outside))))

    if data.held_on is None:
        problems["held_on"].append(_("Enter the date the lesson was held."))
    elif lesson is None or _counted_change(lesson, data, module_ids, attendee_ids):
        # Place, topic and notes change no figure: the history rules apply to the rest.
        problems["held_on"] += _history_problems(data.held_on, module_ids, attendee_ids, lesson,
                                                 checkable=not (problems["module_ids"]
                                                                or problems["attendee_ids"]))
    problems = {name: messages for name, messages in problems.items() if messages}
    if problems:
        raise OfflineError(problems)
    return modules, attendees


def _counted_change(lesson: OfflineLesson, data: LessonInput, module_ids: list[int],
                    attendee_ids: list[int]) -> bool:
    """The correction changes what the lesson counts: its date, modules or attendees."""
    return (data.held_on != lesson.held_on
            or module_ids != sorted(m.id for m in lesson.modules)
            or attendee_ids != sorted(u.id for u in lesson.attendees))


def _history_problems(held_on: date, module_ids: list[int], attendee_ids: list[int],
                      lesson: OfflineLesson | None, checkable: bool) -> list[str]:
    """Why a lesson held on `held_on` with these modules and attendees would rewrite history
    (empty when it would not); `lesson` is the record being corrected."""
    today = local_today()
    days = int(current_app.config["OFFLINE_BACKDATE_DAYS"])
    if held_on > today:
        return [_("The lesson date cannot be in the future.")]
    if held_on < today - timedelta(days=days):
        return [_("The lesson date is more than %(n)d days back: a lesson that old can no "
                  "longer be entered.", n=days)]
    if not checkable:
        return []
    closed = _closed_period(held_on, module_ids, attendee_ids, pending=True)
    if closed is None and lesson is not None:  # what the record counts now stays as it is
        closed = _closed_period(lesson.held_on, [m.id for m in lesson.modules],
                                [u.id for u in lesson.attendees], pending=False)
    if closed is None:
        return []
    return [_("This lesson counts in %(period)s of %(unit)s, which was closed on %(date)s: a "
              "closed period's roster and figures are frozen.",
              period=assignment_label(closed), unit=closed.unit.name,
              date=moment_text(closed.closed_at))]


def _counted_module():
    """Join condition: the Module is one the Assignment counts (its module, or its course's)."""
    return or_(Assignment.module_id == Module.id,
               and_(Assignment.module_id.is_(None), Assignment.course_id == Module.course_id))


def _closed_period(held_on: date, module_ids: list[int], user_ids: list[int], *,
                   pending: bool) -> Assignment | None:
    """The latest closed period a lesson would count in: one of the people is on its frozen
    roster, it counts one of the modules, and it closed after the lesson day began (the
    completions are dated then). `pending`: only pairs not complete yet (nothing changes for
    the others)."""
    if not module_ids or not user_ids:
        return None
    query = (
        select(Assignment)
        .join(AssignmentMember, AssignmentMember.assignment_id == Assignment.id)
        .join(Module, _counted_module())
        .where(Assignment.closed_at.is_not(None),
               Assignment.closed_at >= completion_time(held_on),
               AssignmentMember.user_id.in_(user_ids), Module.id.in_(module_ids))
        .options(joinedload(Assignment.unit), joinedload(Assignment.course),
                 joinedload(Assignment.module))
        .order_by(Assignment.closed_at.desc(), Assignment.id.desc()).limit(1)
    )
    if pending:
        query = query.where(~exists().where(
            Progress.user_id == AssignmentMember.user_id, Progress.module_id == Module.id,
            Progress.completed_at.is_not(None)))
    return db.session.scalar(query)


def _late_periods(module_ids: list[int], user_ids: list[int]) -> list[tuple[int, int, int]]:
    """(assignment_id, user_id, module_id) for the open periods already past their due time
    that count one of the modules, with each of the people at or below the assigned unit."""
    assigned, theirs = aliased(OrgUnit), aliased(OrgUnit)
    return [tuple(row) for row in db.session.execute(
        select(Assignment.id, Membership.user_id, Module.id)
        .join(Module, _counted_module())
        .join(assigned, assigned.id == Assignment.unit_id)
        .join(Membership, Membership.user_id.in_(user_ids))
        .join(theirs, and_(theirs.id == Membership.unit_id,
                           theirs.path.startswith(assigned.path)))
        .where(Assignment.closed_at.is_(None), Assignment.due_at < utcnow(),
               Module.id.in_(module_ids))
        .distinct())]


def _not_complete(user_ids: list[int], module_ids: list[int]) -> set[tuple[int, int]]:
    """The (user, module) pairs among these that are not complete now."""
    done = set(db.session.execute(
        select(Progress.user_id, Progress.module_id)
        .where(Progress.user_id.in_(user_ids), Progress.module_id.in_(module_ids),
               Progress.completed_at.is_not(None))).tuples())
    return {(u, m) for u in user_ids for m in module_ids} - done


class _LateMarks:
    """补录 marks of one write: the late periods and the pairs still open, read before the
    lesson's completions are written, then stored with the lesson."""

    def __init__(self, modules: list[Module], attendees: list[User]) -> None:
        module_ids, user_ids = [m.id for m in modules], [u.id for u in attendees]
        self.periods = _late_periods(module_ids, user_ids)
        self.pending = _not_complete(user_ids, module_ids) if self.periods else set()

    def store(self, lesson: OfflineLesson, actor) -> dict[str, list[int]]:
        """Mark the members this lesson completed a module of a late period for; audited."""
        marks: dict[int, set[int]] = {}
        for assignment_id, user_id, module_id in self.periods:
            if (user_id, module_id) in self.pending:
                marks.setdefault(assignment_id, set()).add(user_id)
        if marks:  # a correction may find some of them marked already
            stored = set(db.session.execute(
                select(OfflineLateEntry.assignment_id, OfflineLateEntry.user_id)
                .where(OfflineLateEntry.lesson_id == lesson.id)).tuples())
            marks = {a: users - {u for b, u in stored if b == a} for a, users in marks.items()}
        late = {str(a): sorted(users) for a, users in sorted(marks.items()) if users}
        if not late:
            return {}
        at = utcnow()
        db.session.add_all(
            OfflineLateEntry(assignment_id=int(a), user_id=u, lesson_id=lesson.id, entered_at=at)
            for a, users in late.items() for u in users)
        record("offline.entered_late", {"count": sum(map(len, late.values()))},
               target=lesson, actor=actor, details={"assignments": late})
        return late


def completion_time(held_on: date) -> datetime:
    """When an attendee completed the lesson's modules: the start of the day it was held
    (local time), so a lesson recorded days later does not count as late; never in the future."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    start_of_day = datetime.combine(held_on, time.min, tzinfo=zone).astimezone(UTC)
    return min(start_of_day, utcnow())


def record_lesson(unit: OrgUnit, data: LessonInput, actor) -> OfflineLesson:
    """Record a lesson held by `unit` and complete its modules for its attendees (offline);
    entered after a period's due time, it is marked 补录 there (see the module docstring)."""
    modules, attendees = check_lesson(unit, data)
    late = _LateMarks(modules, attendees)
    lesson = OfflineLesson(unit_id=unit.id, held_on=data.held_on, place=data.place,
                           topic=data.topic, notes=data.notes,
                           recorded_by_id=getattr(actor, "id", None),
                           modules=modules, attendees=attendees)
    db.session.add(lesson)
    db.session.flush()
    completed = progress.complete_many([u.id for u in attendees], [m.id for m in modules],
                                       "offline", at=completion_time(data.held_on))
    record("offline.record", {"unit": unit.name},
           target=lesson, actor=actor,
           details={"held_on": data.held_on.isoformat(), "modules": [m.id for m in modules],
                    "attendees": [u.id for u in attendees], "completed": completed})
    late.store(lesson, actor)
    return lesson


def correct_lesson(lesson: OfflineLesson, data: LessonInput,
                   editor) -> OfflineLessonRevision | None:
    """Correct a lesson: keep the previous state as a revision, then apply the correction rule
    (see the module docstring). A "correction" that changes nothing stores nothing (None)."""
    # Two leaders correcting at once: the second waits, then snapshots the first one's result
    # (PostgreSQL row lock; SQLite serialises writers anyway).
    db.session.refresh(lesson, with_for_update=True)
    unit = lesson.unit
    modules, attendees = check_lesson(unit, data, lesson)
    before = snapshot(lesson)
    unchanged = (before["held_on"] == data.held_on.isoformat() and before["place"] == data.place
                 and before["topic"] == data.topic and before["notes"] == data.notes
                 and [m["id"] for m in before["modules"]] == sorted(m.id for m in modules)
                 and [a["id"] for a in before["attendees"]] == sorted(u.id for u in attendees))
    if unchanged:
        return None
    late = _LateMarks(modules, attendees)
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
    # A member no longer in the lesson was not entered late by it.
    db.session.execute(delete(OfflineLateEntry).where(
        OfflineLateEntry.lesson_id == lesson.id,
        OfflineLateEntry.user_id.not_in([u.id for u in attendees])))
    late.store(lesson, editor)
    after = snapshot(lesson)
    changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    record("offline.correct", {"unit": unit.name},
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
