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
    return MODULE_TEMPLATE, {
        "quiz": quiz,
        "grade": services.member_grade(quiz, user.id),
        "open_attempt": services.open_attempt(quiz.id, user.id),
        "is_open": services.is_open(quiz),
        "scores_visible": scores_visible(quiz, services.now()),
    }
