"""Authoring courses and modules: pages, validation, preview, edit history, stored HTML, the
re-render command, the API, and the number of queries the authoring pages issue."""

import re

import pytest
from sqlalchemy import func, select

from courses.models import Course, Module, ModuleRevision
from learning.audit.models import AuditEntry
from learning.extensions import db
from tests.conftest import login, post_form

HOSTILE = (
    "# 标题\n\n<script>alert(1)</script>\n\n"
    '<img src="x" onerror="alert(2)">\n\n'
    "[点我](javascript:alert(3)) [entity](&#106;avascript:alert(4)) [data](data:text/html,x)\n\n"
    '<svg><circle onload="alert(5)"/></svg><p style="color:red">红字</p>\n\n'
    "> 引用的讲话\n"
)


def in_english(client) -> None:
    client.get("/lang/en")


def admin_client(client, org):
    assert login(client, org.admin.username).status_code == 302
    in_english(client)
    return client


def module_form(**overrides) -> dict:
    data = {"title": "第一单元", "body_md": "正文 **重点**", "estimated_minutes": "10",
            "completion_rule": "reading", "min_posts": "0", "published": "y", "submit": "Save"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def get_module(app, module_id) -> Module:
    with app.app_context():
        module = db.session.get(Module, module_id)
        db.session.expunge(module)
        return module


# --- courses --------------------------------------------------------------------------------


def test_admin_creates_and_edits_a_course(app, client, org):
    admin_client(client, org)
    response = post_form(client, "/admin/courses/new", {
        "title": "绽放战疫青春", "summary": "主题教育", "position": "2", "published": "y"})
    assert response.status_code == 302
    with app.app_context():
        course = db.session.scalars(select(Course)).one()
        assert (course.title, course.summary, course.position, course.published) == \
            ("绽放战疫青春", "主题教育", 2, True)
        course_id = course.id
    assert response.location.endswith(f"/admin/courses/{course_id}")

    # Unpublish (draft) and rename.
    response = post_form(client, f"/admin/courses/{course_id}",
                         {"title": "坚定制度自信", "summary": "", "position": "1"})
    assert response.status_code == 302
    with app.app_context():
        course = db.session.get(Course, course_id)
        assert (course.title, course.published) == ("坚定制度自信", False)
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"course.create", "course.update", "course.unpublish"} <= actions

    page = client.get("/admin/courses/").get_data(as_text=True)
    assert "坚定制度自信" in page and "Draft" in page


def test_course_form_says_what_is_missing(app, client, org):
    admin_client(client, org)
    response = post_form(client, "/admin/courses/new", {"title": "", "position": "-1"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This field is required." in page
    assert "Number must be between 0 and 10000." in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course)) == 0


# --- modules --------------------------------------------------------------------------------


def test_module_create_stores_sanitised_html_at_save(app, client, org, make_course):
    course = make_course(modules=0)
    admin_client(client, org)
    response = post_form(client, f"/admin/courses/{course.id}/modules/new",
                         module_form(body_md=HOSTILE, estimated_minutes="25"))
    assert response.status_code == 302
    with app.app_context():
        module = db.session.scalars(select(Module)).one()
        html = module.body_html
        assert module.estimated_minutes == 25 and module.position == 0 and module.published
    assert "<h1>标题</h1>" in html and "<blockquote>" in html and "红字" in html
    for bad in ("<script", "alert(", "onerror", "javascript:", "data:", "<svg", "style="):
        assert bad not in html, bad
    assert "alert(" not in client.get(f"/admin/modules/{module.id}").get_data(as_text=True) \
        .split("</textarea>")[-1]


def test_module_validation_names_the_field(app, client, org, make_course):
    course = make_course(modules=0)
    admin_client(client, org)
    response = post_form(client, f"/admin/courses/{course.id}/modules/new", module_form(
        title="", estimated_minutes="0", completion_rule="posts", min_posts="0"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This field is required." in page
    assert "Number must be between 1 and 600." in page
    assert "The rule &#34;posts&#34; needs at least one post." in page \
        or 'The rule "posts" needs at least one post.' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Module)) == 0


def test_posts_rule_with_posts_is_saved(app, client, org, make_course):
    course = make_course(modules=0)
    admin_client(client, org)
    response = post_form(client, f"/admin/courses/{course.id}/modules/new",
                         module_form(completion_rule="posts", min_posts="2"))
    assert response.status_code == 302
    with app.app_context():
        module = db.session.scalars(select(Module)).one()
        assert (module.completion_rule, module.min_posts) == ("posts", 2)


def test_preview_renders_sanitised_html_without_saving(app, client, org, make_course):
    course = make_course(modules=1, body="原文")
    module_id = course.module_ids[0]
    admin_client(client, org)
    data = module_form(body_md="**预览** <script>alert(1)</script><a href='javascript:x'>x</a>",
                       submit=None, preview="Preview")
    response = post_form(client, f"/admin/modules/{module_id}", data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    preview = page.split("Preview (not saved)")[1].split("</section>")[0]
    assert "<strong>预览</strong>" in preview
    assert "<script" not in preview and "javascript:" not in preview
    module = get_module(app, module_id)
    assert module.body_md == "原文" and "预览" not in module.body_html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ModuleRevision)) == 0

    # Preview on the new-module page saves nothing either.
    post_form(client, f"/admin/courses/{course.id}/modules/new",
              module_form(body_md="新", submit=None, preview="Preview"))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Module)) == 1


def test_edits_keep_revisions_and_restore_makes_one_current(app, client, org, make_course):
    course = make_course(modules=1, body="第一版")
    module_id = course.module_ids[0]
    admin_client(client, org)
    assert post_form(client, f"/admin/modules/{module_id}",
                     module_form(title="第1单元", body_md="第二版")).status_code == 302
    # Changing only the minutes keeps no revision.
    assert post_form(client, f"/admin/modules/{module_id}",
                     module_form(title="第1单元", body_md="第二版", estimated_minutes="15")
                     ).status_code == 302
    with app.app_context():
        revisions = db.session.scalars(select(ModuleRevision)).all()
        assert [(r.title, r.body_md, r.editor_name) for r in revisions] == \
            [("第1单元", "第一版", "admin")]
        revision_id = revisions[0].id
        assert db.session.get(Module, module_id).body_html == "<p>第二版</p>"

    history = client.get(f"/admin/modules/{module_id}/history")
    assert history.status_code == 200
    assert "<p>第一版</p>" in history.get_data(as_text=True)

    response = post_form(client, f"/admin/modules/{module_id}/history/{revision_id}/restore")
    assert response.status_code == 302
    with app.app_context():
        module = db.session.get(Module, module_id)
        assert (module.body_md, module.body_html) == ("第一版", "<p>第一版</p>")
        bodies = sorted(r.body_md for r in db.session.scalars(select(ModuleRevision)))
        assert bodies == ["第一版", "第二版"]  # the restore itself is recorded
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"module.update", "module.restore"} <= actions


def test_restore_of_another_modules_revision_is_404(app, client, org, make_course):
    course = make_course(modules=2)
    first, second = course.module_ids
    admin_client(client, org)
    post_form(client, f"/admin/modules/{first}", module_form(body_md="改"))
    with app.app_context():
        revision_id = db.session.scalars(select(ModuleRevision.id)).one()
    response = post_form(client, f"/admin/modules/{second}/history/{revision_id}/restore")
    assert response.status_code == 404


def test_reorder_modules(app, client, org, make_course):
    course = make_course(modules=3)
    a, b, c = course.module_ids
    admin_client(client, org)
    assert post_form(client, f"/admin/modules/{c}/move", {"direction": "up"}).status_code == 302
    post_form(client, f"/admin/modules/{a}/move", {"direction": "up"})  # already first
    with app.app_context():
        order = db.session.scalars(select(Module.id).order_by(Module.position)).all()
    assert order == [a, c, b]


def test_publish_module_is_audited(app, client, org, make_course):
    course = make_course(modules=1, published=False)
    admin_client(client, org)
    post_form(client, f"/admin/modules/{course.module_ids[0]}", module_form(published="y"))
    with app.app_context():
        assert db.session.get(Module, course.module_ids[0]).published
        assert "module.publish" in set(db.session.scalars(select(AuditEntry.action)))


# --- the re-render command ------------------------------------------------------------------


def test_rerender_command_restores_stored_html(app, make_course, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
    course = make_course(modules=3, body="**重点**")
    with app.app_context():
        module = db.session.get(Module, course.module_ids[0])
        module.body_html = "<p>stale <script>x</script></p>"
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["markup", "rerender"])
    assert result.exit_code == 0, result.output
    assert "3 module bodies: 1 changed, 2 unchanged" in result.output
    with app.app_context():
        assert db.session.get(Module, course.module_ids[0]).body_html == \
            "<p><strong>重点</strong></p>"
    again = app.test_cli_runner().invoke(args=["markup", "rerender"])
    assert "0 changed" in again.output


# --- constant queries -----------------------------------------------------------------------


def _queries(client, query_counter, url) -> int:
    with query_counter() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_authoring_pages_issue_a_constant_number_of_queries(app, client, org, make_course,
                                                            query_counter):
    from courses.models import Attachment

    small = make_course("小", modules=2)
    large = make_course("大", modules=20)
    with app.app_context():
        for course, count in ((small, 2), (large, 20)):
            for i in range(count):
                db.session.add(Attachment(
                    course_id=course.id, module_id=course.module_ids[0], purpose="module",
                    original_name=f"{i}.png", stored_name=f"{course.id}-{i}",
                    content_type="image/png", size_bytes=1, sha256="0" * 64))
        db.session.commit()
    admin_client(client, org)
    assert _queries(client, query_counter, "/admin/courses/") == \
        _queries(client, query_counter, "/admin/courses/")  # warm-up independent
    for url in ("/admin/courses/{id}", "/admin/modules/{m}"):
        few = _queries(client, query_counter, url.format(id=small.id, m=small.module_ids[0]))
        many = _queries(client, query_counter, url.format(id=large.id, m=large.module_ids[0]))
        assert few == many, url
    make_course("更多", modules=5)
    before = _queries(client, query_counter, "/admin/courses/")
    for _i in range(3):
        make_course(modules=4)
    assert _queries(client, query_counter, "/admin/courses/") == before


# --- API ------------------------------------------------------------------------------------


def api_login(client, user):
    assert login(client, user.username).status_code == 302
    return {"X-CSRFToken": csrf(client)}


def csrf(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_api_admin_creates_course_and_module(app, client, org):
    headers = api_login(client, org.admin)
    response = client.post("/api/v1/courses", json={"title": "专题", "published": True},
                           headers=headers)
    assert response.status_code == 201, response.json
    course_id = response.json["id"]
    response = client.post(f"/api/v1/courses/{course_id}/modules", headers=headers, json={
        "title": "单元", "body_md": "**粗** <script>alert(1)</script>", "published": True})
    assert response.status_code == 201, response.json
    module = response.json
    assert module["body_html"] == "<p><strong>粗</strong> </p>"
    assert module["completion_rule"] == "reading"

    response = client.patch(f"/api/v1/modules/{module['id']}", headers=headers,
                            json={"body_md": "新的"})
    assert response.status_code == 200 and response.json["body_html"] == "<p>新的</p>"
    response = client.patch(f"/api/v1/courses/{course_id}", headers=headers,
                            json={"title": "改名"})
    assert response.status_code == 200 and response.json["title"] == "改名"
    detail = client.get(f"/api/v1/courses/{course_id}").json
    assert [m["title"] for m in detail["modules"]] == ["单元"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ModuleRevision)) == 1


@pytest.mark.parametrize("body, field", [
    ({}, "title"),
    ({"title": "x", "completion_rule": "magic"}, "completion_rule"),
    ({"title": "x", "completion_rule": "posts"}, "min_posts"),
    ({"title": "x", "estimated_minutes": 0}, "estimated_minutes"),
])
def test_api_module_validation_is_422_naming_the_field(client, org, make_course, body, field):
    course = make_course(modules=0)
    headers = api_login(client, org.admin)
    response = client.post(f"/api/v1/courses/{course.id}/modules", json=body, headers=headers)
    assert response.status_code == 422
    assert field in response.json["errors"]["json"], response.json


def test_api_patch_rule_without_posts_is_422(client, org, make_course):
    course = make_course(modules=1)
    headers = api_login(client, org.admin)
    response = client.patch(f"/api/v1/modules/{course.module_ids[0]}", headers=headers,
                            json={"completion_rule": "posts"})
    assert response.status_code == 422
    assert "min_posts" in response.json["errors"]["json"]


def test_api_reads_follow_view_permissions(app, client, org, make_course, make_assignment):
    assigned = make_course("已分配", modules=2)
    make_course("未分配", modules=1)
    draft = make_course("草稿", modules=1, published=False)
    make_assignment(assigned, org.group_a)
    headers = api_login(client, org.member)
    titles = [c["title"] for c in client.get("/api/v1/courses").json]
    assert titles == ["已分配"]
    detail = client.get(f"/api/v1/courses/{assigned.id}").json
    assert len(detail["modules"]) == 2
    module = client.get(f"/api/v1/modules/{assigned.module_ids[0]}").json
    assert module["body_html"] == "<p>正文 <strong>重点</strong></p>"
    assert module["body_md"] is None  # the source is for authors
    assert client.get(f"/api/v1/courses/{draft.id}").status_code == 404
    assert client.get(f"/api/v1/modules/{draft.module_ids[0]}").status_code == 404
    assert client.post("/api/v1/courses", json={"title": "x"}, headers=headers).status_code == 403
    assert client.patch(f"/api/v1/modules/{assigned.module_ids[0]}", json={"title": "x"},
                        headers=headers).status_code == 403


def test_api_module_only_assignment_opens_just_that_module(client, org, make_course,
                                                           make_assignment):
    course = make_course(modules=3)
    make_assignment(course, org.group_a, module_id=course.module_ids[1])
    api_login(client, org.member)
    detail = client.get(f"/api/v1/courses/{course.id}").json
    assert [m["id"] for m in detail["modules"]] == [course.module_ids[1]]


def test_leaders_see_published_courses(client, org, make_course):
    make_course("公开", modules=1)
    make_course("草稿", modules=1, published=False)
    api_login(client, org.leader_out)
    assert [c["title"] for c in client.get("/api/v1/courses").json] == ["公开"]


def test_catalog_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/courses"])
    assert {"get", "patch"} <= set(paths["/api/v1/courses/{course_id}"])
    assert "post" in paths["/api/v1/courses/{course_id}/modules"]
    assert {"get", "patch"} <= set(paths["/api/v1/modules/{module_id}"])


def test_every_catalog_form_post_needs_the_csrf_token(app, client, org, make_course):
    """Each authoring POST, sent by an admin without the token, answers 400 and saves nothing."""
    course = make_course(modules=1)
    login(client, org.admin.username)
    values = {"course_id": course.id, "module_id": course.module_ids[0], "revision_id": 1,
              "attachment_id": 1}
    adapter = app.url_map.bind("localhost")
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("catalog.") and "POST" in rule.methods:
            url = adapter.build(rule.endpoint, {k: values[k] for k in rule.arguments})
            response = client.post(url, data={"title": "x", "direction": "up"})
            assert response.status_code == 400, url
            checked += 1
    assert checked == 11
    with app.app_context():
        assert db.session.get(Course, course.id).title == "学习专题"


# --- bounded work (issue 16, item 6) ----------------------------------------------------------

# 301 setext headings in one block: 602 lines without a blank line, over MAX_BLOCK_LINES.
LONG_BLOCK = "引言\n" + "a\n=\n" * 301


def test_module_body_with_too_many_lines_in_one_block_is_refused(app, client, org,
                                                                 make_course):
    course = make_course(modules=0)
    admin_client(client, org)
    response = post_form(client, f"/admin/courses/{course.id}/modules/new",
                         module_form(body_md=LONG_BLOCK))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Lines 1 to 603 of the body have no blank line between them; at most 500" in page
    # The same text with blank lines between its headings is fine.
    response = post_form(client, f"/admin/courses/{course.id}/modules/new",
                         module_form(body_md=LONG_BLOCK.replace("=\n", "=\n\n")))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Module)) == 1


def test_api_module_body_with_too_many_lines_in_one_block_is_422(app, client, org, make_course):
    course = make_course(modules=1)
    module_id = course.module_ids[0]
    headers = api_login(client, org.admin)
    in_english(client)
    response = client.post(f"/api/v1/courses/{course.id}/modules", headers=headers,
                           json={"title": "单元", "body_md": LONG_BLOCK})
    assert response.status_code == 422
    assert "Lines 1 to 603 of the body" in str(response.json["errors"]["json"]["body_md"])
    response = client.patch(f"/api/v1/modules/{module_id}", headers=headers,
                            json={"body_md": LONG_BLOCK})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Module)) == 1
        assert "a\n=" not in db.session.get(Module, module_id).body_md


@pytest.mark.parametrize(("body", "message"), [
    ("a\n\n" * 2_500, "The body has more than 5000 lines."),
    ("|a|b|c|d|\n" * 1_700, "The body has more than 8000 Markdown marks"),
])
def test_module_bodies_too_dense_to_render_quickly_are_refused(app, client, org, make_course,
                                                                body, message):
    course = make_course(modules=0)
    admin_client(client, org)
    in_english(client)
    response = post_form(client, f"/admin/courses/{course.id}/modules/new",
                         module_form(body_md=body))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Module)) == 0
