"""Item statistics of a quiz from the database, limited to what the viewer may see.

`quiz_report(quiz, viewer, unit_id)` picks the finished attempts, hands them to the pure
quizzes/statistics.py and dresses the figures with what the pages need (question names and
excerpts, option texts). It only reads.

Which attempts count:
- each member's first finished attempt, as Moodle's default (the first try says most about how
  hard a question is; later tries have seen the review). It is chosen in SQL, so that only the
  first attempts' slots are loaded, and so is equivalent to `statistics.first_attempts`;
- admins see every attempt; leaders those of people with a membership in a unit of their scope
  (the scope `can_view_user` uses); with a unit chosen, only people with a membership in that
  unit or below it.

A question is known by its bank id. Its name, excerpt and options come from the snapshot frozen
into the attempt, so a question deleted from the bank (its slots' question_id then NULL) still
shows: such slots are grouped by their snapshot instead. Random quizzes need nothing special:
an attempt that did not draw a question is simply not counted for it.

Every figure is loaded in a fixed number of queries whatever the number of attempts: the light
columns of all counted slots in one, the snapshots only of one slot per question in another.

The figures (not the pages) are kept in the shared cache (learning/cache.py) under a key made of
the quiz, the viewer's scope, the unit and a version that one query reads
(quizzes/reports/freshness.py): a finished attempt, a hand grade, a roster or tree change gives
a new key, so a cached report is never staler than the database.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from learning import cache
from learning.dbtypes import utcnow
from learning.extensions import db
from learning.markup import to_plain_text
from learning.orgs.models import Membership, OrgUnit
from learning.permissions import can_view_unit, is_admin, scope_unit_ids
from quizzes import statistics
from quizzes.formats.questions import DESCRIPTION
from quizzes.models import Attempt, AttemptSlot, Quiz, QuizQuestion
from quizzes.reports import freshness

FINISHED = "finished"
EXCERPT_CHARS = 120
HARDEST = 5
DISTRIBUTION_BINS = 10
FIGURES_TIMEOUT = 600  # seconds; the key already changes with the data, this only frees memory


class UnitNotFound(LookupError):
    """The unit asked for does not exist or is outside the viewer's scope (a 404 to them)."""


@dataclass(frozen=True)
class OptionShare:
    """How often one option of a choice question was picked, of the attempts that held it."""

    option_id: str
    text: str
    right: bool  # the option earns marks (fraction > 0)
    count: int
    share: float | None  # % of the attempts that held the question


@dataclass(frozen=True)
class QuestionReport:
    """One question of the report: what it is (from its snapshot) and its item statistics."""

    key: str  # "123" for bank question 123, "deleted-<hash>" for a deleted one
    question_id: int | None
    number: int  # its row in the report, from 1
    qtype: str
    name: str
    excerpt: str  # the stem as plain text, cut short
    stats: statistics.QuestionStats
    held: int  # attempts that held the question, graded or not
    options: tuple[OptionShare, ...] = ()
    unanswered: int = 0  # choice questions: attempts that held it and picked nothing


@dataclass(frozen=True)
class QuizFigures:
    """The computed part of a report, as the cache keeps it: plain values, no database rows."""

    summary: statistics.QuizStats
    questions: list[QuestionReport]
    hardest: list[QuestionReport]
    members: int  # people with a member role in the scope (or unit)
    members_attempted: int  # of those, how many finished an attempt
    generated_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, kw_only=True)
class QuizReport(QuizFigures):
    """A quiz's statistics over the first attempts in the viewer's scope (or one unit's)."""

    quiz: Quiz
    unit: OrgUnit | None


# Part of every cache key: a release that changes these classes never reads (and fails on) the
# pickles of the previous one still held in a shared Redis.
_FIGURES_FORMAT = cache.digest(*(
    (cls.__name__, [f.name for f in fields(cls)])
    for cls in (QuizFigures, QuestionReport, OptionShare, statistics.QuizStats,
                statistics.QuestionStats, statistics.ScoreBin)))


def quiz_report(quiz: Quiz, viewer, unit_id: int | None = None) -> QuizReport:
    """The statistics of `quiz` as `viewer` may see them, for one unit's subtree if given.

    Raises UnitNotFound when `unit_id` names no unit the viewer may view. The figures come from
    the cache when the data they were computed from has not changed since.
    """
    unit = None
    if unit_id is not None:
        unit = db.session.get(OrgUnit, unit_id)
        if unit is None or not can_view_unit(viewer, unit):
            raise UnitNotFound(unit_id)
    people = _people(viewer, unit)
    # The version is read before the figures: figures computed a moment later can only be
    # newer than their key says, never older, so a later request never gets stale ones.
    key = ":".join(("quiz-stats", _FIGURES_FORMAT, str(quiz.id), freshness.viewer_scope(viewer),
                    str(unit.id) if unit else "all", freshness.figures_version(quiz)))
    figures = cache.cached(key, lambda: compute_figures(quiz, people), FIGURES_TIMEOUT)
    return QuizReport(**{f.name: getattr(figures, f.name) for f in fields(QuizFigures)},
                      quiz=quiz, unit=unit)


def compute_figures(quiz: Quiz, people) -> QuizFigures:
    """Every figure of the report over the first attempts of `people` (None: everyone)."""
    rows = _first_attempt_slots(quiz, people)
    snapshots = _snapshots(quiz, people)
    keys = {row.slot_id: _key(row.question_id, snapshots.get(row.slot_id)) for row in rows}

    marks: dict[str, float] = {}
    qtypes: dict[str, str] = {}
    positions: dict[str, list[int]] = defaultdict(list)
    attempts: dict[int, dict[str, float | None]] = defaultdict(dict)
    responses: dict[int, dict[str, Any]] = defaultdict(dict)
    for row in rows:
        key = keys[row.slot_id]
        marks.setdefault(key, row.mark)  # the oldest counted attempt's, should it have changed
        qtypes.setdefault(key, row.qtype)
        positions[key].append(row.position)
        attempts[row.attempt_id][key] = row.fraction
        responses[row.attempt_id][key] = row.response
    attempt_list = list(attempts.values())

    stats = statistics.question_statistics(attempt_list, marks)
    frequencies = statistics.option_frequencies(responses.values(), qtypes)
    held = Counter(key for attempt in attempt_list for key in attempt)
    snapshot_of = {keys[slot_id]: snap for slot_id, snap in snapshots.items() if slot_id in keys}
    order = _quiz_positions(quiz)
    ordered = sorted(marks, key=lambda k: (order.get(k, len(order) + 1),
                                           sum(positions[k]) / len(positions[k]), k))
    questions = [
        _question_report(number, key, qtypes[key], snapshot_of.get(key, {}), stats[key],
                         held[key], frequencies.get(key))
        for number, key in enumerate(ordered, start=1)
    ]
    by_key = {q.key: q for q in questions}
    hardest = [by_key[s.question_id] for s in statistics.hardest_questions(
        (q.stats for q in questions), limit=HARDEST)]
    members, attempted = _member_counts(quiz, people)
    return QuizFigures(
        summary=statistics.quiz_statistics(attempt_list, marks, bins=DISTRIBUTION_BINS),
        questions=questions, hardest=hardest, members=members, members_attempted=attempted)


def scope_units(viewer) -> list[OrgUnit]:
    """The units the viewer may filter by: their scope (admins: every unit), tree order."""
    return list(db.session.scalars(select(OrgUnit).where(
        OrgUnit.id.in_(scope_unit_ids(viewer))).order_by(OrgUnit.path)))


# --- Queries ------------------------------------------------------------------------------------


def _people(viewer, unit: OrgUnit | None):
    """SELECT of the user ids whose attempts count, or None for everyone (an admin, no unit)."""
    conditions = []
    if not is_admin(viewer):
        conditions.append(Membership.unit_id.in_(scope_unit_ids(viewer)))
    if unit is not None:
        subtree = select(OrgUnit.id).where(OrgUnit.path.like(unit.path + "%"))
        conditions.append(Membership.unit_id.in_(subtree))
    if not conditions:
        return None
    return select(Membership.user_id).where(*conditions)


def _first_attempts(quiz: Quiz, people):
    """SELECT of the ids of each counted member's first finished attempt at the quiz.

    Moodle's "first attempt": the finished attempt with the lowest number.
    """
    counted = [Attempt.quiz_id == quiz.id, Attempt.state == FINISHED]
    if people is not None:
        counted.append(Attempt.user_id.in_(people))
    first = (select(Attempt.user_id, func.min(Attempt.number).label("number"))
             .where(*counted).group_by(Attempt.user_id).subquery())
    return (select(Attempt.id)
            .join(first, and_(first.c.user_id == Attempt.user_id,
                              first.c.number == Attempt.number))
            .where(Attempt.quiz_id == quiz.id))


def _first_attempt_slots(quiz: Quiz, people) -> list:
    """The light columns of every marked slot of the counted attempts (no snapshots)."""
    return db.session.execute(
        select(AttemptSlot.id.label("slot_id"), AttemptSlot.attempt_id,
               AttemptSlot.question_id, AttemptSlot.qtype, AttemptSlot.mark,
               AttemptSlot.position, AttemptSlot.fraction, AttemptSlot.response)
        .where(AttemptSlot.attempt_id.in_(_first_attempts(quiz, people)),
               AttemptSlot.qtype != DESCRIPTION)
        .order_by(AttemptSlot.attempt_id, AttemptSlot.position)).all()


def _snapshots(quiz: Quiz, people) -> dict[int, dict]:
    """{slot id: snapshot} for the latest counted slot of each bank question, and for every
    counted slot of a deleted question (those are grouped by their snapshot)."""
    counted = [AttemptSlot.attempt_id.in_(_first_attempts(quiz, people)),
               AttemptSlot.qtype != DESCRIPTION]
    latest = (select(func.max(AttemptSlot.id)).where(*counted)
              .where(AttemptSlot.question_id.is_not(None))
              .group_by(AttemptSlot.question_id))
    return dict(db.session.execute(
        select(AttemptSlot.id, AttemptSlot.snapshot).where(
            *counted, or_(AttemptSlot.id.in_(latest), AttemptSlot.question_id.is_(None)))).all())


def _quiz_positions(quiz: Quiz) -> dict[str, int]:
    """{key: position} of the quiz's fixed questions, so the report follows the quiz's order."""
    return {str(question_id): position for question_id, position in db.session.execute(
        select(QuizQuestion.question_id, QuizQuestion.position)
        .where(QuizQuestion.quiz_id == quiz.id))}


def _member_counts(quiz: Quiz, people) -> tuple[int, int]:
    """(people with a member role in scope, how many of them finished an attempt), one query."""
    roster = select(Membership.user_id).where(Membership.role == "member")
    if people is not None:
        roster = roster.where(Membership.user_id.in_(people))
    roster = roster.distinct().subquery()
    attempted = (select(Attempt.user_id).where(Attempt.quiz_id == quiz.id,
                                               Attempt.state == FINISHED)
                 .distinct().subquery())
    total, done = db.session.execute(
        select(func.count(roster.c.user_id), func.count(attempted.c.user_id))
        .select_from(roster.outerjoin(attempted, attempted.c.user_id == roster.c.user_id))).one()
    return total, done


# --- Shaping ------------------------------------------------------------------------------------


def _key(question_id: int | None, snapshot: dict | None) -> str:
    """A question's key: its bank id, or for a deleted one a digest of the question as frozen
    (not of the whole snapshot: matching choices are shuffled anew in every attempt)."""
    if question_id is not None:
        return str(question_id)
    snapshot = snapshot or {}
    frozen = json.dumps([snapshot.get(part) for part in ("name", "stem_html", "data")],
                        sort_keys=True, ensure_ascii=False)
    return "deleted-" + hashlib.sha256(frozen.encode()).hexdigest()[:12]


def _question_report(number: int, key: str, qtype: str, snapshot: dict,
                     stats: statistics.QuestionStats, held: int,
                     picks: Counter | None) -> QuestionReport:
    options: tuple[OptionShare, ...] = ()
    unanswered = 0
    if picks is not None:
        options = tuple(
            OptionShare(option_id=option.get("id", ""),
                        text=to_plain_text(option.get("text_html", ""), EXCERPT_CHARS),
                        right=(option.get("fraction") or 0) > 0,
                        count=picks.get(option.get("id"), 0),
                        share=100 * picks.get(option.get("id"), 0) / held if held else None)
            for option in snapshot.get("data", {}).get("options", []))
        unanswered = picks.get(None, 0)
    return QuestionReport(
        key=key, question_id=int(key) if key.isdigit() else None, number=number, qtype=qtype,
        name=snapshot.get("name") or "",
        excerpt=to_plain_text(snapshot.get("stem_html", ""), EXCERPT_CHARS),
        stats=stats, held=held, options=options, unanswered=unanswered)
