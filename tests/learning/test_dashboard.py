"""The leader's start page is a dashboard (issue 18, item 5): for each unit they lead, the open
periods with 学习率 against the target, the 未学 count, 催学 and the way to the report and the
未学名单, counted by the report's own figures in a constant number of queries; a group
leader's 学习任务 page lists the periods assigned above that cover the group."""

from sqlalchemy import func, select

from courses import progress
from learning.extensions import db
from learning.reports.models import Reminder
from tests.conftest import login
from tests.pages import links, tap_button


def _period_item(page: str, unit_id: int, assignment_id: int) -> str:
    item = page[page.index(f'id="period-{unit_id}-{assignment_id}"'):]
    return item[:item.index("</li>")]


def test_a_leader_sees_each_open_period_with_rate_target_missing_and_remind(
        app, client, org, make_user, make_course, make_assignment):
    make_user("peer", units=[(org.group_a, "member")])
    course = make_course("看板专题", modules=1, rule="confirm")
    period = make_assignment(course, org.committee)  # assigned above: it covers branch_a
    make_assignment(course, org.group_a, title="已关闭", closed=True)
    make_assignment(course, org.group_a, title="未开始", starts_in_days=2, due_in_days=9)
    with app.app_context():
        progress.complete(org.member.id, course.module_ids[0], "confirm")
        db.session.commit()
    login(client, "leader_in")

    page = client.get("/").get_data(as_text=True)
    assert 'id="dashboard"' in page and "测试团委/第一团支部" in page
    item = _period_item(page, org.branch_a.id, period.id)
    assert "50%" in item and "目标 80%" in item and 'value="50.0"' in item
    assert "按时完成 1 / 2 人" in item and "未学 1 人" in item
    hrefs = {link.href for link in links(item)}
    assert f"/reports/assignments/{period.id}/units/{org.branch_a.id}" in hrefs
    assert f"/reports/assignments/{period.id}/units/{org.branch_a.id}/not-completed" in hrefs
    # Only open periods that have started.
    assert "已关闭" not in page and "未开始" not in page

    # 催学 in one tap: the peer who has not studied is reminded, and the log says so.
    reminded = tap_button(client, item, "催学")
    assert reminded.request.path.endswith(f"/units/{org.branch_a.id}/not-completed")
    assert "已向 1 人发送催学提醒。" in reminded.get_data(as_text=True)
    with app.app_context():
        reminder = db.session.scalar(select(Reminder))
        assert (reminder.unit_id, reminder.recipient_count) == (org.branch_a.id, 1)
        assert db.session.scalar(select(func.count()).select_from(Reminder)) == 1


def test_the_dashboard_queries_do_not_grow_with_the_periods(
        app, client, org, make_course, make_assignment, query_counter):
    course = make_course("计数专题", modules=2, rule="confirm")
    make_assignment(course, org.group_a, title="第1期")
    login(client, "leader_in")
    client.get("/")  # warm: statements built once per process
    with query_counter() as one:
        assert client.get("/").status_code == 200
    for n in range(2, 7):
        make_assignment(course, org.group_a if n % 2 else org.branch_a, title=f"第{n}期")
    with query_counter() as six:
        page = client.get("/").get_data(as_text=True)
    assert page.count('class="list-group-item dashboard-period"') == 6
    assert len(six) == len(one), six


def test_members_have_no_dashboard_and_leaders_no_empty_study_list(client, org):
    login(client, "member")
    page = client.get("/").get_data(as_text=True)
    assert 'id="dashboard"' not in page
    other = client.application.test_client()
    login(other, "leader_out")
    page = other.get("/").get_data(as_text=True)
    assert 'id="dashboard"' in page and "没有进行中的学习期次" in page
    assert "当前学习" not in page  # a leader with nothing to study sees no empty study list


def test_a_group_leader_sees_the_periods_assigned_above_read_only(
        client, org, make_user, make_course, make_assignment):
    make_user("group_leader", units=[(org.group_a, "leader")])
    course = make_course("上级专题", modules=1)
    above = make_assignment(course, org.branch_a, title="支部第3期")
    make_assignment(course, org.group_b, title="别组的期次")
    login(client, "group_leader")

    page = client.get("/study/assignments/").get_data(as_text=True)
    assert "暂无学习任务" not in page
    section = page[page.index('id="assigned-above"'):]
    assert "上级专题" in section and "支部第3期" in section and "测试团委/第一团支部" in section
    assert f"/study/assignments/{above.id}/close" not in page  # read-only: not theirs to close
    assert "别组的期次" not in page
    # The branch leader manages it as before: in their own list, with its close button.
    leader = client.application.test_client()
    login(leader, "leader_in")
    own = leader.get("/study/assignments/").get_data(as_text=True)
    assert f"/study/assignments/{above.id}/close" in own and 'id="assigned-above"' not in own
