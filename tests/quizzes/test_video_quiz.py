"""「短视频 + 互动问答」: the rule "watched and quiz passed", and the questions after the video on
the module page, one at a time, from the start page to done in a few taps (through HTTP)."""

import io
import re
from html import unescape

import pytest
from sqlalchemy import select

from courses.models import Progress
from courses.video import services as video_services
from courses.video.sample import sample_webm
from learning.extensions import db
from quizzes.models import Attempt
from tests.conftest import csrf_token, login, post_form
from tests.courses.video.test_video import Clock, beat

THREE = """\
::q1:: 中国共产主义青年团成立于哪一年? {=1922 ~1921 ~1949}

::q2:: 五四运动发生在1919年。 {T}

::q3:: 团的最高领导机关是? {=团的全国代表大会和它所产生的中央委员会 ~团支部}
"""


@pytest.fixture(scope="module")
def clip():
    return sample_webm(4)


@pytest.fixture
def clock(monkeypatch):
    found = Clock()
    monkeypatch.setattr(video_services, "utcnow", found)
    return found


@pytest.fixture
def video_quiz(app, client, org, make_course, make_assignment, make_bank, make_quiz, clip):
    """A module placing a 4 s clip, rule "watched and quiz passed", with a three-question quiz,
    assigned to the member's group (the clip uploaded through the admin's page)."""
    course = make_course("第十二期", modules=1, rule="watched_quiz",
                         body="看视频：\n\n![第十二期](clip.webm)")
    quiz = make_quiz(course=course, bank=make_bank(gift=THREE), layout="one")
    make_assignment(course, org.group_a)
    login(client, "admin")
    response = post_form(client, f"/admin/modules/{quiz.module_id}/attachments",
                         {"file": (io.BytesIO(clip), "clip.webm")}, follow_redirects=True)
    assert response.status_code == 200
    post_form(client, "/logout")
    return quiz


def completed(app, user, module_id) -> bool:
    with app.app_context():
        row = db.session.scalar(select(Progress).where(
            Progress.user_id == user.id, Progress.module_id == module_id))
        return row is not None and row.completed_at is not None


def watch_to_the_end(client, module_id, clock):
    """What video.js sends while the clip plays through: play, a beat, the end."""
    token = csrf_token(client)
    beat(client, module_id, 0, True, token)
    clock.tick(2)
    beat(client, module_id, 2, True, token)
    clock.tick(2)
    answer = beat(client, module_id, 4, False, token)
    assert answer.status_code == 200 and answer.get_json()["watched"] is True


def pass_quiz_on_the_module_page(client, quiz):
    """Start under the video and answer each question where it is shown; the taps made."""
    page = client.get(f"/study/modules/{quiz.module_id}").get_data(as_text=True)
    start = re.search(r'action="(/quizzes/\d+/start)".*?name="number" value="(\d+)"', page, re.S)
    response = post_form(client, start.group(1), {"number": start.group(2), "back": "module"})
    assert response.status_code == 302
    assert response.location.endswith(f"/study/modules/{quiz.module_id}#module-quiz")
    right = {"中国": "1922", "五四": "true", "最高": "全国代表大会"}
    answered = 0
    while True:
        page = client.get(f"/study/modules/{quiz.module_id}").get_data(as_text=True)
        form = re.search(r'<form method="post" action="([^"]+)" id="inline-question">(.*?)</form>',
                         page, re.S)
        if form is None:
            return page, answered
        fieldsets = re.findall(r'<fieldset class="card mb-3 question"', form.group(2))
        assert len(fieldsets) == 1  # one question at a time
        slot = re.search(r'name="slots" value="(\d+)"', form.group(2)).group(1)
        stem = unescape(form.group(2))
        key = next(k for k in right if k in stem)
        value = next(v for v, label in re.findall(
            r'name="q\d+" id="[^"]+"\s+value="([^"]+)"[^>]*>\s*<span[^>]*>(.*?)</span>',
            form.group(2), re.S) if right[key] in unescape(label) or v == right[key])
        response = post_form(client, form.group(1),
                             {"slots": slot, f"q{slot}": value, "nav": "inline"})
        assert response.status_code == 302
        answered += 1
        assert answered <= 3


def test_from_the_start_page_to_done_in_few_taps(app, client, org, video_quiz, clock):
    """Open, play, start, answer each question, done: 3 taps besides the answers (≤ 5)."""
    taps = 0
    login(client, "member")
    client.get("/lang/en")
    home = client.get("/").get_data(as_text=True)
    module_url = f"/study/modules/{video_quiz.module_id}"
    assert f'href="{module_url}"' in home, re.findall(r"href=\"(/study[^\"]*)", home)
    page = client.get(module_url).get_data(as_text=True)  # tap: open the module
    taps += 1
    assert "<video" in page and 'id="module-quiz" hidden' in page  # questions after the video
    watch_to_the_end(client, video_quiz.module_id, clock)  # tap: play (the end is not a tap)
    taps += 1
    page = client.get(module_url).get_data(as_text=True)
    assert 'id="module-quiz" hidden' not in page and "Start the quiz" in page
    assert not completed(app, org.member, video_quiz.module_id)  # watched, quiz not yet
    taps += 1  # tap: start the quiz (each answer's button is part of the answer)
    page, answered = pass_quiz_on_the_module_page(client, video_quiz)
    assert answered == 3
    assert taps <= 5
    assert completed(app, org.member, video_quiz.module_id)
    assert "Completed on" in page and "Passed" in page and "Your attempt is submitted." in page


def test_an_empty_answer_stays_on_the_question(app, client, org, video_quiz):
    login(client, "member")
    client.get("/lang/en")
    page = client.get(f"/study/modules/{video_quiz.module_id}").get_data(as_text=True)
    number = re.search(r'name="number" value="(\d+)"', page).group(1)
    post_form(client, f"/quizzes/{video_quiz.id}/start", {"number": number, "back": "module"})
    page = client.get(f"/study/modules/{video_quiz.module_id}").get_data(as_text=True)
    form = re.search(r'action="([^"]+)" id="inline-question"', page).group(1)
    slot = re.search(r'name="slots" value="(\d+)"', page).group(1)
    response = post_form(client, form, {"slots": slot, "nav": "inline"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Answer the question to go on." in page and "Answered: 0 of 3" in page
    with app.app_context():
        assert db.session.scalar(select(Attempt.state)) == "in_progress"


def test_the_quiz_alone_does_not_complete_then_watching_does(app, client, org, video_quiz,
                                                             clock):
    """Quiz first, video second: complete only when the share is watched too."""
    login(client, "member")
    client.get("/lang/en")
    page, _answered = pass_quiz_on_the_module_page(client, video_quiz)
    assert "Passed" in page and not completed(app, org.member, video_quiz.module_id)
    token = csrf_token(client)
    beat(client, video_quiz.module_id, 0, True, token)
    clock.tick(2)
    beat(client, video_quiz.module_id, 2, False, token)  # half the clip: not enough
    assert not completed(app, org.member, video_quiz.module_id)
    watch_to_the_end(client, video_quiz.module_id, clock)
    assert completed(app, org.member, video_quiz.module_id)


def test_watching_alone_does_not_complete_then_passing_does(app, client, org, video_quiz,
                                                            clock):
    """Video first, quiz second: passing the quiz completes it."""
    login(client, "member")
    watch_to_the_end(client, video_quiz.module_id, clock)
    assert not completed(app, org.member, video_quiz.module_id)
    pass_quiz_on_the_module_page(client, video_quiz)
    assert completed(app, org.member, video_quiz.module_id)
