"""The question editor's live preview: each text format through the one sanitiser, for admins
only, with the page's CSRF token (learning/static/js/editor.js sends it as X-CSRFToken)."""

import pytest

from learning.extensions import db
from quizzes.banks import services
from tests.conftest import csrf_token, login

HOSTILE = "**粗** <b>HTML</b> <script>alert(1)</script><a href='javascript:alert(2)'>x</a>"


@pytest.fixture
def bank_id(app):
    with app.app_context():
        bank = services.apply_import("编辑器题库", b"::q:: 1+1=? {=2 ~3}", "bank.gift").bank
        db.session.commit()
        return bank.id


def preview(client, bank_id: int, text: str, fmt: str, token: str | None):
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(f"/admin/banks/{bank_id}/preview", data={"text": text, "format": fmt},
                       headers=headers)


def test_the_question_form_carries_the_editor(client, org, bank_id):
    login(client, org.admin.username)
    page = client.get(f"/admin/banks/{bank_id}/questions/new?type=single").get_data(
        as_text=True)
    assert page.count(f'data-preview-url="/admin/banks/{bank_id}/preview"') == 2  # stem, feedback
    assert 'data-format-field="stem_format"' in page
    assert 'src="/static/js/editor.js"' in page


@pytest.mark.parametrize("fmt, shown, hidden", [
    ("markdown", "<strong>粗</strong>", "**粗**"),
    ("html", "<b>HTML</b>", "**粗**</strong>"),
    ("plain", "&lt;b&gt;HTML&lt;/b&gt;", "<b>"),
    ("no-such-format", "<b>HTML</b>", "<strong>"),  # saved as Moodle's auto-format
])
def test_preview_renders_the_chosen_format_sanitised(client, org, bank_id, fmt, shown, hidden):
    login(client, org.admin.username)
    token = csrf_token(client)
    response = preview(client, bank_id, HOSTILE, fmt, token)
    assert response.status_code == 200
    html = response.json["html"]
    assert shown in html and hidden not in html
    # No script and no script link; plain text shows the tags as text, escaped.
    assert "<script" not in html and "href=\"javascript" not in html
    assert "alert(1)" not in html or fmt == "plain"


def test_preview_needs_the_token_and_an_admin(app, client, org, bank_id):
    login(client, org.admin.username)
    assert preview(client, bank_id, "x", "markdown", None).status_code == 400
    assert preview(client, bank_id + 100, "x", "markdown",
                   csrf_token(client)).status_code == 404
    leader = app.test_client()
    login(leader, org.leader_in.username)
    response = preview(leader, bank_id, HOSTILE, "markdown", csrf_token(leader))
    assert response.status_code == 403 and "<strong>" not in response.get_data(as_text=True)
