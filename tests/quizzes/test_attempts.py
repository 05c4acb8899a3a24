"""Attempt rules through quizzes.attempts.services: freezing, deadlines, saving, submitting,
closing overdue attempts, hand grading, grading methods and completing the module."""

from datetime import timedelta

import pytest

from learning.dbtypes import utcnow
from learning.extensions import db
from tests.quizzes.conftest import RIGHT


@pytest.fixture
def services():
    from quizzes.attempts import services

    return services


@pytest.fixture
def clock(monkeypatch, services):
    """The services' clock, movable: clock.move(minutes=5)."""

    class Clock:
        at = utcnow()

        def move(self, **delta):
            self.at += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(services, "now", lambda: clock.at)
    return clock


def _quiz(quiz_id):
    from quizzes.models import Quiz

    return db.session.get(Quiz, quiz_id)


def _right(*slots):
    return {str(s): RIGHT[str(s)] for s in slots}


def test_start_freezes_questions_and_option_order(app, org, make_quiz, services):
    """Editing the bank question after start changes neither the open attempt nor its grade."""
    from quizzes.models import Question

    quiz = make_quiz(shuffle_options=True, shuffle_questions=True)
    with app.app_context():
        attempt = services.start_attempt(_quiz(quiz.id), org.member.id)
        frozen = [(slot.question_id, list(slot.option_order)) for slot in attempt.slots]
        assert sorted(qid for qid, _ in frozen) == sorted(quiz.question_ids)
        single = db.session.get(Question, quiz.question_ids[0])
        single.data = {**single.data, "options": [
            {**o, "fraction": 0.0 if o["id"] == "o1" else 1.0} for o in single.data["options"]]}
        single.stem_html = "<p>changed</p>"
        db.session.commit()
        attempt = db.session.get(type(attempt), attempt.id)
        assert [(s.question_id, s.option_order) for s in attempt.slots] == frozen
        slot = next(s for s in attempt.slots if s.question_id == quiz.question_ids[0])
        assert "changed" not in slot.snapshot["stem_html"]
        services.save_answers(attempt, {slot.position: {"option": "o1"}})
        services.submit(attempt)
        assert slot.state == "right"


def test_public_slot_reveals_no_answers(app, org, make_quiz, services):
    quiz = make_quiz()
    with app.app_context():
        attempt = services.start_attempt(_quiz(quiz.id), org.member.id)
        views = [services.public_slot(slot) for slot in attempt.slots]
    keys = {key for view in views for key in view} | {
        key for view in views for option in view.get("options", []) for key in option}
    assert keys <= {"slot", "type", "mark", "stem_html", "response", "options", "items",
                    "choices", "id", "html"}
    assert "中央委员会" not in repr(views) and "团中央" not in repr(views)


def test_full_marks_pass_and_complete_the_module(app, org, make_quiz, services):
    from courses import progress

    quiz = make_quiz()
    with app.app_context():
        attempt = services.start_attempt(_quiz(quiz.id), org.member.id)
        services.submit(attempt, _right(1, 2, 3, 4, 5, 6))
        db.session.commit()
        assert (attempt.score, attempt.max_score, attempt.percent, attempt.passed) == \
            (6.0, 6.0, 100.0, True)
        row = progress.get(org.member.id, quiz.module_id)
        assert row.completed_via == "quiz" and row.completed_at == attempt.finished_at


def test_failing_does_not_complete_and_rule_other_than_quiz_never_completes(
        app, org, make_quiz, make_course, services):
    from courses import progress

    failing = make_quiz(pass_mark=80)
    reading = make_quiz(course=make_course("阅读专题", rule="reading"))
    with app.app_context():
        attempt = services.start_attempt(_quiz(failing.id), org.member.id)
        services.submit(attempt, _right(1, 2, 3, 4))  # 4 of 6 = 66.67%
        other = services.start_attempt(_quiz(reading.id), org.member.id)
        services.submit(other, _right(1, 2, 3, 4, 5, 6))
        db.session.commit()
        assert attempt.percent == 66.67 and attempt.passed is False
        assert progress.get(org.member.id, failing.module_id) is None
        assert other.passed and progress.get(org.member.id, reading.module_id) is None


def test_save_refuses_slots_outside_the_attempt_and_foreign_options(app, org, make_quiz,
                                                                   services):
    quiz = make_quiz()
    with app.app_context():
        attempt = services.start_attempt(_quiz(quiz.id), org.member.id)
        for answers, where in (({"99": {"option": "o1"}}, "99"),
                               ({"x": {"option": "o1"}}, "x"),
                               ({"1": {"option": "o9"}}, "1"),
                               ({"2": {"options": ["o1", "o7"]}}, "2"),
                               ({"3": {"value": "yes"}}, "3"),
                               ({"6": {"pairs": {"p9": "1919"}}}, "6"),
                               ({"6": {"pairs": {"p1": "2000"}}}, "6")):
            with pytest.raises(services.AnswerError) as refused:
                services.save_answers(attempt, {"1": {"option": "o2"}, **answers})
            assert refused.value.field == where
        assert all(slot.response is None for slot in attempt.slots)  # all or nothing


def test_answers_are_kept_across_sessions_and_cleared_by_empty(app, org, make_quiz, services):
    quiz = make_quiz()
    with app.app_context():
        attempt_id = services.start_attempt(_quiz(quiz.id), org.member.id).id
        db.session.commit()
    with app.app_context():
        from quizzes.models import Attempt

        attempt = db.session.get(Attempt, attempt_id)
        assert services.save_answers(attempt, _right(1, 4)) == 2
        db.session.commit()
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.slots[0].response == {"option": "o1"}
        services.save_answers(attempt, {"1": None})
        assert attempt.slots[0].response is None
        assert attempt.slots[3].response == {"text": "中央委员会"}


def test_deadline_is_start_plus_limit_capped_by_close(app, org, make_quiz, services, clock):
    timed = make_quiz(time_limit_minutes=20)
    closing = make_quiz(time_limit_minutes=20, close_at=clock.at + timedelta(minutes=5))
    with app.app_context():
        attempt = services.start_attempt(_quiz(timed.id), org.member.id)
        assert attempt.deadline_at == clock.at + timedelta(minutes=20)
        assert services.seconds_left(attempt) == 20 * 60
        capped = services.start_attempt(_quiz(closing.id), org.member.id)
        assert capped.deadline_at == clock.at + timedelta(minutes=5)


def test_after_deadline_and_grace_saves_are_refused_and_submit_grades_what_was_saved(
        app, org, make_quiz, services, clock):
    quiz = make_quiz(time_limit_minutes=10)
    with app.app_context():
        attempt = services.start_attempt(_quiz(quiz.id), org.member.id)
        services.save_answers(attempt, _right(1))
        clock.move(minutes=10, seconds=20)  # within the 30 s grace
        services.save_answers(attempt, _right(2))
        clock.move(seconds=20)  # past it
        with pytest.raises(services.AttemptError):
            services.save_answers(attempt, _right(3))
        services.submit(attempt, _right(3, 4, 5, 6))  # too late: ignored
        assert attempt.state == "finished"
        assert attempt.score == 2.0
        assert attempt.finished_at == attempt.deadline_at + timedelta(seconds=30)


def test_abandoned_attempt_is_closed_on_next_access_and_by_the_cli(
        app, org, make_quiz, make_user, services, clock):
    from quizzes.models import Attempt

    quiz = make_quiz(time_limit_minutes=5)
    other = make_user("other", units=[(org.group_a, "member")])
    with app.app_context():
        first = services.start_attempt(_quiz(quiz.id), org.member.id)
        services.save_answers(first, _right(1, 2))
        second = services.start_attempt(_quiz(quiz.id), other.id)
        db.session.commit()
        first_id, second_id = first.id, second.id
    clock.move(minutes=6)
    with app.app_context():
        assert services.open_attempt(quiz.id, org.member.id) is None  # next access closes it
        db.session.commit()
        assert db.session.get(Attempt, first_id).score == 2.0
    result = app.test_cli_runner().invoke(args=["quizzes", "close-overdue"])
    assert result.exit_code == 0 and "Closed 1 overdue attempt" in result.output
    with app.app_context():
        assert db.session.get(Attempt, second_id).state == "finished"
        assert services.close_overdue() == 0


def test_untimed_attempt_is_never_overdue(app, org, make_quiz, services, clock):
    quiz = make_quiz()
    with app.app_context():
        attempt = services.start_attempt(_quiz(quiz.id), org.member.id)
        clock.move(days=30)
        assert services.close_overdue() == 0 and attempt.state == "in_progress"


def test_attempts_allowed_and_idempotent_number(app, org, make_quiz, services):
    quiz = make_quiz(attempts_allowed=2)
    with app.app_context():
        first = services.start_attempt(_quiz(quiz.id), org.member.id, number=1)
        assert services.start_attempt(_quiz(quiz.id), org.member.id, number=1) is first
        second = services.start_attempt(_quiz(quiz.id), org.member.id, number=2)
        assert first.state == "finished"  # a new attempt closes the open one
        assert second.number == 2
        with pytest.raises(services.AttemptError, match="2"):
            services.start_attempt(_quiz(quiz.id), org.member.id)
        with pytest.raises(services.AttemptError):
            services.start_attempt(_quiz(quiz.id), org.member.id, number=3)


def test_closed_or_not_yet_open_quiz_refuses_to_start(app, org, make_quiz, services, clock):
    early = make_quiz(open_at=clock.at + timedelta(hours=1))
    late = make_quiz(open_at=clock.at - timedelta(hours=2), close_at=clock.at - timedelta(hours=1))
    with app.app_context():
        for quiz in (early, late):
            with pytest.raises(services.AttemptError):
                services.start_attempt(_quiz(quiz.id), org.member.id)


def test_random_draws_take_distinct_questions_from_the_categories(app, org, make_quiz,
                                                                  services):
    from quizzes.authoring.services import set_draws
    from quizzes.models import QuestionCategory

    quiz = make_quiz(selection="random")
    with app.app_context():
        basics = db.session.scalar(db.select(QuestionCategory).where(
            QuestionCategory.path == "党史/基础"))
        top = db.session.scalar(db.select(QuestionCategory).where(QuestionCategory.path == "党史"))
        set_draws(_quiz(quiz.id), [(basics.id, 2, False), (top.id, 4, True)])
        db.session.commit()
        for _ in range(5):
            attempt = services.start_attempt(_quiz(quiz.id), org.member.id)
            ids = [slot.question_id for slot in attempt.slots]
            assert len(ids) == len(set(ids)) == 6
            assert all(qid in quiz.question_ids[:3] for qid in ids[:2])
            assert attempt.max_score == 6.0


@pytest.mark.parametrize("method, expected", [("highest", 100.0), ("first", 50.0),
                                              ("last", 0.0), ("average", 50.0)])
def test_grading_methods(app, org, make_quiz, services, method, expected):
    quiz = make_quiz(grading_method=method, pass_mark=100)
    with app.app_context():
        for answers in (_right(1, 2, 3), _right(1, 2, 3, 4, 5, 6), {}):
            services.submit(services.start_attempt(_quiz(quiz.id), org.member.id), answers)
        grade = services.member_grade(_quiz(quiz.id), org.member.id)
        assert grade.percent == expected and grade.attempts == 3
        # Completion follows the grade at the time and never reverts: with "highest" and
        # "last" the grade reached 100 at attempt 2; "first" and "average" never did.
        from courses import progress

        row = progress.get(org.member.id, quiz.module_id)
        assert (row is not None and row.completed_at is not None) == (method in ("highest", "last"))


def test_essay_waits_for_hand_grading_then_completes(app, org, make_quiz, services):
    from courses import progress

    quiz = make_quiz(with_essay=True, pass_mark=90)
    with app.app_context():
        attempt = services.start_attempt(_quiz(quiz.id), org.member.id)
        services.submit(attempt, _right(1, 2, 3, 4, 5, 6, 7))
        assert attempt.needs_grading and attempt.percent is None and attempt.passed is None
        assert progress.get(org.member.id, quiz.module_id) is None
        essay = attempt.slots[6]
        with pytest.raises(services.AnswerError):
            services.grade_by_hand(essay, 1.5, "", org.leader_in.id)
        services.grade_by_hand(essay, 0.5, "写得具体些", org.leader_in.id)
        db.session.commit()
        assert (attempt.score, attempt.percent, attempt.passed) == (6.5, 92.86, True)
        assert essay.state == "partial" and essay.graded_by_id == org.leader_in.id
        assert progress.get(org.member.id, quiz.module_id).completed_via == "quiz"


def test_hand_grading_an_open_attempt_is_refused(app, org, make_quiz, services):
    quiz = make_quiz(with_essay=True)
    with app.app_context():
        attempt = services.start_attempt(_quiz(quiz.id), org.member.id)
        with pytest.raises(services.AttemptError):
            services.grade_by_hand(attempt.slots[6], 1.0, "", org.admin.id)


def test_review_levels_follow_the_policy(app, org, make_quiz, services, clock):
    from quizzes.attempts.review import review

    quiz = make_quiz(review_when="after_close", review_shows="rightwrong",
                     close_at=clock.at + timedelta(days=1))
    with app.app_context():
        q = _quiz(quiz.id)
        attempt = services.start_attempt(q, org.member.id)
        assert review(q, attempt, staff=True, at=clock.at) is None  # open: no review at all
        services.submit(attempt, _right(1))
        assert review(q, attempt, staff=False, at=clock.at) is None
        staff = review(q, attempt, staff=True, at=clock.at)
        assert staff["level"] == "explanations" and "right_answer" in staff["slots"][0]
        later = review(q, attempt, staff=False, at=clock.at + timedelta(days=2))
        assert later["level"] == "rightwrong"
        assert later["slots"][0]["state"] == "right" and "right_answer" not in later["slots"][0]
        q.review_when = "never"
        assert review(q, attempt, staff=False, at=clock.at + timedelta(days=2)) is None
