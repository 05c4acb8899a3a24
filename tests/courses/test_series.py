"""Weekly series: the schedule (days across weeks, skipped weeks, chosen weekdays), the periods
created ahead and closed at due, idempotent re-runs and two runners at once on PostgreSQL."""

import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from courses.models import Assignment, Course, Module
from courses.series import services
from courses.series.models import Series, SeriesPeriod
from courses.study import services as study
from learning.extensions import db
from learning.orgs.models import OrgUnit

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = date(2030, 1, 7)


def local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def clock(monkeypatch):
    """Set the server's clock: clock(datetime)."""
    def set_(at: datetime):
        monkeypatch.setattr(study, "now", lambda: at.astimezone(UTC))
    return set_


@pytest.fixture
def make_series(app, org, make_course):
    """Builder: a committed series over a new course of `modules` published modules."""
    def make(modules: int = 3, *, starts_on: date = MONDAY, at: datetime | None = None,
             **fields) -> int:
        course = make_course("青年大学习", modules=modules, rule="confirm")
        with app.app_context():
            unit = db.session.get(OrgUnit, org.committee.id)
            series = services.create_series(
                services.SeriesInput(title="青年大学习", course_id=course.id, unit_id=unit.id,
                                     starts_on=starts_on, **fields),
                actor=None, unit=unit, course=db.session.get(Course, course.id),
                at=at or local(starts_on - timedelta(days=3)))
            db.session.commit()
            return series.id
    return make


def periods(series_id: int) -> list[tuple]:
    """(number, release day, local start, local due, module position, closed) of each period."""
    rows = db.session.execute(
        select(SeriesPeriod.number, SeriesPeriod.release_on, Assignment.starts_at,
               Assignment.due_at, Module.position, Assignment.closed_at)
        .join(Assignment, Assignment.id == SeriesPeriod.assignment_id)
        .join(Module, Module.id == SeriesPeriod.module_id)
        .where(SeriesPeriod.series_id == series_id).order_by(SeriesPeriod.number)).all()
    return [(r.number, r.release_on, r.starts_at.astimezone(SHANGHAI),
             r.due_at.astimezone(SHANGHAI), r.position, r.closed_at is not None) for r in rows]


def run(series_id: int, at: datetime) -> int:
    created = len(services.advance(series_id, at))
    db.session.commit()
    return created


# --- the schedule, pure ----------------------------------------------------------------------


def test_skipped_entries_are_dates_or_iso_weeks_and_a_bad_one_is_named():
    assert services.parse_skipped("2030-01-14\n2030-w04, 2030-01-14") == ["2030-01-14",
                                                                           "2030-W04"]
    assert services.is_skipped(["2030-W04"], date(2030, 1, 24))  # Thursday of that week
    assert not services.is_skipped(["2030-W04"], date(2030, 1, 28))
    with pytest.raises(services.SeriesError) as error:
        services.parse_skipped(["2030-01-14", "国庆节"])
    assert "国庆节" in str(error.value) and error.value.field_name == "skipped"
    with pytest.raises(services.SeriesError):
        services.parse_skipped(["2030-02-30"])


def test_weekdays_are_digits_zero_to_six():
    assert services.parse_weekdays([3, 0, 3]) == "03"
    for bad in ([], [7], "x"):
        with pytest.raises(services.SeriesError) as error:
            services.parse_weekdays(bad)
        assert error.value.field_name == "weekdays"


# --- periods ---------------------------------------------------------------------------------


def test_one_period_a_week_monday_to_sunday_numbered_and_created_a_day_ahead(
        app, make_series, clock):
    series_id = make_series(3, first_number=12)
    with app.app_context():
        assert run(series_id, local(MONDAY - timedelta(days=3))) == 0  # Friday: too early
        assert run(series_id, local(MONDAY - timedelta(days=1), 9)) == 1  # Sunday: ahead
        assert run(series_id, local(MONDAY, 12)) == 0  # again: nothing new
        assert run(series_id, local(MONDAY + timedelta(days=13), 8)) == 2  # weeks 2 and 3
        assert run(series_id, local(MONDAY + timedelta(days=30))) == 0  # modules used up
        got = periods(series_id)
        assert [(n, day, start, due, position) for n, day, start, due, position, _c in got] == [
            (12 + i, MONDAY + timedelta(weeks=i), local(MONDAY + timedelta(weeks=i)),
             local(MONDAY + timedelta(weeks=i, days=6), 22), i) for i in range(3)]
        titles = db.session.scalars(select(Assignment.title).order_by(Assignment.id)).all()
        assert titles == ["青年大学习 第12期", "青年大学习 第13期", "青年大学习 第14期"]
        assert services.next_plan(db.session.get(Series, series_id)) is None


def test_a_skipped_week_moves_the_next_period_without_using_a_number_or_module(
        app, make_series):
    series_id = make_series(3, skipped=["2030-W03"])  # the second Monday's week
    with app.app_context():
        run(series_id, local(MONDAY + timedelta(days=30)))
        got = periods(series_id)
        assert [(n, day, position) for n, day, _s, _d, position, _c in got] == [
            (1, MONDAY, 0), (2, MONDAY + timedelta(weeks=2), 1),
            (3, MONDAY + timedelta(weeks=3), 2)]


def test_chosen_weekdays_and_times(app, make_series):
    series_id = make_series(4, weekdays=[0, 3], due_days=2, due_time=time(20, 0),
                            start_time=time(8, 0))
    with app.app_context():
        run(series_id, local(MONDAY + timedelta(days=8)))  # Tuesday of week 2
        got = periods(series_id)
        thursday = MONDAY + timedelta(days=3)
        assert [(day, start, due) for _n, day, start, due, _p, _c in got] == [
            (MONDAY, local(MONDAY, 8), local(MONDAY + timedelta(days=2), 20)),
            (thursday, local(thursday, 8), local(thursday + timedelta(days=2), 20)),
            (MONDAY + timedelta(weeks=1), local(MONDAY + timedelta(weeks=1), 8),
             local(MONDAY + timedelta(days=9), 20))]


def test_chosen_modules_are_released_in_the_order_given(app, make_series):
    series_id = make_series(3)
    with app.app_context():
        series = db.session.get(Series, series_id)
        ids = [m.id for m in db.session.scalars(select(Module).where(
            Module.course_id == series.course_id).order_by(Module.position))]
        services.update_series(series, actor=None, module_ids=[ids[2], ids[0]])
        db.session.commit()
        run(series_id, local(MONDAY + timedelta(days=30)))
        assert [p[4] for p in periods(series_id)] == [2, 0]
        with pytest.raises(services.SeriesError) as error:  # fixed once periods exist
            services.update_series(db.session.get(Series, series_id), actor=None,
                                   module_ids=[ids[1]])
        assert error.value.field_name == "module_ids"


def test_the_scheduled_run_closes_periods_at_due_and_freezes_their_roster(
        app, make_series, clock):
    series_id = make_series(2)
    runner = app.test_cli_runner()
    clock(local(MONDAY, 1))
    result = runner.invoke(args=["series", "run"])
    assert result.exit_code == 0, result.output
    assert "Created 1 period(s); closed 0 period(s)." in result.output
    clock(local(MONDAY + timedelta(days=6), 22, 5))  # Sunday 22:05
    result = runner.invoke(args=["series", "run"])
    assert "Created 1 period(s); closed 1 period(s)." in result.output
    again = runner.invoke(args=["series", "run"])
    assert "Created 0 period(s); closed 0 period(s)." in again.output
    with app.app_context():
        assert [p[5] for p in periods(series_id)] == [True, False]
        first = db.session.scalar(select(SeriesPeriod).where(SeriesPeriod.number == 1))
        assert study.close_assignment(first.assignment) is False  # already closed


def test_a_paused_series_creates_nothing(app, make_series):
    series_id = make_series(2, active=False)
    with app.app_context():
        assert run(series_id, local(MONDAY + timedelta(days=30))) == 0


def test_a_period_refused_by_the_duplicate_rule_stops_the_series_and_says_why(
        app, make_series, clock, org, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
    series_id = make_series(2)
    with app.app_context():
        series = db.session.get(Series, series_id)
        first = series.course.modules[0]
        # A leader assigned the first module to the committee by hand, over the same week.
        study.create_assignment(actor=None, course=series.course, unit=series.unit,
                                module=first, starts_at=local(MONDAY - timedelta(days=1)),
                                due_at=local(MONDAY + timedelta(days=3)))
        db.session.commit()
    clock(local(MONDAY, 1))
    result = app.test_cli_runner().invoke(args=["series", "run"])
    assert result.exit_code == 1
    assert "Period 1 could not be created" in result.output
    with app.app_context():
        assert periods(series_id) == []


def test_creating_a_series_refuses_bad_input_and_saves_nothing(app, org, make_course):
    course = make_course(modules=1)
    with app.app_context():
        unit = db.session.get(OrgUnit, org.committee.id)
        course = db.session.get(Course, course.id)
        cases = [({"starts_on": MONDAY - timedelta(days=1)}, "starts_on"),
                 ({"due_days": 0, "due_time": time(0, 0)}, "due_time"),
                 ({"skipped": ["2030-13-01"]}, "skipped"),
                 ({"module_ids": [999_999]}, "module_ids"),
                 ({"title": " "}, "title")]
        for change, field in cases:
            data = {"title": "青年大学习", "course_id": course.id, "unit_id": unit.id,
                    "starts_on": MONDAY} | change
            with pytest.raises(services.SeriesError) as error:
                services.create_series(services.SeriesInput(**data), actor=None, unit=unit,
                                       course=course, at=local(MONDAY - timedelta(hours=1)))
            assert error.value.field_name == field, change
            db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Series)) == 0


def test_two_runners_at_once_create_each_period_exactly_once(app, make_series, engine_name):
    """Two schedulers (threads, each with its own connection and transaction) run the same
    series at the same moment; on PostgreSQL they really overlap."""
    if engine_name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite has one writer)")
    series_id = make_series(3)
    at = local(MONDAY + timedelta(days=20))
    start = threading.Barrier(2)
    results, errors = [], []

    def runner():
        try:
            with app.app_context():
                db.session.execute(select(1))  # connect before the barrier
                start.wait(timeout=30)
                results.append(run(series_id, at))
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(results) == [0, 3]
    with app.app_context():
        assert [p[0] for p in periods(series_id)] == [1, 2, 3]
        assert db.session.scalar(select(func.count()).select_from(Assignment)) == 3


def test_without_the_series_lock_the_unique_period_number_still_refuses_a_second_copy(
        app, make_series):
    """The backstop: a runner that read the plan before the other committed creates nothing."""
    series_id = make_series(2)
    with app.app_context():
        series = db.session.get(Series, series_id)
        plan = services.next_plan(series)
        assert services.create_next_period(series, plan=plan) is not None
        db.session.commit()
        # Same plan again (as a runner that read it before the commit would hold it).
        series = db.session.get(Series, series_id)
        assert services.create_next_period(series, plan=plan) is None
        db.session.commit()
        assert [p[0] for p in periods(series_id)] == [1]
