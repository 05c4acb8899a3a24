"""Reminders (催学): who gets reminded, what is logged, who sees the log, the cooldown, the text
to paste into a chat group, and a constant number of statements per reminder.

The tree (assigned at the committee, a course of two modules):

    团委 (书记 leads)
    ├── 第一团支部 (支书甲 leads; the sender)
    │   ├── 第一小组: 甲一 done, 甲二 one module of two, 甲三 nothing
    │   └── 第二小组 (组长乙 leads): 乙一 nothing, 乙二 done
    └── 第二团支部 (支书丙 leads): 丙一 nothing

Leaders only lead: none is on a roster, so none is reminded (issue 17).

Messages are read in English.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from courses import progress
from courses.models import Assignment
from learning.accounts.models import User
from learning.audit.models import AuditEntry
from learning.extensions import db
from learning.notifications.models import Notification
from learning.orgs.models import OrgUnit
from learning.permissions import can_manage_unit
from learning.reports.figures import not_completed
from learning.reports.models import Reminder
from learning.reports.reminders import (
    ReminderError,
    paste_text,
    recipients_of,
    reminders_select,
    send_reminder,
)


class Tree:
    pass


@pytest.fixture
def tree(app, make_unit, make_user, make_course, make_assignment):
    t = Tree()
    t.committee = make_unit("团委", kind="committee")
    t.branch_a = make_unit("第一团支部", t.committee, kind="branch")
    t.group_a1 = make_unit("第一小组", t.branch_a)
    t.group_a2 = make_unit("第二小组", t.branch_a)
    t.branch_b = make_unit("第二团支部", t.committee, kind="branch")
    t.secretary = make_user("secretary", name="书记", units=[(t.committee, "leader")])
    t.sender = make_user("sender", name="支书甲", units=[(t.branch_a, "leader")])
    t.sibling = make_user("sibling", name="支书丙", units=[(t.branch_b, "leader")])
    t.group_leader = make_user("groupleader", name="组长乙", units=[(t.group_a2, "leader")])
    t.admin = make_user("admin", name="管理员", admin=True)
    people = {}
    for username, name, unit in [("a1", "甲一", t.group_a1), ("a2", "甲二", t.group_a1),
                                 ("a3", "甲三", t.group_a1), ("b1", "乙一", t.group_a2),
                                 ("b2", "乙二", t.group_a2), ("c1", "丙一", t.branch_b)]:
        people[username] = make_user(username, name=name, units=[(unit, "member")])
    t.people = people
    t.course = make_course("制度自信", modules=2)
    t.assignment = make_assignment(t.course, t.committee, title="第1期")
    with app.app_context():
        progress.complete_many([people["a1"].id, people["b2"].id], t.course.module_ids, "reading")
        progress.complete(people["a2"].id, t.course.module_ids[0], "reading")
        db.session.commit()
    # Not completed in 第一团支部: 甲二 甲三 乙一 (the leaders are on no roster).
    t.expected = {people["a2"].id, people["a3"].id, people["b1"].id}
    return t


def _send(app, assignment, unit, sender, message="", at=None) -> int:
    """Send and commit as a view would; returns the reminder's id."""
    with app.app_context():
        reminder = send_reminder(db.session.get(Assignment, assignment.id),
                                 db.session.get(OrgUnit, unit.id),
                                 db.session.get(User, sender.id), message, at=at)
        db.session.commit()
        return reminder.id


def _refused(app, assignment, unit, sender, message="") -> ReminderError:
    with app.app_context():
        with pytest.raises(ReminderError) as caught:
            send_reminder(db.session.get(Assignment, assignment.id),
                          db.session.get(OrgUnit, unit.id),
                          db.session.get(User, sender.id), message)
        db.session.rollback()
    return caught.value


def _reminder_notifications(app) -> list[Notification]:
    with app.app_context():
        return db.session.scalars(select(Notification).where(Notification.kind == "reminder")
                                  ).all()


def _visible(app, viewer, **filters) -> list[int]:
    with app.app_context():
        user = db.session.get(User, viewer.id)
        objects = {name: db.session.get(Assignment if name == "assignment" else OrgUnit,
                                        value.id) for name, value in filters.items()}
        return list(db.session.scalars(reminders_select(user, **objects)))


def _local(moment, app) -> str:
    return moment.astimezone(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])) \
        .strftime("%Y-%m-%d %H:%M")


def test_the_not_completed_members_get_one_notification_each_and_the_sender_none(app, tree):
    with app.app_context():  # who may send is the views' check; the service trusts them
        branch_a = db.session.get(OrgUnit, tree.branch_a.id)
        assert can_manage_unit(db.session.get(User, tree.sender.id), branch_a)
        assert can_manage_unit(db.session.get(User, tree.secretary.id), branch_a)
        assert not can_manage_unit(db.session.get(User, tree.sibling.id), branch_a)

    reminder_id = _send(app, tree.assignment, tree.branch_a, tree.sender, "  今晚前完成  ")

    notes = _reminder_notifications(app)
    assert sorted(n.user_id for n in notes) == sorted(tree.expected)  # once each
    assert tree.sender.id not in {n.user_id for n in notes}
    with app.app_context():  # stored as a key: read in the site's language and date format
        from learning.i18n import moment_text

        due = moment_text(tree.assignment.due_at, "due")
        texts = {note.id: note.text for note in notes}
    for note in notes:
        text = texts[note.id]
        assert "制度自信" in text and "第1期" in text and due in text
        assert text.endswith("今晚前完成")
        assert note.url == "/study/" and note.actor_id == tree.sender.id
    with app.app_context():
        reminder = db.session.get(Reminder, reminder_id)
        assert (reminder.assignment_id, reminder.unit_id, reminder.sender_id) == \
            (tree.assignment.id, tree.branch_a.id, tree.sender.id)
        assert reminder.recipient_count == 3 and reminder.text == "今晚前完成"
        names = recipients_of([reminder_id, 999])
        assert sorted(names[reminder_id]) == sorted(["甲二", "甲三", "乙一"])
        assert names[999] == []
        audit = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "report.remind")).one()
        assert audit.actor_id == tree.sender.id and audit.target_id == reminder_id


def test_a_unit_above_the_assigned_one_reminds_only_the_part_below(app, tree,
                                                                   make_assignment):
    narrow = make_assignment(tree.course, tree.group_a1, title="小组专项")
    _send(app, narrow, tree.committee, tree.secretary)
    assert {n.user_id for n in _reminder_notifications(app)} == \
        {tree.people["a2"].id, tree.people["a3"].id}


def test_a_unit_outside_the_assignment_or_a_long_message_is_refused(app, tree,
                                                                    make_assignment):
    narrow = make_assignment(tree.course, tree.branch_a, title="支部专项")
    assert _refused(app, narrow, tree.branch_b, tree.sibling).field == "unit_id"
    error = _refused(app, tree.assignment, tree.branch_a, tree.sender, "催" * 501)
    assert error.field == "message" and "500" in str(error)
    assert _reminder_notifications(app) == []
    _send(app, tree.assignment, tree.branch_a, tree.sender, "催" * 500)
    assert len(_reminder_notifications(app)) == 3


def test_the_same_sender_waits_for_the_cooldown_others_do_not(app, tree):
    first = _send(app, tree.assignment, tree.branch_a, tree.sender)
    error = _refused(app, tree.assignment, tree.branch_a, tree.sender)
    assert error.status == 429
    assert len(_reminder_notifications(app)) == 3  # nobody was reminded twice
    # Another leader, or the same leader for another unit, is not held back.
    _send(app, tree.assignment, tree.branch_a, tree.secretary)
    _send(app, tree.assignment, tree.group_a1, tree.sender)

    def age(minutes):
        with app.app_context():
            reminder = db.session.get(Reminder, first)
            reminder.created_at -= timedelta(minutes=minutes)
            db.session.commit()

    age(58)  # 58 minutes old: still inside the default 60
    _refused(app, tree.assignment, tree.branch_a, tree.sender)
    age(3)  # 61 minutes old
    _send(app, tree.assignment, tree.branch_a, tree.sender)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reminder)) == 4


def test_the_cooldown_is_configurable(app, tree, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_COOLDOWN_MINUTES", 0)
    _send(app, tree.assignment, tree.branch_a, tree.sender)
    _send(app, tree.assignment, tree.branch_a, tree.sender)
    assert len(_reminder_notifications(app)) == 6


def test_a_closed_period_is_refused(app, tree, make_assignment):
    closed = make_assignment(tree.course, tree.committee, title="已结束", closed=True)
    error = _refused(app, closed, tree.branch_a, tree.sender)
    assert error.field == "assignment_id" and error.status == 409
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reminder)) == 0
    assert _reminder_notifications(app) == []


def test_nobody_left_to_remind_is_refused_and_the_sender_never_counts(app, tree):
    with app.app_context():
        progress.complete_many([tree.people["c1"].id], tree.course.module_ids, "reading")
        db.session.commit()
    # 第二团支部: 丙一 has finished; its leader, the sender, is on no roster.
    error = _refused(app, tree.assignment, tree.branch_b, tree.sibling)
    assert error.status == 409 and "第二团支部" in str(error)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reminder)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "report.remind")) == 0


def test_the_leaders_above_see_the_log_a_sibling_does_not(app, tree):
    sent = _send(app, tree.assignment, tree.branch_a, tree.sender)
    later = _send(app, tree.assignment, tree.group_a1, tree.secretary)

    def ids(viewer, **filters):
        return [r.id for r in _visible(app, viewer, **filters)]

    assert ids(tree.secretary) == [later, sent]  # newest first
    assert ids(tree.admin) == [later, sent]
    assert ids(tree.sender) == [later, sent]  # the level above reminded one of my groups
    assert ids(tree.sibling) == []
    assert ids(tree.group_leader) == []  # 第一团支部 is above 第二小组
    assert ids(tree.people["a3"]) == []  # members see their notification, not the log
    assert ids(tree.secretary, unit=tree.group_a1) == [later]
    assert ids(tree.secretary, assignment=tree.assignment, unit=tree.branch_a) == [later, sent]
    assert ids(tree.admin, unit=tree.branch_b) == []


def test_paste_text_names_units_leaders_members_and_the_due_time(app, tree):
    with app.test_request_context(), force_locale("en"):
        assignment = db.session.get(Assignment, tree.assignment.id)
        branch_a = db.session.get(OrgUnit, tree.branch_a.id)
        text = paste_text(assignment, branch_a, not_completed(assignment, branch_a))
    lines = text.splitlines()
    assert "制度自信" in lines[0] and "第1期" in lines[0] and "第一团支部" in lines[0]
    assert _local(tree.assignment.due_at, app) in lines[1]
    assert "3 people" in lines[2]  # the leaders only lead: not on the list
    # One line per unit in tree order; names in the database's collation order.
    heads = [line.rsplit(": ", 1)[0] for line in lines[3:5]]
    assert heads == ["第一小组", "第二小组 (leaders: 组长乙)"]
    assert [set(line.rsplit(": ", 1)[1].split(", ")) for line in lines[3:5]] == \
        [{"甲二", "甲三"}, {"乙一"}]
    assert lines[5] == "Please finish your study as soon as possible. Thank you!"


def test_paste_text_when_everyone_finished(app, tree):
    with app.test_request_context(), force_locale("en"):
        assignment = db.session.get(Assignment, tree.assignment.id)
        text = paste_text(assignment, db.session.get(OrgUnit, tree.branch_b.id), [])
    assert "0 people" in text and text.endswith("Everyone has finished. Thank you!")


def test_the_statements_do_not_grow_with_the_recipients(app, make_unit, make_user,
                                                       make_course, make_assignment,
                                                       query_counter):
    root = make_unit("团委", kind="committee")
    leader = make_user("leader", units=[(root, "leader")])
    course = make_course(modules=2)
    counts = []
    for size in (3, 30):
        unit = make_unit(f"小组{size}", root)
        for _ in range(size):
            make_user(units=[(unit, "member")])
        assignment = make_assignment(course, unit, title=f"第{size}期")
        with app.app_context():
            loaded = db.session.get(Assignment, assignment.id)
            target = db.session.get(OrgUnit, unit.id)
            sender = db.session.get(User, leader.id)
            with query_counter() as statements:
                reminder = send_reminder(loaded, target, sender)
            assert reminder.recipient_count == size
            counts.append(len(statements))
            db.session.commit()
    assert counts[0] == counts[1]
    assert len(_reminder_notifications(app)) == 33


def test_the_demo_has_a_reminder_the_committee_sees(app):
    """After `flask demo`, 团委书记 finds zhishu1's reminder to 第二学习小组 in the log."""
    from learning.reports.reminders import reminders_select

    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0  # idempotent
    with app.app_context():
        committee_leader = db.session.scalar(select(User).where(User.username == "tuanwei"))
        log = db.session.scalars(reminders_select(committee_leader)).all()
        assert [(r.sender.username, r.unit.name) for r in log] == [("zhishu1", "第二学习小组")]
        assert log[0].recipient_count > 0
