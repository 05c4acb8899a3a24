"""Completion is idempotent and safe under concurrency: one row, completed_at never moves."""

import threading
from datetime import timedelta

from sqlalchemy import func, select

from courses import progress
from courses.models import Progress
from learning.dbtypes import utcnow
from learning.extensions import db


def test_completion_is_idempotent_and_keeps_the_first_time(app, org, make_course):
    course = make_course(modules=1)
    module_id = course.module_ids[0]
    first = utcnow() - timedelta(hours=1)
    with app.app_context():
        assert progress.complete(org.member.id, module_id, "reading", at=first) is True
        assert progress.complete(org.member.id, module_id, "offline") is False
        db.session.commit()
        row = progress.get(org.member.id, module_id)
        assert (row.completed_at, row.completed_via) == (first, "reading")
        assert db.session.scalar(select(func.count()).select_from(Progress)) == 1


def test_concurrent_completions_make_one_row_and_one_completion(app, org, make_course):
    """Ten requests completing the same module at once: one row, exactly one of them wins."""
    course = make_course(modules=1)
    module_id = course.module_ids[0]
    results, errors = [], []
    barrier = threading.Barrier(10)

    def worker():
        try:
            with app.app_context():
                barrier.wait()
                results.append(progress.complete(org.member.id, module_id, "reading"))
                db.session.commit()
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert results.count(True) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Progress)) == 1


def test_concurrent_completions_of_different_modules_all_reach_the_rollup(app, org,
                                                                          make_course):
    """Six requests completing six modules of one member at once: the course rollup that
    reports read counts all six (its row is locked before it is recounted)."""
    from courses.models import CourseProgress

    course = make_course(modules=6)
    errors = []
    barrier = threading.Barrier(6)

    def worker(module_id):
        try:
            with app.app_context():
                barrier.wait()
                progress.complete(org.member.id, module_id, "reading")
                db.session.commit()
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(m,)) for m in course.module_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with app.app_context():
        row = db.session.get(CourseProgress, (org.member.id, course.id))
        assert (row.done, row.opened) == (6, True)
        assert row.last_completed_at == db.session.scalar(
            select(func.max(Progress.completed_at)))


def test_complete_many_for_an_offline_lesson(app, org, make_course, make_user):
    course = make_course(modules=2)
    other = make_user(units=[(org.group_a, "member")])
    with app.app_context():
        progress.complete(org.member.id, course.module_ids[0], "reading")
        done = progress.complete_many([org.member.id, other.id], course.module_ids, "offline")
        db.session.commit()
        assert done == 3  # the member had already read module 1
        vias = dict(db.session.execute(
            select(Progress.module_id, Progress.completed_via)
            .where(Progress.user_id == org.member.id)).all())
    assert vias == {course.module_ids[0]: "reading", course.module_ids[1]: "offline"}
