"""The module editor's server side: the live preview and "insert image or file".

Both answer JSON to learning/static/js/editor.js, through the HTTP layer like a browser: the
session's CSRF token in the X-CSRFToken header, read from the module's edit page.
"""

import io
import re

import pytest
from sqlalchemy import select

from courses.models import Attachment
from learning.extensions import db
from learning.markup import MAX_SOURCE_CHARS
from tests.conftest import login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300
PDF = b"%PDF-1.7\n" + b"\x00" * 300
HOSTILE = ("**重点** <script>alert('x')</script><img src=x onerror=alert(2)>"
           "[点我](javascript:alert(3))")


def page_token(client, url: str) -> str:
    """The CSRF token the editor's script sends: the page's own csrf-token meta."""
    page = client.get(url)
    assert page.status_code == 200
    match = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))
    assert match
    return match.group(1)


def preview(client, course_id: int, text: str, token: str | None):
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(f"/admin/courses/{course_id}/preview", data={"text": text},
                       headers=headers)


def insert(client, module_id: int, name: str, content: bytes, token: str | None):
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(f"/admin/modules/{module_id}/attachments/insert",
                       data={"file": (io.BytesIO(content), name)}, headers=headers,
                       content_type="multipart/form-data")


def attachments(app) -> list[tuple[int, int, str]]:
    with app.app_context():
        return [(a.id, a.module_id, a.original_name) for a in
                db.session.scalars(select(Attachment).order_by(Attachment.id))]


@pytest.fixture
def editing(client, org, make_course):
    """An admin on a module's edit page: (client, course, module id, the page's CSRF token)."""
    course = make_course(modules=1)
    assert login(client, org.admin.username).status_code == 302
    module_id = course.module_ids[0]
    return client, course, module_id, page_token(client, f"/admin/modules/{module_id}")


def test_the_edit_page_carries_the_editor(editing):
    client, course, module_id, _token = editing
    page = client.get(f"/admin/modules/{module_id}").get_data(as_text=True)
    assert f'data-preview-url="/admin/courses/{course.id}/preview"' in page
    assert f'data-upload-url="/admin/modules/{module_id}/attachments/insert"' in page
    assert 'src="/static/js/editor.js"' in page
    for label in ("Bold", "Heading", "Bulleted list", "Quote", "Link", "Table",
                  "Insert image or file"):
        assert f'aria-label="{label}"' in page
    # A new module has no attachments yet: the editor previews but offers no upload.
    new = client.get(f"/admin/courses/{course.id}/modules/new").get_data(as_text=True)
    assert "data-preview-url" in new and "data-upload-url" not in new


def test_preview_answers_the_sanitised_html(editing):
    client, course, _module_id, token = editing
    response = preview(client, course.id, HOSTILE, token)
    assert response.status_code == 200
    html = response.json["html"]
    assert "<strong>重点</strong>" in html
    assert "<script" not in html and "alert('x')" not in html
    assert "onerror" not in html and "javascript:" not in html


def test_preview_needs_the_pages_csrf_token(editing):
    client, course, _module_id, token = editing
    assert preview(client, course.id, "**x**", None).status_code == 400
    assert preview(client, course.id, "**x**", "forged-token").status_code == 400
    assert preview(client, course.id, "**x**", token).status_code == 200


@pytest.mark.parametrize("persona", ["member", "leader_in"])
def test_preview_is_refused_to_people_who_do_not_author(client, org, make_course,
                                                       make_assignment, persona):
    course = make_course(modules=1)
    make_assignment(course, org.group_a)  # the member studies the course, still may not author
    login(client, getattr(org, persona).username)
    token = page_token(client, "/")
    response = preview(client, course.id, HOSTILE, token)
    assert response.status_code == 403
    assert "<strong>" not in response.get_data(as_text=True)


def test_preview_of_a_missing_course_is_404(editing):
    client, course, _module_id, token = editing
    assert preview(client, course.id + 100, "x", token).status_code == 404


def test_preview_refuses_a_text_too_long_to_save(editing):
    client, course, _module_id, token = editing
    response = preview(client, course.id, "字" * (MAX_SOURCE_CHARS + 1), token)
    assert response.status_code == 422
    assert str(MAX_SOURCE_CHARS) in response.json["message"]


def test_preview_is_rate_limited_per_author(app, editing, monkeypatch):
    client, course, _module_id, token = editing
    monkeypatch.setitem(app.config, "MARKUP_PREVIEW_LIMIT", "3 per minute")
    assert [preview(client, course.id, "x", token).status_code for _ in range(4)] == [
        200, 200, 200, 429]


def test_insert_file_stores_it_and_answers_the_markdown(app, editing):
    client, _course, module_id, token = editing
    image = insert(client, module_id, "海报 (1) [终稿].png", PNG, token)
    document = insert(client, module_id, "学习材料.pdf", PDF, token)
    assert image.status_code == 200 and document.status_code == 200
    (image_id, image_module, _), (pdf_id, pdf_module, _) = attachments(app)
    assert image_module == pdf_module == module_id
    # Brackets escaped in the text, parentheses encoded in the URL: the link stays whole.
    assert image.json["markdown"] == (
        f"![海报 (1) \\[终稿\\].png](/files/{image_id}/"
        "%E6%B5%B7%E6%8A%A5%20%281%29%20%5B%E7%BB%88%E7%A8%BF%5D.png)")
    assert document.json["markdown"] == (
        f"[学习材料.pdf](/files/{pdf_id}/%E5%AD%A6%E4%B9%A0%E6%9D%90%E6%96%99.pdf)")
    # The reference shows the image in the preview, and the address serves the file.
    html = preview(client, _course.id, image.json["markdown"], token).json["html"]
    assert f'src="/files/{image_id}/' in html and 'alt="海报 (1) [终稿].png"' in html
    assert client.get(image.json["url"]).data == PNG


def test_insert_file_refuses_a_type_we_do_not_serve(app, editing):
    client, _course, module_id, token = editing
    response = insert(client, module_id, "notes.html", b"<script>alert(1)</script>", token)
    assert response.status_code == 422
    assert "notes.html" in response.json["message"]
    assert attachments(app) == []


def test_insert_file_without_a_file_says_so(editing):
    client, _course, module_id, token = editing
    response = client.post(f"/admin/modules/{module_id}/attachments/insert",
                           headers={"X-CSRFToken": token})
    assert response.status_code == 422 and response.json["message"]


def test_insert_file_needs_the_token_and_an_author(app, client, org, make_course,
                                                   make_assignment):
    course = make_course(modules=1)
    make_assignment(course, org.group_a)
    module_id = course.module_ids[0]
    login(client, org.admin.username)
    assert insert(client, module_id, "a.png", PNG, None).status_code == 400
    member = app.test_client()
    login(member, org.member.username)
    assert insert(member, module_id, "a.png", PNG, page_token(member, "/")).status_code == 403
    assert attachments(app) == []
