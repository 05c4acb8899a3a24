"""Demo data for quizzes: a bank on the campaign theme, a quiz for each demo module, attempts.

Idempotent as courses.demo is: when the demo course has a quiz nothing is added (the demo command
runs as one transaction, so the quizzes exist only together with their attempts), and the bank
(quizzes/demo_bank.gift) is imported only when no bank has its name. Runs after courses.demo,
whose course and modules it needs.

The attempts go through the real services (start, save, submit, grade by hand). Which answers
are right comes from a seeded generator, and every answer is either fully right or worth
nothing, so the scores are the same on every run even though start_attempt draws a random
quiz's questions and shuffles options with its own generator.
"""

import random
from pathlib import Path

from sqlalchemy import select

from courses.demo import COURSE_TITLE
from courses.models import Course
from learning.accounts.models import User
from learning.extensions import db
from quizzes.attempts import services as attempts
from quizzes.authoring.services import create_quiz, set_draws, set_questions
from quizzes.banks.services import apply_import, get_bank
from quizzes.formats.questions import (
    ESSAY,
    MATCHING,
    MULTIPLE,
    NUMERICAL,
    SHORTANSWER,
    SINGLE,
    TRUEFALSE,
)
from quizzes.models import Question, QuestionCategory, Quiz

BANK_NAME = "学习汇示范题库"
BANK_FILE = Path(__file__).with_name("demo_bank.gift")
BANK_DESCRIPTION = "专题「绽放战疫青春·坚定制度自信」的配套题目：团史团章与四个学习单元。"
SEED = 2026

_RULES = "本测验共 10 题，60 分及格；可以作答 3 次，取最高分。交卷后即可查看答案和解析。"
# Settings every demo quiz shares.
COMMON = {"attempts_allowed": 3, "grading_method": "highest", "pass_mark": 60.0,
          "review_when": "after_attempt", "review_shows": "explanations",
          "shuffle_options": True}

# One quiz per demo module, in module order. Fixed quizzes list question idnumbers of the bank
# (with a mark, None for the question's own); random ones draw (category path, count,
# include subcategories) for each attempt.
QUIZZES = [
    {"title": "单元测验：青年在抗疫中的担当", "selection": "fixed", "layout": "one",
     "shuffle_questions": False, "time_limit_minutes": None,
     "intro_md": "检验对本单元和团史基础知识的掌握。不限时。" + _RULES,
     "questions": [("dd-01", None), ("dd-02", None), ("dd-03", None), ("dd-04", None),
                   ("dd-05", None), ("dd-06", None), ("ts-01", None), ("ts-07", None),
                   ("ts-10", None), ("ts-13", None)]},
    {"title": "单元测验：制度优势的体现", "selection": "random", "layout": "all",
     "shuffle_questions": True, "time_limit_minutes": 15,
     "intro_md": "每次作答从题库随机抽题：本单元 4 题、团史 6 题。限时 15 分钟。" + _RULES,
     "draws": [("学习汇/专题学习/制度优势", 4, False), ("学习汇/团史", 6, True)]},
    {"title": "单元测验：给医疗队青年党员回信的学习体会", "selection": "fixed", "layout": "one",
     "shuffle_questions": False, "time_limit_minutes": 20,
     "intro_md": ("最后一题是学习心得，由团支部书记批阅后计分（2 分），其余各 1 分。"
                  "限时 20 分钟。本测验满分 11 分，60% 及格；可以作答 3 次，取最高分。"),
     "questions": [("hx-01", None), ("hx-02", None), ("hx-03", None), ("hx-04", None),
                   ("hx-05", None), ("hx-06", None), ("ts-02", None), ("ts-05", None),
                   ("ts-17", None), ("xd-01", 2.0)]},
    {"title": "专题测验：新时代青年的使命", "selection": "random", "layout": "one",
     "shuffle_questions": True, "time_limit_minutes": 15,
     "intro_md": "专题小结测验：从本单元抽 4 题、其他单元抽 3 题、团史抽 3 题。限时 15 分钟。"
                 + _RULES,
     "draws": [("学习汇/专题学习/青年使命", 4, False), ("学习汇/专题学习", 3, True),
               ("学习汇/团史", 3, True)]},
]

# (quiz index, member, right answers per finished attempt), spread over the four groups
# (m001-m010 第一学习小组 ... m031-m040 第四学习小组) and given to members who studied the module
# in courses.demo. m002, the printed member login, leaves quizzes 2-4 for the visitor to try.
# For the quiz with an essay, the count is of its auto-graded questions.
ATTEMPTS = [
    (0, "m002", [9]), (0, "m003", [7, 10]), (0, "m004", [6]), (0, "m012", [8]),
    (0, "m013", [4, 7]), (0, "m022", [10]), (0, "m032", [5]),
    (1, "m003", [8]), (1, "m012", [6]), (1, "m022", [5, 9]), (1, "m023", [7]), (1, "m033", [3]),
    (2, "m001", [8]), (2, "m003", [7]), (2, "m004", [5]), (2, "m006", [6]),
    (3, "m003", [10]), (3, "m024", [6]), (3, "m034", [8]), (3, "m035", [4, 6]),
]
# Still answering: quiz 1 (untimed, so the attempt stays open), this many answers saved.
IN_PROGRESS = (0, "m005", 4)
# Essays graded by the secretary of 第一团支部; the other essays wait for a grader.
GRADER = "zhishu1"
ESSAY_GRADES = {
    "m001": (1.0, "联系实际，打算具体，很好。"),
    "m003": (0.75, "体会真切；行动打算可以再具体一些。"),
    "m004": (0.5, "篇幅偏短，请结合自己的专业多谈一谈。"),
}
# What each member wrote for the essay of quiz 3.
ESSAYS = {
    "m001": "读了本单元整理的学习体会，我最大的感受是青年一代并不是被保护的一代。医疗队的青年党员"
            "和我们年纪相仿，却能在病房里把患者的需要放在前面。我准备从三件事做起：一是把专业课"
            "学扎实，这学期每门课都做好笔记；二是每月参加一次社区志愿服务；三是作为组长，带着"
            "大家每次线下学习都谈一个具体细节，做到学有所获、学有所用。",
    "m003": "我想先把本分做好：按时完成学业，不信谣、不传谣，遇到需要帮忙的时候主动报名。回信"
            "让我明白，担当不是一句口号，而是关键时刻站得出来。本学期我会参加学院的志愿服务队，"
            "也会把学习计划写下来。",
    "m004": "要多学习，多参加志愿活动，向医疗队的青年党员学习。",
    "m006": "学习本单元后，我打算把自己学的计算机专业用起来，和同学一起给社区做一个预约登记的"
            "小程序，让老人少跑腿。同时坚持锻炼身体，在需要的时候能够顶得上。",
}
WRONG_TEXT = "不确定"


def load(logins: list) -> None:
    """Add the demo bank, quizzes and attempts (idempotently); adds no logins."""
    if get_bank(BANK_NAME) is None:
        apply_import(BANK_NAME, BANK_FILE.read_bytes(), BANK_FILE.name, "gift",
                     description=BANK_DESCRIPTION)
    course = db.session.scalar(select(Course).where(Course.title == COURSE_TITLE))
    if course is None:  # the courses demo did not run: no modules to attach quizzes to
        return
    if db.session.scalar(select(Quiz.id).where(Quiz.course_id == course.id)) is not None:
        return
    bank = get_bank(BANK_NAME)
    quizzes = [_quiz(course, module, spec, bank)
               for module, spec in zip(course.modules, QUIZZES, strict=False)]
    _attempts(quizzes)


def _quiz(course: Course, module, spec: dict, bank) -> Quiz:
    """The quiz of one demo module, with its fixed questions or random draws."""
    settings = {key: value for key, value in spec.items() if key not in ("questions", "draws")}
    quiz = create_quiz(course.id, module.id, **COMMON, **settings)
    if quiz.selection == "fixed":
        ids = dict(db.session.execute(select(Question.idnumber, Question.id).where(
            Question.bank_id == bank.id, Question.idnumber.is_not(None))).all())
        set_questions(quiz, [(ids[idnumber], mark) for idnumber, mark in spec["questions"]
                             if idnumber in ids])
    else:
        categories = dict(db.session.execute(select(QuestionCategory.path, QuestionCategory.id)
                                             .where(QuestionCategory.bank_id == bank.id)).all())
        set_draws(quiz, [(categories[path], count, include_sub)
                         for path, count, include_sub in spec["draws"] if path in categories])
    return quiz


def _attempts(quizzes: list[Quiz]) -> None:
    """Finished attempts with varied scores, some essays graded by hand, one attempt open."""
    names = {name for _, name, _ in ATTEMPTS} | {IN_PROGRESS[1], GRADER}
    users = {user.username: user for user in db.session.scalars(
        select(User).where(User.username.in_(sorted(names))))}
    grader = users.get(GRADER)
    rng = random.Random(SEED)  # noqa: S311 - demo answers, seeded on purpose
    for index, name, right_counts in ATTEMPTS:
        if name not in users or index >= len(quizzes):
            continue
        for right in right_counts:
            attempt = attempts.start_attempt(quizzes[index], users[name].id)
            answers = _answers(attempt.slots, right, rng)
            for slot in attempt.slots:
                if slot.qtype == ESSAY:
                    answers[slot.position] = {"text": ESSAYS.get(name, "学习体会。")}
            attempts.submit(attempt, answers)
            essay = next((slot for slot in attempt.slots if slot.qtype == ESSAY), None)
            if essay is not None and grader is not None and name in ESSAY_GRADES:
                fraction, comment = ESSAY_GRADES[name]
                attempts.grade_by_hand(essay, fraction, comment, grader.id)

    index, name, saved = IN_PROGRESS
    if name in users and index < len(quizzes):
        attempt = attempts.start_attempt(quizzes[index], users[name].id)
        first = [slot for slot in attempt.slots if slot.qtype != ESSAY][:saved]
        attempts.save_answers(attempt, _answers(first, saved - 1, rng, blanks=False))


def _answers(slots: list, right: int, rng: random.Random, *, blanks: bool = True) -> dict:
    """Responses to the auto-graded slots: `right` of them fully right, the others worth
    nothing (a wrong answer, or now and then none)."""
    graded = [slot for slot in slots if slot.qtype != ESSAY]
    chosen = set(rng.sample(range(len(graded)), min(right, len(graded))))
    answers = {}
    for number, slot in enumerate(graded):
        if number in chosen:
            answers[slot.position] = right_response(slot.qtype, slot.snapshot["data"], rng)
        elif not blanks or rng.random() >= 0.2:
            answers[slot.position] = wrong_response(slot.qtype, slot.snapshot["data"], rng)
    return answers


def right_response(qtype: str, data: dict, rng: random.Random) -> dict:
    """A response earning full marks for a question with answer `data` (quizzes/spec.py)."""
    if qtype == SINGLE:
        return {"option": max(data["options"], key=lambda o: o["fraction"])["id"]}
    if qtype == MULTIPLE:
        return {"options": [o["id"] for o in data["options"] if o["fraction"] > 0]}
    if qtype == TRUEFALSE:
        return {"value": bool(data["correct"])}
    if qtype == SHORTANSWER:
        return {"text": rng.choice([a["text"] for a in data["answers"] if a["fraction"] >= 1])}
    if qtype == NUMERICAL:
        best = next(a for a in data["answers"] if a["value"] is not None and a["fraction"] >= 1)
        return {"text": f"{best['value']:g}"}
    if qtype == MATCHING:
        return {"pairs": {pair["id"]: pair["answer"] for pair in data["pairs"]}}
    raise ValueError(f"no right response for {qtype}")


def wrong_response(qtype: str, data: dict, rng: random.Random) -> dict:
    """A response worth nothing, as a member who got the question wrong would give it."""
    if qtype == SINGLE:
        return {"option": rng.choice([o["id"] for o in data["options"] if o["fraction"] <= 0])}
    if qtype == MULTIPLE:
        # One right option spoilt by a penalised one (the total floors at 0), as members often
        # answer; without penalties, only the options worth nothing.
        options = data["options"]
        penalised = [o for o in options if o["fraction"] < 0]
        picked = penalised + [o for o in options if o["fraction"] > 0][:1]
        if not penalised or sum(o["fraction"] for o in picked) > 0:
            picked = [o for o in options if o["fraction"] <= 0]
        return {"options": [o["id"] for o in picked]}
    if qtype == TRUEFALSE:
        return {"value": not data["correct"]}
    if qtype == SHORTANSWER:
        return {"text": WRONG_TEXT}
    if qtype == NUMERICAL:
        # Beyond every accepted value and its tolerance: a near miss, such as 1922 for 1919.
        known = [a for a in data["answers"] if a["value"] is not None]
        return {"text": f"{max(a['value'] + a['tolerance'] for a in known) + 3:g}"}
    if qtype == MATCHING:
        # Every sub-question gets the next one's answer: none is right.
        pairs = data["pairs"]
        return {"pairs": {pair["id"]: pairs[(i + 1) % len(pairs)]["answer"]
                          for i, pair in enumerate(pairs)}}
    raise ValueError(f"no wrong response for {qtype}")
