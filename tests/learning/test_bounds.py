"""Numbers too large for the database never reach it: every id in a URL is bounded by the app's
`int` converter (404), page numbers and ids read from query strings by the pages fall back to
their default, and the API refuses them with a 422 that names the field (learning/bounds.py,
learning/api.py). Before, /api/v1/attempts/9223372036854775808 crashed SQLite and
/api/v1/quizzes/2147483648/attempts crashed PostgreSQL with a 500.
"""

import re

import pytest
from werkzeug.routing import IntegerConverter

from learning.bounds import MAX_INT, MAX_PAGE
from tests.conftest import csrf_token, login

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

# The largest id there can be (it reaches the database), and three no INTEGER can hold.
HUGE_IDS = (MAX_INT, 2**31, 2**63, 2**64)
# Query-string ids no INTEGER can hold, or that are not numbers at all ...
BAD_IDS = ("abc", "1.5", str(2**31), str(2**63), "9" * 5000)
# ... and page numbers: those, and numbers no page has.
BAD_PAGES = ("0", "-1", str(MAX_PAGE + 1), str(MAX_INT), *BAD_IDS)


def int_rules(app):
    """Every URL rule with an int argument, and the methods it answers."""
    for rule in app.url_map.iter_rules():
        ints = {name for name, converter in rule._converters.items()
                if isinstance(converter, IntegerConverter)}
        if ints:
            yield rule, ints, sorted(rule.methods - {"HEAD", "OPTIONS"})


def with_ids(rule, ints: set[str], number: int) -> str:
    """The rule's URL with `number` for every int argument (and "x" for any other)."""
    def fill(match):
        return str(number) if match.group(1) in ints else "x"
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", fill, rule.rule)


def test_every_route_with_an_int_id_answers_huge_ids_without_a_server_error(app, org):
    """Logged in as an admin, so no permission check hides a crash behind a 403."""
    client = app.test_client()
    login(client, "admin")
    token = csrf_token(client)
    rules = list(int_rules(app))
    assert len(rules) > 100  # pages and API alike
    wrong = []
    for rule, ints, methods in rules:
        for number in HUGE_IDS:
            url = with_ids(rule, ints, number)
            for method in methods:
                status = client.open(url, method=method, data={"csrf_token": token},
                                     headers={"X-CSRFToken": token}).status_code
                # No route for an id past MAX_INT (405 when werkzeug matched the path of a
                # sibling rule with other methods); MAX_INT itself may be anything but a 5xx.
                if status >= 500 or (number > MAX_INT and status not in (404, 405)):
                    wrong.append(f"{method} {url}: {status}")
    assert not wrong, f"{len(wrong)} wrong answers:\n" + "\n".join(wrong)


def test_an_id_with_thousands_of_digits_is_not_found(client, org):
    login(client, "admin")
    assert client.get("/reports/units/" + "9" * 5000).status_code == 404
    response = client.get("/api/v1/attempts/" + "1" * 5000)
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_the_document_gives_every_path_id_its_bounds(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    ids = [parameter["schema"] for path in spec["paths"].values()
           for parameter in path.get("parameters", []) if parameter["in"] == "path"]
    assert ids
    assert all(schema == {"type": "integer", "minimum": 0, "maximum": MAX_INT} for schema in ids)


def page_urls(ids: dict) -> list[tuple[str, tuple]]:
    """Pages that read a page number or an id from the query string, and what to try."""
    return [
        (f"/modules/{ids['module_id']}/threads?page={{}}", BAD_PAGES),
        (f"/threads/{ids['thread_id']}?page={{}}", BAD_PAGES),
        ("/discussion-reports?page={}", BAD_PAGES),
        ("/offline-lessons/?page={}", BAD_PAGES),
        (f"/admin/quizzes/{ids['quiz_id']}?page={{}}", BAD_PAGES),
        (f"/admin/quizzes/{ids['quiz_id']}?bank={{0}}&category={{0}}", BAD_IDS),
        (f"/admin/courses/{ids['course_id']}/quizzes/new?module={{}}", BAD_IDS),
        (f"/admin/banks/{ids['bank_id']}?page={{}}", BAD_PAGES),
        (f"/admin/banks/{ids['bank_id']}/questions/new?type=single&category={{}}", BAD_IDS),
        (f"/quizzes/{ids['quiz_id']}/statistics?unit={{}}", BAD_IDS),
        ("/admin/audit/?page={}", BAD_PAGES),
        ("/admin/audit/logins?page={}", BAD_PAGES),
        ("/notifications/?page={}", BAD_PAGES),
        (f"/reports/assignments/{ids['assignment_id']}/units/{ids['unit_id']}?page={{}}",
         BAD_PAGES),
        ("/reports/reminders?page={}", BAD_PAGES),
        ("/admin/members/?page={}", BAD_PAGES),
        ("/admin/members/?unit={}", BAD_IDS),
    ]


def test_pages_ignore_a_page_number_or_an_id_that_cannot_name_anything(app, api_world):
    """The page is served as if the number were not given (page 1, no filter)."""
    _tokens, ids = api_world
    client = app.test_client()
    login(client, "admin")
    for url, numbers in page_urls(ids):
        assert client.get(url.format("1")).status_code == 200, url
        for number in numbers:
            response = client.get(url.format(number))
            assert response.status_code == 200, (url.format(number)[:120], response.status_code)


def test_a_members_attempt_page_ignores_a_page_number_that_names_nothing(app, api_world):
    _tokens, ids = api_world
    client = app.test_client()
    login(client, "member")
    for number in BAD_PAGES:
        response = client.get(f"/attempts/{ids['attempt_id']}?page={number}")
        assert response.status_code == 200, (number[:20], response.status_code)


def api_page_urls(ids: dict) -> list[tuple[str, tuple]]:
    """API operations with a page number or an id in the query string, and what to try."""
    period = f"/api/v1/reports/assignments/{ids['assignment_id']}/units/{ids['unit_id']}"
    return [
        ("/api/v1/notifications?page={}", BAD_PAGES),
        (f"/api/v1/threads/{ids['thread_id']}?page={{}}", BAD_PAGES),
        (f"/api/v1/modules/{ids['module_id']}/threads?page={{}}", BAD_PAGES),
        ("/api/v1/discussion-reports?page={}", BAD_PAGES),
        ("/api/v1/offline-lessons?page={}", BAD_PAGES),
        ("/api/v1/offline-lessons?unit_id={}", BAD_IDS),
        (f"{period}/members?page={{}}", BAD_PAGES),
        ("/api/v1/reports/reminders?page={}", BAD_PAGES),
        ("/api/v1/reports/reminders?unit_id={0}&assignment_id={0}", BAD_IDS),
        (f"/api/v1/quizzes/{ids['quiz_id']}/statistics?unit={{}}", BAD_IDS),
    ]


def test_the_api_refuses_page_numbers_and_ids_that_cannot_name_anything(app, api_world):
    """A 422 in the API's error shape that names the query parameter."""
    tokens, ids = api_world
    api = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    for url, numbers in api_page_urls(ids):
        assert api.get(url.format("1"), headers=headers).status_code == 200, url
        for number in numbers:
            response = api.get(url.format(number), headers=headers)
            assert response.status_code == 422, (url.format(number)[:120], response.status_code)
            body = response.get_json()
            assert body["code"] == 422 and body["errors"]["query"], body


def test_the_api_refuses_a_body_integer_no_column_can_hold(app, api_world):
    tokens, ids = api_world
    api = app.test_client()
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    for settings in ({"attempts_allowed": 2**31}, {"time_limit_minutes": 2**63}):
        response = api.patch(f"/api/v1/quizzes/{ids['quiz_id']}", json=settings, headers=admin)
        assert response.status_code == 422, (settings, response.status_code)
        assert set(response.get_json()["errors"]["json"]) == set(settings)
    response = api.post("/api/v1/offline-lessons", headers=admin, json={
        "unit_id": ids["unit_id"], "held_on": "2026-03-01", "place": "团委", "topic": "学习",
        "module_ids": [ids["module_id"], 2**63], "attendee_ids": [ids["user_id"]]})
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["module_ids"] == {
        "1": ["必须是 -2147483648 到 2147483647 之间的整数。"]}  # zh_CN by default
