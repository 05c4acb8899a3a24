"""The member's quiz pages through HTTP: start, answer every type, save and reload, page by
page, autosave, the deadline, review by policy, hand grading by a leader in scope, history,
and what the answering pages must never show."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from learning.dbtypes import utcnow
from learning.extensions import db
from tests.conftest import csrf_token, login, post_form
from tests.quizzes.conftest import RIGHT

# Form fields of the page that answer RIGHT (slots 1..7 of the default bank).
RIGHT_FORM = {
    1: {"q1": "o1"}, 2: {"q2": ["o1", "o2"]}, 3: {"q3": "true"}, 4: {"q4": "中央委员会"},
    5: {"q5": "１９１９"},  # full-width digits, as Chinese input methods type them
    6: {"q6_p1": "1919", "q6_p2": "1921", "q6_p3": "1922"}, 7: {"q7": "第一行\n第二行"},
}

# Every auto-graded type with option feedback and general feedback, to prove that none of it
# reaches the answering pages (and, in the review at the explanations level, that all of it
# is really there to leak).
FEEDBACK_GIFT = """\
::single:: 团成立于哪一年? {=1922#反馈对一九二二 ~1921#反馈错一九二一 ####解析单选题}

::multiple:: 哪些是基层组织? {
  ~%50%团支部#反馈支部 ~%50%团小组#反馈小组 ~%-100%学生会#反馈学生会 ####解析多选题}

::truefalse:: 五四运动发生在1919年。 {T#反馈判断错#反馈判断对 ####解析判断题}

::short:: 团的最高领导机关是什么? {=全国代表大会#反馈填空 ####解析填空题}

::numeric:: 五四运动发生在哪一年? {#1919:0#反馈数字 ####解析数字题}

::matching:: 把事件与年份配对。 {=五四运动 -> 1919 =建党 -> 1921 =建团 -> 1922 ####解析配对题}
"""
FEEDBACK_RIGHT = {1: {"q1": "o1"}, 2: {"q2": ["o1", "o2"]}, 3: {"q3": "true"},
                  4: {"q4": "全国代表大会"}, 5: {"q5": "1919"},
                  6: {"q6_p1": "1919", "q6_p2": "1921", "q6_p3": "1922"}}
SECRETS = ["反馈对一九二二", "反馈错一九二一", "解析单选题", "反馈支部", "反馈学生会",
           "解析多选题", "反馈判断错", "反馈判断对", "解析判断题", "全国代表大会", "反馈填空",
           "解析填空题", "反馈数字", "解析数字题", "解析配对题", "fraction", "feedback"]


@pytest.fixture
def client(app):
    client = app.test_client()
    with client.session_transaction() as session:
        session["lang"] = "en"
    return client


@pytest.fixture
def clock(monkeypatch):
    """The attempts' clock (services.now), movable: clock.move(minutes=5)."""
    from quizzes.attempts import services

    class Clock:
        at = utcnow()

        def move(self, **delta):
            self.at += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(services, "now", lambda: clock.at)
    return clock


def _form(token: str, slots, answers: dict, **extra) -> dict:
    data = {"csrf_token": token, "slots": [str(s) for s in slots], **extra}
    for slot in slots:
        data.update(answers.get(slot, {}))
    return data


def _start(client, quiz_id: int) -> int:
    page = client.get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    number = re.search(r'name="number" value="(\d+)"', page).group(1)
    response = post_form(client, f"/quizzes/{quiz_id}/start", {"number": number})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/attempts/(\d+)$", response.location).group(1))


def _attempt(app, attempt_id):
    from quizzes.models import Attempt

    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        slots = [SimpleNamespace(position=s.position, response=s.response, state=s.state,
                                 fraction=s.fraction, comment=s.comment) for s in attempt.slots]
        return SimpleNamespace(state=attempt.state, score=attempt.score,
                               percent=attempt.percent, passed=attempt.passed,
                               needs_grading=attempt.needs_grading, slots=slots)


def _answer_all_and_submit(client, attempt_id, slots, answers, complete=True):
    token = csrf_token(client)
    response = client.post(f"/attempts/{attempt_id}",
                           data=_form(token, slots, answers, page="1", nav="finish"))
    assert response.status_code == 302
    assert response.location.endswith(f"/attempts/{attempt_id}/submit")
    confirm = client.get(response.location).get_data(as_text=True)
    assert ("These questions have no answer yet" not in confirm) == complete
    response = post_form(client, f"/attempts/{attempt_id}/submit")
    assert response.location.endswith(f"/attempts/{attempt_id}/review")
    return client.get(response.location)


# --- the form translation -------------------------------------------------------------------


def test_responses_from_form_builds_the_spec_shapes():
    from quizzes.attempts.views import responses_from_form

    kinds = ["single", "multiple", "truefalse", "shortanswer", "numerical", "matching", "essay",
             "description"]
    slots = {n: SimpleNamespace(position=n, qtype=kind, option_order=["p1", "p2"])
             for n, kind in enumerate(kinds, start=1)}
    form = MultiDict([("slots", str(n)) for n in range(1, 9)] + [
        ("q1", "o2"), ("q2", "o1"), ("q2", "o3"), ("q3", "false"), ("q4", " 答案 "),
        ("q5", "３．１４"), ("q6_p1", "1919"), ("q6_p2", ""), ("q6_p9", "x"), ("q7", "文")])
    assert responses_from_form(form, slots) == {
        1: {"option": "o2"}, 2: {"options": ["o1", "o3"]}, 3: {"value": False},
        4: {"text": " 答案 "}, 5: {"text": "３．１４"}, 6: {"pairs": {"p1": "1919"}},
        7: {"text": "文"}}
    # Listed but blank or unticked: cleared. Not listed: untouched. Unknown: kept for refusal.
    blank = MultiDict([("slots", "1"), ("slots", "2"), ("slots", "4"), ("slots", "6"),
                       ("slots", "99"), ("slots", "x"), ("q4", "  "), ("q6_p1", "")])
    assert responses_from_form(blank, slots) == {1: None, 2: None, 4: None, 6: None,
                                                  "99": None, "x": None}
    assert responses_from_form(MultiDict([("slots", "3"), ("q3", "yes")]), slots) == {
        3: {"value": "yes"}}  # passed on for the service to refuse


# --- starting ---------------------------------------------------------------------------------


def test_quiz_page_and_start_with_a_double_tap_make_one_attempt(app, client, org, assigned_quiz):
    from quizzes.models import Attempt

    quiz = assigned_quiz(time_limit_minutes=15, attempts_allowed=2, pass_mark=80,
                         intro_md="先学习再答题 **认真**")
    login(client, "member")
    page = client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    for text in ("第一单元测验", "<strong>认真</strong>", "Questions: 6", "Time limit: 15 minutes",
                 "Attempts: 0 of 2 used", "the highest attempt counts", "Pass mark: 80%",
                 "After each attempt you may see your score, the right answers and the "
                 "explanations.", "Start attempt", 'name="number" value="1"', "No attempts yet"):
        assert text in page, text
    token = csrf_token(client)
    first = client.post(f"/quizzes/{quiz.id}/start", data={"csrf_token": token, "number": "1"})
    second = client.post(f"/quizzes/{quiz.id}/start", data={"csrf_token": token, "number": "1"})
    assert first.status_code == second.status_code == 302
    assert first.location == second.location and re.search(r"/attempts/\d+$", first.location)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
    page = client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    assert "Continue attempt" in page and "Start attempt" not in page
    assert "Attempt 1" in page and "In progress" in page
    # Without a token the start is refused.
    assert client.post(f"/quizzes/{quiz.id}/start", data={"number": "2"}).status_code == 400


def test_quiz_page_says_why_an_attempt_cannot_start(app, client, org, assigned_quiz, clock):
    later = assigned_quiz(open_at=clock.at + timedelta(days=1))
    over = assigned_quiz(open_at=clock.at - timedelta(days=2),
                         close_at=clock.at - timedelta(days=1))
    login(client, "member")
    page = client.get(f"/quizzes/{later.id}").get_data(as_text=True)
    assert "This quiz is not open yet" in page and "Start attempt" not in page
    page = client.get(f"/quizzes/{over.id}").get_data(as_text=True)
    assert "This quiz is closed." in page and "Start attempt" not in page
    # A start forced anyway is refused with the service's reason, on the quiz page.
    response = post_form(client, f"/quizzes/{over.id}/start", {"number": "1"},
                         follow_redirects=True)
    assert "This quiz is not open now." in response.get_data(as_text=True)


def test_quiz_page_is_404_for_members_it_is_not_assigned_to(client, org, make_quiz):
    quiz = make_quiz()  # its course is assigned to nobody
    login(client, "member")
    assert client.get(f"/quizzes/{quiz.id}").status_code == 404
    assert post_form(client, f"/quizzes/{quiz.id}/start", {"number": "1"}).status_code == 404


# --- answering --------------------------------------------------------------------------------


def test_every_type_answered_through_the_form_scores_full_marks(
        app, client, org, assigned_quiz):
    from courses import progress

    quiz = assigned_quiz(layout="all")
    login(client, "member")
    attempt_id = _start(client, quiz.id)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert re.search(r'type="radio"\s+name="q1"', page)
    assert re.search(r'type="checkbox"\s+name="q2"', page)
    assert re.search(r'name="q3" id="q3-true"', page) and 'id="q3-false"' in page
    assert re.search(r'name="q5" id="q5-text"[^>]*inputmode="decimal"', page, re.S)
    assert '<select class="form-select form-select-lg" name="q6_p1"' in page
    assert "Answered: 0 of 6" in page and "js/quiz.js" in page
    assert "<script>" not in page  # no inline script (CSP)
    review = _answer_all_and_submit(client, attempt_id, range(1, 7), RIGHT_FORM)
    text = review.get_data(as_text=True)
    assert review.status_code == 200 and "100%" in text and "Passed" in text
    attempt = _attempt(app, attempt_id)
    assert (attempt.state, attempt.score, attempt.percent, attempt.passed) == \
        ("finished", 6.0, 100.0, True)
    assert [s.response for s in attempt.slots[:5]] == [
        RIGHT["1"], RIGHT["2"], RIGHT["3"], RIGHT["4"], {"text": "１９１９"}]
    with app.app_context():
        assert progress.get(org.member.id, quiz.module_id).completed_via == "quiz"
    # Submitting again changes nothing, and the attempt page now leads to the result.
    assert post_form(client, f"/attempts/{attempt_id}/submit").location.endswith("/review")
    assert client.get(f"/attempts/{attempt_id}").location.endswith("/review")
    assert _attempt(app, attempt_id).score == 6.0


def test_reload_keeps_the_saved_answers(app, client, org, assigned_quiz):
    quiz = assigned_quiz(layout="all", with_essay=True)
    login(client, "member")
    attempt_id = _start(client, quiz.id)
    response = client.post(f"/attempts/{attempt_id}", data=_form(
        csrf_token(client), range(1, 8), RIGHT_FORM, page="1", nav="save"))
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Your answers are saved." in page and "Answered: 7 of 7" in page
    for pattern in (r'id="q1-o1" value="o1" checked', r'id="q2-o1" value="o1" checked',
                    r'id="q2-o2" value="o2" checked', r'id="q3-true"\s+value="true" checked',
                    r'id="q4-text"\s+value="中央委员会"', r'id="q5-text"\s+value="１９１９"',
                    r'<option value="1921" selected>1921</option>',
                    r'id="q7-text" rows="8" maxlength="20000">第一行\s+第二行</textarea>'):
        assert re.search(pattern, page), pattern
    assert not re.search(r'id="q1-o2" value="o2" checked', page)
    assert not re.search(r'id="q3-false"\s+value="false" checked', page)
    # Unticking every box of the multiple-choice question clears it.
    client.post(f"/attempts/{attempt_id}",
                data=_form(csrf_token(client), [2], {}, page="1", nav="save"))
    assert _attempt(app, attempt_id).slots[1].response is None


def test_one_question_per_page_saves_each_page_as_the_member_moves(
        app, client, org, assigned_quiz):
    quiz = assigned_quiz(layout="one")
    login(client, "member")
    attempt_id = _start(client, quiz.id)
    token = csrf_token(client)
    url = f"/attempts/{attempt_id}"
    for number in range(1, 7):
        page = client.get(f"{url}?page={number}").get_data(as_text=True)
        assert f"Question {number} of 6" in page
        assert f'name="slots" value="{number}"' in page
        assert page.count('name="slots"') == 1  # only this page's question
        assert ("›" in page) == (number < 6) and ("Previous" in page) == (number > 1)
        nav = "next" if number < 6 else "finish"
        response = client.post(url, data=_form(token, [number], RIGHT_FORM,
                                               page=str(number), nav=nav))
        expected = f"{url}?page={number + 1}" if number < 6 else f"{url}/submit"
        assert response.location.endswith(expected)
        assert _attempt(app, attempt_id).slots[number - 1].response is not None
    # The navigator saves too: answer question 2 wrongly and jump to question 5.
    response = client.post(url, data=_form(token, [2], {2: {"q2": "o3"}}, page="2", goto="5"))
    assert response.location.endswith(f"{url}?page=5")
    page = client.get(f"{url}?page=2").get_data(as_text=True)
    assert re.search(r'id="q2-o3" value="o3" checked', page)
    assert 'aria-current="page"' in page and 'name="goto" value="6"' in page
    response = client.post(url, data=_form(token, [2], RIGHT_FORM, page="2", nav="prev"))
    assert response.location.endswith(f"{url}?page=1")
    post_form(client, f"{url}/submit")
    assert _attempt(app, attempt_id).percent == 100.0


def test_confirmation_lists_the_unanswered_questions(app, client, org, assigned_quiz):
    quiz = assigned_quiz(layout="one")
    login(client, "member")
    attempt_id = _start(client, quiz.id)
    client.post(f"/attempts/{attempt_id}", data=_form(
        csrf_token(client), [1], RIGHT_FORM, page="1", nav="finish"))
    page = client.get(f"/attempts/{attempt_id}/submit").get_data(as_text=True)
    assert "Answered: 1 of 6" in page and "These questions have no answer yet" in page
    assert f"/attempts/{attempt_id}?page=4#q4" in page and "?page=1#q1" not in page
    post_form(client, f"/attempts/{attempt_id}/submit")
    attempt = _attempt(app, attempt_id)
    assert attempt.state == "finished" and attempt.score == 1.0


def test_answers_that_do_not_fit_are_refused_and_nothing_is_saved(
        app, client, org, assigned_quiz):
    quiz = assigned_quiz(layout="all")
    login(client, "member")
    attempt_id = _start(client, quiz.id)
    token = csrf_token(client)
    for extra in ({"slots": ["1", "99"]}, {"slots": ["1", "3"], "q3": "maybe"},
                  {"slots": ["1", "6"], "q6_p1": "2000"}):
        response = client.post(f"/attempts/{attempt_id}",
                               data={"csrf_token": token, "page": "1", "q1": "o1", **extra})
        assert response.status_code == 422
        assert "Question 99 is not part of this attempt" in response.get_data(as_text=True) \
            or "does not fit its question" in response.get_data(as_text=True)
    assert all(slot.response is None for slot in _attempt(app, attempt_id).slots)


def test_autosave_saves_and_reports_the_time_left(app, client, org, assigned_quiz, clock):
    quiz = assigned_quiz(layout="all", time_limit_minutes=10)
    login(client, "member")
    attempt_id = _start(client, quiz.id)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert f'data-autosave-url="/attempts/{attempt_id}/autosave"' in page
    assert 'data-seconds-left="600"' in page and ">10:00<" in page
    assert "Your answers must be in by" in page  # the deadline as text, for no JS
    token = csrf_token(client)
    clock.move(minutes=4)
    response = client.post(f"/attempts/{attempt_id}/autosave",
                           data={"slots": ["1", "4"], "q1": "o2", "q4": "团中央"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.get_json() == {"saved": 2, "finished": False, "seconds_left": 360}
    slots = _attempt(app, attempt_id).slots
    assert slots[0].response == {"option": "o2"} and slots[3].response == {"text": "团中央"}
    # No token: refused like any form.
    assert client.post(f"/attempts/{attempt_id}/autosave",
                       data={"slots": ["1"], "q1": "o1"}).status_code == 400
    refused = client.post(f"/attempts/{attempt_id}/autosave", data={"slots": ["1"], "q1": "o9"},
                          headers={"X-CSRFToken": token})
    assert refused.status_code == 422 and refused.get_json()["field"] == "1"
    # After the deadline and its grace: closed with what was saved; the script is sent on.
    clock.move(minutes=7)
    late = client.post(f"/attempts/{attempt_id}/autosave", data={"slots": ["1"], "q1": "o1"},
                       headers={"X-CSRFToken": token})
    assert late.status_code == 200
    assert late.get_json() == {"saved": 0, "finished": True, "seconds_left": 0,
                               "redirect": f"/attempts/{attempt_id}/review"}
    attempt = _attempt(app, attempt_id)
    assert attempt.state == "finished" and attempt.slots[0].response == {"option": "o2"}


def test_nothing_revealing_while_the_attempt_is_open(app, client, org, make_bank, assigned_quiz):
    bank = make_bank("带反馈的题库", gift=FEEDBACK_GIFT)
    quiz = assigned_quiz(layout="all", bank=bank, time_limit_minutes=30)
    login(client, "member")
    attempt_id = _start(client, quiz.id)
    token = csrf_token(client)
    client.post(f"/attempts/{attempt_id}", data=_form(token, range(1, 7), FEEDBACK_RIGHT,
                                                      page="1", nav="save"))
    client.post(f"/attempts/{attempt_id}", data=_form(token, [4], {4: {"q4": "不知道"}},
                                                      page="1", nav="save"))
    autosave = client.post(f"/attempts/{attempt_id}/autosave", data={"slots": ["1"], "q1": "o1"},
                           headers={"X-CSRFToken": token})
    pages = [client.get(f"/attempts/{attempt_id}"), client.get(f"/attempts/{attempt_id}/submit"),
             client.get(f"/quizzes/{quiz.id}"), autosave]
    for response in pages:
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        leaks = [secret for secret in SECRETS if secret in text]
        assert not leaks, (response.request.path, leaks)
    # The review at the explanations level shows them: the check above could have failed.
    client.post(f"/attempts/{attempt_id}", data=_form(token, [4], FEEDBACK_RIGHT, page="1",
                                                      nav="save"))
    post_form(client, f"/attempts/{attempt_id}/submit")
    review = client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    for secret in ("反馈对一九二二", "解析单选题", "反馈支部", "反馈判断对", "解析配对题",
                   "全国代表大会", "反馈数字"):
        assert secret in review, secret


def test_a_save_after_the_deadline_closes_the_attempt_with_what_was_saved(
        app, client, org, assigned_quiz, clock):
    quiz = assigned_quiz(layout="all", time_limit_minutes=10)
    login(client, "member")
    attempt_id = _start(client, quiz.id)
    token = csrf_token(client)
    url = f"/attempts/{attempt_id}"
    client.post(url, data=_form(token, [1], RIGHT_FORM, page="1", nav="save"))
    clock.move(minutes=10, seconds=10)  # within the grace: still saved
    client.post(url, data=_form(token, [2], RIGHT_FORM, page="1", nav="save"))
    clock.move(minutes=1)
    response = client.post(url, data=_form(token, [3, 4], RIGHT_FORM, page="1", nav="save"),
                           follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.request.path == f"{url}/review"
    assert "Time is up. Your attempt was closed and graded with the answers saved" in text
    attempt = _attempt(app, attempt_id)
    assert attempt.state == "finished" and attempt.score == 2.0
    assert [s.response is not None for s in attempt.slots] == [True, True] + [False] * 4
    page = client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    assert "2 / 6 (33.33%)" in page and "Start a new attempt" in page


def test_time_up_from_the_script_submits_what_the_page_holds(app, client, org, assigned_quiz,
                                                             clock):
    quiz = assigned_quiz(layout="all", time_limit_minutes=5)
    login(client, "member")
    attempt_id = _start(client, quiz.id)
    clock.move(minutes=5, seconds=2)
    response = client.post(f"/attempts/{attempt_id}", data=_form(
        csrf_token(client), range(1, 7), RIGHT_FORM, page="1", nav="timeup"))
    assert response.location.endswith(f"/attempts/{attempt_id}/review")
    attempt = _attempt(app, attempt_id)
    assert attempt.state == "finished" and attempt.percent == 100.0


# --- review -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("shows", "present", "absent"), [
    ("score", ["attempt-percent"], ["slot-state", "right-answer", "解析单选题", "反馈对一九二二"]),
    ("rightwrong", ["attempt-percent", "slot-state"],
     ["right-answer", "全国代表大会", "解析单选题"]),
    ("answers", ["attempt-percent", "slot-state", "right-answer", "全国代表大会"],
     ["解析单选题", "反馈对一九二二", "general-feedback"]),
    ("explanations", ["attempt-percent", "slot-state", "right-answer", "解析单选题",
                      "反馈错一九二一"], []),
])
def test_review_shows_what_the_policy_allows(app, client, org, make_bank, assigned_quiz,
                                             shows, present, absent):
    bank = make_bank("带反馈的题库", gift=FEEDBACK_GIFT)
    quiz = assigned_quiz(layout="all", bank=bank, review_shows=shows)
    login(client, "member")
    attempt_id = _start(client, quiz.id)
    wrong = {**FEEDBACK_RIGHT, 1: {"q1": "o2"}, 4: {"q4": "不知道"}}
    review = _answer_all_and_submit(client, attempt_id, range(1, 7), wrong).get_data(as_text=True)
    assert "66.67%" in review and "不知道" in review  # the member's own answer is shown
    for marker in present:
        assert marker in review, marker
    for marker in absent:
        assert marker not in review, marker
    page = client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    assert "4 / 6 (66.67%)" in page and f"/attempts/{attempt_id}/review" in page


def test_review_never_and_after_close(app, client, org, assigned_quiz, clock):
    never = assigned_quiz(layout="all", review_when="never")
    closing = assigned_quiz(layout="all", review_when="after_close",
                            close_at=clock.at + timedelta(hours=1))
    login(client, "member")
    for quiz in (never, closing):
        attempt_id = _start(client, quiz.id)
        review = _answer_all_and_submit(client, attempt_id, range(1, 7), RIGHT_FORM)
        text = review.get_data(as_text=True)
        assert "Your attempt is submitted." in text and "attempt-percent" not in text
        assert "slot-state" not in text and "中央委员会" not in text
        quiz.attempt_id = attempt_id
    assert "This quiz shows no review of attempts" in client.get(
        f"/attempts/{never.attempt_id}/review").get_data(as_text=True)
    closed_text = client.get(f"/attempts/{closing.attempt_id}/review").get_data(as_text=True)
    assert "shown once the quiz closes, at" in closed_text
    page = client.get(f"/quizzes/{closing.id}").get_data(as_text=True)
    assert "Submitted" in page and "6 / 6" not in page and "Passed" in page
    assert f"/attempts/{closing.attempt_id}/review" not in page
    clock.move(hours=2)
    opened = client.get(f"/attempts/{closing.attempt_id}/review").get_data(as_text=True)
    assert "attempt-percent" in opened and "100%" in opened and "general-feedback" not in opened
    assert "6 / 6 (100%)" in client.get(f"/quizzes/{closing.id}").get_data(as_text=True)


def test_another_members_attempt_is_404(app, client, org, make_user, assigned_quiz):
    quiz = assigned_quiz(layout="all")
    make_user("member2", units=[(org.group_a, "member")])
    login(client, "member")
    attempt_id = _start(client, quiz.id)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, "member2")
    token = csrf_token(client)
    url = f"/attempts/{attempt_id}"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"csrf_token": token, "slots": ["1"], "q1": "o1"}).status_code \
        == 404
    assert client.post(f"{url}/autosave", data={"slots": ["1"], "q1": "o1"},
                       headers={"X-CSRFToken": token}).status_code == 404
    assert client.get(f"{url}/submit").status_code == 404
    assert client.post(f"{url}/submit", data={"csrf_token": token}).status_code == 404
    assert client.get(f"{url}/review").status_code == 404
    assert _attempt(app, attempt_id).slots[0].response is None


def test_leader_in_scope_grades_an_essay_and_the_module_completes(
        app, client, org, assigned_quiz):
    from courses import progress
    from learning.audit.models import AuditEntry

    quiz = assigned_quiz(layout="all", with_essay=True, pass_mark=100)
    login(client, "member")
    attempt_id = _start(client, quiz.id)
    review = _answer_all_and_submit(client, attempt_id, range(1, 8), RIGHT_FORM)
    text = review.get_data(as_text=True)
    assert "Waiting for grading" in text and "Score so far: 6 of 7" in text
    assert "grade-form" not in text  # the member cannot grade
    assert post_form(client, f"/attempts/{attempt_id}/slots/7/grade",
                     {"mark": "1"}).status_code == 403
    page = client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    assert "Waiting for grading" in page and "1 attempt(s) waiting for grading" in page
    with app.app_context():
        assert progress.get(org.member.id, quiz.module_id) is None

    outsider = login_as(app, "leader_out")
    assert outsider.get(f"/attempts/{attempt_id}/review").status_code == 404
    assert post_form(outsider, f"/attempts/{attempt_id}/slots/7/grade",
                     {"mark": "1"}).status_code == 404
    listing = outsider.get(f"/quizzes/{quiz.id}/grading")
    assert listing.status_code == 200 and f"/attempts/{attempt_id}/review" not in \
        listing.get_data(as_text=True)

    staff = login_as(app, "leader_in")
    listing = staff.get(f"/quizzes/{quiz.id}/grading").get_data(as_text=True)
    assert "成员甲" in listing and f"/attempts/{attempt_id}/review" in listing
    review = staff.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "成员甲" in review and f'action="/attempts/{attempt_id}/slots/7/grade"' in review
    assert "第一行<br>" in review  # the essay, line by line
    bad = post_form(staff, f"/attempts/{attempt_id}/slots/7/grade", {"mark": "3"},
                    follow_redirects=True)
    assert "Enter a mark between 0 and 1." in bad.get_data(as_text=True)
    assert staff.post(f"/attempts/{attempt_id}/slots/99/grade",
                      data={"csrf_token": csrf_token(staff), "mark": "1"}).status_code == 404
    response = post_form(staff, f"/attempts/{attempt_id}/slots/7/grade",
                         {"mark": "１", "comment": "写得很好"})
    assert response.status_code == 302 and response.location.endswith("/review#q7")
    attempt = _attempt(app, attempt_id)
    assert (attempt.percent, attempt.passed, attempt.needs_grading) == (100.0, True, False)
    assert attempt.slots[6].comment == "写得很好"
    with app.app_context():
        assert progress.get(org.member.id, quiz.module_id).completed_via == "quiz"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "quiz.grade"))
        assert entry.actor_name == "leader_in" and entry.details["position"] == 7
    assert f"/attempts/{attempt_id}/review" not in staff.get(
        f"/quizzes/{quiz.id}/grading").get_data(as_text=True)
    text = client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "100%" in text and "写得很好" in text
    assert "100%" in client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)


def login_as(app, username):
    """A second browser, logged in as `username`, reading English."""
    other = app.test_client()
    with other.session_transaction() as session:
        session["lang"] = "en"
    assert login(other, username).status_code == 302
    return other


def test_attempt_history_and_attempts_used_up(app, client, org, assigned_quiz):
    quiz = assigned_quiz(layout="all", attempts_allowed=2, grading_method="last")
    login(client, "member")
    first = _start(client, quiz.id)
    _answer_all_and_submit(client, first, range(1, 7), RIGHT_FORM)
    page = client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    assert "Attempts: 1 of 2 used" in page and 'name="number" value="2"' in page
    assert "Start a new attempt" in page and "the last attempt counts" in page
    second = _start(client, quiz.id)
    assert second != first
    _answer_all_and_submit(client, second, [1], RIGHT_FORM, complete=False)
    page = client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    assert "Attempt 1" in page and "Attempt 2" in page
    assert "6 / 6 (100%)" in page and "1 / 6 (16.67%)" in page
    assert "16.67%" in re.search(r'member-grade">([^<]+)<', page).group(1)  # the last counts
    assert "You have used all the attempts allowed." in page
    assert "Start attempt" not in page and "Start a new attempt" not in page
    assert page.count("Review</a>") == 2
    # A start sent anyway gets the reason, never a third attempt.
    response = post_form(client, f"/quizzes/{quiz.id}/start", {"number": "3"},
                         follow_redirects=True)
    assert "You have used all 2 attempts allowed" in response.get_data(as_text=True)


def _bank_of(count: int) -> str:
    kinds = ["{=甲 ~乙 ~丙}", "{~%50%甲 ~%50%乙 ~%-100%丙}", "{T}", "{=答案}", "{#3:0}",
             "{=一 -> 1 =二 -> 2 =三 -> 3}"]
    return "\n\n".join(f"::q{n}:: 第{n}题 {kinds[n % len(kinds)]}" for n in range(count))


SMALL_RIGHT = {1: {"q1": "o1"}, 2: {"q2": ["o1", "o2"]}, 3: {"q3": "true"}, 4: {"q4": "答案"},
               5: {"q5": "3"}, 6: {"q6_p1": "1", "q6_p2": "2"}}


def test_attempt_page_queries_do_not_grow_with_the_questions(
        app, client, org, make_bank, assigned_quiz, query_counter):
    login(client, "member")
    counts = []
    for size in (6, 30):
        bank = make_bank(f"题库{size}", gift=_bank_of(size))
        quiz = assigned_quiz(layout="all", bank=bank, with_essay=True)  # every question
        attempt_id = _start(client, quiz.id)
        client.post(f"/attempts/{attempt_id}", data=_form(
            csrf_token(client), range(1, 7), SMALL_RIGHT, page="1", nav="save"))
        with query_counter() as statements:
            response = client.get(f"/attempts/{attempt_id}")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('name="slots"') == size
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_grading_list_queries_do_not_grow_with_the_attempts(
        app, client, org, make_user, assigned_quiz, query_counter):
    from quizzes.attempts import services
    from quizzes.models import Quiz

    quiz = assigned_quiz(layout="all", with_essay=True)
    essay = {"7": {"text": "体会"}}
    counts = []
    staff = login_as(app, "admin")
    for batch in (1, 5):
        users = [make_user(units=[(org.group_a, "member")]) for _ in range(batch)]
        with app.app_context():
            for user in users:
                attempt = services.start_attempt(db.session.get(Quiz, quiz.id), user.id)
                services.submit(attempt, essay)
            db.session.commit()
        with query_counter() as statements:
            page = staff.get(f"/quizzes/{quiz.id}/grading").get_data(as_text=True)
        counts.append(len(statements))
        assert page.count("Grade</a>") == (1 if batch == 1 else 6)
    assert counts[0] == counts[1], counts


def test_the_quiz_flow_runs_a_fixed_number_of_statements(
        app, client, org, make_bank, assigned_quiz, query_counter):
    """start -> autosave -> submit, as quiz.js and the load bench send them: each request's
    statements are counted, and do not grow with the questions (built once, written in one
    executemany each)."""
    login(client, "member")
    counts = []
    for size in (6, 30):
        bank = make_bank(f"题库{size}", gift=_bank_of(size))
        quiz = assigned_quiz(layout="all", bank=bank, with_essay=True)
        token = csrf_token(client)
        with query_counter() as start:
            response = client.post(f"/quizzes/{quiz.id}/start", data={"csrf_token": token})
        attempt_id = int(re.search(r"/attempts/(\d+)$", response.location).group(1))
        with query_counter() as save:
            response = client.post(f"/attempts/{attempt_id}/autosave", data=_form(
                token, range(1, 7), {1: {"q1": "o2"}}))  # one wrong answer, five cleared
        assert response.json["saved"] == 6
        with query_counter() as submit:
            response = client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token})
        assert response.location.endswith(f"/attempts/{attempt_id}/review")
        assert _attempt(app, attempt_id).state == "finished"
        counts.append((len(start), len(save), len(submit)))
    # start: user, quiz with module and course, led units, assignments, questions, earlier
    # attempts, INSERT attempt, INSERT slots. autosave: user, attempt, slots, claim, UPDATE
    # slots. submit: user, attempt, claim, slots, UPDATE slots, quiz rules, UPDATE totals,
    # and (failed, so another attempt might pass) the member's grade.
    assert counts == [(8, 5, 8), (8, 5, 8)], counts


def test_a_passing_submit_completes_the_module_in_a_few_statements(
        app, client, org, assigned_quiz, query_counter):
    from courses.models import CourseProgress, Progress

    login(client, "member")
    quiz = assigned_quiz(layout="all")
    token = csrf_token(client)
    attempt_id = _start(client, quiz.id)
    client.post(f"/attempts/{attempt_id}/autosave",
                data=_form(token, range(1, 7), RIGHT_FORM))
    with query_counter() as submit:
        response = client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token})
    assert response.location.endswith(f"/attempts/{attempt_id}/review")
    # The 7 statements of every submit, then the progress upsert and the rollup: its courses,
    # its rows created or locked, recounted. No read of the member's grade: with "highest",
    # a passed attempt passes the quiz.
    assert len(submit) == 11, submit
    with app.app_context():
        row = db.session.scalar(select(Progress).where(
            Progress.user_id == org.member.id, Progress.module_id == quiz.module_id))
        assert row.completed_via == "quiz" and row.completed_at is not None
        rollup = db.session.scalar(select(CourseProgress).where(
            CourseProgress.user_id == org.member.id,
            CourseProgress.course_id == quiz.course.id))
        assert rollup.done == 1 and rollup.opened
