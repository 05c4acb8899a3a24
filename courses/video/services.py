"""Watching a module's video: heartbeats credited by the server, watched share, completion.

The crediting rule itself is courses.video.crediting (pure). Here it is applied to a member's
row with a compare-and-set: the row is read, the new state computed, and written only if its
`version` is still the one read; a heartbeat that lost the race reads again and is credited
against the winner's anchor. So two tabs or a retried request, at the same moment, on any number
of servers, are credited one after the other against one wall clock. Services flush, never
commit.

"watched and quiz passed": courses never imports quizzes, so the quiz package registers a
check in `app.extensions["module_quiz_passed"]` (user id, module id -> bool), and calls
`quiz_passed` here when a quiz is passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from courses import progress
from courses.models import Attachment, Module
from courses.video import crediting
from courses.video.media import file_url, lesson_video, module_attachments
from courses.video.models import VideoWatch
from learning.dbtypes import utcnow
from learning.extensions import db

WATCHED_RULES = ("watched", "watched_quiz")
_TRIES = 5


class VideoError(ValueError):
    """A heartbeat was refused; the message says why."""


@dataclass(frozen=True)
class WatchView:
    """What a member (or a report) may see of one member's watching of a module's video."""

    attachment_id: int | None
    url: str | None
    duration_seconds: float | None
    watched_seconds: float
    share: float  # 0.0 to 1.0
    required_share: float
    position: float  # where playing resumes
    credited: float = 0.0  # what the last heartbeat added

    @property
    def watched(self) -> bool:
        """Whether the member has played the share the watched rules need."""
        return self.duration_seconds is not None and self.share >= self.required_share - 1e-9

    @property
    def percent(self) -> int:
        return int(self.share * 100 + 1e-9)


def required_share(module: Module) -> float:
    """The share of the video the watched rules need: the module's, else VIDEO_WATCHED_PERCENT."""
    percent = module.watch_percent or int(current_app.config["VIDEO_WATCHED_PERCENT"])
    return max(1, min(100, percent)) / 100


def _row(user_id: int, module_id: int) -> VideoWatch | None:
    return db.session.scalar(
        select(VideoWatch).where(VideoWatch.user_id == user_id, VideoWatch.module_id == module_id)
        .execution_options(populate_existing=True))


def _view(module: Module, video: Attachment | None, row: VideoWatch | None,
          credited: float = 0.0) -> WatchView:
    duration = video.duration_seconds if video else None
    current = row is not None and video is not None and row.attachment_id == video.id
    intervals = tuple(tuple(i) for i in row.intervals) if current else ()
    return WatchView(
        attachment_id=video.id if video else None, url=file_url(video) if video else None,
        duration_seconds=duration, watched_seconds=crediting.total(intervals),
        share=crediting.share(intervals, duration), required_share=required_share(module),
        position=(row.position or 0.0) if current else 0.0, credited=credited)


def watch_view(user, module: Module) -> WatchView:
    """The member's watching of the module's video (nothing watched if never played).

    Reads the module's attachments as loaded with it (the module page loads them anyway) and
    the member's row only when there is a video, so a page without one costs no statement."""
    video = lesson_video(list(module.attachments))
    return _view(module, video, _row(user.id, module.id) if video else None)


def _seconds(at: datetime | None) -> float | None:
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def heartbeat(user, module: Module, position, playing: bool) -> WatchView:
    """The player says where it is and whether it plays; credit what the rule allows."""
    if not crediting.valid_position(position):
        raise VideoError(_("The position must be a number of seconds, 0 or more."))
    video = lesson_video(module_attachments(module.id))
    if video is None:
        raise VideoError(_("This module has no video whose watching is measured."))
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(VideoWatch)
    db.session.execute(insert.values(
        user_id=user.id, module_id=module.id, attachment_id=video.id, intervals=[],
        watched_seconds=0.0, playing=False, version=0, updated_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["user_id", "module_id"]))
    for _try in range(_TRIES):
        row = _row(user.id, module.id)
        now = utcnow()
        if row.attachment_id == video.id:
            state = crediting.WatchState(
                intervals=tuple(tuple(i) for i in row.intervals), position=row.position,
                at=_seconds(row.beat_at), playing=row.playing)
        else:  # another video was placed in the module: start afresh
            state = crediting.WatchState()
        new = crediting.credit(state, float(position), bool(playing), now.timestamp(),
                               video.duration_seconds)
        won = db.session.execute(_compare_and_set(), {
            "b_user": user.id, "b_module": module.id, "b_version": row.version,
            "b_attachment": video.id, "b_intervals": [list(i) for i in new.intervals],
            "b_watched": crediting.total(new.intervals), "b_duration": video.duration_seconds,
            "b_position": new.position, "b_playing": new.playing, "b_at": now,
        }).rowcount
        if won == 1:
            row = _row(user.id, module.id)
            view = _view(module, video, row, new.credited)
            if view.watched:
                _complete_if_due(user.id, module)
            return view
    # Lost every race (a flood of heartbeats at once): this one is simply not credited.
    return _view(module, video, _row(user.id, module.id))


@cache
def _compare_and_set():
    """The heartbeat's UPDATE, only if the row's version is still the one read."""
    return (update(VideoWatch)
            .where(VideoWatch.user_id == bindparam("b_user"),
                   VideoWatch.module_id == bindparam("b_module"),
                   VideoWatch.version == bindparam("b_version"))
            .values(attachment_id=bindparam("b_attachment"),
                    intervals=bindparam("b_intervals", type_=VideoWatch.intervals.type),
                    watched_seconds=bindparam("b_watched"),
                    duration_seconds=bindparam("b_duration"), position=bindparam("b_position"),
                    playing=bindparam("b_playing"),
                    beat_at=bindparam("b_at", type_=VideoWatch.beat_at.type),
                    updated_at=bindparam("b_at", type_=VideoWatch.beat_at.type),
                    version=VideoWatch.version + 1)
            .execution_options(synchronize_session=False))


def _quiz_passed(user_id: int, module_id: int) -> bool:
    return any(check(user_id, module_id)
               for check in current_app.extensions.get("module_quiz_passed", []))


def _complete_if_due(user_id: int, module: Module) -> None:
    if module.completion_rule == "watched" or (
            module.completion_rule == "watched_quiz" and _quiz_passed(user_id, module.id)):
        progress.complete(user_id, module.id, "watched")


def has_watched(user_id: int, module: Module) -> bool:
    """Whether the member has played the share of the module's video its rule needs."""
    video = lesson_video(module_attachments(module.id))
    return _view(module, video, _row(user_id, module.id)).watched


def quiz_passed(user_id: int, module: Module, at: datetime | None = None) -> bool:
    """The module's quiz was passed: complete a "watched_quiz" module if the video was watched
    too (called by quizzes); True if this call completed it."""
    if module.completion_rule != "watched_quiz" or not has_watched(user_id, module):
        return False
    return progress.complete(user_id, module.id, "quiz", at=at)


def watch_rows(module_ids: list[int], user_ids=None) -> dict[tuple[int, int], VideoWatch]:
    """(user id, module id) -> the watching rows of these modules (for reports: one query)."""
    if not module_ids:
        return {}
    query = select(VideoWatch).where(VideoWatch.module_id.in_(module_ids))
    if user_ids is not None:
        query = query.where(VideoWatch.user_id.in_(user_ids))
    return {(r.user_id, r.module_id): r for r in db.session.scalars(query)}


def is_complete(user_id: int, module_id: int) -> bool:
    """Whether the module is complete for the member, by any path."""
    row = progress.get(user_id, module_id)
    return row is not None and row.completed_at is not None
