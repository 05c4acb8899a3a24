"""Demo data for weekly series: 「青年大学习」 with a short generated video in each of three
weekly periods (two closed, one open this week), watched in full or in part by some members;
and a study group's own series starting next week.

Idempotent: nothing is added when the demo series exists (the demo command is one
transaction). The video is made now by courses.video.sample (nothing is downloaded).
"""

import io
from datetime import datetime, timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from courses import progress
from courses.catalog.attachments import save_upload
from courses.models import Course, Module
from courses.series import services
from courses.series.models import Series
from courses.study import services as study
from courses.video.media import lesson_video, module_attachments
from courses.video.models import VideoWatch
from courses.video.sample import sample_webm
from learning.accounts.models import User
from learning.demo import COMMITTEE
from learning.extensions import db
from learning.markup import render_markdown
from learning.orgs.models import OrgUnit

SERIES_TITLE = "青年大学习"
COURSE_TITLE = "青年大学习·每周一期"
VIDEO_SECONDS = 4
TOPICS = ["青春向党·奋斗强国", "传承五四精神", "学思践悟新思想"]
# Who watched each period's video: in full (completing it) and in part (half of it).
WATCHED = [
    (["m002", "m003", "m004", "m005", "m012", "m013", "m014", "m022", "m023", "m032"], ["m006"]),
    (["m002", "m003", "m012", "m022", "m033"], ["m004", "m013"]),
    (["m002", "m012"], ["m003", "m022", "m032"]),
]


def _body(number: int, topic: str) -> str:
    return (f"## 第{number}期：{topic}\n\n"
            f"![第{number}期视频](qndxx-{number}.webm)\n\n"
            "> 本期短视频由本平台在生成演示数据时合成，仅供演示播放与观看计时。\n\n"
            "看完视频后，想一想：本期内容和你的学习、工作有什么联系？\n")


def load(logins: list) -> None:
    """Add the demo series (idempotently); `logins` is left as it is."""
    if db.session.scalar(select(Series.id).where(Series.title == SERIES_TITLE)) is not None:
        return
    committee = db.session.scalar(
        select(OrgUnit).where(OrgUnit.name == COMMITTEE, OrgUnit.parent_id.is_(None)))
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    if committee is None or admin is None:
        return
    course = Course(title=COURSE_TITLE, published=True, position=1,
                    summary="每周一期的短视频学习：看完视频即完成本期学习。")
    db.session.add(course)
    db.session.flush()
    video = sample_webm(VIDEO_SECONDS)
    modules = []
    for number, topic in enumerate(TOPICS, start=1):
        body = _body(number, topic)
        module = Module(course_id=course.id, title=topic, body_md=body,
                        body_html=str(render_markdown(body)), estimated_minutes=1,
                        position=number, completion_rule="watched", published=True)
        db.session.add(module)
        db.session.flush()
        save_upload(FileStorage(io.BytesIO(video), filename=f"qndxx-{number}.webm",
                                content_type="video/webm"),
                    course=course, module=module, actor=admin)
        modules.append(module)

    # Three Mondays: two weeks ago, last week and this week (local time).
    now = study.now()
    this_monday = services.today(now) - timedelta(days=services.today(now).weekday())
    first = this_monday - timedelta(weeks=2)
    series = services.create_series(
        services.SeriesInput(title=SERIES_TITLE, course_id=course.id, unit_id=committee.id,
                             starts_on=first, first_number=1),
        actor=admin, unit=committee, course=course,
        at=datetime.combine(first, datetime.min.time(), tzinfo=services.zone()))
    periods = [services.create_next_period(series, actor=admin) for _module in modules]

    users = {u.username: u.id for u in db.session.scalars(
        select(User).where(User.username.like("m0%")))}
    for period, module, (full, part) in zip(periods, modules, WATCHED, strict=True):
        _watch(module, period.assignment.starts_at + timedelta(days=1), users, full, part)
    progress.rebuild_rollups(course.id)
    study.close_due(now)  # the two past periods close and freeze their rosters
    _group_series(this_monday + timedelta(weeks=1))


def _group_series(next_monday) -> None:
    """A study group's own series of the campaign course, starting next week (no period yet):
    what a group leader (m001) sets up for their group."""
    from courses.demo import COURSE_TITLE as CAMPAIGN

    group = db.session.scalar(select(OrgUnit).where(OrgUnit.name == "第一学习小组"))
    leader = db.session.scalar(select(User).where(User.username == "m001"))
    campaign = db.session.scalar(select(Course).where(Course.title == CAMPAIGN))
    if group is None or leader is None or campaign is None:
        return
    services.create_series(
        services.SeriesInput(title="小组每周一读", course_id=campaign.id, unit_id=group.id,
                             starts_on=next_monday, weekdays=[2], due_days=4),
        actor=leader, unit=group, course=campaign)


def _watch(module: Module, at, users: dict, full: list[str], part: list[str]) -> None:
    """What the server would have measured: every second watched, or the first half.

    Written directly (a heartbeat credits only real wall time between beats)."""
    attachment = lesson_video(module_attachments(module.id))
    duration = attachment.duration_seconds if attachment else None
    if attachment is None or not duration:
        return
    for names, share in ((full, 1.0), (part, 0.5)):
        for name in names:
            if name not in users:
                continue
            seconds = round(duration * share, 2)
            db.session.add(VideoWatch(
                user_id=users[name], module_id=module.id, attachment_id=attachment.id,
                intervals=[[0.0, seconds]], watched_seconds=seconds, duration_seconds=duration,
                position=seconds, playing=False, beat_at=at, version=1))
    db.session.flush()
    progress.complete_many([users[n] for n in full if n in users], [module.id], "watched", at=at)
