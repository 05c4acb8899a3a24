"""Quiz statistics for admins and leaders: the page, the XLSX export and the API.

Attempts are made through quizzes.attempts.services by members of different units. The small
case (three members, six one-mark questions) is worked out by hand below, with Moodle's formulas
as quizzes/statistics.py states them:

    member    unit      right on slots   total   score
    alice     group_a   1 2 3 4 5 6        6     100%
    bob       group_a   1 2 3              3      50%
    carol     group_b   1                  1      16.7%

    slot 1: everyone right: facility 100%, SD 0, no discrimination (its variance is zero).
    slot 2: x = (1, 1, 0), rest of the total X = (5, 2, 1)
            mean x = 2/3 -> facility 66.7%; V(x) = 1/3 -> SD = sqrt(1/3) = 57.7%
            mean X = 8/3, Cov(x, X) = (1/3*7/3 + 1/3*-2/3 + -2/3*-5/3) / 2 = 5/6
            V(X) = (49/9 + 4/9 + 25/9) / 2 = 13/3
            D = 100 * (5/6) / sqrt(1/3 * 13/3) = 250 / sqrt(13) = 69.3%
            x and X sorted pair the same way, so Cov_max = Cov: E = 100%
    slot 4: x = (1, 0, 0), X = (5, 3, 1): Cov = 1, V(x) = 1/3, V(X) = 4
            D = 100 / sqrt(4/3) = 86.6%, E = 100%
    quiz:   mean (100 + 50 + 16.67) / 3 = 55.6%, median 50%
"""

import io
import math

import pytest
from openpyxl import load_workbook

from learning.extensions import db
from quizzes.attempts.services import save_answers, start_attempt, submit
from quizzes.models import Question, Quiz
from tests.conftest import login, post_form
from tests.quizzes.conftest import RIGHT

# A response to each of slots 1..6 that earns nothing.
WRONG = {"1": {"option": "o2"}, "2": {"options": ["o3"]}, "3": {"value": False},
         "4": {"text": "错"}, "5": {"text": "1"},
         "6": {"pairs": {"p1": "1921", "p2": "1922", "p3": "1919"}}}


def take(app, quiz_id: int, user, right: set[int]) -> None:
    """One finished attempt of `user`: right on the slots in `right`, wrong on the others."""
    with app.app_context():
        quiz = db.session.get(Quiz, quiz_id)
        attempt = start_attempt(quiz, user.id)
        save_answers(attempt, {slot: RIGHT[slot] if int(slot) in right else WRONG[slot]
                               for slot in WRONG})
        submit(attempt)
        db.session.commit()


@pytest.fixture
def case(app, org, make_user, make_quiz):
    """The hand-worked case above; alice's later all-wrong attempt must not count."""
    quiz = make_quiz()
    alice = make_user("alice", units=[(org.group_a, "member")])
    bob = make_user("bob", units=[(org.group_a, "member")])
    carol = make_user("carol", units=[(org.group_b, "member")])
    take(app, quiz.id, alice, {1, 2, 3, 4, 5, 6})
    take(app, quiz.id, bob, {1, 2, 3})
    take(app, quiz.id, carol, {1})
    take(app, quiz.id, alice, set())  # second attempt: statistics use the first
    quiz.users = {"alice": alice, "bob": bob, "carol": carol}
    return quiz


def api(client, quiz_id: int, unit=None):
    url = f"/api/v1/quizzes/{quiz_id}/statistics"
    return client.get(url, query_string={"unit": unit} if unit else None)


def by_number(body: dict) -> dict[int, dict]:
    return {q["number"]: q for q in body["questions"]}


def test_figures_match_the_hand_computation(client, org, case):
    """Facility, SD, discrimination and efficiency as worked out in the module docstring."""
    login(client, "admin")
    response = api(client, case.id)
    assert response.status_code == 200
    body = response.get_json()
    summary = body["summary"]
    assert summary["count"] == 3 and summary["pending"] == 0
    assert summary["mean"] == pytest.approx((100 + 50 + 100 / 6) / 3)
    assert summary["median"] == pytest.approx(50)
    assert [b["count"] for b in summary["distribution"]] == [0, 1, 0, 0, 0, 1, 0, 0, 0, 1]

    questions = by_number(body)
    assert [questions[n]["question_id"] for n in range(1, 7)] == case.question_ids[:6]
    first = questions[1]
    assert first["facility"] == pytest.approx(100)
    assert first["sd"] == pytest.approx(0)
    assert first["discrimination_index"] is None
    second = questions[2]
    assert second["count"] == 3
    assert second["facility"] == pytest.approx(200 / 3)
    assert second["sd"] == pytest.approx(100 * math.sqrt(1 / 3))
    assert second["discrimination_index"] == pytest.approx(250 / math.sqrt(13))
    assert second["discriminative_efficiency"] == pytest.approx(100)
    fourth = questions[4]
    assert fourth["facility"] == pytest.approx(100 / 3)
    assert fourth["discrimination_index"] == pytest.approx(100 / math.sqrt(4 / 3))
    assert fourth["discriminative_efficiency"] == pytest.approx(100)
    # Slots 4, 5, 6 are the hardest (33.3%), then 2 and 3 (66.7%); slot 1 last.
    ids = case.question_ids
    assert body["hardest"] == [str(ids[i]) for i in (3, 4, 5, 1, 2)]
    assert body["members"] == {"in_scope": 4, "attempted": 3}  # org.member has not tried


def test_option_frequencies_use_the_snapshot_texts(client, org, case):
    login(client, "admin")
    single = by_number(api(client, case.id).get_json())[1]
    options = {o["text"]: (o["count"], o["right"]) for o in single["options"]}
    assert options == {"1922": (3, True), "1921": (0, False), "1949": (0, False)}
    multiple = by_number(api(client, case.id).get_json())[2]
    picks = {o["text"]: o["count"] for o in multiple["options"]}
    assert picks == {"团支部": 2, "团小组": 2, "学生会": 1}
    assert multiple["options"][2]["share"] == pytest.approx(100 / 3)
    assert multiple["unanswered"] == 0


def test_unit_filter_restricts_to_the_subtree(client, org, case):
    login(client, "admin")
    group_a = api(client, case.id, org.group_a.id).get_json()
    assert group_a["unit_id"] == org.group_a.id
    assert group_a["summary"]["count"] == 2
    assert by_number(group_a)[4]["facility"] == pytest.approx(50)
    assert group_a["members"] == {"in_scope": 3, "attempted": 2}
    branch_a = api(client, case.id, org.branch_a.id).get_json()
    assert branch_a["summary"]["count"] == 2  # the group below the branch counts
    group_b = api(client, case.id, org.group_b.id).get_json()
    assert group_b["summary"]["count"] == 1
    assert by_number(group_b)[1]["facility"] == pytest.approx(100)
    assert by_number(group_b)[2]["facility"] == pytest.approx(0)


def test_leaders_see_only_their_subtree(client, org, case):
    login(client, "leader_in")
    inside = api(client, case.id).get_json()
    assert inside["summary"]["count"] == 2  # alice and bob, not carol
    assert by_number(inside)[4]["facility"] == pytest.approx(50)
    post_form(client, "/logout")

    login(client, "leader_out")
    outside = api(client, case.id).get_json()
    assert outside["summary"]["count"] == 1  # carol only: nothing of group_a
    assert by_number(outside)[4]["facility"] == pytest.approx(0)
    assert api(client, case.id, org.group_a.id).status_code == 404
    assert api(client, case.id, org.branch_a.id).status_code == 404
    page = client.get(f"/quizzes/{case.id}/statistics?unit={org.group_a.id}")
    assert page.status_code == 404
    assert client.get(f"/quizzes/{case.id}/statistics.xlsx?unit={org.group_a.id}") \
        .status_code == 404
    # The unit filter offers only the leader's own subtree.
    html = client.get(f"/quizzes/{case.id}/statistics").get_data(as_text=True)
    assert f'value="{org.group_b.id}"' in html
    assert f'value="{org.group_a.id}"' not in html
    assert f'value="{org.committee.id}"' not in html


def test_members_and_strangers_get_404(client, org, case):
    login(client, "member")
    assert client.get(f"/quizzes/{case.id}/statistics").status_code == 404
    assert api(client, case.id).status_code == 404
    post_form(client, "/logout")
    login(client, "admin")
    assert client.get("/quizzes/999999/statistics").status_code == 404
    assert api(client, 999999).status_code == 404
    assert api(client, case.id, 999999).status_code == 404


def test_page_shows_figures_chart_and_explanations(client, org, case):
    client.get("/lang/en")
    login(client, "admin")
    response = client.get(f"/quizzes/{case.id}/statistics")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Facility index:" in html and "Discrimination index:" in html
    assert "69.3%" in html and "66.7%" in html and "55.6%" in html  # D, F of slot 2, mean
    assert "<svg" in html and html.count("<rect") == 10
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert 'style="' not in html  # the CSP forbids inline styles
    assert "table-responsive" in html
    assert 'for="unit"' in html
    assert "3 of 4" in html
    filtered = client.get(f"/quizzes/{case.id}/statistics?unit={org.group_b.id}")
    assert f'<option value="{org.group_b.id}" selected>' in filtered.get_data(as_text=True)


def test_a_deleted_bank_question_still_shows(app, client, org, case):
    with app.app_context():
        db.session.delete(db.session.get(Question, case.question_ids[5]))
        db.session.commit()
    login(client, "admin")
    body = api(client, case.id).get_json()
    deleted = [q for q in body["questions"] if q["question_id"] is None]
    assert len(deleted) == 1
    assert deleted[0]["name"] == "matching" and deleted[0]["count"] == 3
    assert deleted[0]["key"].startswith("deleted-")
    assert deleted[0]["facility"] == pytest.approx(100 / 3)
    assert client.get(f"/quizzes/{case.id}/statistics").status_code == 200


def test_an_essay_awaiting_grading_is_pending(app, client, org, make_user, make_quiz):
    quiz = make_quiz(with_essay=True)
    take(app, quiz.id, make_user(units=[(org.group_a, "member")]), {1, 2, 3, 4, 5, 6})
    with app.app_context():
        attempt = start_attempt(db.session.get(Quiz, quiz.id), org.member.id)
        submit(attempt, {"1": RIGHT["1"], "7": RIGHT["7"]})  # the essay waits for a grader
        db.session.commit()
    login(client, "admin")
    body = api(client, quiz.id).get_json()
    assert body["summary"]["count"] == 1 and body["summary"]["pending"] == 1
    assert by_number(body)[1]["count"] == 1  # the pending attempt is in no figure


def test_xlsx_has_sheets_frozen_headers_and_neutralised_formulas(app, client, org, make_quiz):
    quiz = make_quiz()
    with app.app_context():
        question = db.session.get(Question, quiz.question_ids[0])
        question.name = "=cmd|' /C calc'!A0"
        question.stem_html = "<p>=HYPERLINK(&quot;http://example.com&quot;,&quot;x&quot;)</p>"
        data = dict(question.data)
        data["options"] = [{**o, "text_html": "<p>@SUM(A1)</p>"} if o["id"] == "o2" else o
                           for o in data["options"]]
        question.data = data
        db.session.commit()
    take(app, quiz.id, org.member, {1, 2})
    client.get("/lang/en")
    login(client, "admin")
    response = client.get(f"/quizzes/{quiz.id}/statistics.xlsx?unit={org.group_a.id}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "filename*=UTF-8''" in disposition

    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Summary", "Questions", "Options"]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.b
    summary = workbook["Summary"]
    values = {row[0].value: row[1] for row in summary.iter_rows(min_row=2) if row[0].value}
    assert values["Quiz"].value == "第一单元测验"
    assert values["Unit"].value == "测试团委/第一团支部/第一学习小组"
    assert values["Attempts counted (each member's first)"].value == 1
    assert values["Mean score"].value == pytest.approx(2 / 6)
    assert values["Mean score"].number_format == "0.0%"

    questions = workbook["Questions"]
    header = [cell.value for cell in questions[1]]
    assert header[:4] == ["No.", "Question", "Type", "Question text"]
    first = questions[2]
    assert first[1].value == "'=cmd|' /C calc'!A0"
    assert first[3].value.startswith("'=HYPERLINK(")
    assert all(cell.data_type != "f" for row in questions.iter_rows() for cell in row)
    facility = first[header.index("Facility index")]
    assert facility.value == pytest.approx(1.0) and facility.number_format == "0.0%"
    assert questions.column_dimensions["D"].width > 30

    options = workbook["Options"]
    texts = [row[2].value for row in options.iter_rows(min_row=2)]
    assert "'@SUM(A1)" in texts and "1922" in texts
    assert all(cell.data_type != "f" for row in options.iter_rows() for cell in row)


@pytest.mark.parametrize("persona", ["admin", "leader_in"])
def test_page_query_count_does_not_grow_with_attempts(app, client, org, make_user, make_quiz,
                                                      query_counter, persona):
    quiz = make_quiz()
    members = [make_user(units=[(org.group_a, "member")]) for _ in range(15)]
    login(client, persona)
    url = f"/quizzes/{quiz.id}/statistics"
    counts = []
    for batch in (members[:3], members[3:]):
        for number, member in enumerate(batch):
            take(app, quiz.id, member, set(range(1, 2 + number % 6)))
        with query_counter() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
        with query_counter() as xlsx_statements:
            assert client.get(url + ".xlsx").status_code == 200
        counts.append(len(xlsx_statements))
    assert counts[0] == counts[2] and counts[1] == counts[3], counts


def test_the_api_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/quizzes/{quiz_id}/statistics"]["get"]
    assert "200" in operation["responses"]
    assert any(p["name"] == "unit" for p in operation["parameters"])


def test_anonymous_api_gets_401(client, case):
    response = api(client, case.id)
    assert response.status_code == 401
    assert response.get_json()["code"] == 401


def test_no_attempts_renders_empty(client, org, make_quiz):
    quiz = make_quiz()
    login(client, "admin")
    assert client.get(f"/quizzes/{quiz.id}/statistics").status_code == 200
    body = api(client, quiz.id).get_json()
    assert body["summary"]["count"] == 0 and body["questions"] == []
    workbook = load_workbook(io.BytesIO(client.get(f"/quizzes/{quiz.id}/statistics.xlsx").data))
    assert workbook["Questions"].max_row == 1


def test_leader_counts_exclude_people_outside_scope(client, org, case):
    """The member counts follow the same scope as the attempts."""
    login(client, "leader_in")
    assert api(client, case.id).get_json()["members"] == {"in_scope": 3, "attempted": 2}
