"""Demo data for reports: one reminder (催学) already sent, so the log is not empty.

Idempotent: nothing is added when a reminder exists. The secretary of 第一团支部 (zhishu1) has
reminded the laggards of 第二学习小组 yesterday; 团委书记 (tuanwei) sees it in the log.
"""

from datetime import timedelta

from sqlalchemy import select

from courses.demo import COURSE_TITLE
from courses.models import Assignment, Course
from courses.study.services import now
from learning.accounts.models import User
from learning.extensions import db
from learning.orgs.models import OrgUnit
from learning.reports.models import Reminder
from learning.reports.reminders import ReminderError, send_reminder


def load(logins: list) -> None:
    """Send the demo reminder once; `logins` is not changed."""
    if db.session.scalar(select(Reminder.id).limit(1)) is not None:
        return
    assignment = db.session.scalar(
        select(Assignment).join(Course, Course.id == Assignment.course_id)
        .where(Course.title == COURSE_TITLE, Assignment.closed_at.is_(None)))
    sender = db.session.scalar(select(User).where(User.username == "zhishu1"))
    group = db.session.scalar(select(OrgUnit).where(OrgUnit.name == "第二学习小组"))
    if assignment is None or sender is None or group is None:
        return
    try:
        send_reminder(assignment, group, sender, "本周日晚八点前请完成，有困难的同学私信我。",
                      at=now() - timedelta(days=1))
    except ReminderError:  # everyone there has completed: nothing to remind
        return
