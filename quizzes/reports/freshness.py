"""What a quiz's statistics depend on, read in one query: the version in their cache key.

The figures (quizzes/reports/services.py) change when
- an attempt at the quiz is finished or deleted: count, latest finish and id sum of its finished
  attempts;
- an answer is graded by hand: the latest `graded_at` of those attempts' slots;
- a question is deleted from its bank (its slots' question_id becomes NULL and the question is
  grouped by its snapshot instead): the count and id sum of all bank questions;
- the quiz's questions or order change: its `updated_at`, and a weighted sum of its
  (question, position) rows;
- who counts changes: people join, leave, change role or move (the memberships), or units move
  in the tree (scopes and unit filters are subtrees by path).
Counts and sums weighted by row ids see a row added, removed or changed; they are summed over
whole tables only where those are small (units, memberships: one row a person; the questions'
primary key), and over the quiz's own attempts through the (quiz_id, user_id, number) index.

The latest hand grade is read through a partial index of the hand-graded slots
(ix_quiz_attempt_slots_hand_graded): without it, 10,000 attempts of 20 questions took about
0.15-0.25 s; with it, milliseconds, against 9-35 s for the figures themselves.

The viewer's scope is part of the key too (`viewer_scope`): two leaders of different subtrees
never share an entry, two leaders of the same units do.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, case, cast, func, select, true

from learning.cache import digest
from learning.extensions import db
from learning.orgs.models import Membership, OrgUnit
from learning.permissions import is_admin, led_paths
from quizzes.models import Attempt, AttemptSlot, Question, Quiz, QuizQuestion

FINISHED = "finished"


def viewer_scope(viewer) -> str:
    """The part of the key that stands for whose attempts the viewer may see: "all" for admins,
    else a digest of the paths of the units they lead (their scope is what lies below)."""
    if is_admin(viewer):
        return "all"
    return "leads-" + digest(*sorted(led_paths(viewer)))


def figures_version(quiz: Quiz) -> str:
    """A digest that changes whenever any figure of the quiz's statistics could (one query)."""
    finished = (Attempt.quiz_id == quiz.id, Attempt.state == FINISHED)
    attempts = select(func.count(Attempt.id).label("attempts"),
                      func.max(Attempt.finished_at).label("last_finished"),
                      func.sum(Attempt.id).label("attempt_ids")).where(*finished).subquery()
    # "graded_at IS NOT NULL" changes nothing for max(); it lets the partial index of the
    # hand-graded slots serve this part.
    slots = (select(func.max(AttemptSlot.graded_at).label("last_graded"))
             .join(Attempt, Attempt.id == AttemptSlot.attempt_id)
             .where(*finished, AttemptSlot.graded_at.is_not(None)).subquery())
    bank = select(func.count(Question.id).label("bank_questions"),
                  func.sum(Question.id).label("bank_ids")).subquery()
    questions = select(
        func.count(QuizQuestion.question_id).label("questions"),
        func.sum(_big(QuizQuestion.question_id) * (QuizQuestion.position + 1)).label("order"),
    ).where(QuizQuestion.quiz_id == quiz.id).subquery()
    memberships = select(
        func.count(Membership.id).label("memberships"),
        func.max(Membership.id).label("last_membership"),
        func.sum(_big(Membership.id) * Membership.unit_id).label("placed"),
        func.sum(_big(Membership.id) * Membership.user_id).label("held_by"),
        func.sum(case((Membership.role == "member", Membership.id), else_=0)).label("members"),
    ).subquery()
    units = select(
        func.count(OrgUnit.id).label("units"),
        func.sum(_big(OrgUnit.id) * func.coalesce(OrgUnit.parent_id, 0)).label("tree"),
    ).subquery()
    # Six one-row aggregates side by side; "ON true" says the cross join is meant.
    parts = (attempts, slots, bank, questions, memberships, units)
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.join(part, true())
    row = db.session.execute(select(*parts).select_from(joined)).one()
    return digest(quiz.updated_at, *row)


def _big(column):
    # Products of ids overflow PostgreSQL's 32-bit integer long before a real tree would.
    return cast(column, BigInteger)
