"""Notifications and audit entries are stored as a message key with parameters and read in the
reader's language (issue 18, item 3), through the pages and the API:

- written while the actor reads Chinese, a reply notification, a 催学 reminder and the audit
  entry of the reminder read in English for an English reader and in Chinese for a Chinese one;
- rows written in the old format (one sentence in one language) by the code before the
  20261207 migration read right after it, in both languages;
- the audit log's filter takes a named kind and shows only its rows; an unknown kind is named
  in a clear message and changes nothing.

The period is due 2030-06-30 10:00 UTC: 18:00 on a Sunday in Asia/Shanghai.
"""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from courses.models import Assignment
from learning import create_app
from learning.accounts.services import hash_password
from learning.extensions import db
from tests.conftest import PASSWORD, csrf_token, login, post_form

DUE = datetime(2030, 6, 30, 10, 0, tzinfo=UTC)
DUE_EN = "Sun 2030-06-30 18:00"
DUE_ZH = "2030-06-30 周日 18:00"
TITLE = "制度自信 · 第1单元（第1期）"


def as_reader(client, username: str, lang: str) -> None:
    """Log out whoever is in, log `username` in, read in `lang` (zh_CN or en)."""
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    client.get(f"/lang/{lang}")
    assert login(client, username).status_code == 302


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def rows(html: str) -> list[str]:
    """The audit log's sentences, top to bottom."""
    return [re.sub(r"\s+", " ", cell).strip() for cell in
            re.findall(r'<tr data-action="[^"]+"><td[^>]*>[^<]*</td><td[^>]*>([^<]*)</td>',
                       html)]


@pytest.fixture
def written_in_chinese(app, client, org, make_user, make_course, make_assignment):
    """A reply and a 催学, each done over HTTP by someone reading Chinese (the default)."""
    peer = make_user("peer", name="成员丙", units=[(org.group_a, "member")])
    course = make_course("制度自信", modules=1)
    assignment = make_assignment(course, org.committee, module_id=course.module_ids[0])
    with app.app_context():
        db.session.get(Assignment, assignment.id).due_at = DUE
        db.session.commit()
    module_id = course.module_ids[0]

    as_reader(client, "member", "zh_CN")
    opened = post_form(client, f"/modules/{module_id}/threads",
                       {"title": "学习体会", "body": "第一帖", "where": "module"})
    assert opened.status_code == 302, opened.get_data(as_text=True)
    thread_id = int(re.search(r"/threads/(\d+)$", opened.location).group(1))
    opening = int(re.search(r'id="post-(\d+)"', page(client, f"/threads/{thread_id}")).group(1))

    as_reader(client, "peer", "zh_CN")
    replied = post_form(client, f"/threads/{thread_id}/posts",
                        {"body": "同意", "parent_id": str(opening)})
    assert replied.status_code == 302

    as_reader(client, "leader_in", "zh_CN")
    reminded = post_form(
        client, f"/reports/assignments/{assignment.id}/units/{org.branch_a.id}/reminders",
        {"message": "请抓紧"})
    assert reminded.status_code == 302, reminded.get_data(as_text=True)
    return peer


READ = {
    "en": {"reply": "成员丙 replied to your post in “学习体会”.",
           "reminder": f"Please finish the study assignment “{TITLE}” soon (due {DUE_EN}). 请抓紧",
           "audit": f"支书甲 reminded the members of “第一团支部” who have not finished “{TITLE}”; "
                    "people reminded: 2."},
    "zh_CN": {"reply": "成员丙 回复了你在「学习体会」中的帖子。",
              "reminder": f"请尽快完成学习任务「{TITLE}」（截止 {DUE_ZH}）。请抓紧",
              "audit": f"支书甲 提醒了「第一团支部」未完成「{TITLE}」的成员，共 2 人。"},
}


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_what_a_chinese_reader_wrote_reads_in_each_readers_language(app, client, org,
                                                                    written_in_chinese, lang):
    expected = READ[lang]
    as_reader(client, "member", lang)
    centre = page(client, "/notifications/")
    assert expected["reply"] in centre and expected["reminder"] in centre
    api = client.get("/api/v1/notifications").get_json()
    assert [n["text"] for n in api["notifications"]] == [expected["reminder"], expected["reply"]]

    as_reader(client, "admin", lang)
    log = page(client, "/admin/audit/?action=report.remind")
    assert rows(log) == [expected["audit"]]


# --- rows written before the migration ---------------------------------------------------------

BEFORE = "a7c3e51d9b20"  # the revision before 20261207_c4d8e2f61a07_stored_messages


def _old_rows(connection) -> None:
    """Users, notifications and audit entries as the code before the migration wrote them:
    a notification's sentence in the site's language (a reply's in English: its message was
    built at run time and never reached the catalogue), an audit entry's English summary."""
    now = datetime(2026, 12, 1, 8, 0)
    secret = hash_password(PASSWORD)
    for user_id, username, name, admin in [(1, "admin", "管理员", True),
                                           (2, "member", "成员甲", False),
                                           (3, "leader", "支书甲", False)]:
        connection.execute(sa.text(
            "INSERT INTO users (id, username, display_name, password_hash, active, is_admin, "
            "must_change_password, session_version, created_at) VALUES (:id, :u, :n, :p, "
            ":t, :a, :f, 1, :now)"),
            {"id": user_id, "u": username, "n": name, "p": secret, "t": True, "a": admin,
             "f": False, "now": now})
    for note_id, kind, text in [
            (1, "reply", "成员丙 replied to your post in “学习体会”."),
            (2, "reminder", f"请尽快完成学习任务「{TITLE}」（截止 2030-06-30 18:00）。 请抓紧"),
            (3, "reminder", "一条无法识别的旧通知")]:
        connection.execute(sa.text(
            "INSERT INTO notifications (id, user_id, kind, actor_id, text, url, created_at) "
            "VALUES (:id, 2, :kind, 3, :text, '/', :now)"),
            {"id": note_id, "kind": kind, "text": text, "now": now})
    for entry_id, action, summary in [(1, "report.remind", f"Reminded 2 in 第一团支部: {TITLE}"),
                                      (2, "unit.create", "created unit 第三团支部")]:
        connection.execute(sa.text(
            "INSERT INTO audit_entries (id, created_at, actor_id, actor_name, action, summary) "
            "VALUES (:id, :now, 3, 'leader', :action, :summary)"),
            {"id": entry_id, "now": now, "action": action, "summary": summary})


OLD_READ = {
    "en": {"notes": [f"Please finish the study assignment “{TITLE}” soon (due {DUE_EN}). 请抓紧",
                     "成员丙 replied to your post in “学习体会”.", "一条无法识别的旧通知"],
           "audit": [f"支书甲 reminded the members of “第一团支部” who have not finished "
                     f"“{TITLE}”; people reminded: 2.", "支书甲 created the unit “第三团支部”."]},
    "zh_CN": {"notes": [f"请尽快完成学习任务「{TITLE}」（截止 {DUE_ZH}）。请抓紧",
                        "成员丙 回复了你在「学习体会」中的帖子。", "一条无法识别的旧通知"],
              "audit": [f"支书甲 提醒了「第一团支部」未完成「{TITLE}」的成员，共 2 人。",
                        "支书甲 新建了组织「第三团支部」。"]},
}


@pytest.fixture
def migrated(engine_name, temp_database, tmp_path):
    """An app whose database held old-format rows at BEFORE and was then upgraded to head."""
    application = create_app(env="testing", config={
        "SQLALCHEMY_DATABASE_URI": temp_database(engine_name), "UPLOAD_DIR": str(tmp_path)})
    with application.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            _old_rows(connection)
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_old_rows_read_right_through_the_pages_after_the_migration(migrated, lang):
    client = migrated.test_client()
    expected = OLD_READ[lang]
    as_reader(client, "member", lang)
    centre = page(client, "/notifications/")
    texts = [re.sub(r"\s+", " ", text).strip() for text in
             re.findall(r'<span class="d-block text-break[^"]*">([^<]*)</span>', centre)]
    assert sorted(texts) == sorted(expected["notes"])
    api = client.get("/api/v1/notifications").get_json()
    assert sorted(n["text"] for n in api["notifications"]) == sorted(expected["notes"])

    as_reader(client, "admin", lang)
    assert sorted(rows(page(client, "/admin/audit/"))) == sorted(expected["audit"])


# --- the audit log's filter through HTTP ------------------------------------------------------


def test_the_filter_shows_only_the_chosen_kind_or_group(app, client, org, written_in_chinese):
    with app.test_request_context():
        from learning.audit.services import record

        record("bank.create", {"bank": "题库一", "actor": "管理员"})
        record("bank.delete", {"bank": "题库二", "actor": "管理员"})
        db.session.commit()
    as_reader(client, "admin", "en")
    everything = page(client, "/admin/audit/")
    assert {"report.remind", "bank.create", "bank.delete"} <= set(
        re.findall(r'<tr data-action="([^"]+)"', everything))

    one = page(client, "/admin/audit/?action=bank.create")
    assert re.findall(r'<tr data-action="([^"]+)"', one) == ["bank.create"]
    assert rows(one) == ["管理员 created the question bank “题库一”."]
    assert '<option value="bank.create" selected>Create a question bank</option>' in one

    group = page(client, "/admin/audit/?action=bank")
    assert sorted(re.findall(r'<tr data-action="([^"]+)"', group)) == ["bank.create",
                                                                       "bank.delete"]


@pytest.mark.parametrize("lang, message", [
    ("en", "There is no kind of entry called “unit.explode”; all entries are shown."),
    ("zh_CN", "没有名为「unit.explode」的日志类型，已显示全部记录。")])
def test_an_unknown_kind_gets_a_clear_message_and_every_entry(app, client, org,
                                                              written_in_chinese, lang, message):
    as_reader(client, "admin", lang)
    html = page(client, "/admin/audit/?action=unit.explode")
    assert message in html and 'class="form-select is-invalid"' in html
    everything = page(client, "/admin/audit/")
    assert rows(html) == rows(everything) and "report.remind" in html
