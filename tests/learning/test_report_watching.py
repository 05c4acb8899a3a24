"""Reports know about watching: a member's watched share and quiz score per video module, and
the 未学名单 telling 未观看 / 未看完 / 未答题 apart, on the pages, in the API and the CSV."""

import csv
import io

from tests.conftest import csrf_token, login, post_form
from tests.courses.video.test_video import beat
from tests.quizzes import conftest as quiz_fixtures
from tests.quizzes import test_video_quiz as flow

# The quiz builders and the video-and-quiz module of the flow tests, as fixtures here.
make_bank, make_quiz = quiz_fixtures.make_bank, quiz_fixtures.make_quiz
clip, clock, video_quiz = flow.clip, flow.clock, flow.video_quiz
watch_to_the_end = flow.watch_to_the_end
pass_quiz_on_the_module_page = flow.pass_quiz_on_the_module_page


def _as(client, username):
    post_form(client, "/logout")
    login(client, username)


def _people(app, client, org, make_user, video_quiz, clock):
    """member: nothing watched; half: half the clip; watched: all of it, quiz not taken;
    done: watched and passed."""
    people = {name: make_user(name, name=f"成员{name}", units=[(org.group_a, "member")])
              for name in ("half", "watched", "done")}
    _as(client, "half")
    token = csrf_token(client)
    beat(client, video_quiz.module_id, 0, True, token)
    clock.tick(2)
    beat(client, video_quiz.module_id, 2, False, token)
    _as(client, "watched")
    watch_to_the_end(client, video_quiz.module_id, clock)
    _as(client, "done")
    watch_to_the_end(client, video_quiz.module_id, clock)
    pass_quiz_on_the_module_page(client, video_quiz)
    _as(client, "leader_in")
    client.get("/lang/en")
    return people


def _report_urls(app, org):
    from sqlalchemy import select

    from courses.models import Assignment
    from learning.extensions import db

    with app.app_context():
        assignment_id = db.session.scalar(select(Assignment.id))
    return (f"/reports/assignments/{assignment_id}/units/{org.branch_a.id}",
            f"/api/v1/reports/assignments/{assignment_id}/units/{org.branch_a.id}")


def test_the_not_completed_list_says_what_is_missing(app, client, org, make_user, video_quiz,
                                                     clock):
    _people(app, client, org, make_user, video_quiz, clock)
    page_url, api_url = _report_urls(app, org)
    page = client.get(f"{page_url}/not-completed").get_data(as_text=True)
    assert 'watching-not_watched">Not watched' in page  # member
    assert 'watching-not_finished">Not finished watching' in page  # half
    assert 'watching-not_answered">Quiz not answered' in page  # watched
    assert "成员done" not in page.split("Not passed the quiz")[0]
    body = client.get(f"{api_url}/not-completed").get_json()
    states = {m["username"]: m["watching"] for g in body["groups"] for m in g["members"]}
    assert states == {"member": "not_watched", "half": "not_finished",
                      "watched": "not_answered"}
    exported = client.get(f"{page_url}/export.csv?kind=not_completed")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    video = rows[0].index("Video")
    assert {r[3]: r[video] for r in rows[1:] if len(r) > video} == {
        "member": "Not watched", "half": "Not finished watching", "watched": "Quiz not answered"}


def test_member_rows_show_watched_share_and_quiz_score(app, client, org, make_user, video_quiz,
                                                       clock):
    people = _people(app, client, org, make_user, video_quiz, clock)
    page_url, _api = _report_urls(app, org)
    page = client.get(page_url).get_data(as_text=True)
    assert "Watched and quiz" in page
    assert "第1单元 50% · quiz —" in page and "第1单元 100% · quiz 100%" in page
    assert "第1单元 0% · quiz —" in page
    member = client.get(f"{page_url}/members/{people['half'].id}").get_data(as_text=True)
    assert ">Watched</th>" in member
    assert '<td class="text-end" data-label="Watched">50%</td>' in member
