"""`flask bench seed`: the generated organisation is realistic, consistent and made once."""

from sqlalchemy import func, select

from courses.models import Assignment, AssignmentMember, CourseProgress, Module, Progress
from learning.accounts.models import User
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit


def test_seed_builds_a_tree_a_course_periods_and_progress(app):
    result = app.test_cli_runner().invoke(
        args=["bench", "seed", "--members", "230", "--modules", "5"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        kinds = dict(db.session.execute(
            select(OrgUnit.kind, func.count()).group_by(OrgUnit.kind)).all())
        # 230 members at 50 a group: 5 groups, 2 branches, 1 general branch, 1 committee.
        assert kinds == {"committee": 1, "general_branch": 1, "branch": 2, "group": 5}
        members = db.session.scalar(select(func.count()).where(
            Membership.role == "member").select_from(Membership))
        assert members >= 230  # some members transferred: a second membership
        assert db.session.scalar(select(func.count()).where(
            Membership.role == "leader").select_from(Membership)) == 9
        assert db.session.scalar(select(func.count()).select_from(Module)) == 5
        periods = db.session.scalars(select(Assignment).order_by(Assignment.due_at)).all()
        assert [a.closed_at is not None for a in periods] == [True] * 4 + [False]
        frozen = db.session.scalar(select(func.count()).select_from(AssignmentMember))
        assert frozen > 4 * 200  # every closed period froze its roster
        vias = set(db.session.scalars(select(Progress.completed_via).distinct()))
        assert {"reading", "quiz", "offline", "confirm"} <= vias
        # The default random seed deactivates a few accounts (left off the frozen rosters).
        assert db.session.scalar(select(func.count()).where(User.active.is_(False))
                                 .select_from(User)) >= 1
        # The rollup agrees with the progress rows it sums.
        recount = dict(db.session.execute(
            select(Progress.user_id, func.count(Progress.completed_at))
            .group_by(Progress.user_id)).all())
        rollup = dict(db.session.execute(
            select(CourseProgress.user_id, CourseProgress.done)).all())
        assert rollup == recount


def test_seed_refuses_to_run_twice(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["bench", "seed", "--members", "60", "--modules", "2"]
                         ).exit_code == 0
    again = runner.invoke(args=["bench", "seed", "--members", "60", "--modules", "2"])
    assert again.exit_code != 0
    assert "already holds the benchmark data" in again.output
