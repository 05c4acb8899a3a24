"""A quiz as the next step (issue 18, item 4): its questions are one tap from the module page,
the review offers 「再次作答」 while attempts remain, and numeric answers open the number pad."""

import re

from tests.conftest import login, post_form
from tests.pages import forms, links, local_path, tap_button


def _attempt_id(response) -> int:
    match = re.search(r"/attempts/(\d+)", response.request.path)
    assert match, response.request.path
    return int(match.group(1))


def test_the_questions_are_one_tap_from_the_module_page(client, org, assigned_quiz):
    quiz = assigned_quiz(time_limit_minutes=15, layout="all")
    login(client, "member")
    page = client.get(f"/study/modules/{quiz.module_id}").get_data(as_text=True)
    assert "时间限制：15 分钟" in page  # said before the tap that starts the clock

    attempt = tap_button(client, page, "开始答题")
    html = attempt.get_data(as_text=True)
    assert attempt.request.path.startswith("/attempts/")
    assert 'name="q1"' in html and 'name="q5"' in html  # the questions themselves

    # Back on the module page, the same card goes straight back into the open attempt.
    again = client.get(f"/study/modules/{quiz.module_id}").get_data(as_text=True)
    assert f'href="/attempts/{_attempt_id(attempt)}"' in again


def test_numeric_answers_open_the_number_pad(client, org, assigned_quiz):
    quiz = assigned_quiz(layout="all")
    login(client, "member")
    page = client.get(f"/study/modules/{quiz.module_id}").get_data(as_text=True)
    html = tap_button(client, page, "开始答题").get_data(as_text=True)
    numeric = re.search(r'<input[^>]*name="q5"[^>]*>', html).group(0)
    assert 'inputmode="decimal"' in numeric
    short = re.search(r'<input[^>]*name="q4"[^>]*>', html).group(0)
    assert "inputmode" not in short  # a word is typed with the full keyboard


def test_the_review_offers_another_attempt_while_attempts_remain(client, org, assigned_quiz):
    quiz = assigned_quiz(attempts_allowed=2, review_when="after_attempt")
    login(client, "member")
    page = client.get(f"/study/modules/{quiz.module_id}").get_data(as_text=True)
    first = _attempt_id(tap_button(client, page, "开始答题"))
    review = post_form(client, f"/attempts/{first}/submit", follow_redirects=True)
    html = review.get_data(as_text=True)
    assert review.request.path == f"/attempts/{first}/review"
    retry = next(f for f in forms(html) if any("再次作答" in b for b in f.buttons))
    assert local_path(retry.action) == f"/quizzes/{quiz.id}/start" and retry.fields["number"] == "2"

    second = tap_button(client, html, "再次作答")
    assert second.request.path.startswith("/attempts/") and _attempt_id(second) != first
    last = post_form(client, f"/attempts/{_attempt_id(second)}/submit", follow_redirects=True)
    # Both attempts used: no 「再次作答」 any more, only the way back.
    assert "再次作答" not in last.get_data(as_text=True)
    assert "返回学习单元" in last.get_data(as_text=True)


def test_quiz_statistics_are_linked_from_the_quiz_pages_and_the_report(
        client, org, make_quiz, make_assignment):
    quiz = make_quiz()
    period = make_assignment(quiz.course, org.group_a)
    statistics = f"/quizzes/{quiz.id}/statistics"
    login(client, "admin")
    for page in ("/admin/quizzes/", f"/admin/quizzes/{quiz.id}"):
        assert f'href="{statistics}"' in client.get(page).get_data(as_text=True), page

    leader = client.application.test_client()
    login(leader, "leader_in")
    here = f"{statistics}?unit={org.branch_a.id}"
    report = leader.get(f"/reports/assignments/{period.id}/units/{org.branch_a.id}")
    hrefs = {link.href.replace("&amp;", "&") for link in links(report.get_data(as_text=True))}
    assert here in hrefs  # the quiz column and the button above the table
    missing = leader.get(f"/reports/assignments/{period.id}/units/{org.branch_a.id}"
                         "/not-completed").get_data(as_text=True)
    assert f'href="{here}"' in missing  # the 「未通过测验」 heading
    assert leader.get(here).status_code == 200
