"""Every page is reachable (issue 18, item 6): starting from the home page of each demo role
and following only links, a person reaches every GET page the role matrix (tests/matrix.py)
opens to their role. A page that is legitimately reached another way is listed in
REACHED_OTHERWISE with the reason."""

from collections import deque

import pytest
from werkzeug.exceptions import HTTPException

import tests.learning.test_role_matrix as core_matrix
from learning.demo import DEMO_PASSWORD
from tests.conftest import login
from tests.matrix import matrix_modules, shape
from tests.pages import links, local_path

# Demo logins and the matrix persona whose pages they must reach.
ROLES = {"m002": "member", "m001": "leader_in", "zhishu1": "leader_in", "admin": "admin"}

# Pages reached by a form rather than a link (the crawl follows links only), by rule.
REACHED_OTHERWISE = {
    "/attempts/<int:attempt_id>": "the start button (POST) of the module or quiz page",
    "/attempts/<int:attempt_id>/submit": "the attempt form's 「结束作答」 button (POST)",
    "/admin/members/<int:user_id>/reset-password": "POST from the member's page",
    # Linked from the module page (a download); the demo modules have no attachment.
    "/files/<int:attachment_id>/<path:name>": "the module page's attachment list",
    # The edit link shows on one's own post while it may still be edited; the demo's are older.
    "/posts/<int:post_id>/edit": "the 「编辑」 link on one's own recent post",
}
# Pages a role reaches only when the demo gives it something to act on, by persona and rule.
REACHED_OTHERWISE_BY = {
    # The 「延长学习期次」 link stands beside a period the leader's own unit assigned; every demo
    # period covering their units is the committee's (shown read-only), so only admin meets it.
    "leader_in": {"/study/assignments/<int:assignment_id>/extend":
                  "the extend link of a period one's own unit assigned"},
}
# Links recorded but not opened: downloads and what would change the session.
NOT_OPENED = ("/export", ".xlsx", ".csv", "/files/", "/lang/", "/template")
# Pages of one shape opened at most this often (the tenth thread page shows nothing new); a
# member's home links the next module of each period first, so the course's first module (whose
# quiz holds m002's reviewed attempt) is the seventh module page met.
PER_SHAPE = 8
MAX_PAGES = 250


def _rule(app, path: str) -> str | None:
    """The URL rule a GET of `path` reaches, or None."""
    adapter = app.url_map.bind("localhost")
    try:
        rule, _args = adapter.match(path.split("?")[0], method="GET", return_rule=True)
    except HTTPException:
        return None
    return rule.rule


def expected_rules(app, persona: str) -> set[str]:
    """The rules of the GET pages (not the API) the matrix opens to `persona` with a 200."""
    shapes = set()
    for module in {core_matrix, *matrix_modules()}:
        for method, template, expected in module.ENDPOINTS:
            if method == "GET" and not template.startswith("/api/") \
                    and expected[persona] == 200:
                shapes.add(shape(template.split("?")[0]))
    return {rule.rule for rule in app.url_map.iter_rules() if shape(rule.rule) in shapes}


def crawl(app, client, broken: list[str]) -> set[str]:
    """The rules of every page linked from "/" and onwards, following links breadth-first;
    pages answering with a server error are added to `broken`."""
    seen_rules: set[str] = set()
    opened_per_shape: dict[str, int] = {}
    queue, queued = deque(["/"]), {"/"}
    opened = 0
    while queue and opened < MAX_PAGES:
        path = queue.popleft()
        rule = _rule(app, path)
        if rule is None:
            continue
        seen_rules.add(rule)
        if any(part in path for part in NOT_OPENED):
            continue  # linked is reached: a download is not a page to walk
        key = shape(rule)
        if opened_per_shape.get(key, 0) >= PER_SHAPE:
            continue
        opened_per_shape[key] = opened_per_shape.get(key, 0) + 1
        response = client.get(path, follow_redirects=True)  # as a browser follows them
        opened += 1
        if response.status_code >= 500:
            broken.append(path)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        landed = response.request.path
        seen_rules.add(_rule(app, landed) or rule)
        for link in links(response.get_data(as_text=True)):
            target = local_path(link.href, landed)
            if target and target not in queued and not target.startswith("/api/"):
                queued.add(target)
                queue.append(target)
    return seen_rules


@pytest.fixture
def demo(app):
    """The demo data (`flask demo`): an organisation, a course, quizzes, threads, lessons."""
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("username", list(ROLES))
def test_every_page_of_a_role_is_reachable_from_its_home_page(app, client, demo, username):
    assert login(client, username, DEMO_PASSWORD).status_code == 302
    broken: list[str] = []
    reached = crawl(app, client, broken)
    assert not broken, f"{username} meets server errors at {broken}"
    otherwise = set(REACHED_OTHERWISE) | set(REACHED_OTHERWISE_BY.get(ROLES[username], {}))
    missing = expected_rules(app, ROLES[username]) - reached - otherwise
    assert not missing, f"{username} cannot reach by links: {sorted(missing)}"


def test_the_name_opens_the_account_page_and_the_menu_has_no_api_tokens(client, org):
    login(client, "member")
    home = client.get("/").get_data(as_text=True)
    nav = home[home.index("<nav"):home.index("</nav>")]
    assert "API 令牌" not in nav and "/account/tokens" not in nav
    name_link = next(link for link in links(nav) if link.text == "成员甲")
    assert name_link.href == "/account/"

    page = client.get("/account/").get_data(as_text=True)
    main = page[page.index('<main id="main"'):]
    assert "成员甲" in main and "member" in main  # name and username
    assert "测试团委/第一团支部/第一学习小组" in main  # units, with the role
    assert "/lang/en?next=/account/" in main  # language
    hrefs = {link.href for link in links(main)}
    assert {"/account/password", "/account/tokens"} <= hrefs
