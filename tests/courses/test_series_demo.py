"""`flask demo` adds the weekly series 「青年大学习」: three periods with a generated video each,
two closed and one open, some members having watched in full and some in part; exactly once."""

import io

import av
import pytest
from sqlalchemy import func, select

from courses.catalog.attachments import attachment_path
from courses.models import Assignment, Attachment, Progress
from courses.series.demo import SERIES_TITLE, VIDEO_SECONDS
from courses.series.models import Series, SeriesPeriod
from courses.video.models import VideoWatch
from courses.video.sample import sample_webm
from learning.extensions import db


@pytest.fixture
def runner(app, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
    return app.test_cli_runner()


def test_the_sample_video_is_a_playable_webm_of_the_length_asked():
    data = sample_webm(2, 64, 36)
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert container.format.name.startswith("matroska")
        assert (stream.codec_context.name, stream.width, stream.height) == ("vp8", 64, 36)
        assert container.duration == 2_000_000
        assert sum(1 for _frame in container.decode(video=0)) == 24
    with pytest.raises(ValueError):
        sample_webm(0)


def test_demo_adds_a_weekly_series_of_three_video_periods_once(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        series = db.session.scalar(select(Series).where(Series.title == SERIES_TITLE))
        periods = db.session.scalars(select(SeriesPeriod).order_by(SeriesPeriod.number)).all()
        assert [p.number for p in periods] == [1, 2, 3]
        assert [p.assignment.title for p in periods] == [f"{SERIES_TITLE} 第{n}期"
                                                         for n in (1, 2, 3)]
        assert [p.assignment.closed_at is not None for p in periods] == [True, True, False]
        assert all(p.assignment.unit_id == series.unit_id for p in periods)
        for period in periods:
            video = db.session.scalar(select(Attachment).where(
                Attachment.module_id == period.module_id))
            assert video.content_type == "video/webm"
            assert video.duration_seconds == pytest.approx(VIDEO_SECONDS)
            assert attachment_path(video).read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # EBML
            assert "<video" in period.module.body_html
            watches = db.session.scalars(select(VideoWatch).where(
                VideoWatch.module_id == period.module_id)).all()
            full = [w for w in watches if w.watched_seconds >= w.duration_seconds]
            part = [w for w in watches if w.watched_seconds < w.duration_seconds]
            assert full and part
            done = db.session.scalar(select(func.count()).select_from(Progress).where(
                Progress.module_id == period.module_id, Progress.completed_via == "watched"))
            assert done == len(full)
        before = (db.session.scalar(select(func.count()).select_from(Assignment)),
                  db.session.scalar(select(func.count()).select_from(VideoWatch)))

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    with app.app_context():
        assert (db.session.scalar(select(func.count()).select_from(Assignment)),
                db.session.scalar(select(func.count()).select_from(VideoWatch))) == before
