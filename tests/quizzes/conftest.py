"""Quiz fixtures: a bank with one question of each auto-graded type (and an essay), and quizzes
on it attached to a course's module or standalone."""

from types import SimpleNamespace

import pytest

from learning.extensions import db

# One question of each type, in this order (slot 1..7 of a fixed, unshuffled quiz).
QUESTIONS_GIFT = """\
$CATEGORY: 党史/基础

::single:: 中国共产主义青年团成立于哪一年? {=1922 ~1921 ~1949}

::multiple:: 下列哪些是团的基层组织? {~%50%团支部 ~%50%团小组 ~%-100%学生会}

::truefalse:: 五四运动发生在1919年。 {T}

$CATEGORY: 党史/进阶

::short:: 团的最高领导机关是团的全国代表大会和它所产生的{=中央委员会 =团中央}。

::numeric:: 五四运动发生在哪一年? {#1919:0}

::matching:: 把事件与年份配对。 {=五四运动 -> 1919 =建党 -> 1921 =建团 -> 1922}

::essay:: 谈谈你的学习体会。 {}
"""
# A response to each slot above that earns full marks.
RIGHT = {"1": {"option": "o1"}, "2": {"options": ["o1", "o2"]}, "3": {"value": True},
         "4": {"text": "中央委员会"}, "5": {"text": "1919"},
         "6": {"pairs": {"p1": "1919", "p2": "1921", "p3": "1922"}}, "7": {"text": "体会"}}


@pytest.fixture
def make_bank(app):
    """Builder: a committed bank from GIFT text; returns its id and question ids in order."""
    from quizzes.banks.services import apply_import
    from quizzes.models import Question

    counter = iter(range(1, 1000))

    def make(name: str | None = None, gift: str = QUESTIONS_GIFT):
        name = name or f"团史题库{next(counter)}"
        with app.app_context():
            result = apply_import(name, gift.encode(), "bank.gift", "gift")
            db.session.commit()
            ids = list(db.session.scalars(db.select(Question.id).where(
                Question.bank_id == result.bank.id).order_by(Question.id)))
            return SimpleNamespace(id=result.bank.id, question_ids=ids)

    return make


@pytest.fixture
def make_quiz(app, make_course, make_bank):
    """Builder: a committed quiz with fixed questions (default: every type but the essay),
    attached to the first module of a new course (rule "quiz") unless standalone."""
    from quizzes.authoring.services import create_quiz, set_questions

    def make(*, course=None, standalone: bool = False, with_essay: bool = False,
             bank=None, **settings):
        course = course or make_course("测验专题", modules=2, rule="quiz")
        bank = bank or make_bank()
        question_ids = bank.question_ids if with_essay else bank.question_ids[:6]
        settings = {"title": "第一单元测验", "shuffle_options": False, **settings}
        with app.app_context():
            quiz = create_quiz(course.id, None if standalone else course.module_ids[0],
                               **settings)
            set_questions(quiz, [(qid, None) for qid in question_ids])
            db.session.commit()
            return SimpleNamespace(id=quiz.id, course=course, module_id=quiz.module_id,
                                   question_ids=question_ids, bank=bank)

    return make


@pytest.fixture
def assigned_quiz(make_quiz, make_assignment, org):
    """Builder: a quiz whose course is assigned to the member's group."""

    def make(**settings):
        quiz = make_quiz(**settings)
        make_assignment(quiz.course, org.group_a)
        return quiz

    return make
