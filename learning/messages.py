"""Stored messages: what notifications and audit entries say, kept as a key and parameters.

Text shown later to someone else is stored as a message key with its parameters and put into
words when it is read, in the reader's language: the same row reads in Chinese for one admin
and in English for another, and a catalogue fix reaches every old row. Each registry below is
the one place a key gets its sentence; the sentences are literal `_l()` calls so pybabel sees
them (a message built at run time would never reach the catalogue).

Parameters are plain JSON values. A few names are read specially (`PARAMETER_KINDS`): a role
is a word to translate, a time is an ISO timestamp shown in the reader's date format, a size
is a number of bytes.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

TEXT_MAX = 300  # one line in a list; a longer rendering is cut with an ellipsis


class AuditAction(NamedTuple):
    """An audit action: its name in the log's filter and the sentence an entry reads as."""

    label: Any
    sentence: Any


class Notice(NamedTuple):
    """A notification message: the notification kind it belongs to and its sentence."""

    kind: str
    sentence: Any


# The audit log's kinds, grouped by the thing acted on (the filter's groups, in this order).
AUDIT_GROUPS = {
    "unit": _l("Organisation"),
    "membership": _l("Memberships"),
    "roster": _l("Roster import"),
    "user": _l("Accounts"),
    "course": _l("Courses"),
    "module": _l("Modules"),
    "attachment": _l("Attachments"),
    "assignment": _l("Study assignments"),
    "series": _l("Weekly series"),
    "offline": _l("Offline lessons"),
    "report": _l("Reminders"),
    "discussion": _l("Discussions"),
    "bank": _l("Question banks"),
    "category": _l("Question categories"),
    "question": _l("Questions"),
    "quiz": _l("Quizzes"),
}

AUDIT_ACTIONS = {
    "unit.create": AuditAction(_l("Create a unit"),
                               _l("%(actor)s created the unit “%(unit)s”.")),
    "unit.rename": AuditAction(_l("Rename a unit"),
                               _l("%(actor)s renamed the unit “%(old)s” to “%(unit)s”.")),
    "unit.move": AuditAction(_l("Move a unit"),
                             _l("%(actor)s moved the unit “%(unit)s” from “%(old_path)s” to "
                                "“%(new_path)s”.")),
    "unit.delete": AuditAction(_l("Delete a unit"),
                               _l("%(actor)s deleted the unit “%(unit)s”.")),
    "membership.add": AuditAction(_l("Add a member to a unit"),
                                  _l("%(actor)s added %(user)s to “%(unit)s” as %(role)s.")),
    "membership.role": AuditAction(_l("Change a role"),
                                   _l("%(actor)s changed the role of %(user)s in “%(unit)s” "
                                      "from %(old_role)s to %(role)s.")),
    "membership.remove": AuditAction(_l("Remove a member from a unit"),
                                     _l("%(actor)s removed %(user)s (%(role)s) from "
                                        "“%(unit)s”.")),
    "roster.import": AuditAction(_l("Import the roster"),
                                 _l("%(actor)s imported the roster %(file)s.")),
    "user.create": AuditAction(_l("Create an account"),
                               _l("%(actor)s created the account %(user)s.")),
    "user.update": AuditAction(_l("Edit an account"),
                               _l("%(actor)s edited the account %(user)s.")),
    "user.reset_password": AuditAction(_l("Reset a password"),
                                       _l("%(actor)s reset the password of %(user)s.")),
    "user.activate": AuditAction(_l("Activate an account"),
                                 _l("%(actor)s activated the account %(user)s.")),
    "user.deactivate": AuditAction(_l("Deactivate an account"),
                                   _l("%(actor)s deactivated the account %(user)s.")),
    "course.create": AuditAction(_l("Create a course"),
                                 _l("%(actor)s created the course “%(course)s”.")),
    "course.update": AuditAction(_l("Edit a course"),
                                 _l("%(actor)s edited the course “%(course)s”.")),
    "course.publish": AuditAction(_l("Publish a course"),
                                  _l("%(actor)s published the course “%(course)s”.")),
    "course.unpublish": AuditAction(_l("Unpublish a course"),
                                    _l("%(actor)s unpublished the course “%(course)s”.")),
    "module.create": AuditAction(_l("Create a module"),
                                 _l("%(actor)s created the module “%(module)s” of "
                                    "“%(course)s”.")),
    "module.update": AuditAction(_l("Edit a module"),
                                 _l("%(actor)s edited the module “%(module)s” of "
                                    "“%(course)s”.")),
    "module.restore": AuditAction(_l("Restore a module revision"),
                                  _l("%(actor)s restored an earlier revision of the module "
                                     "“%(module)s” of “%(course)s”.")),
    "module.publish": AuditAction(_l("Publish a module"),
                                  _l("%(actor)s published the module “%(module)s”.")),
    "module.unpublish": AuditAction(_l("Unpublish a module"),
                                    _l("%(actor)s unpublished the module “%(module)s”.")),
    "attachment.upload": AuditAction(_l("Upload an attachment"),
                                     _l("%(actor)s uploaded %(file)s (%(size)s) to "
                                        "“%(place)s”.")),
    "attachment.delete": AuditAction(_l("Delete an attachment"),
                                     _l("%(actor)s deleted the attachment %(file)s.")),
    "assignment.create": AuditAction(_l("Assign study"),
                                     _l("%(actor)s assigned “%(title)s” to “%(unit)s”.")),
    "assignment.extend": AuditAction(_l("Extend a study period"),
                                     _l("%(actor)s extended the study period “%(title)s” to "
                                        "%(due)s.")),
    "assignment.close": AuditAction(_l("Close a study period"),
                                    _l("%(actor)s closed the study period “%(title)s”; its "
                                       "roster of %(count)s people is frozen.")),
    "series.create": AuditAction(_l("Create a weekly series"),
                                 _l("%(actor)s created the weekly series “%(title)s” for "
                                    "“%(unit)s”.")),
    "series.update": AuditAction(_l("Change a weekly series"),
                                 _l("%(actor)s changed the weekly series “%(title)s”.")),
    "series.delete": AuditAction(_l("Delete a weekly series"),
                                 _l("%(actor)s deleted the weekly series “%(title)s”.")),
    "offline.record": AuditAction(_l("Record an offline lesson"),
                                  _l("%(actor)s recorded an offline lesson of “%(unit)s”.")),
    "offline.correct": AuditAction(_l("Correct an offline lesson"),
                                   _l("%(actor)s corrected an offline lesson of “%(unit)s”.")),
    "offline.entered_late": AuditAction(_l("Enter an offline lesson late"),
                                        _l("%(actor)s entered an offline lesson after the due "
                                           "time; members marked: %(count)s.")),
    "report.remind": AuditAction(_l("Send a reminder"),
                                 _l("%(actor)s reminded the members of “%(unit)s” who have not "
                                    "finished “%(title)s”; people reminded: %(count)s.")),
    "discussion.hide": AuditAction(_l("Hide a post"),
                                   _l("%(actor)s hid a post in “%(thread)s”: %(reason)s")),
    "discussion.unhide": AuditAction(_l("Show a hidden post"),
                                     _l("%(actor)s showed a hidden post in “%(thread)s” "
                                        "again.")),
    "discussion.dismiss": AuditAction(_l("Dismiss reports"),
                                      _l("%(actor)s dismissed the reports of a post in "
                                         "“%(thread)s”.")),
    "discussion.lock": AuditAction(_l("Lock a thread"),
                                   _l("%(actor)s locked the thread “%(thread)s”.")),
    "discussion.unlock": AuditAction(_l("Unlock a thread"),
                                     _l("%(actor)s unlocked the thread “%(thread)s”.")),
    "discussion.pin": AuditAction(_l("Pin a thread"),
                                  _l("%(actor)s pinned the thread “%(thread)s”.")),
    "discussion.unpin": AuditAction(_l("Unpin a thread"),
                                    _l("%(actor)s unpinned the thread “%(thread)s”.")),
    "bank.create": AuditAction(_l("Create a question bank"),
                               _l("%(actor)s created the question bank “%(bank)s”.")),
    "bank.update": AuditAction(_l("Edit a question bank"),
                               _l("%(actor)s edited the question bank “%(bank)s”.")),
    "bank.delete": AuditAction(_l("Delete a question bank"),
                               _l("%(actor)s deleted the question bank “%(bank)s”.")),
    "bank.import": AuditAction(_l("Import questions"),
                               _l("%(actor)s imported %(file)s into the question bank "
                                  "“%(bank)s”.")),
    "category.create": AuditAction(_l("Create a category"),
                                   _l("%(actor)s created the category “%(category)s” in "
                                      "“%(bank)s”.")),
    "category.rename": AuditAction(_l("Rename a category"),
                                   _l("%(actor)s renamed the category “%(old)s” in “%(bank)s” "
                                      "to “%(category)s”.")),
    "category.delete": AuditAction(_l("Delete a category"),
                                   _l("%(actor)s deleted the category “%(category)s” of "
                                      "“%(bank)s”.")),
    "question.create": AuditAction(_l("Create a question"),
                                   _l("%(actor)s created the question “%(question)s” in "
                                      "“%(bank)s”.")),
    "question.update": AuditAction(_l("Edit a question"),
                                   _l("%(actor)s edited the question “%(question)s” in "
                                      "“%(bank)s”.")),
    "question.delete": AuditAction(_l("Delete a question"),
                                   _l("%(actor)s deleted the question “%(question)s” of "
                                      "“%(bank)s”.")),
    "quiz.create": AuditAction(_l("Create a quiz"),
                               _l("%(actor)s created the quiz “%(quiz)s”.")),
    "quiz.update": AuditAction(_l("Edit a quiz"),
                               _l("%(actor)s edited the quiz “%(quiz)s”.")),
    "quiz.questions": AuditAction(_l("Choose a quiz's questions"),
                                  _l("%(actor)s chose the questions of the quiz “%(quiz)s”.")),
    "quiz.draws": AuditAction(_l("Set a quiz's random draws"),
                              _l("%(actor)s set the random draws of the quiz “%(quiz)s”.")),
    "quiz.delete": AuditAction(_l("Delete a quiz"),
                               _l("%(actor)s deleted the quiz “%(quiz)s”.")),
    "quiz.grade": AuditAction(_l("Mark an answer"),
                              _l("%(actor)s marked question %(position)s of an attempt at "
                                 "“%(quiz)s”: %(mark)s.")),
}

NOTICES = {
    "post.reply": Notice("reply", _l("%(name)s replied to your post in “%(thread)s”.")),
    "post.mention": Notice("mention", _l("%(name)s mentioned you in “%(thread)s”.")),
    "post.hidden": Notice("moderation",
                          _l("A moderator hid your post in “%(thread)s”: %(reason)s")),
    "post.shown": Notice("moderation",
                         _l("A moderator showed your post in “%(thread)s” again.")),
    "post.reported": Notice("report",
                            _l("A post in “%(thread)s” was reported: %(reason)s")),
    "study.reminder": Notice("reminder",
                             _l("Please finish the study assignment “%(title)s” soon (due "
                                "%(due)s).")),
    "study.reminder_note": Notice("reminder",
                                  _l("Please finish the study assignment “%(title)s” soon (due "
                                     "%(due)s). %(note)s")),
    # A row written before messages were stored as keys whose text could not be read back
    # into parameters (see the 20261207 migration): shown as it was written.
    "legacy": Notice("reminder", _l("%(text)s")),
}


def _role(value) -> str:
    labels = {"member": _("Member"), "leader": _("Leader")}
    return labels.get(value, str(value))


def _moment(value) -> str:
    """A stored ISO due time in the reader's zone, as every page prints a due time
    (learning/i18n.py DATE_FORMATS); text that is no timestamp is shown as it is."""
    from learning.i18n import moment_text

    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:  # a local time of unknown zone: as it was written
        return str(value)
    return moment_text(moment, "due")


def _size(value) -> str:
    """A file size in bytes, in the reader's number format (1536 → 1.5 KB)."""
    size, unit = float(value), "B"
    for larger in ("KB", "MB"):
        if size < 1024:
            break
        size, unit = size / 1024, larger
    return f"{format_decimal(round(size, 1))} {unit}"


PARAMETER_KINDS = {"role": _role, "old_role": _role, "due": _moment, "size": _size}


class _Values(dict):
    """Parameters for %-formatting; a missing one reads as an ellipsis, never an error."""

    def __missing__(self, key):
        return "…"


def render(sentence, params: Mapping[str, Any] | None) -> str:
    """`sentence` (a lazy message) in the current language with `params` filled in, on one
    line and at most TEXT_MAX characters."""
    values = _Values()
    for name, value in (params or {}).items():
        shown = PARAMETER_KINDS.get(name, str)(value if value is not None else "")
        values[name] = " ".join(shown.split())
    text = " ".join((str(sentence) % values).split())
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"


def audit_sentence(action: str, params: Mapping[str, Any] | None, actor_name: str) -> str:
    """An audit entry as a sentence in the reader's language (「张三 新建了测验「…」」)."""
    values = dict(params or {})
    values.setdefault("actor", actor_name if actor_name != "system" else _("The system"))
    known = AUDIT_ACTIONS.get(action)
    if known is None:  # an action this version no longer knows: say what little is stored
        return render(_l("%(actor)s: %(action)s"), {**values, "action": action})
    return render(known.sentence, values)


def audit_label(action: str) -> str:
    """The translated name of an audit action (its kind in the log's filter)."""
    known = AUDIT_ACTIONS.get(action)
    return str(known.label) if known is not None else action


def notice_text(message: str, params: Mapping[str, Any] | None) -> str:
    """A notification's sentence in the reader's language."""
    known = NOTICES.get(message) or NOTICES["legacy"]
    return render(known.sentence, params)
