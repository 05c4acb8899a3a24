"""Video lessons through HTTP: players from attachment references, duration, captions, poster,
Range, heartbeats credited by the server, the watched rules, concurrency, the API."""

import io
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from courses.models import Attachment, Module, Progress
from courses.video import crediting
from courses.video import services as video_services
from courses.video.models import VideoWatch
from courses.video.sample import sample_webm
from learning.dbtypes import utcnow
from learning.extensions import db
from learning.markup import render_markdown, sanitize_html
from tests.conftest import csrf_token, login, post_form

VTT = b"WEBVTT\n\n00:00.000 --> 00:02.000\n\xe7\xac\xac\xe4\xb8\x80\xe8\xaf\xbe\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300


@pytest.fixture(scope="module")
def clip():
    return sample_webm(4)


def upload(client, module_id, name, content):
    return post_form(client, f"/admin/modules/{module_id}/attachments",
                     {"file": (io.BytesIO(content), name)}, follow_redirects=True)


@pytest.fixture
def video_module(app, client, org, make_course, make_assignment, clip):
    """Builder: a published module assigned to the member's group, whose body places
    clip.webm, with captions and a poster: (module id, video attachment id)."""
    return lambda **kw: _video_module(app, client, org, make_course, make_assignment, clip, **kw)


def _video_module(app, client, org, make_course, make_assignment, clip, *, rule="watched"):
    course = make_course(modules=1, rule=rule, body="看视频：\n\n![第一课](clip.webm)")
    module_id = course.module_ids[0]
    make_assignment(course, org.group_a)
    login(client, "admin")
    for name, content in (("clip.webm", clip), ("clip.vtt", VTT), ("clip.png", PNG)):
        assert upload(client, module_id, name, content).status_code == 200
    client.get("/logout")
    with app.app_context():
        video = db.session.scalar(select(Attachment).where(Attachment.original_name == "clip.webm"))
        return module_id, video.id


class Clock:
    """utcnow for the video services, moved by hand."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def tick(self, seconds):
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    found = Clock()
    monkeypatch.setattr(video_services, "utcnow", found)
    return found


def beat(client, module_id, position, playing=True, token=None):
    return client.post(f"/api/v1/modules/{module_id}/video/heartbeat",
                       json={"position": position, "playing": playing},
                       headers={"X-CSRFToken": token or csrf_token(client)})


def test_upload_reads_duration_and_the_body_reference_becomes_a_player(app, client, org,
                                                                      video_module):
    module_id, video_id = video_module()
    with app.app_context():
        video = db.session.get(Attachment, video_id)
        assert video.content_type == "video/webm"
        assert video.duration_seconds == pytest.approx(4.0, abs=0.2)
        captions = db.session.scalar(select(Attachment).where(
            Attachment.original_name == "clip.vtt"))
        assert captions.content_type == "text/vtt"
        html = db.session.get(Module, module_id).body_html
    assert '<video poster="/files/' in html and f'src="/files/{video_id}/clip.webm"' in html
    assert f'<track kind="captions" label="clip.vtt" src="/files/{captions.id}/clip.vtt"' in html
    assert "controls" in html
    login(client, "member")
    page = client.get(f"/study/modules/{module_id}").get_data(as_text=True)
    assert f'src="/files/{video_id}/clip.webm"' in page and "js/video.js" in page
    assert "0:04" in page  # the duration shown


def test_seeking_works_through_range_requests(app, client, org, video_module, clip):
    _module_id, video_id = video_module()
    login(client, "member")
    response = client.get(f"/files/{video_id}/clip.webm", headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert response.data == clip[100:200]
    assert response.headers["Content-Range"] == f"bytes 100-199/{len(clip)}"


def test_players_with_a_foreign_source_are_stripped():
    html = str(sanitize_html(
        '<video src="https://cdn.example/x.mp4" controls>跟读</video>'
        '<video src="/files/3/a.webm" poster="//cdn.example/p.png"></video>'
        '<audio><source src="http://cdn.example/a.mp3"></audio>'
        '<video src="/files/3/a.webm" autoplay onplay="alert(1)">'
        '<track src="/static/x.vtt"></video>'))
    assert "example" not in html and "跟读" not in html and "onplay" not in html
    assert "autoplay" not in html and "/static/x.vtt" not in html
    assert '<video src="/files/3/a.webm" controls preload="metadata"></video>' in html
    # Without media known, a reference stays an image refused for not being ours: its alt text.
    assert str(render_markdown("![第一课](clip.webm)")) == "<p>第一课</p>"
    rendered = render_markdown("![第一课](clip.webm)", media={"clip.webm": __import__(
        "learning.markup", fromlist=["MediaSource"]).MediaSource("video", "/files/1/clip.webm")})
    assert str(sanitize_html(str(rendered))) == str(rendered)  # stored HTML is stable


def test_heartbeats_credit_only_what_was_played(app, client, org, video_module, clock):
    module_id, _ = video_module()
    login(client, "member")
    token = csrf_token(client)
    assert beat(client, module_id, 0, token=token).json["watched_seconds"] == 0
    clock.tick(1)
    answer = beat(client, module_id, 1.0, token=token).json
    assert answer["watched_seconds"] == pytest.approx(1.0)
    clock.tick(0.5)
    answer = beat(client, module_id, 3.9, token=token).json  # a seek forward: not credited
    assert answer["watched_seconds"] == pytest.approx(1.0) and not answer["completed"]
    clock.tick(30)
    answer = beat(client, module_id, 0.5, playing=False, token=token).json  # replay of an old beat
    assert answer["watched_seconds"] == pytest.approx(1.0)
    # Resume from the last position: the page hands it to the player.
    page = client.get(f"/study/modules/{module_id}").get_data(as_text=True)
    assert 'data-position="0.5"' in page


def test_watching_the_share_completes_a_watched_module(app, client, org, video_module, clock):
    module_id, _ = video_module()
    login(client, "member")
    token = csrf_token(client)
    beat(client, module_id, 0, token=token)
    clock.tick(2)
    assert not beat(client, module_id, 2, token=token).json["completed"]
    clock.tick(1.8)
    answer = beat(client, module_id, 3.8, playing=False, token=token).json  # 95%
    assert answer["watched"] and answer["completed"] and answer["share"] >= 0.9
    with app.app_context():
        row = db.session.scalar(select(Progress).where(Progress.module_id == module_id))
        assert row.completed_via == "watched"


def test_bad_heartbeats_are_refused_with_a_message(app, client, org, video_module, make_course,
                                                   make_assignment):
    module_id, _ = video_module()
    login(client, "member")
    token = csrf_token(client)
    for body in ({"position": -1, "playing": True}, {"position": "x", "playing": True}, {}):
        response = client.post(f"/api/v1/modules/{module_id}/video/heartbeat", json=body,
                               headers={"X-CSRFToken": token})
        assert response.status_code == 422, body
    other = make_course(modules=1)
    make_assignment(other, org.group_a)
    no_video = other.module_ids[0]
    response = beat(client, no_video, 1, token=token)
    assert response.status_code == 422 and "video" in response.json["message"]
    # Without the CSRF header a cookie-authenticated heartbeat is refused.
    response = client.post(f"/api/v1/modules/{module_id}/video/heartbeat",
                           json={"position": 1, "playing": True})
    assert response.status_code in (400, 403)


def test_concurrent_heartbeats_give_no_double_credit(app, org, video_module):
    """Two tabs, eight requests each, at once: each is credited against the anchor the one
    before it left (compare-and-set), so the credit never passes the wall-clock bound and the
    stored total is the length of the stored stretches."""
    module_id, _ = video_module()
    with app.app_context():
        db.session.add(VideoWatch(user_id=org.member.id, module_id=module_id,
                                  attachment_id=db.session.scalar(select(Attachment.id).where(
                                      Attachment.original_name == "clip.webm")),
                                  intervals=[], position=0.0, playing=True,
                                  beat_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    barrier = threading.Barrier(16)
    errors, answers = [], []

    def tab(position):
        try:
            with app.test_client() as own:
                login(own, "member")
                token = csrf_token(own)
                barrier.wait()
                answers.append(beat(own, module_id, position, token=token).status_code)
        except Exception as error:  # surfaced by the assertions below
            errors.append(error)

    threads = [threading.Thread(target=tab, args=(p,)) for p in [2.0] * 8 + [1.5] * 8]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and answers == [200] * 16
    with app.app_context():
        row = db.session.get(VideoWatch, (org.member.id, module_id))
        intervals = tuple(tuple(i) for i in row.intervals)
        assert row.version == 16  # every heartbeat applied once, one after the other
        assert row.watched_seconds == pytest.approx(crediting.total(intervals))
        assert row.watched_seconds <= 2.0 + 1e-9  # at most the stretch 0-2, once


def test_watched_share_in_the_api(app, client, org, video_module, clock):
    module_id, video_id = video_module()
    login(client, "member")
    answer = client.get(f"/api/v1/modules/{module_id}/video").json
    assert answer["attachment_id"] == video_id and answer["share"] == 0
    assert answer["required_share"] == 0.9 and answer["duration_seconds"] == pytest.approx(4, 0.1)
    client.get("/logout")
    login(client, "leader_out")  # outside the member's branch: the module is not theirs
    assert client.get(f"/api/v1/modules/{module_id}/video").status_code in (200, 404)
