"""The member's way to the next step (issue 18, item 4): 「我的学习」 puts the most urgent
unfinished work first with 「继续学习」 and folds finished work away; the course page lists its
modules with ticks, rule and time; the reading rule counts down and an early confirm comes
back to the button; a confirm module is completed three taps after the login form."""

import re

from sqlalchemy import select

from courses import progress
from courses.models import Progress
from learning.extensions import db
from tests.conftest import PASSWORD, login, post_form
from tests.pages import forms, links, local_path, tap_button, tap_link


def _complete(app, user, module_id):
    with app.app_context():
        progress.complete(user.id, module_id, "confirm")
        db.session.commit()


def test_home_puts_the_most_urgent_unfinished_first_and_folds_finished_work(
        app, client, org, make_course, make_assignment):
    later = make_course("稍后截止专题", modules=2, rule="confirm")
    urgent = make_course("最急专题", modules=2, rule="confirm")
    done = make_course("已学完专题", modules=1, rule="confirm")
    make_assignment(later, org.group_a, due_in_days=10)
    make_assignment(urgent, org.group_a, due_in_days=2)
    make_assignment(done, org.group_a, due_in_days=1)
    _complete(app, org.member, urgent.module_ids[0])
    _complete(app, org.member, done.module_ids[0])
    login(client, "member")

    page = client.get("/").get_data(as_text=True)
    todo = page[page.index('id="study-todo"'):page.index('id="study-finished"')]
    # Most urgent first; its 「继续学习」 leads to its first unfinished module.
    assert todo.index("最急专题") < todo.index("稍后截止专题")
    assert "已学完专题" not in todo
    continues = [link.href for link in links(todo) if link.text == "Continue studying"]
    assert continues == [f"/study/modules/{urgent.module_ids[1]}",
                         f"/study/modules/{later.module_ids[0]}"]
    assert 'class="list-group-item study-next"' in todo.split("</li>")[0]
    # Finished work is folded (<details>, closed) and offers no 「继续学习」.
    folded = page[page.index('<details class="mb-3" id="study-finished">'):]
    folded = folded[:folded.index("</details>")]
    assert "已学完专题" in folded and "Finished (1)" in folded
    assert "Continue studying" not in folded
    # The title of a course assignment opens the course page.
    assert f'href="/study/courses/{urgent.id}"' in todo


def test_the_course_page_lists_modules_with_ticks_rule_and_time(
        app, client, org, make_course, make_assignment):
    course = make_course("专题", modules=3, rule="reading", minutes=12)
    make_assignment(course, org.group_a)
    _complete(app, org.member, course.module_ids[0])
    login(client, "member")

    page = client.get(f"/study/courses/{course.id}").get_data(as_text=True)
    items = {m: page[page.index(f'id="module-{m}"'):] for m in course.module_ids}
    items = {m: text[:text.index("</li>")] for m, text in items.items()}
    assert "module-done" in items[course.module_ids[0]]
    assert all("module-todo" in items[m] for m in course.module_ids[1:])
    assert all("Read, then confirm" in text and "About 12 minutes" in text
               for text in items.values())
    assert "1 of 3 modules completed" in page
    continue_link = next(link for link in links(page) if link.text == "Continue studying")
    assert continue_link.href == f"/study/modules/{course.module_ids[1]}"
    # From the module page, the breadcrumb leads back to the course.
    module_page = client.get(f"/study/modules/{course.module_ids[1]}").get_data(as_text=True)
    assert f'href="/study/courses/{course.id}"' in module_page


def test_a_confirm_module_is_completed_three_taps_after_the_login_form(
        app, client, org, make_course, make_assignment):
    course = make_course("三步专题", modules=1, rule="confirm")
    make_assignment(course, org.group_a)

    login_page = client.get("/login").get_data(as_text=True)
    form = next(f for f in forms(login_page) if "username" in f.fields)
    home = client.post(local_path(form.action or "/login", "/login"),
                       data={**form.fields, "username": "member", "password": PASSWORD},
                       follow_redirects=True)  # tap 1: the login form
    module = tap_link(client, home.get_data(as_text=True), "Continue studying")  # tap 2
    done = tap_button(client, module.get_data(as_text=True), "I have studied")  # tap 3
    assert "Module completed." in done.get_data(as_text=True)
    with app.app_context():
        row = db.session.scalar(select(Progress).where(
            Progress.user_id == org.member.id, Progress.module_id == course.module_ids[0]))
        assert row.completed_at is not None


def test_the_reading_countdown_and_an_early_confirm_come_back_to_the_button(
        app, client, org, make_course, make_assignment):
    course = make_course("阅读专题", modules=1, rule="reading", minutes=10)
    make_assignment(course, org.group_a)
    module_id = course.module_ids[0]
    login(client, "member")

    page = client.get(f"/study/modules/{module_id}").get_data(as_text=True)
    needed = int(app.config["READING_MIN_SHARE"] * 10 * 60)
    countdown = re.search(r'<span class="reading-countdown" data-seconds="(\d+)"', page)
    assert countdown and needed - 5 <= int(countdown.group(1)) <= needed
    assert f"({needed // 60}:" in page  # the time left, readable without JavaScript too
    script = client.get("/static/js/reading.js").get_data(as_text=True)
    assert ".reading-countdown" in script and "data-template" in script

    response = post_form(client, f"/study/modules/{module_id}/complete")
    assert response.status_code == 302
    assert response.location.endswith(f"/study/modules/{module_id}#completion")
    back = client.get(local_path(response.location)).get_data(as_text=True)
    # The refusal is shown in the completion box, where the reader is, not above the module.
    box = back.index('id="completion"')
    assert back.index("Please keep reading") > box
    assert back.index('<article class="module-body">') < box


def test_a_completed_module_offers_the_next_one_by_the_button(
        app, client, org, make_course, make_assignment):
    course = make_course("下一单元专题", modules=2, rule="confirm")
    make_assignment(course, org.group_a)
    login(client, "member")
    page = client.get(f"/study/modules/{course.module_ids[0]}").get_data(as_text=True)
    done = tap_button(client, page, "I have studied").get_data(as_text=True)
    box = done[done.index('id="completion"'):]
    box = box[:box.index("</section>")]
    assert f'href="/study/modules/{course.module_ids[1]}"' in box
