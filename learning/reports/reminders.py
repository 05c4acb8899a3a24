"""Reminders (催学): remind a unit's not-completed members, log it, and show the log upward.

`send_reminder` writes one Reminder row, its recipients, their in-app notifications and an
audit entry in the caller's transaction, with a constant number of statements whatever the
number of recipients. Like every service it flushes, never commits; the caller has checked
`can_manage_unit(sender, unit)`, this module only checks the input.

The log is visible to the leaders at and above the reminded unit (`reminders_select`): the
level above can see that a unit was chased, which is the point of keeping it.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import joinedload

from courses.models import Assignment
from courses.study.services import now
from learning.accounts.models import User
from learning.audit.services import record
from learning.extensions import db
from learning.i18n import moment_text
from learning.notifications.services import notify
from learning.orgs.models import OrgUnit
from learning.permissions import is_admin, scope_unit_ids
from learning.reports.figures import NotCompletedGroup, not_completed
from learning.reports.models import Reminder, reminder_recipients
from learning.reports.services import concerns

MESSAGE_MAX = 500  # characters of the sender's own words


class ReminderError(ValueError):
    """A reminder refused: the message says why; `field` names the input at fault (or None),
    `status` the HTTP status the API answers with (422 bad input, 409 nothing to do now,
    429 sent too recently)."""

    def __init__(self, message: str, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.field = field
        self.status = status


def cooldown() -> timedelta:
    """How long a sender waits before reminding the same unit again for the same assignment."""
    return timedelta(minutes=int(current_app.config.get("REMINDER_COOLDOWN_MINUTES", 60)))


def assignment_title(assignment: Assignment) -> str:
    """The assignment as 「我的学习」 names it: course · module (period title)."""
    title = assignment.course.title
    if assignment.module is not None:
        title = f"{title} · {assignment.module.title}"
    if assignment.title:
        title = f"{title}（{assignment.title}）"
    return title


def _study_url() -> str:
    """Where a reminder leads: 「我的学习」, which lists the assignment with its progress."""
    if has_request_context():
        return url_for("study.my_study")
    # Outside a request (shell, CLI) url_for needs SERVER_NAME; the local path is the same.
    return current_app.url_map.bind("localhost").build("study.my_study")


def _check_cooldown(assignment: Assignment, unit: OrgUnit, sender, moment: datetime) -> None:
    window = cooldown()
    if window <= timedelta(0):
        return
    # Lock the assignment row (PostgreSQL; SQLite writes one at a time anyway), so two taps
    # arriving together are checked one after the other and the second sees the first.
    db.session.execute(select(Assignment.id).where(Assignment.id == assignment.id)
                       .with_for_update())
    last = db.session.scalar(
        select(func.max(Reminder.created_at))
        .where(Reminder.assignment_id == assignment.id, Reminder.unit_id == unit.id,
               Reminder.sender_id == sender.id, Reminder.created_at > moment - window))
    if last is not None:
        raise ReminderError(
            _("You reminded %(unit)s at %(sent)s; you can remind it again after %(next)s.",
              unit=unit.name, sent=moment_text(last), next=moment_text(last + window)),
            None, 429)


def send_reminder(assignment: Assignment, unit: OrgUnit, sender, message: str = "",
                  at: datetime | None = None) -> Reminder:
    """Remind the members at or below `unit` who have not completed `assignment` (never the
    sender): one logged Reminder, an in-app notification each, an audit entry."""
    moment = at or now()
    message = (message or "").strip()
    if assignment.closed_at is not None:
        raise ReminderError(_("This study period is closed; there is nobody left to remind."),
                            "assignment_id", 409)
    if not concerns(assignment, unit):
        raise ReminderError(_("%(unit)s is not part of this assignment.", unit=unit.name),
                            "unit_id")
    if len(message) > MESSAGE_MAX:
        raise ReminderError(
            _("A reminder may be at most %(limit)d characters long; this one has %(count)d.",
              limit=MESSAGE_MAX, count=len(message)), "message")
    _check_cooldown(assignment, unit, sender, moment)
    user_ids = sorted({member.user_id for group in not_completed(assignment, unit, moment)
                       for member in group.members} - {sender.id})
    if not user_ids:
        raise ReminderError(_("Everyone in %(unit)s has completed this assignment.",
                              unit=unit.name), None, 409)

    reminder = Reminder(assignment_id=assignment.id, unit_id=unit.id, sender_id=sender.id,
                        text=message, recipient_count=len(user_ids), created_at=moment)
    db.session.add(reminder)
    db.session.flush()
    # executemany: one statement for all recipients, not one per member.
    db.session.execute(insert(reminder_recipients),
                       [{"reminder_id": reminder.id, "user_id": uid} for uid in user_ids])
    title = assignment_title(assignment)
    # Stored as a message key: each member reads it in their own language and date format.
    notify(user_ids, "study.reminder_note" if message else "study.reminder",
           {"title": title, "due": assignment.due_at.isoformat(), "note": message},
           url=_study_url(), actor_id=sender.id)
    record("report.remind", {"count": len(user_ids), "unit": unit.name, "title": title},
           target=reminder, actor=sender,
           details={"assignment_id": assignment.id, "unit_id": unit.id,
                    "recipients": len(user_ids)})
    db.session.flush()
    return reminder


def paste_text(assignment: Assignment, unit: OrgUnit, groups: list[NotCompletedGroup],
               at: datetime | None = None) -> str:
    """The 未学名单 as text to paste into a WeChat/QQ group, in the reader's language."""
    separator = _(", ")  # zh: 、
    count = sum(len(group.members) for group in groups)
    lines = [
        _("Study assignment: %(title)s (%(unit)s)", title=assignment_title(assignment),
          unit=unit.name),
        _("Due: %(due)s", due=moment_text(assignment.due_at, "due")),
        ngettext("Not finished as of %(time)s: %(num)d person",
                 "Not finished as of %(time)s: %(num)d people", count,
                 time=moment_text(at or now())),
    ]
    for group in groups:
        names = separator.join(member.name for member in group.members)
        if group.leaders:
            lines.append(_("%(unit)s (leaders: %(leaders)s): %(names)s", unit=group.unit_name,
                           leaders=separator.join(group.leaders), names=names))
        else:
            lines.append(_("%(unit)s: %(names)s", unit=group.unit_name, names=names))
    lines.append(_("Please finish your study as soon as possible. Thank you!") if count
                 else _("Everyone has finished. Thank you!"))
    return "\n".join(lines)


def reminders_select(viewer, assignment: Assignment | None = None,
                     unit: OrgUnit | None = None) -> Select:
    """SELECT of the reminders `viewer` may see, newest first: admins all, leaders those about
    units at or below the units they lead; optionally of one assignment, at or below `unit`."""
    # Everything the log shows, loaded with the rows (no query per reminder).
    in_assignment = joinedload(Reminder.assignment)
    query = select(Reminder).options(
        joinedload(Reminder.sender), joinedload(Reminder.unit),
        in_assignment.joinedload(Assignment.course), in_assignment.joinedload(Assignment.module))
    if not is_admin(viewer):
        query = query.where(Reminder.unit_id.in_(scope_unit_ids(viewer)))
    if assignment is not None:
        query = query.where(Reminder.assignment_id == assignment.id)
    if unit is not None:
        query = query.where(Reminder.unit_id.in_(
            select(OrgUnit.id).where(OrgUnit.path.like(unit.path + "%"))))
    return query.order_by(Reminder.created_at.desc(), Reminder.id.desc())


def recipients_of(reminder_ids: Iterable[int]) -> dict[int, list[str]]:
    """The recipients' names of each reminder (by name), in one query; [] for none."""
    ids = {int(i) for i in reminder_ids}
    names: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return names
    for reminder_id, name in db.session.execute(
            select(reminder_recipients.c.reminder_id, User.display_name)
            .join(User, User.id == reminder_recipients.c.user_id)
            .where(reminder_recipients.c.reminder_id.in_(ids))
            .order_by(User.display_name, User.id)):
        names[reminder_id].append(name)
    return names
