"""The role-by-endpoint matrix, shared by every feature's matrix test.

A feature writes `tests/<package>/test_<feature>_matrix.py` with
- ENDPOINTS: rows (method, url template, {persona: expected}); templates use `{name}` fields,
- DEDICATED: {flask rule: "which test covers its permission instead"},
- a test parametrized over PERSONAS that calls `check(client, persona_user, ENDPOINTS, ids)`.
`tests/learning/test_role_matrix.py` fails when any route of the app is in no matrix.

Personas (see the `org` fixture): anonymous; member of group_a; leader_in leads branch_a (above
group_a); leader_out leads branch_b; admin. `"login"` means the redirect to the login page.
"""

import importlib
import io
import re
from pathlib import Path

from tests.conftest import csrf_token, login

PERSONAS = ("anonymous", "member", "leader_in", "leader_out", "admin")

ADMIN_PAGE = {"anonymous": "login", "member": 403, "leader_in": 403, "leader_out": 403,
              "admin": 200}
ADMIN_POST = {**ADMIN_PAGE, "admin": 302}
ANY_USER = {"anonymous": "login", "member": 200, "leader_in": 200, "leader_out": 200,
            "admin": 200}
ANY_USER_API = {**ANY_USER, "anonymous": 401}
ADMIN_API = {"anonymous": 401, "member": 403, "leader_in": 403, "leader_out": 403, "admin": 200}


def check(client, org, persona: str, endpoints, ids: dict, files=None) -> list[str]:
    """Ask every endpoint as `persona`; returns the rows whose status was not the expected one.

    POSTs carry a valid CSRF token (pages: form field; API: X-CSRFToken header), so the answer
    is about permission, not about a missing token. `files` maps a url template to a callable
    returning multipart data for endpoints that need an upload.
    """
    if persona != "anonymous":
        assert login(client, getattr(org, persona).username).status_code == 302
    token = csrf_token(client)
    failures = []
    for method, template, expected_by_persona in endpoints:
        url = template.format(**ids)
        expected = expected_by_persona[persona]
        kwargs = {}
        if method != "GET":
            data = dict(files[template]()) if files and template in files else {}
            if url.startswith("/api/"):
                kwargs = {"headers": {"X-CSRFToken": token}, "data": data,
                          "content_type": "multipart/form-data"} if data else {
                          "headers": {"X-CSRFToken": token}, "json": {}}
            else:
                kwargs = {"data": {"csrf_token": token, **data}}
        response = client.open(url, method=method, **kwargs)
        if expected == "login":
            ok = response.status_code == 302 and "/login" in response.location
        else:
            ok = response.status_code == expected
        if not ok:
            failures.append(f"{persona}: {method} {url}: expected {expected}, "
                            f"got {response.status_code}")
    return failures


def upload(name: str, content: bytes):
    """Multipart data with one file field named `file`."""
    return lambda: {"file": (io.BytesIO(content), name)}


def matrix_modules():
    """Every feature matrix module under tests/."""
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("test_*_matrix.py")):
        name = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        yield importlib.import_module(name)


def shape(url: str) -> str:
    """"/admin/units/<int:unit_id>" and "/admin/units/{group_a}" both become "/admin/units/*"."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "*", url)
