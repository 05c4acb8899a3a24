"""`flask demo` adds the campaign course, its assignment and some progress, exactly once."""

import pytest
from sqlalchemy import func, select

from courses.demo import COURSE_TITLE
from courses.models import Assignment, Course, Module, OfflineLesson, Progress
from learning.accounts.models import User
from learning.audit.models import AuditEntry
from learning.extensions import db
from learning.orgs.models import OrgUnit


@pytest.fixture
def runner(app, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
    return app.test_cli_runner()


def counts() -> dict:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Course, Module, Assignment, Progress, OfflineLesson, AuditEntry, User)}


def test_demo_loads_the_course_assignment_and_progress_once(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.title == COURSE_TITLE))
        assert course.published
        modules = course.modules
        assert len(modules) >= 4
        assert all(m.published and m.estimated_minutes > 0 for m in modules)
        rules = [m.completion_rule for m in modules]
        assert rules.count("confirm") == rules.count("quiz") == 1
        assert rules.count("reading") == len(rules) - 2
        for module in modules:
            assert "<blockquote>" in module.body_html and "<h2>" in module.body_html
            assert "<li>" in module.body_html and "<script" not in module.body_html

        assignment = db.session.scalar(select(Assignment).where(
            Assignment.course_id == course.id))
        committee = db.session.get(OrgUnit, assignment.unit_id)
        assert committee.name == "示范大学团委" and committee.parent_id is None
        assert assignment.title == "第1期" and assignment.closed_at is None
        assert assignment.starts_at < assignment.due_at

        via = dict(db.session.execute(
            select(Progress.completed_via, func.count()).group_by(Progress.completed_via)).all())
        assert via.get("reading", 0) >= 5 and via.get("offline", 0) >= 5
        assert via.get(None, 0) >= 1  # in progress: opened, not complete
        lesson = db.session.scalar(select(OfflineLesson))
        assert lesson.unit.name == "第一学习小组"
        assert db.session.get(User, lesson.recorded_by_id).username == "m001"
        assert {m.id for m in lesson.modules} == {modules[2].id}
        before = counts()

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    with app.app_context():
        assert counts() == before
