"""Role-by-endpoint matrix of the video lessons' API (see tests/matrix.py): the watched share
and the player's heartbeats answer whoever may view the module (leaders view every published
module, members the ones assigned to them) and no one else."""

import io

import pytest

from courses.video.sample import sample_webm
from tests.conftest import csrf_token, login, post_form
from tests.matrix import PERSONAS, check

VIEWERS_API = {"anonymous": 401, "member": 200, "leader_in": 200, "leader_out": 200,
               "admin": 200}
# An empty JSON body: the schema answers 422 once the caller may view the module.
HEARTBEAT_API = {"anonymous": 401, "member": 422, "leader_in": 422, "leader_out": 422,
                 "admin": 422}

ENDPOINTS = [
    ("GET", "/api/v1/modules/{module}/video", VIEWERS_API),
    ("GET", "/api/v1/modules/{other}/video", {**VIEWERS_API, "member": 404}),
    ("POST", "/api/v1/modules/{module}/video/heartbeat", HEARTBEAT_API),
    # The body is checked before the module is loaded, so {} is 422 for any id, existing or
    # not (nothing leaks); a valid heartbeat from a member not assigned it is 404 (below).
    ("POST", "/api/v1/modules/{other}/video/heartbeat", HEARTBEAT_API),
    ("GET", "/study/modules/{module}", {**VIEWERS_API, "anonymous": "login"}),
    ("GET", "/study/modules/{other}", {**VIEWERS_API, "anonymous": "login", "member": 404}),
]


@pytest.fixture(scope="module")
def clip():
    return sample_webm(4)


@pytest.mark.parametrize("persona", PERSONAS)
def test_video_role_matrix(app, client, org, make_course, make_assignment, clip, persona):
    course = make_course(modules=1, rule="watched", body="![第一课](clip.webm)")
    other = make_course("未分配", modules=1, rule="watched", body="![第一课](clip.webm)")
    make_assignment(course, org.group_a)
    login(client, "admin")
    for module_id in (course.module_ids[0], other.module_ids[0]):
        assert post_form(client, f"/admin/modules/{module_id}/attachments",
                         {"file": (io.BytesIO(clip), "clip.webm")}).status_code == 302
    post_form(client, "/logout")
    failures = check(client, org, persona, ENDPOINTS,
                     {"module": course.module_ids[0], "other": other.module_ids[0]})
    assert not failures, "\n".join(failures)
    if persona == "member":
        beat = client.post(f"/api/v1/modules/{other.module_ids[0]}/video/heartbeat",
                           json={"position": 0, "playing": True},
                           headers={"X-CSRFToken": csrf_token(client)})
        assert beat.status_code == 404
