"""What the reports show of watching (issue 20): each member's watched share and quiz score
per video module, and why a member on the 未学名单 is there: 未观看 (not watched),
未看完 (not finished watching) or 未答题 (the quiz not answered).

A video module is one whose completion rule is "watched" or "watched_quiz". The share is the
server's measure (courses.video: only stretches really played count) of the module's current
video. The figures for any number of members cost a fixed number of queries: the video
modules in scope (one; nothing more when there are none), their attachments, the watching rows
(courses.video.services.watch_rows), the members' quiz grades and their completions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from courses.models import Assignment, Attachment, Module, Progress
from courses.video import crediting
from courses.video.media import lesson_video
from courses.video.services import WATCHED_RULES, required_share, watch_rows
from learning.extensions import db
from quizzes.models import Quiz

NOT_WATCHED, NOT_FINISHED, NOT_ANSWERED = "not_watched", "not_finished", "not_answered"
STATE_WORDS = {NOT_WATCHED: _l("Not watched"), NOT_FINISHED: _l("Not finished watching"),
               NOT_ANSWERED: _l("Quiz not answered")}


@dataclass(frozen=True)
class VideoLine:
    """One member's watching of one video module of an assignment, and its quiz score."""

    module_id: int
    title: str
    share: float  # 0.0 to 1.0, as the server measured it
    required_share: float
    has_quiz: bool  # rule "watched and quiz passed" with a quiz
    quiz_score: float | None  # the member's grade by the quiz's grading method, %
    quiz_answered: bool  # a finished attempt at the quiz
    completed: bool

    @property
    def percent(self) -> int:
        return int(self.share * 100 + 1e-9)

    @property
    def state(self) -> str | None:
        """What is missing of this module for the member, or None (done, or only a pass)."""
        if self.completed:
            return None
        if self.share <= 0:
            return NOT_WATCHED
        if self.share < self.required_share - 1e-9:
            return NOT_FINISHED
        if self.has_quiz and not self.quiz_answered:
            return NOT_ANSWERED
        return None

    def text(self) -> str:
        """"第1单元 60%", with the quiz score when there is a quiz: "第1单元 100% · 测验 80%"."""
        watched = f"{self.title} {self.percent}%"
        if not self.has_quiz:
            return watched
        score = "—" if self.quiz_score is None else f"{self.quiz_score:.0f}%"
        return _("%(watched)s · quiz %(score)s", watched=watched, score=score)


def _video_modules(assignment: Assignment) -> list[Module]:
    """The assignment's published video modules in course order (its one module, if any)."""
    query = select(Module).where(Module.completion_rule.in_(WATCHED_RULES))
    if assignment.module_id is not None:
        query = query.where(Module.id == assignment.module_id)
    else:
        query = query.where(Module.course_id == assignment.course_id,
                            Module.published.is_(True))
    return list(db.session.scalars(query.order_by(Module.position, Module.id)))


def video_lines(assignment: Assignment, user_ids: list[int]) -> dict[int, list[VideoLine]]:
    """user id -> a line per video module of the assignment, in course order (at most 5
    queries whatever the number of members; 1 when the assignment has no video module)."""
    if not user_ids:
        return {}
    modules = _video_modules(assignment)
    if not modules:
        return {}
    ids = [m.id for m in modules]
    attachments: dict[int, list[Attachment]] = defaultdict(list)
    for attachment in db.session.scalars(select(Attachment).where(
            Attachment.module_id.in_(ids), Attachment.purpose == "module")
            .order_by(Attachment.id)):
        attachments[attachment.module_id].append(attachment)
    videos = {m.id: lesson_video(attachments[m.id]) for m in modules}
    watches = watch_rows(ids, user_ids)
    quizzes, grades = _quiz_grades(ids, user_ids)
    done = set(db.session.execute(select(Progress.user_id, Progress.module_id).where(
        Progress.module_id.in_(ids), Progress.user_id.in_(user_ids),
        Progress.completed_at.is_not(None))).tuples())
    lines: dict[int, list[VideoLine]] = {}
    for user_id in user_ids:
        lines[user_id] = []
        for module in modules:
            video, row = videos[module.id], watches.get((user_id, module.id))
            current = row is not None and video is not None and row.attachment_id == video.id
            share = crediting.share(tuple(tuple(i) for i in row.intervals),
                                    video.duration_seconds) if current else 0.0
            lines[user_id].append(VideoLine(
                module.id, module.title, share, required_share(module),
                has_quiz=module.completion_rule == "watched_quiz" and module.id in quizzes,
                quiz_score=grades.get((user_id, module.id)),
                quiz_answered=(user_id, module.id) in grades,
                completed=(user_id, module.id) in done))
    return lines


def _quiz_grades(module_ids: list[int], user_ids: list[int]
                 ) -> tuple[set[int], dict[tuple[int, int], float | None]]:
    """The video modules that have a quiz, and (user id, module id) -> the member's grade by
    the quiz's grading method for members with a graded finished attempt (1 query)."""
    from learning.reports.figures import _grades  # the one grade-by-method subquery

    grades = _grades()
    quizzes: set[int] = set()
    found: dict[tuple[int, int], float | None] = {}
    for row in db.session.execute(
            select(Quiz.module_id, grades.c.user_id, grades.c.grade)
            .outerjoin(grades, (grades.c.quiz_id == Quiz.id) & grades.c.user_id.in_(user_ids))
            .where(Quiz.module_id.in_(module_ids))):
        quizzes.add(row.module_id)
        if row.user_id is not None:
            found[row.user_id, row.module_id] = (None if row.grade is None
                                                 else round(float(row.grade), 2))
    return quizzes, found


def missing_state(lines: list[VideoLine]) -> str | None:
    """Why a member has not completed, as far as watching tells: the state of the first video
    module not done (未观看 / 未看完 / 未答题), or None."""
    return next((line.state for line in lines if line.state), None)


def mark_missing(assignment: Assignment, rows) -> None:
    """Set `watching` on 未学名单 rows (figures.MemberRow) to what is missing of their video
    modules: 未观看 / 未看完 / 未答题 (a fixed number of queries for the whole list)."""
    lines = video_lines(assignment, [row.user_id for row in rows])
    for row in rows:
        row.watching = missing_state(lines.get(row.user_id, []))
