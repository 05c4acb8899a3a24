"""Attachments: content sniffing, size limit, storage, serving with Range, permission, deletion."""

import hashlib
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from courses.catalog.attachments import sniff
from courses.models import Attachment
from learning.extensions import db
from tests.conftest import login, post_form

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4
EXE = b"MZ\x90\x00" + b"\x00" * 200


def in_english(client) -> None:
    client.get("/lang/en")


def upload(client, module_id: int, name: str, content: bytes):
    return post_form(client, f"/admin/modules/{module_id}/attachments",
                     {"file": (io.BytesIO(content), name)}, follow_redirects=True)


def stored(app) -> list[Attachment]:
    with app.app_context():
        rows = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def disk_path(app, attachment) -> Path:
    return Path(app.config["UPLOAD_DIR"]) / "attachments" / attachment.stored_name


@pytest.fixture
def admin(client, org):
    assert login(client, org.admin.username).status_code == 302
    in_english(client)
    return client


@pytest.mark.parametrize("head, expected", [
    (PNG, "image/png"), (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"), (b"GIF89a..", "image/gif"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"), (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"),
    (PDF, "application/pdf"), (b"ID3\x04\x00", "audio/mpeg"), (b"\xff\xfb\x90\x00", "audio/mpeg"),
    (b"\x00\x00\x00\x20ftypM4A \x00", "audio/mp4"), (b"\x00\x00\x00\x20ftypisom", "video/mp4"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
    (b"OggS\x00\x02" + b"\x00" * 22 + b"\x01vorbis", "audio/ogg"),
    (EXE, None), (b"<html><script>alert(1)</script>", None), (b"<svg xmlns=", None),
    (b"PK\x03\x04", None), (b"\x1a\x45\xdf\xa3matroska", None),
])  # fmt: skip
def test_sniff_reads_the_content(head, expected):
    assert sniff(head) == expected


def test_upload_stores_a_random_name_hash_size_and_type(app, admin, make_course):
    course = make_course(modules=1)
    response = upload(admin, course.module_ids[0], "讲话稿.pdf", PDF)
    assert response.status_code == 200
    assert "讲话稿.pdf uploaded." in response.get_data(as_text=True)
    [attachment] = stored(app)
    assert attachment.content_type == "application/pdf"
    assert attachment.size_bytes == len(PDF)
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.original_name == "讲话稿.pdf"
    assert "讲话稿" not in attachment.stored_name and "." not in attachment.stored_name
    assert disk_path(app, attachment).read_bytes() == PDF


@pytest.mark.parametrize("name, content", [
    ("setup.png", EXE), ("page.png", b"<html><script>alert(1)</script></html>"),
    ("empty.pdf", b""),
])
def test_content_sniffing_refuses_renamed_files(app, admin, make_course, name, content):
    course = make_course(modules=1)
    folder = Path(app.config["UPLOAD_DIR"]) / "attachments"
    before = set(folder.glob("*"))
    response = upload(admin, course.module_ids[0], name, content)
    page = response.get_data(as_text=True)
    assert name in page and ("not a file type we accept" in page or "is empty" in page)
    assert stored(app) == []
    assert set(folder.glob("*")) == before  # nothing left on disk


def test_size_limit(app, admin, make_course, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_MB", 1)
    course = make_course(modules=1)
    big = PNG + b"\x00" * (1024 * 1024)
    before = set((Path(app.config["UPLOAD_DIR"]) / "attachments").glob("*"))
    page = upload(admin, course.module_ids[0], "big.png", big).get_data(as_text=True)
    assert "big.png is larger than 1 MB" in page
    assert stored(app) == []
    assert set((Path(app.config["UPLOAD_DIR"]) / "attachments").glob("*")) == before
    # Far beyond the limit, the request itself is refused before it is read.
    response = post_form(admin, f"/admin/modules/{course.module_ids[0]}/attachments",
                         {"file": (io.BytesIO(big * 3), "huge.png")})
    assert response.status_code == 413


def test_served_with_type_nosniff_inline_and_ranges(app, admin, make_course):
    course = make_course(modules=1)
    upload(admin, course.module_ids[0], "讲话稿.pdf", PDF)
    [attachment] = stored(app)
    url = f"/files/{attachment.id}/讲话稿.pdf"
    response = admin.get(url)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["Accept-Ranges"] == "bytes"

    partial = admin.get(url, headers={"Range": "bytes=0-99"})
    assert partial.status_code == 206
    assert partial.headers["Content-Range"] == f"bytes 0-99/{len(PDF)}"
    assert partial.data == PDF[:100]
    tail = admin.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.data == PDF[-10:]
    bad = admin.get(url, headers={"Range": f"bytes={len(PDF) + 10}-"})
    assert bad.status_code == 416


def test_only_people_who_may_view_the_module_fetch_its_files(app, client, org, make_course,
                                                             make_user, make_assignment):
    course = make_course(modules=1)
    login(client, org.admin.username)
    upload(client, course.module_ids[0], "图.png", PNG)
    [attachment] = stored(app)
    url = f"/files/{attachment.id}/x.png"
    outsider = make_user("outsider", units=[(org.group_b, "member")])

    def fetch(user):
        client.post("/logout", data={"csrf_token": ""})
        client.delete_cookie("session")
        assert login(client, user.username).status_code == 302
        return client.get(url).status_code

    assert fetch(org.member) == 404  # not assigned yet: looks like a missing file
    assert fetch(outsider) == 404
    assert client.get("/files/999999/x.png").status_code == 404
    make_assignment(course, org.group_a)
    assert fetch(org.member) == 200
    assert fetch(outsider) == 404
    client.delete_cookie("session")
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.location


def test_deleting_an_attachment_removes_the_file(app, admin, make_course):
    course = make_course(modules=1)
    upload(admin, course.module_ids[0], "a.png", PNG)
    [attachment] = stored(app)
    path = disk_path(app, attachment)
    assert path.exists()
    response = post_form(admin, f"/admin/attachments/{attachment.id}/delete")
    assert response.status_code == 302
    assert stored(app) == [] and not path.exists()
    assert admin.get(f"/files/{attachment.id}/a.png").status_code == 404


def test_cover_image_upload_replace_and_serve(app, admin, org, make_course):
    course = make_course(modules=1)
    form = {"title": course.title, "summary": "", "position": "0", "published": "y"}
    response = post_form(admin, f"/admin/courses/{course.id}",
                         {**form, "cover": (io.BytesIO(PDF), "cover.png")})
    assert response.status_code == 200
    assert "cover.png is not an image" in response.get_data(as_text=True)
    assert stored(app) == []

    post_form(admin, f"/admin/courses/{course.id}", {**form, "cover": (io.BytesIO(PNG), "c.png")})
    [first] = stored(app)
    assert first.purpose == "cover" and first.module_id is None
    post_form(admin, f"/admin/courses/{course.id}", {**form, "cover": (io.BytesIO(PNG), "d.png")})
    [second] = stored(app)
    assert second.original_name == "d.png" and not disk_path(app, first).exists()
    assert admin.get(f"/files/{second.id}/d.png").headers["Content-Type"] == "image/png"


def test_markdown_may_show_our_own_attachment_images(app, admin, make_course):
    course = make_course(modules=1)
    upload(admin, course.module_ids[0], "a.png", PNG)
    [attachment] = stored(app)
    body = f"![图](/files/{attachment.id}/a.png) ![外](https://evil.example/x.png)"
    post_form(admin, f"/admin/modules/{course.module_ids[0]}", {
        "title": "t", "body_md": body, "estimated_minutes": "5", "completion_rule": "reading",
        "min_posts": "0", "published": "y", "submit": "Save"})
    from courses.models import Module

    with app.app_context():
        html = db.session.get(Module, course.module_ids[0]).body_html
    assert f'<img alt="图" src="/files/{attachment.id}/a.png">' in html
    assert "evil.example" not in html


def test_an_over_long_file_name_is_refused_with_a_message(app, admin, make_course):
    """Attachment names hold 255 characters; a longer one is refused, not cut short."""
    course = make_course(modules=1)
    folder = Path(app.config["UPLOAD_DIR"]) / "attachments"
    before = set(folder.glob("*"))
    response = upload(admin, course.module_ids[0], "讲" * 296 + ".pdf", PDF)
    assert response.status_code == 200
    assert ("The file name is 300 characters long; rename the file to at most 255 characters "
            "and upload it again." in response.get_data(as_text=True))
    assert stored(app) == [] and set(folder.glob("*")) == before
    upload(admin, course.module_ids[0], "讲" * 251 + ".pdf", PDF)
    assert [a.original_name for a in stored(app)] == ["讲" * 251 + ".pdf"]
