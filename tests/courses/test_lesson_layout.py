"""Lessons fit the screen (issue 18, item 1), through HTTP on both engines: an image named by
an attachment's file name shows that attachment (linked, to open full size), a missing one a
placeholder for the author, a table its scroll box; the demo's poster module; rerender."""

import io
import re

from sqlalchemy import select

from courses.demo import COURSE_TITLE, POSTER_MODULE, poster_png
from courses.models import Attachment, Course, Module
from learning.demo import DEMO_PASSWORD
from learning.extensions import db
from tests.conftest import login, post_form

TABLE = "| " + " | ".join(f"c{i}" for i in range(30)) + " |\n" + "|---" * 30 + "|\n" \
    + "| " + " | ".join("x" for _ in range(30)) + " |"


def edit_body(client, module_id: int, body: str):
    return post_form(client, f"/admin/modules/{module_id}", {
        "title": "第一单元", "body_md": body, "estimated_minutes": "10",
        "completion_rule": "reading", "min_posts": "0", "published": "y", "submit": "Save"})


def test_attachment_image_table_and_missing_file_on_the_module_page(app, client, org,
                                                                    make_course):
    course = make_course()
    module_id = course.module_ids[0]
    assert login(client, org.admin.username).status_code == 302
    body = f"![海报](poster.png)\n\n![](gone.png)\n\n{TABLE}\n\n- [x] 已读"
    assert edit_body(client, module_id, body).status_code == 302
    page = client.get(f"/study/modules/{module_id}").get_data(as_text=True)
    assert '<span class="missing-file">Attachment not found: poster.png</span>' in page

    response = post_form(client, f"/admin/modules/{module_id}/attachments",
                         {"file": (io.BytesIO(poster_png(40, 20)), "poster.png")})
    assert response.status_code == 302
    with app.app_context():
        attachment = db.session.scalar(select(Attachment))
    page = client.get(f"/study/modules/{module_id}").get_data(as_text=True)
    url = f"/files/{attachment.id}/poster.png"
    # Uploading the file re-rendered the body: the reference now shows it, linked to itself.
    assert f'<a href="{url}" rel="noopener nofollow"><img alt="海报" src="{url}"></a>' in page
    assert '<span class="missing-file">Attachment not found: gone.png</span>' in page
    assert '<div class="table-scroll" tabindex="0"><table>' in page
    assert '<input type="checkbox" disabled checked aria-label="已读">已读' in page
    assert client.get(url).status_code == 200


def test_demo_poster_module_and_rerender(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.title == COURSE_TITLE))
        module = course.modules[POSTER_MODULE]
        module_id = module.id
        poster = db.session.scalar(select(Attachment).where(Attachment.module_id == module.id))
        poster_id = poster.id
        assert poster.original_name == "poster.png" and poster.content_type == "image/png"
        html = module.body_html
        assert f'<img alt="学习海报：制度优势的体现" src="/files/{poster.id}/poster.png">' in html
        assert html.count("<th>") == 2 + 30
        assert html.count('<div class="table-scroll" tabindex="0"><table>') == 2
        assert max(len(u) for u in re.findall(r'href="(https://[^"]+)"', html)) >= 300
        # A body stored before this change (no image, no box) is mended by `markup rerender`.
        module.body_html = "<p>old</p>"
        db.session.commit()
    result = runner.invoke(args=["markup", "rerender"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(Module, module_id).body_html == html

    client = app.test_client()
    assert login(client, "m002", DEMO_PASSWORD).status_code == 302
    page = client.get(f"/study/modules/{module_id}").get_data(as_text=True)
    assert f'src="/files/{poster_id}/poster.png"' in page and "table-scroll" in page
    assert ".table-scroll" in client.get("/static/app.css").get_data(as_text=True)
