"""The quiz engine's JSON API: banks (import with a dry run, export), quizzes, and the whole
attempt flow: start, save, submit, result, hand grading.

Through the test client as a browser script would call it (session cookie + X-CSRFToken
header), and once with a personal bearer token. Messages are read in English.
"""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from courses.models import Progress
from learning.accounts.models import User
from learning.accounts.services import create_token
from learning.audit.models import AuditEntry
from learning.dbtypes import utcnow
from learning.extensions import db
from quizzes.attempts import services as attempt_services
from quizzes.authoring.api import takeable_quizzes_select
from quizzes.authoring.services import create_quiz, set_questions
from quizzes.models import Attempt, AttemptSlot, Question, QuestionBank, Quiz
from quizzes.permissions import can_take_quiz
from tests.conftest import csrf_token, login, post_form
from tests.quizzes.conftest import RIGHT

# The conftest's questions again, in the same order (so RIGHT answers them), each with option
# feedback and a general explanation whose words appear nowhere else: if an open attempt's JSON
# carried any of them, the tests below would see it.
FEEDBACK_GIFT = """\
$CATEGORY: 党史/基础

::single:: 中国共产主义青年团成立于哪一年? {=1922#选项反馈甲 ~1921#选项反馈乙 ~1949#选项反馈丙 \
####总体解析甲}

::multiple:: 下列哪些是团的基层组织? {~%50%团支部#选项反馈丁 ~%50%团小组 ~%-100%学生会#选项反馈戊 \
####总体解析乙}

::truefalse:: 五四运动发生在1919年。 {T#判断反馈错#判断反馈对 ####总体解析丙}

$CATEGORY: 党史/进阶

::short:: 团的最高领导机关是团的全国代表大会和它所产生的{=中央委员会#填空反馈 =团中央 \
####总体解析丁}。

::numeric:: 五四运动发生在哪一年? {#1919:0#数字反馈 ####总体解析戊}

::matching:: 把事件与年份配对。 {=五四运动 -> 1919 =建党 -> 1921 =建团 -> 1922 ####总体解析己}

::essay:: 谈谈你的学习体会。 {####总体解析庚}
"""
SECRET_WORDS = ("fraction", "feedback", "right_answer", "grader_info", "总体解析", "选项反馈",
                "判断反馈", "填空反馈", "数字反馈", "correct", "中央委员会")

BAD_GIFT = """\
::好题::1+1=?{=2 ~3}

::坏题一::缺少右括号{=2 ~3

::坏题二::没有正确答案{~1 ~3}
"""
GOOD_GIFT = """\
$CATEGORY: 团史/成立
::成立::中国共产主义青年团成立于哪一年？{~1920 =1922 ~1925}

$CATEGORY: 团史/组织
::直辖市::下列城市中，直辖市有：{~%50%北京 ~%50%上海 ~%-100%广州}

$CATEGORY: 常识
::全代会::团的最高领导机关是全国代表大会。{TRUE}
"""
NEW_QUESTION = "\n::新题::五四运动发生在1919年。{T}\n"
RIGHT6 = {slot: answer for slot, answer in RIGHT.items() if slot != "7"}  # without the essay


# --- helpers --------------------------------------------------------------------------------


def as_user(client, username: str) -> dict:
    """Log in, read messages in English, and return the headers of a cookie API call."""
    assert login(client, username).status_code == 302
    client.get("/lang/en")
    return {"X-CSRFToken": csrf_token(client)}


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def import_file(client, headers, data: bytes, filename: str, **form):
    fields = {"bank": "API题库", **{k: str(v).lower() if isinstance(v, bool) else v
                                    for k, v in form.items()}}
    return client.post("/api/v1/banks/import", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), filename), **fields})


def start(client, headers, quiz_id: int, **body):
    return client.post(f"/api/v1/quizzes/{quiz_id}/attempts", json=body, headers=headers)


def save(client, headers, attempt_id: int, answers: dict, method: str = "PUT"):
    return client.open(f"/api/v1/attempts/{attempt_id}/answers", method=method,
                       json={"answers": answers}, headers=headers)


def submit(client, headers, attempt_id: int, answers: dict | None = None):
    body = {} if answers is None else {"answers": answers}
    return client.post(f"/api/v1/attempts/{attempt_id}/submit", json=body, headers=headers)


@pytest.fixture
def feedback_quiz(org, make_bank, make_quiz, make_assignment):
    """A quiz on a bank full of feedback, on a module assigned to the member's group."""
    def make(**settings):
        quiz = make_quiz(bank=make_bank("解析题库", gift=FEEDBACK_GIFT), **settings)
        make_assignment(quiz.course, org.group_a)
        return quiz
    return make


@pytest.fixture
def clock(monkeypatch):
    """Move the attempt services' clock: clock.shift(minutes=...)."""
    state = SimpleNamespace(offset=timedelta(0))
    monkeypatch.setattr(attempt_services, "now", lambda: utcnow() + state.offset)
    state.shift = lambda **delta: setattr(state, "offset", state.offset + timedelta(**delta))
    return state


# --- banks ----------------------------------------------------------------------------------


def test_dry_run_lists_every_error_with_its_line_and_writes_nothing(app, client, org):
    headers = as_user(client, "admin")
    response = import_file(client, headers, BAD_GIFT.encode(), "bad.gift")
    assert response.status_code == 422
    body = response.get_json()
    assert body["applied"] is False and body["blocked"] is True
    assert [error["line"] for error in body["errors"]] == [3, 5]
    assert all(error["row"] is None and error["message"] for error in body["errors"])
    assert body["errors"][0]["text"].startswith("line 3")
    assert body["questions"] == 1 and "2 errors" in body["message"]
    # Applying the same file is refused as a whole: not even the good question is stored.
    response = import_file(client, headers, BAD_GIFT.encode(), "bad.gift", dry_run=False)
    assert response.status_code == 422 and response.get_json()["applied"] is False
    assert count(app, Question) == 0 and count(app, QuestionBank) == 0


def test_dry_run_of_a_good_file_says_what_would_happen(app, client, org):
    headers = as_user(client, "admin")
    response = import_file(client, headers, GOOD_GIFT.encode(), "good.gift")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["applied"], body["blocked"], body["bank_exists"]) == (False, False, False)
    assert (body["questions"], body["to_import"], body["errors"]) == (3, 3, [])
    assert body["categories_to_create"] == ["团史", "团史/成立", "团史/组织", "常识"]
    assert count(app, Question) == 0 and count(app, QuestionBank) == 0


def test_apply_then_duplicates_blocked_then_skipped(app, client, org):
    headers = as_user(client, "admin")
    response = import_file(client, headers, GOOD_GIFT.encode(), "good.gift", dry_run=False)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["applied"], body["to_import"], body["skipped"]) == (True, 3, 0)
    assert body["bank_id"] and count(app, Question) == 3
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "bank.import"))
        assert entry.actor_name == "admin"

    # The same file again, with one new question: the repeats block it as a whole ...
    again = (GOOD_GIFT + NEW_QUESTION).encode()
    response = import_file(client, headers, again, "again.gift", dry_run=False)
    assert response.status_code == 409
    body = response.get_json()
    assert [(d["line"], d["in_bank"]) for d in body["duplicates"]] == [
        (2, True), (5, True), (8, True)]
    assert all(d["question_id"] for d in body["duplicates"])
    assert "already in the bank" in body["message"]
    assert count(app, Question) == 3
    # ... a dry run says so too (200: the file itself is fine) ...
    response = import_file(client, headers, again, "again.gift")
    assert response.status_code == 200 and response.get_json()["blocked"] is True
    # ... and skipping them imports only the new one.
    response = import_file(client, headers, again, "again.gift", dry_run=False,
                           skip_duplicates=True)
    assert response.status_code == 200
    assert (response.get_json()["to_import"], response.get_json()["skipped"]) == (1, 3)
    assert count(app, Question) == 4


def test_sheet_errors_name_their_row_and_column(app, client, org):
    headers = as_user(client, "admin")
    buffer = io.StringIO()
    csv.writer(buffer).writerows([
        ["题型", "题干", "选项A", "选项B", "答案"],
        ["单选", "团的最高领导机关是？", "全国代表大会", "中央委员会", "A"],
        ["单选", "缺答案的题", "甲", "乙", "C"],
    ])
    # The chosen format wins over the file's name (a sheet saved as .txt).
    response = import_file(client, headers, buffer.getvalue().encode("utf-8-sig"),
                           "questions.txt", format="csv")
    assert response.status_code == 422
    (error,) = response.get_json()["errors"]
    assert (error["row"], error["line"], error["column"]) == (3, None, "答案")
    assert count(app, Question) == 0


def test_import_refuses_a_missing_file_an_unknown_format_and_a_huge_upload(
        app, client, org, monkeypatch):
    headers = as_user(client, "admin")
    response = client.post("/api/v1/banks/import", headers=headers,
                           content_type="multipart/form-data", data={"bank": "x"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"files": {"file": ["Choose a file."]}}
    response = import_file(client, headers, GOOD_GIFT.encode(), "good.gift", format="docx")
    assert response.status_code == 422 and "format" in response.get_json()["errors"]["form"]
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = import_file(client, headers, b"x" * 4096, "big.gift")
    assert response.status_code == 413
    assert response.get_json()["message"] == "The file is too large."
    assert count(app, QuestionBank) == 0


def test_bank_list_detail_and_export(app, client, org, make_bank):
    bank = make_bank()
    headers = as_user(client, "admin")
    listed = client.get("/api/v1/banks").get_json()
    assert [(b["id"], b["question_count"]) for b in listed] == [(bank.id, 7)]

    detail = client.get(f"/api/v1/banks/{bank.id}").get_json()
    counts = {c["path"]: (c["question_count"], c["total_count"]) for c in detail["categories"]}
    assert counts == {"党史": (0, 7), "党史/基础": (3, 3), "党史/进阶": (4, 4)}
    assert detail["counts_by_type"]["single"] == 1 and detail["uncategorised_count"] == 0
    assert client.get("/api/v1/banks/987654").status_code == 404

    response = client.get(f"/api/v1/banks/{bank.id}/export?format=gift")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    exported = response.data
    # The export re-imports into a new bank as the same seven questions.
    response = import_file(client, headers, exported, "export.gift", bank="副本",
                           dry_run=False)
    assert response.status_code == 200 and response.get_json()["to_import"] == 7

    response = client.get(f"/api/v1/banks/{bank.id}/export?format=xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert int(response.headers["X-Left-Out"]) > 0  # numeric, matching: not in the template
    assert client.get(f"/api/v1/banks/{bank.id}/export?format=pdf").status_code == 422


# --- quizzes --------------------------------------------------------------------------------


def quiz_on(app, course, module_id, bank, title="测验"):
    """A quiz on `module_id` (None: standalone) of `course`, with the bank's first question."""
    with app.app_context():
        quiz = create_quiz(course.id, module_id, title=title)
        set_questions(quiz, [(bank.question_ids[0], None)])
        db.session.commit()
        return quiz.id


@pytest.fixture
def scoped_quizzes(app, org, make_course, make_bank, make_assignment):
    """Quizzes the member may and may not take, each for one reason."""
    bank = make_bank()
    whole = make_course("整课指派", modules=2)
    part = make_course("单元指派", modules=2)
    other = make_course("未指派", modules=1)
    draft = make_course("草稿", modules=1, published=False)
    make_assignment(whole, org.group_a)
    make_assignment(part, org.group_a, module_id=part.module_ids[0])
    make_assignment(other, org.group_b)
    ids = SimpleNamespace(
        whole_module=quiz_on(app, whole, whole.module_ids[0], bank),
        whole_standalone=quiz_on(app, whole, None, bank),
        part_assigned=quiz_on(app, part, part.module_ids[0], bank),
        part_other=quiz_on(app, part, part.module_ids[1], bank),
        part_standalone=quiz_on(app, part, None, bank),
        other=quiz_on(app, other, other.module_ids[0], bank),
        draft=quiz_on(app, draft, draft.module_ids[0], bank),
    )
    return ids


def test_quiz_list_is_what_each_user_may_take(app, client, org, scoped_quizzes):
    q = scoped_quizzes
    member_sees = {q.whole_module, q.whole_standalone, q.part_assigned, q.part_standalone}
    expected = {"member": member_sees,
                "leader_out": set(vars(q).values()) - {q.draft},
                "admin": set(vars(q).values())}
    for username, ids in expected.items():
        as_user(client, username)
        listed = client.get("/api/v1/quizzes").get_json()
        assert {item["id"] for item in listed} == ids, username
        post_form(client, "/logout")
    # The list's one query agrees with can_take_quiz, quiz by quiz, for every persona.
    with app.app_context():
        quizzes = db.session.scalars(select(Quiz)).all()
        for username in ("member", "leader_in", "leader_out", "admin"):
            user = db.session.scalar(select(User).where(User.username == username))
            listed = set(db.session.scalars(
                takeable_quizzes_select(user).with_only_columns(Quiz.id)))
            assert listed == {quiz.id for quiz in quizzes if can_take_quiz(user, quiz)}


def test_quiz_list_queries_do_not_grow_with_quizzes(app, client, org, make_course, make_bank,
                                                   make_assignment, query_counter):
    bank = make_bank()
    course = make_course(modules=6)
    make_assignment(course, org.group_a)
    as_user(client, "member")
    quiz_on(app, course, course.module_ids[0], bank)
    with query_counter() as few:
        assert len(client.get("/api/v1/quizzes").get_json()) == 1
    for module_id in course.module_ids[1:]:
        quiz_on(app, course, module_id, bank)
    with query_counter() as many:
        assert len(client.get("/api/v1/quizzes").get_json()) == 6
    assert len(many) == len(few)


def test_quiz_detail_is_404_unless_the_user_may_take_it(app, client, org, scoped_quizzes):
    q = scoped_quizzes
    as_user(client, "member")
    for quiz_id in (q.part_other, q.other, q.draft, 987654):
        assert client.get(f"/api/v1/quizzes/{quiz_id}").status_code == 404
        assert client.get(f"/api/v1/quizzes/{quiz_id}/attempts").status_code == 404
    detail = client.get(f"/api/v1/quizzes/{q.whole_module}").get_json()
    assert detail["question_count"] == 1 and detail["attempts_used"] == 0
    assert detail["setup"] is None  # which bank questions: for managers only


def test_admin_creates_and_changes_a_quiz(app, client, org, make_course, make_bank):
    bank = make_bank()
    course = make_course(modules=2, rule="quiz")
    headers = as_user(client, "admin")
    response = client.post("/api/v1/quizzes", headers=headers, json={
        "course_id": course.id, "module_id": course.module_ids[0], "title": "单元测验",
        "intro_md": "**认真**作答", "time_limit_minutes": 20, "attempts_allowed": 2,
        "open_at": "2025-03-01T08:00:00+08:00"})
    assert response.status_code == 201, response.get_json()
    quiz = response.get_json()
    assert "<strong>认真</strong>" in quiz["intro_html"]
    assert (quiz["time_limit_minutes"], quiz["attempts_allowed"], quiz["layout"]) == (20, 2, "one")
    assert datetime.fromisoformat(quiz["open_at"]) == datetime(2025, 3, 1, tzinfo=UTC)

    url = f"/api/v1/quizzes/{quiz['id']}"
    response = client.put(f"{url}/questions", headers=headers, json={"questions": [
        {"question_id": bank.question_ids[1], "mark": 2}, {"question_id": bank.question_ids[0]}]})
    assert response.status_code == 200
    assert [(q["question_id"], q["mark"]) for q in response.get_json()["setup"]["questions"]] \
        == [(bank.question_ids[1], 2.0), (bank.question_ids[0], 1.0)]
    assert response.get_json()["question_count"] == 2

    response = client.patch(url, headers=headers, json={"time_limit_minutes": None,
                                                         "review_shows": "score"})
    assert response.status_code == 200
    assert response.get_json()["time_limit_minutes"] is None
    assert response.get_json()["attempts_allowed"] == 2  # left out: kept

    with app.app_context():
        category_id = db.session.get(Question, bank.question_ids[0]).category_id
    response = client.put(f"{url}/draws", headers=headers, json={"draws": [
        {"category_id": category_id, "count": 2}]})
    assert response.status_code == 200
    assert response.get_json()["setup"]["draws"][0]["category_path"] == "党史/基础"


@pytest.mark.parametrize("change, field", [
    ({"pass_mark": 150}, "pass_mark"),
    ({"layout": "grid"}, "layout"),
    ({"time_limit_minutes": 0}, "time_limit_minutes"),
    ({"title": "  "}, "title"),
    ({"open_at": "2025-03-02T00:00:00Z", "close_at": "2025-03-01T00:00:00Z"}, "close_at"),
    ({"attempts_allowed": "x"}, "attempts_allowed"),
])
def test_bad_settings_are_422_naming_the_field(app, client, org, make_quiz, change, field):
    quiz = make_quiz()
    headers = as_user(client, "admin")
    response = client.patch(f"/api/v1/quizzes/{quiz.id}", headers=headers, json=change)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    with app.app_context():
        assert db.session.get(Quiz, quiz.id).title == "第一单元测验"


def test_quiz_questions_draws_and_module_refusals(app, client, org, make_quiz, make_bank):
    quiz = make_quiz()
    headers = as_user(client, "admin")
    url = f"/api/v1/quizzes/{quiz.id}"
    response = client.put(f"{url}/questions", headers=headers,
                          json={"questions": [{"question_id": 987654}]})
    assert response.status_code == 422 and "questions" in response.get_json()["errors"]["json"]
    with app.app_context():
        assert len(db.session.get(Quiz, quiz.id).questions) == 6  # rolled back
        category_id = db.session.get(Question, quiz.question_ids[0]).category_id
    response = client.put(f"{url}/draws", headers=headers,
                          json={"draws": [{"category_id": category_id, "count": 50}]})
    assert response.status_code == 422
    assert "only 3 questions" in response.get_json()["message"]
    response = client.post("/api/v1/quizzes", headers=headers, json={
        "course_id": quiz.course.id, "module_id": quiz.module_id, "title": "第二个"})
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == {
        "module_id": ["This module has a quiz already."]}
    response = client.post("/api/v1/quizzes", headers=headers,
                           json={"course_id": 987654, "title": "无课"})
    assert response.status_code == 422 and "course_id" in response.get_json()["errors"]["json"]


# --- attempts -------------------------------------------------------------------------------


def test_start_save_submit_result(app, client, org, feedback_quiz):
    quiz = feedback_quiz()
    headers = as_user(client, "member")
    response = start(client, headers, quiz.id, number=1)
    assert response.status_code == 201
    attempt = response.get_json()
    assert (attempt["number"], attempt["state"], attempt["seconds_left"]) == (1, "in_progress",
                                                                              None)
    assert [q["slot"] for q in attempt["questions"]] == [1, 2, 3, 4, 5, 6]
    assert [o["id"] for o in attempt["questions"][0]["options"]] == ["o1", "o2", "o3"]
    # A double tap on "start" resumes the same attempt.
    assert start(client, headers, quiz.id, number=1).get_json()["id"] == attempt["id"]
    url = f"/api/v1/attempts/{attempt['id']}"

    response = save(client, headers, attempt["id"], {k: RIGHT[k] for k in ("1", "2", "3")})
    assert response.status_code == 200 and response.get_json() == {"saved": 3,
                                                                    "seconds_left": None}
    reloaded = client.get(url).get_json()
    assert [q["response"] for q in reloaded["questions"][:4]] == [
        RIGHT["1"], {"options": ["o1", "o2"]}, RIGHT["3"], None]
    response = save(client, headers, attempt["id"], {k: RIGHT[k] for k in ("4", "5")},
                    method="PATCH")
    assert response.status_code == 200

    detail = client.get(f"/api/v1/quizzes/{quiz.id}").get_json()
    assert (detail["attempts_used"], detail["open_attempt_id"]) == (1, attempt["id"])

    response = submit(client, headers, attempt["id"], {"6": RIGHT["6"]})
    assert response.status_code == 200
    result = response.get_json()
    assert result["state"] == "finished" and result["finished_at"]
    review = result["review"]
    assert (review["percent"], review["passed"], review["level"]) == (100.0, True,
                                                                      "explanations")
    assert review["slots"][0]["right_answer"] == {"option": "o1"}
    assert "总体解析甲" in review["slots"][0]["general_feedback_html"]
    assert "选项反馈甲" in json.dumps(review, ensure_ascii=False)
    # Submit is idempotent, and the result reads the same afterwards.
    again = submit(client, headers, attempt["id"], {"1": {"option": "o2"}})
    assert again.status_code == 200 and again.get_json() == result
    assert client.get(f"{url}/result").get_json() == result
    assert save(client, headers, attempt["id"], {"1": RIGHT["1"]}).status_code == 409

    detail = client.get(f"/api/v1/quizzes/{quiz.id}").get_json()
    assert detail["open_attempt_id"] is None
    assert detail["grade"] == {"percent": 100.0, "passed": True, "attempts": 1, "pending": 0}
    history = client.get(f"/api/v1/quizzes/{quiz.id}/attempts").get_json()
    assert [(a["id"], a["state"], a["percent"]) for a in history] == [
        (attempt["id"], "finished", 100.0)]
    with app.app_context():  # passing the quiz completed its module
        progress = db.session.scalar(select(Progress).where(
            Progress.user_id == org.member.id, Progress.module_id == quiz.module_id))
        assert progress.completed_via == "quiz"


def test_the_flow_with_a_bearer_token(app, org, feedback_quiz):
    quiz = feedback_quiz()
    with app.app_context():
        _token, plain = create_token(db.session.get(User, org.member.id), "script")
        db.session.commit()
    api = app.test_client()  # no cookie, no CSRF token: the bearer token is the credential
    headers = {"Authorization": f"Bearer {plain}"}
    response = start(api, headers, quiz.id)
    assert response.status_code == 201
    attempt_id = response.get_json()["id"]
    assert save(api, headers, attempt_id, {"1": RIGHT["1"]}).status_code == 200
    response = submit(api, headers, attempt_id, {"2": {"options": ["o3"]}})
    assert response.status_code == 200
    assert response.get_json()["review"]["score"] == 1.0
    assert api.get(f"/api/v1/attempts/{attempt_id}/result", headers=headers).status_code == 200


def test_cookie_calls_need_the_csrf_header(app, client, org, feedback_quiz):
    quiz = feedback_quiz()
    as_user(client, "member")
    assert start(client, {}, quiz.id).status_code == 400
    assert count(app, Attempt) == 0


def test_forged_start_time_and_deadline_are_ignored(app, client, org, feedback_quiz):
    quiz = feedback_quiz(time_limit_minutes=10)
    headers = as_user(client, "member")
    before = utcnow()
    response = start(client, headers, quiz.id, started_at="2000-01-01T00:00:00+00:00",
                     deadline_at="2999-01-01T00:00:00+00:00", state="finished", score=100,
                     user_id=org.admin.id)
    assert response.status_code == 201
    body = response.get_json()
    assert 590 <= body["seconds_left"] <= 600
    with app.app_context():
        attempt = db.session.get(Attempt, body["id"])
        assert attempt.user_id == org.member.id and attempt.state == "in_progress"
        assert before - timedelta(seconds=5) <= attempt.started_at <= utcnow()
        assert attempt.deadline_at == attempt.started_at + timedelta(minutes=10)
        assert attempt.score is None


def test_answers_outside_the_attempt_or_not_fitting_are_refused(app, client, org,
                                                                 feedback_quiz):
    quiz = feedback_quiz()
    headers = as_user(client, "member")
    attempt_id = start(client, headers, quiz.id).get_json()["id"]
    # Slot 7 (the essay) is in the bank but not in this quiz: nothing of the request is stored.
    for answers, where in (({"1": RIGHT["1"], "7": {"text": "x"}}, "7"),
                           ({"1": RIGHT["1"], "abc": RIGHT["1"]}, "abc"),
                           ({"1": {"option": "o9"}}, "1"),
                           ({"2": {"options": ["o1", "o7"]}}, "2"),
                           ({"6": {"pairs": {"p9": "1919"}}}, "6"),
                           ({"3": "yes"}, "3")):
        response = save(client, headers, attempt_id, answers)
        assert response.status_code == 422, answers
        body = response.get_json()
        assert list(body["errors"]["json"]["answers"]) == [where]
        assert where in body["message"]
    response = submit(client, headers, attempt_id, {"1": {"option": "o9"}})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).state == "in_progress"
        assert count(app, AttemptSlot, AttemptSlot.response.is_not(None)) == 0
        responses = db.session.scalars(select(AttemptSlot.response).where(
            AttemptSlot.attempt_id == attempt_id)).all()
        assert responses == [None] * 6


def test_an_open_attempt_reveals_no_answer_feedback_or_explanation(app, client, org,
                                                                    feedback_quiz):
    quiz = feedback_quiz(with_essay=True)
    headers = as_user(client, "member")
    started = start(client, headers, quiz.id)
    attempt_id = started.get_json()["id"]
    saved = save(client, headers, attempt_id, {"1": {"option": "o2"}, "4": {"text": "错"}})
    texts = {"start": started, "save": saved,
             "attempt": client.get(f"/api/v1/attempts/{attempt_id}"),
             "result": client.get(f"/api/v1/attempts/{attempt_id}/result"),
             "history": client.get(f"/api/v1/quizzes/{quiz.id}/attempts"),
             "quiz": client.get(f"/api/v1/quizzes/{quiz.id}"),
             "quizzes": client.get("/api/v1/quizzes")}
    for name, response in texts.items():
        assert response.status_code in (200, 201), name
        text = response.get_data(as_text=True)
        text = json.dumps(json.loads(text), ensure_ascii=False)  # \u escapes -> characters
        leaked = [word for word in SECRET_WORDS if word in text]
        assert not leaked, f"{name} reveals {leaked}"
    assert texts["result"].get_json()["review"] is None
    # The words are real: the review after submitting shows them (level "explanations").
    review = submit(client, headers, attempt_id).get_json()["review"]
    assert "总体解析甲" in json.dumps(review, ensure_ascii=False)


def test_no_attempts_left_is_409_with_a_clear_message(app, client, org, feedback_quiz):
    quiz = feedback_quiz(attempts_allowed=1)
    headers = as_user(client, "member")
    attempt_id = start(client, headers, quiz.id, number=1).get_json()["id"]
    assert submit(client, headers, attempt_id, RIGHT6).status_code == 200
    for body in ({"number": 2}, {}):
        response = start(client, headers, quiz.id, **body)
        assert response.status_code == 409
        assert response.get_json()["message"] == \
            "You have used all 1 attempts allowed at this quiz."
    assert count(app, Attempt) == 1
    detail = client.get(f"/api/v1/quizzes/{quiz.id}").get_json()
    assert (detail["attempts_used"], detail["attempts_left"]) == (1, 0)


def test_a_closed_quiz_cannot_be_started(app, client, org, feedback_quiz, clock):
    quiz = feedback_quiz(close_at=utcnow() + timedelta(hours=1))
    headers = as_user(client, "member")
    clock.shift(hours=2)
    response = start(client, headers, quiz.id)
    assert response.status_code == 409
    assert response.get_json()["message"] == "This quiz is not open now."


def test_time_runs_out_on_the_server(app, client, org, feedback_quiz, clock):
    quiz = feedback_quiz(time_limit_minutes=5)
    headers = as_user(client, "member")
    attempt_id = start(client, headers, quiz.id).get_json()["id"]
    assert save(client, headers, attempt_id, {"1": RIGHT["1"]}).status_code == 200
    clock.shift(minutes=10)  # past the limit and the grace
    response = save(client, headers, attempt_id, {"2": RIGHT["2"]})
    assert response.status_code == 409
    attempt = client.get(f"/api/v1/attempts/{attempt_id}").get_json()
    assert (attempt["state"], attempt["seconds_left"]) == ("finished", 0)
    result = client.get(f"/api/v1/attempts/{attempt_id}/result").get_json()
    assert result["review"]["score"] == 1.0  # what was saved in time, graded


def test_answers_sent_with_a_late_submit_are_dropped_and_the_rest_graded(
        app, client, org, feedback_quiz, clock, monkeypatch):
    quiz = feedback_quiz(time_limit_minutes=5)
    headers = as_user(client, "member")
    first = start(client, headers, quiz.id).get_json()["id"]
    assert save(client, headers, first, {"1": RIGHT["1"]}).status_code == 200
    clock.shift(minutes=10)
    response = submit(client, headers, first, {"2": RIGHT["2"]})
    assert response.status_code == 200 and response.get_json()["review"]["score"] == 1.0

    # The same when the time runs out between the submit's check and its save (or another
    # submit finished the attempt in between): 200 with what was saved, never a 409.
    second = start(client, headers, quiz.id).get_json()["id"]
    assert save(client, headers, second, {"1": RIGHT["1"]}).status_code == 200
    clock.shift(minutes=10)
    monkeypatch.setattr(attempt_services, "overdue", lambda attempt, at=None: False)
    response = submit(client, headers, second, {"2": RIGHT["2"]})
    assert response.status_code == 200
    assert (response.get_json()["state"], response.get_json()["review"]["score"]) == (
        "finished", 1.0)


@pytest.mark.parametrize("settings, level", [
    ({"review_when": "never"}, None),
    ({"review_when": "after_close"}, None),
    ({"review_shows": "score"}, "score"),
    ({"review_shows": "rightwrong"}, "rightwrong"),
    ({"review_shows": "answers"}, "answers"),
])
def test_the_result_follows_the_review_policy(app, client, org, feedback_quiz, settings,
                                              level):
    if settings.get("review_when") == "after_close":
        settings["close_at"] = utcnow() + timedelta(days=1)
    quiz = feedback_quiz(**settings)
    headers = as_user(client, "member")
    attempt_id = start(client, headers, quiz.id).get_json()["id"]
    result = submit(client, headers, attempt_id, RIGHT6).get_json()
    assert result["state"] == "finished"
    review = result["review"]
    history = client.get(f"/api/v1/quizzes/{quiz.id}/attempts").get_json()
    grade = client.get(f"/api/v1/quizzes/{quiz.id}").get_json()["grade"]
    if level is None:
        assert review is None and history[0]["percent"] is None
        assert grade["percent"] is None and grade["passed"] is True
    else:
        assert review["level"] == level and review["percent"] == 100.0
        assert history[0]["percent"] == 100.0 and grade["percent"] == 100.0
        slot = review["slots"][0]
        assert ("state" in slot) == (level != "score")
        assert ("right_answer" in slot) == (level == "answers")
        assert "feedback" not in slot and "general_feedback_html" not in slot
    # Staff in scope always see the whole review.
    post_form(client, "/logout")
    as_user(client, "leader_in")
    staff = client.get(f"/api/v1/attempts/{attempt_id}/result").get_json()["review"]
    assert staff["level"] == "explanations"
    assert "总体解析甲" in staff["slots"][0]["general_feedback_html"]


def test_after_close_review_opens_when_the_quiz_closes(app, client, org, feedback_quiz, clock):
    quiz = feedback_quiz(review_when="after_close", close_at=utcnow() + timedelta(hours=1))
    headers = as_user(client, "member")
    attempt_id = start(client, headers, quiz.id).get_json()["id"]
    assert submit(client, headers, attempt_id, RIGHT6).get_json()["review"] is None
    clock.shift(hours=2)
    review = client.get(f"/api/v1/attempts/{attempt_id}/result").get_json()["review"]
    assert review["level"] == "explanations" and review["percent"] == 100.0


def test_attempts_are_their_members_only(app, client, org, feedback_quiz):
    quiz = feedback_quiz()
    headers = as_user(client, "member")
    attempt_id = start(client, headers, quiz.id).get_json()["id"]
    post_form(client, "/logout")
    headers = as_user(client, "admin")
    url = f"/api/v1/attempts/{attempt_id}"
    assert client.get(url).status_code == 404
    assert save(client, headers, attempt_id, {"1": RIGHT["1"]}).status_code == 404
    assert submit(client, headers, attempt_id).status_code == 404
    # Staff may read the result: an open attempt has no review yet.
    result = client.get(f"{url}/result").get_json()
    assert (result["state"], result["review"]) == ("in_progress", None)
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).state == "in_progress"


def test_essays_are_graded_by_hand(app, client, org, feedback_quiz):
    quiz = feedback_quiz(with_essay=True)
    headers = as_user(client, "member")
    attempt_id = start(client, headers, quiz.id).get_json()["id"]
    url = f"/api/v1/attempts/{attempt_id}/slots/7/grade"
    assert client.post(url, headers=headers, json={"mark": 1}).status_code == 403  # not self
    review = submit(client, headers, attempt_id, RIGHT).get_json()["review"]
    assert (review["needs_grading"], review["percent"]) == (True, None)
    post_form(client, "/logout")

    headers = as_user(client, "leader_out")
    assert client.post(url, headers=headers, json={"mark": 1}).status_code == 404
    post_form(client, "/logout")
    headers = as_user(client, "leader_in")
    response = client.post(url, headers=headers, json={"mark": 5})
    assert response.status_code == 422 and "mark" in response.get_json()["errors"]["json"]
    response = client.post(url, headers=headers, json={"mark": 0.5, "comment": "联系实际不够"})
    assert response.status_code == 200
    review = response.get_json()["review"]
    assert (review["needs_grading"], review["score"]) == (False, 6.5)
    essay = review["slots"][6]
    assert (essay["fraction"], essay["comment"], essay["state"]) == (0.5, "联系实际不够",
                                                                     "partial")
    assert client.post("/api/v1/attempts/987654/slots/1/grade", headers=headers,
                       json={"mark": 1}).status_code == 404
    assert client.post(f"/api/v1/attempts/{attempt_id}/slots/99/grade", headers=headers,
                       json={"mark": 1}).status_code == 404


def test_grading_an_open_attempt_is_409(app, client, org, feedback_quiz):
    quiz = feedback_quiz(with_essay=True)
    headers = as_user(client, "member")
    attempt_id = start(client, headers, quiz.id).get_json()["id"]
    post_form(client, "/logout")
    headers = as_user(client, "admin")
    response = client.post(f"/api/v1/attempts/{attempt_id}/slots/7/grade", headers=headers,
                           json={"mark": 1})
    assert response.status_code == 409
    assert response.get_json()["message"] == "An attempt can be graded once it is finished."


def test_the_openapi_document_lists_every_quiz_path(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    expected = {
        "/api/v1/banks": {"get"},
        "/api/v1/banks/{bank_id}": {"get"},
        "/api/v1/banks/import": {"post"},
        "/api/v1/banks/{bank_id}/export": {"get"},
        "/api/v1/quizzes": {"get", "post"},
        "/api/v1/quizzes/{quiz_id}": {"get", "patch"},
        "/api/v1/quizzes/{quiz_id}/questions": {"put"},
        "/api/v1/quizzes/{quiz_id}/draws": {"put"},
        "/api/v1/quizzes/{quiz_id}/attempts": {"get", "post"},
        "/api/v1/attempts/{attempt_id}": {"get"},
        "/api/v1/attempts/{attempt_id}/answers": {"put", "patch"},
        "/api/v1/attempts/{attempt_id}/submit": {"post"},
        "/api/v1/attempts/{attempt_id}/result": {"get"},
        "/api/v1/attempts/{attempt_id}/slots/{position}/grade": {"post"},
    }
    for path, methods in expected.items():
        assert path in spec["paths"], path
        assert methods <= set(spec["paths"][path]), path
    upload = spec["paths"]["/api/v1/banks/import"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
    # The attempt a member reads while answering declares no answer fields at all.
    fields = set(spec["components"]["schemas"]["PublicSlot"]["properties"])
    assert not fields & {"fraction", "feedback", "right_answer", "general_feedback_html"}
