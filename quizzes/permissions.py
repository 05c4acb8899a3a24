"""Who may author, take, review, grade and analyse quizzes.

The quiz-level companion of courses/permissions.py: a module's quiz is open to whoever may view
the module, a standalone quiz to whoever may view its course. Leaders see the attempts and
statistics of the members in their subtree; admins everyone's.
"""

from sqlalchemy.orm import joinedload

from courses.models import Course, Module
from courses.permissions import can_author, can_view_course, can_view_module
from learning.extensions import db
from learning.permissions import can_view_user, is_admin, is_leader
from quizzes.models import Attempt, Quiz


def can_manage_quizzes(user) -> bool:
    """Banks, questions and quiz settings are written by admins, like courses."""
    return can_author(user)


def can_take_quiz(user, quiz: Quiz) -> bool:
    """Whoever may view the quiz's module (or, standalone, its course) may attempt it."""
    if not getattr(user, "is_authenticated", False):
        return False
    if quiz.module_id is not None:
        return can_view_module(user, db.session.get(
            Module, quiz.module_id, options=[joinedload(Module.course)]))
    return can_view_course(user, db.session.get(Course, quiz.course_id))


def can_view_attempt(user, attempt: Attempt) -> bool:
    """The member who made it; leaders above the member; admins."""
    from learning.accounts.models import User

    return can_view_user(user, db.session.get(User, attempt.user_id))


def can_grade_attempt(user, attempt: Attempt) -> bool:
    """Essays are graded by admins and by leaders whose subtree holds the member (not by the
    member, even a leader grading themself)."""
    if getattr(user, "id", None) == attempt.user_id and not is_admin(user):
        return False
    return is_admin(user) or (is_leader(user) and can_view_attempt(user, attempt))


def can_view_statistics(user, quiz: Quiz) -> bool:
    """Admins see every quiz's statistics; leaders those of quizzes they can see, restricted
    to their subtree by the statistics service."""
    return is_admin(user) or (is_leader(user) and can_take_quiz(user, quiz))
