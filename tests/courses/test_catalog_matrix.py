"""Role-by-endpoint matrix of course authoring, attachment files and the catalogue API."""

import io

import pytest

from courses.models import Attachment
from learning.extensions import db
from tests.matrix import ADMIN_API, ADMIN_PAGE, ADMIN_POST, ANY_USER_API, PERSONAS, check

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# A published course assigned to group_a: members there, every leader and admins see it.
VISIBLE_FILE = {"anonymous": "login", "member": 200, "leader_in": 200, "leader_out": 200,
                "admin": 200}
# A draft course: only admins; everyone else gets 404, as for a missing file.
DRAFT_FILE = {"anonymous": "login", "member": 404, "leader_in": 404, "leader_out": 404,
              "admin": 200}
VISIBLE_API = ANY_USER_API
DRAFT_API = {"anonymous": 401, "member": 404, "leader_in": 404, "leader_out": 404, "admin": 200}
# Writes with an empty JSON body: admins get the validation answer, others 403.
ADMIN_CREATE_API = {**ADMIN_API, "admin": 422}

ENDPOINTS = [
    ("GET", "/admin/courses/", ADMIN_PAGE),
    ("GET", "/admin/courses/new", ADMIN_PAGE),
    ("POST", "/admin/courses/new", {**ADMIN_PAGE, "admin": 200}),  # admin: form with errors
    ("GET", "/admin/courses/{course}", ADMIN_PAGE),
    # A post without fields keeps the course's values (WTForms) and saves: admin redirected.
    ("POST", "/admin/courses/{course}", ADMIN_POST),
    ("POST", "/admin/courses/{course}/cover/delete", ADMIN_POST),
    ("GET", "/admin/courses/{course}/modules/new", ADMIN_PAGE),
    ("GET", "/admin/modules/{module}", ADMIN_PAGE),
    ("POST", "/admin/modules/{module}", {**ADMIN_PAGE, "admin": 200}),
    ("POST", "/admin/modules/{module}/move", ADMIN_POST),
    ("GET", "/admin/modules/{module}/history", ADMIN_PAGE),
    ("POST", "/admin/modules/{module}/history/{revision}/restore", ADMIN_POST),
    ("POST", "/admin/modules/{module}/attachments", ADMIN_POST),
    # The editor's JSON answers: the preview of an empty text, the Markdown of an upload.
    ("POST", "/admin/courses/{course}/preview", {**ADMIN_PAGE, "admin": 200}),
    ("POST", "/admin/modules/{module}/attachments/insert", {**ADMIN_PAGE, "admin": 200}),
    ("GET", "/files/{file}/{name}", VISIBLE_FILE),
    ("GET", "/files/{draft_file}/{name}", DRAFT_FILE),
    ("POST", "/admin/attachments/{doomed_file}/delete", ADMIN_POST),
    ("GET", "/api/v1/courses", VISIBLE_API),
    ("POST", "/api/v1/courses", ADMIN_CREATE_API),
    ("GET", "/api/v1/courses/{course}", VISIBLE_API),
    ("GET", "/api/v1/courses/{draft}", DRAFT_API),
    ("PATCH", "/api/v1/courses/{course}", ADMIN_API),
    ("POST", "/api/v1/courses/{course}/modules", ADMIN_CREATE_API),
    ("GET", "/api/v1/modules/{module}", VISIBLE_API),
    ("GET", "/api/v1/modules/{draft_module}", DRAFT_API),
    ("PATCH", "/api/v1/modules/{module}", ADMIN_API),
]


def _attachment(app, course, module_id, name):
    """A stored attachment with its file on disk, made without going through a page."""
    from courses.catalog.attachments import save_upload
    from courses.models import Course, Module

    class Upload:
        filename = name
        stream = io.BytesIO(PNG)

    with app.test_request_context():
        attachment = save_upload(Upload(), course=db.session.get(Course, course.id),
                                 module=db.session.get(Module, module_id), actor=None)
        db.session.commit()
        return attachment.id


@pytest.mark.parametrize("persona", PERSONAS)
def test_catalog_role_matrix(app, client, org, persona, make_course, make_assignment):
    """Each persona gets exactly the expected status from every catalogue endpoint."""
    from courses.models import ModuleRevision

    course = make_course("已发布", modules=2)
    draft = make_course("草稿", modules=1, published=False)
    make_assignment(course, org.group_a)
    with app.app_context():
        revision = ModuleRevision(module_id=course.module_ids[0], editor_name="admin",
                                  title="旧", body_md="旧")
        db.session.add(revision)
        db.session.commit()
        revision_id = revision.id
    ids = {
        "name": "a.png", "course": course.id, "module": course.module_ids[0], "draft": draft.id,
        "draft_module": draft.module_ids[0], "revision": revision_id,
        "file": _attachment(app, course, course.module_ids[0], "a.png"),
        "draft_file": _attachment(app, draft, draft.module_ids[0], "b.png"),
        "doomed_file": _attachment(app, course, course.module_ids[1], "c.png"),
    }
    files = {"/admin/modules/{module}/attachments":
             lambda: {"file": (io.BytesIO(PNG), "new.png")},
             "/admin/modules/{module}/attachments/insert":
             lambda: {"file": (io.BytesIO(PNG), "inserted.png")}}
    failures = check(client, org, persona, ENDPOINTS, ids, files)
    assert not failures, "\n".join(failures)
    with app.app_context():
        left = db.session.get(Attachment, ids["doomed_file"])
    assert (left is None) == (persona == "admin")
