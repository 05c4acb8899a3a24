"""The quiz's part of other packages' pages: the module page shows its quiz and my grade."""

from sqlalchemy import select

from learning.extensions import db
from quizzes.attempts import services
from quizzes.attempts.review import scores_visible
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
    return MODULE_TEMPLATE, {
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
