"""Notifications and audit entries stored as a message key with parameters

Revision ID: c4d8e2f61a07
Revises: a7c3e51d9b20
Create Date: 2026-12-07 23:40:00

Before this revision a notification kept its sentence in one language (`text`) and an audit
entry an English summary (`summary`). Now both keep a key of learning/messages.py and its
parameters, put into words in the reader's language. Existing rows are read back into
parameters by the patterns their sentences were written with (copied here: a migration must not
change when the app's messages do); a notification whose text fits no pattern keeps it as the
`legacy` message, shown as written; an audit summary that fits no pattern becomes the name of
what was acted on.
"""
import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4d8e2f61a07'
down_revision = 'a7c3e51d9b20'
branch_labels = None
depends_on = None


# --- notifications ---------------------------------------------------------------------------

NOTICE_PATTERNS = [
    ("post.reply", r"(?P<name>.+) replied to your post in “(?P<thread>.+)”\."),
    ("post.mention", r"(?P<name>.+) mentioned you in “(?P<thread>.+)”\."),
    ("post.hidden", r"A moderator hid your post in “(?P<thread>.+?)”: (?P<reason>.*)"),
    ("post.shown", r"A moderator showed your post in “(?P<thread>.+)” again\."),
    ("post.reported", r"A post in “(?P<thread>.+?)” was reported: (?P<reason>.*)"),
    ("study.reminder",
     r"请尽快完成学习任务「(?P<title>.+)」（截止 (?P<due>[^）]+)）。\s*(?P<note>.*)"),
    ("study.reminder",
     r"Please finish the study assignment “(?P<title>.+)” soon \(due (?P<due>[^)]+)\)\.\s*"
     r"(?P<note>.*)"),
]


def _zone():
    """The site's time zone: reminders wrote their due time as local "YYYY-MM-DD HH:MM"."""
    try:
        from flask import current_app
        return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    except RuntimeError:  # run outside the app
        return ZoneInfo("Asia/Shanghai")


def notice_params(text: str, zone) -> tuple[str, dict]:
    """(message key, parameters) of a notification's stored text."""
    for message, pattern in NOTICE_PATTERNS:
        found = re.fullmatch(pattern, text)
        if found is None:
            continue
        params = found.groupdict()
        if "due" in params:
            try:
                local = datetime.strptime(params["due"], "%Y-%m-%d %H:%M").replace(tzinfo=zone)
                params["due"] = local.astimezone(UTC).isoformat()
            except ValueError:
                pass  # shown as it was written
            if params["note"]:
                message = "study.reminder_note"
        return message, params
    return "legacy", {"text": text}


# --- audit entries ---------------------------------------------------------------------------

# action -> (pattern of the old summary, the parameter a summary that fits no pattern names)
AUDIT_PATTERNS = {
    "unit.create": (r"created unit (?P<unit>.*)", "unit"),
    "unit.rename": (r"renamed unit (?P<old>.*) to (?P<unit>.*)", "unit"),
    "unit.move": (r"moved unit (?P<unit>.*)", "unit"),
    "unit.delete": (r"deleted unit (?P<unit>.*)", "unit"),
    "membership.add": (r"(?P<user>\S+) joined (?P<unit>.*) as (?P<role>member|leader)", "user"),
    "membership.role": (r"(?P<user>\S+) in (?P<unit>.*): (?P<old_role>\w+) -> (?P<role>\w+)",
                        "user"),
    "membership.remove": (r"(?P<user>\S+) left (?P<unit>.*) \((?P<role>\w+)\)", "user"),
    "roster.import": (r"imported roster (?P<file>.*)", "file"),
    "user.create": (r"created user (?P<user>.*)", "user"),
    "user.update": (r"edited user (?P<user>.*)", "user"),
    "user.reset_password": (r"reset the password of (?P<user>.*)", "user"),
    "user.activate": (r"activated (?P<user>.*)", "user"),
    "user.deactivate": (r"deactivated (?P<user>.*)", "user"),
    "course.create": (r"(?P<course>.*)", "course"),
    "course.update": (r"(?P<course>.*)", "course"),
    "course.publish": (r"(?P<course>.*)", "course"),
    "course.unpublish": (r"(?P<course>.*)", "course"),
    "module.create": (r"(?P<course>.*?) / (?P<module>.*)", "module"),
    "module.update": (r"(?P<course>.*?) / (?P<module>.*)", "module"),
    "module.restore": (r"(?P<course>.*?) / (?P<module>.*)", "module"),
    "module.publish": (r"(?P<module>.*)", "module"),
    "module.unpublish": (r"(?P<module>.*)", "module"),
    "attachment.upload": (r"(?P<file>.*) \([^,]*, (?P<size>\d+) bytes\) -> (?P<place>.*)", "file"),
    "attachment.delete": (r"(?P<file>.*)", "file"),
    "assignment.create": (r"Assigned (?P<title>.*) to (?P<unit>.*)", "title"),
    "assignment.extend": (r"Extended assignment \d+", "title"),
    "assignment.close": (r"Closed assignment \d+ \((?P<count>\d+) on the roster\)", "title"),
    "offline.record": (r"recorded offline lesson \d+ for (?P<unit>.*)", "unit"),
    "offline.correct": (r"corrected offline lesson \d+ of (?P<unit>.*)", "unit"),
    "offline.entered_late": (r".*: (?P<count>\d+) member\(s\) marked", "count"),
    "report.remind": (r"Reminded (?P<count>\d+) in (?P<unit>.*?): (?P<title>.*)", "title"),
    "discussion.hide": (r"post \d+ in thread \d+: (?P<reason>.*)", "reason"),
    "discussion.unhide": (r"post \d+ in thread \d+", "thread"),
    "discussion.dismiss": (r"reports of post \d+", "thread"),
    "discussion.lock": (r"(?P<thread>.*)", "thread"),
    "discussion.unlock": (r"(?P<thread>.*)", "thread"),
    "discussion.pin": (r"(?P<thread>.*)", "thread"),
    "discussion.unpin": (r"(?P<thread>.*)", "thread"),
    "bank.create": (r"(?P<bank>.*)", "bank"),
    "bank.update": (r"(?P<bank>.*)", "bank"),
    "bank.delete": (r"(?P<bank>.*)", "bank"),
    "bank.import": (r"(?P<bank>.*?): (?P<file>.*)", "bank"),
    "category.create": (r"(?P<bank>.*?): (?P<category>.*)", "category"),
    "category.rename": (r"(?P<bank>.*?): (?P<old>.*) -> (?P<category>.*)", "category"),
    "category.delete": (r"(?P<bank>.*?): (?P<category>.*)", "category"),
    "question.create": (r"(?P<bank>.*?): (?P<question>.*)", "question"),
    "question.update": (r"(?P<bank>.*?): (?P<question>.*)", "question"),
    "question.delete": (r"(?P<bank>.*?): (?P<question>.*)", "question"),
    "quiz.create": (r"(?P<quiz>.*)", "quiz"),
    "quiz.update": (r"(?P<quiz>.*)", "quiz"),
    "quiz.questions": (r"(?P<quiz>.*)", "quiz"),
    "quiz.draws": (r"(?P<quiz>.*)", "quiz"),
    "quiz.delete": (r"(?P<quiz>.*)", "quiz"),
    "quiz.grade": (r"attempt \d+ question (?P<position>\d+): (?P<mark>.*)", "quiz"),
}


class Names:
    """Names looked up by id, for parameters the old summaries gave as ids or usernames."""

    def __init__(self, connection):
        self.connection = connection

    def one(self, sql: str, value):
        if value is None:
            return None
        return self.connection.execute(sa.text(sql), {"v": value}).scalar()

    def user(self, user_id=None, username=None):
        return (self.one("SELECT display_name FROM users WHERE id = :v", user_id)
                or self.one("SELECT display_name FROM users WHERE username = :v", username)
                or username)


def audit_params(row, names: Names) -> tuple[str, dict]:
    """(action, parameters) of an audit entry written with an English summary."""
    action = "quiz.grade" if row.action == "attempt.grade" else row.action
    details = row.details if isinstance(row.details, dict) else json.loads(row.details or "null")
    details = details or {}
    summary = row.summary or ""
    pattern, main = AUDIT_PATTERNS.get(action, (None, "text"))
    found = re.fullmatch(pattern, summary) if pattern else None
    params = found.groupdict() if found else {main: summary}
    if action == "quiz.create" and not details.get("api") and ": " in summary:
        params["quiz"] = summary.split(": ", 1)[1]  # the pages wrote "course: quiz"
    if action == "unit.move":
        params.update(old_path=details.get("from", ""), new_path=details.get("to", ""))
    if action.startswith(("user.", "membership.")):
        params["user"] = names.user(row.target_id if row.target_type == "User" else None,
                                    params.get("user"))
    if (action.startswith("discussion.") and "thread" not in params) or \
            action in ("discussion.unhide", "discussion.dismiss"):
        params["thread"] = names.one("SELECT title FROM threads WHERE id = :v",
                                     details.get("thread_id")) or ""
    if action.startswith("assignment.") and action != "assignment.create":
        params["title"] = names.one(
            "SELECT COALESCE(NULLIF(a.title, ''), c.title) FROM assignments a "
            "JOIN courses c ON c.id = a.course_id WHERE a.id = :v", row.target_id) or ""
        if action == "assignment.extend" and isinstance(details.get("due_at"), list):
            params["due"] = details["due_at"][-1]
        if action == "assignment.close" and "count" not in params:
            params["count"] = details.get("frozen", "")
    if action == "quiz.grade":
        params["quiz"] = names.one(
            "SELECT q.title FROM quiz_attempts a JOIN quizzes q ON q.id = a.quiz_id "
            "WHERE a.id = :v",
            row.target_id) or ""
    for number in ("count", "size", "position"):
        if str(params.get(number, "")).isdigit():
            params[number] = int(params[number])
    params["actor"] = (names.user(row.actor_id, None) if row.actor_id is not None else None) \
        or (row.actor_name if row.actor_name != "system" else None)
    if params["actor"] is None:
        del params["actor"]  # the system: named in the reader's language
    return action, params


def upgrade():
    connection = op.get_bind()
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))

    notifications = sa.table('notifications', sa.column('id', sa.Integer),
                             sa.column('message', sa.String), sa.column('params', sa.JSON))
    zone = _zone()
    rows = connection.execute(sa.text("SELECT id, text FROM notifications")).all()
    for row in rows:
        message, params = notice_params(" ".join((row.text or "").split()), zone)
        connection.execute(notifications.update().where(notifications.c.id == row.id)
                           .values(message=message, params=params))

    entries = sa.table('audit_entries', sa.column('id', sa.Integer),
                       sa.column('action', sa.String), sa.column('params', sa.JSON))
    names = Names(connection)
    rows = connection.execute(sa.text(
        "SELECT id, action, summary, details, actor_id, actor_name, target_type, target_id "
        "FROM audit_entries")).all()
    for row in rows:
        action, params = audit_params(row, names)
        connection.execute(entries.update().where(entries.c.id == row.id)
                           .values(action=action, params=params))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('message', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('params', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('text')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.alter_column('params', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('summary')


def downgrade():
    # The keys and parameters go back as text: "key {json}" (not the old sentences).
    connection = op.get_bind()
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary', sa.String(length=500), nullable=True))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text', sa.Text(), nullable=True))
    for table, column, key in (("audit_entries", "summary", "action"),
                               ("notifications", "text", "message")):
        target = sa.table(table, sa.column('id', sa.Integer), sa.column(column, sa.Text))
        # table and key come from the tuple above, never from input.
        query = sa.text(f"SELECT id, {key}, params FROM {table}")  # noqa: S608
        for row in connection.execute(query).all():
            params = row.params if isinstance(row.params, dict) else json.loads(row.params)
            text = f"{row[1]} {json.dumps(params, ensure_ascii=False)}"[:500]
            connection.execute(target.update().where(target.c.id == row.id)
                               .values({column: text}))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('text', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('params')
        batch_op.drop_column('message')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.alter_column('summary', existing_type=sa.String(length=500), nullable=False)
        batch_op.drop_column('params')
