"""Issue 18, items 2 and 9 through HTTP: chart text in CSS px (no viewBox to scale it), report
tables that stack into labelled cards on a phone, and the pager hidden with a single page."""

import re

from learning.accounts.models import LoginEvent
from learning.extensions import db
from tests.conftest import login


def test_the_pager_is_hidden_with_one_page_and_shown_with_two(app, client, org):
    login(client, "admin")  # one login event: one page
    html = client.get("/admin/audit/logins").get_data(as_text=True)
    assert 'class="pagination' not in html and "Page navigation" not in html
    with app.app_context():
        db.session.add_all(LoginEvent(username=f"u{i}", success=False, reason="password")
                           for i in range(60))
        db.session.commit()
    html = client.get("/admin/audit/logins").get_data(as_text=True)
    assert 'class="pagination' in html and "1 / 2" in html
    assert 'rel="next" href="/admin/audit/logins?page=2"' in html and 'rel="prev"' not in html
    html = client.get("/admin/audit/logins?page=2&failed=1").get_data(as_text=True)
    assert "2 / 2" in html and 'href="/admin/audit/logins?page=1&amp;failed=1"' in html


def test_report_charts_carry_no_viewbox_and_tables_carry_data_labels(app, client, org,
                                                                     make_course,
                                                                     make_assignment):
    course = make_course()
    assignment = make_assignment(course, org.branch_a)
    login(client, "admin")
    html = client.get(f"/reports/assignments/{assignment.id}/units/{org.branch_a.id}"
                      ).get_data(as_text=True)
    chart = html[html.index('<div class="chart chart-bars"'):html.index("</details>")]
    # The bars are HTML rows: the names and rates are page text, sized by app.css in px.
    assert "viewBox" not in chart and "font-size" not in chart
    assert 'class="chart-bars-label">' in chart and 'class="chart-target-label"' in chart
    table = html[html.index('table-stack'):]
    assert '<td class="text-end cell-rate" data-label="学习率">' in table  # zh_CN by default
    for label in ("应学人数", "已完成", "学习中", "未开始", "逾期", "排名"):
        assert f'data-label="{label}"' in table
    css = client.get("/static/app.css").get_data(as_text=True)
    assert re.search(r"\.chart svg text \{ font-size: 1[2-6]px;", css)
    assert re.search(r"\.table-stack \[data-label\]::before \{ content: attr\(data-label\)", css)


def _stacked_cells(html: str) -> list[str]:
    """The opening tags of the cells after each row's first (its heading on a card) in the
    body of the page's first card table (table-stack)."""
    table = html[html.index("table-stack"):]
    body = table[table.index("<tbody>"):table.index("</table>")]
    return [cell for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
            for cell in re.findall(r"<t[dh][ >][^>]*>?", row)[1:]]


def test_member_page_audit_log_and_quiz_list_stack_into_labelled_cards(
        app, client, org, make_course, make_assignment):
    """Seen on a phone with pagewalk: these tables squeezed their headers to a character or
    two a line; as cards every cell says what it is (or spans the card)."""
    course = make_course()
    assignment = make_assignment(course, org.group_a)
    login(client, "admin")
    pages = [f"/reports/assignments/{assignment.id}/units/{org.group_a.id}/members/"
             f"{org.member.id}", "/admin/audit/"]
    for url in pages:
        cells = _stacked_cells(client.get(url).get_data(as_text=True))
        assert cells and all("data-label=" in c or "cell-wide" in c for c in cells), url
    css = client.get("/static/app.css").get_data(as_text=True)
    assert "> .cell-wide { flex: 1 0 100%; }" in css
    assert ".badge { font-size: max(.75em, 12px); }" in css
