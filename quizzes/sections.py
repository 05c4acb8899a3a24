"""The quiz's part of other packages' pages: the module page shows its quiz and my grade."""

from dataclasses import dataclass

from sqlalchemy import select

from learning.extensions import db
from quizzes.attempts import services
from quizzes.attempts.review import scores_visible
from quizzes.formats.questions import DESCRIPTION
from quizzes.models import Quiz

MODULE_TEMPLATE = "quizzes/_module_quiz.html"


def module_quiz(user, module):
    """(template, context) for the module page when the module has a quiz, else None."""
    quiz = db.session.scalar(select(Quiz).where(Quiz.module_id == module.id))
    if quiz is None:
        return None
    open_attempt = services.open_attempt(quiz.id, user.id)
    used = services.attempts_used(quiz.id, user.id)
    is_open = services.is_open(quiz)
    # "Watched and quiz passed": the questions follow the video on the module page itself.
    inline = module.completion_rule == "watched_quiz"
    return MODULE_TEMPLATE, {
        "inline": inline,
        "step": inline_step(open_attempt) if inline and open_attempt else None,
        "quiz": quiz,
        "grade": services.member_grade(quiz, user.id),
        "open_attempt": open_attempt,
        "is_open": is_open,
        "used": used,
        # The module page starts an attempt itself (one tap to the questions) when it may.
        "can_start": open_attempt is None and is_open and not (
            quiz.attempts_allowed and used >= quiz.attempts_allowed),
        "scores_visible": scores_visible(quiz, services.now()),
    }


@dataclass(frozen=True)
class InlineStep:
    """The question a member answers next on the module page: the first unanswered one (with
    the descriptions just before it), or none left when only the submit remains."""

    attempt_id: int
    questions: list[dict]  # services.public_slot views: never answers
    numbers: dict[int, int | None]  # question number by slot (None for a description)
    answered: int
    total: int
    last: bool  # answering this one leaves nothing unanswered: its button submits


def inline_step(attempt) -> InlineStep:
    """The next step of an open attempt shown one question at a time on the module page."""
    slots = list(attempt.slots)
    numbers, count = {}, 0
    for slot in slots:
        count += slot.qtype != DESCRIPTION
        numbers[slot.position] = count if slot.qtype != DESCRIPTION else None
    open_slots = [s for s in slots
                  if s.qtype != DESCRIPTION and not services.is_answered(s.response)]
    questions: list[dict] = []
    if open_slots:
        index = slots.index(open_slots[0])
        start = index
        while start > 0 and slots[start - 1].qtype == DESCRIPTION:
            start -= 1
        questions = [services.public_slot(slot) for slot in slots[start:index + 1]]
    return InlineStep(attempt_id=attempt.id, questions=questions, numbers=numbers,
                      answered=count - len(open_slots), total=count, last=len(open_slots) <= 1)
