"""Question-bank pages (admins): banks, categories, the question form of every type with its
validation and preview, import with a dry run, export, the template, and the bank page's queries.

Everything goes through the HTTP layer with real CSRF tokens (tests.conftest.post_form)."""

import csv
import io
import re
from html import unescape

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from learning.audit.models import AuditEntry
from learning.extensions import db
from quizzes.banks import services
from quizzes.models import Question, QuestionBank, QuestionCategory, QuestionTag
from tests.conftest import login, post_form

GIFT = """\
$CATEGORY: 团史/成立
// [tag:团史]
::成立::中国共产主义青年团成立于哪一年？{~1920 =1922#对 ~1925}

$CATEGORY: 团史/组织
::直辖市::下列城市中，直辖市有：{~%50%北京 ~%50%上海 ~%-100%广州}

$CATEGORY: 常识
团的最高领导机关是全国代表大会。{TRUE}
"""

BAD_GIFT = """\
::好题::1+1=?{=2 ~3}

::坏题一::缺少右括号{=2 ~3

::坏题二::没有正确答案{~1 ~3}
"""


def admin_client(client, org):
    assert login(client, org.admin.username).status_code == 302
    client.get("/lang/en")  # messages below are read in English
    return client


def make_bank(app, name="团史题库", gift=GIFT) -> int:
    with app.app_context():
        if gift:
            bank = services.apply_import(name, gift.encode(), "bank.gift").bank
        else:
            bank = QuestionBank(name=name)
            db.session.add(bank)
            db.session.flush()
        db.session.commit()
        return bank.id


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def page_text(response) -> str:
    """The page as a reader sees it (entities decoded)."""
    return unescape(response.get_data(as_text=True))


# --- banks -------------------------------------------------------------------------------------


def test_admin_creates_renames_and_deletes_a_bank(app, client, org):
    admin_client(client, org)
    response = post_form(client, "/admin/banks/", {"name": " 党史题库 ", "description": "学习"})
    assert response.status_code == 302
    with app.app_context():
        bank = db.session.scalars(select(QuestionBank)).one()
        assert (bank.name, bank.description) == ("党史题库", "学习")
        bank_id = bank.id
    assert response.location.endswith(f"/admin/banks/{bank_id}")

    # The same name again is refused next to the field.
    response = post_form(client, "/admin/banks/", {"name": "党史题库"})
    assert response.status_code == 200
    assert "A bank with this name already exists." in page_text(response)
    assert count(app, QuestionBank) == 1

    other = make_bank(app, "团史题库")
    page = page_text(client.get("/admin/banks/"))
    assert re.search(rf'data-bank-count="{other}">3<', page)
    assert re.search(rf'data-bank-count="{bank_id}">0<', page)

    response = post_form(client, f"/admin/banks/{bank_id}/edit",
                         {"name": "团史题库", "description": ""})
    assert "A bank with this name already exists." in page_text(response)
    response = post_form(client, f"/admin/banks/{bank_id}/edit",
                         {"name": "新名字", "description": "说明"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(QuestionBank, bank_id).name == "新名字"

    assert post_form(client, f"/admin/banks/{other}/delete").status_code == 302
    assert count(app, QuestionBank) == 1
    assert count(app, Question) == 0 and count(app, QuestionCategory) == 0
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"bank.create", "bank.update", "bank.delete"} <= actions


def test_the_bank_forms_name_a_bank_and_a_category_not_a_person(app, client, org):
    # "Name" reads 姓名 (a person's name) in Chinese; the bank form asked for the bank's 姓名.
    bank_id = make_bank(app)
    admin_client(client, org)
    index = page_text(client.get("/admin/banks/"))
    assert re.search(r'<label[^>]*for="name"[^>]*>\s*Bank name', index)
    assert "(top level category)" in page_text(client.get(f"/admin/banks/{bank_id}"))


# --- categories --------------------------------------------------------------------------------


def test_categories_nest_count_filter_rename_and_delete(app, client, org):
    bank_id = make_bank(app)
    admin_client(client, org)
    with app.app_context():
        top = db.session.scalar(select(QuestionCategory).where(QuestionCategory.path == "团史"))
        top_id = top.id

    response = post_form(client, f"/admin/banks/{bank_id}/categories",
                         {"name": "第 三  节", "parent": str(top_id)})
    assert response.status_code == 302
    response = post_form(client, f"/admin/banks/{bank_id}/categories",
                         {"name": "第 三 节", "parent": str(top_id)})
    assert "There is already a category of this name there." in page_text(response)
    response = post_form(client, f"/admin/banks/{bank_id}/categories",
                         {"name": "a/b", "parent": "0"})
    assert 'A category name cannot contain "/".' in page_text(response)
    with app.app_context():
        paths = set(db.session.scalars(select(QuestionCategory.path)))
    assert paths == {"团史", "团史/成立", "团史/组织", "团史/第 三 节", "常识"}

    page = page_text(client.get(f"/admin/banks/{bank_id}"))
    # 团史 holds no question itself, 2 with its subcategories; children follow their parent.
    assert re.search(r'data-category="团史">.*?data-counts>0 / 2<', page, re.S)
    order = re.findall(r'data-category="([^"]+)"', page)
    assert order == ["团史", "团史/成立", "团史/第 三 节", "团史/组织", "常识"]

    # Filtering by a category includes its subcategories.
    page = page_text(client.get(f"/admin/banks/{bank_id}?category={top_id}"))
    assert page.count("data-question=") == 2
    assert "成立" in page and "全国代表大会" not in page

    # Renaming moves the whole subtree.
    response = post_form(client, f"/admin/categories/{top_id}", {"name": "团的历史"})
    assert response.status_code == 302
    with app.app_context():
        paths = set(db.session.scalars(select(QuestionCategory.path)))
    assert paths == {"团的历史", "团的历史/成立", "团的历史/组织", "团的历史/第 三 节", "常识"}

    # Deleting takes the subcategories along; their questions stay, uncategorised.
    assert post_form(client, f"/admin/categories/{top_id}/delete").status_code == 302
    with app.app_context():
        assert set(db.session.scalars(select(QuestionCategory.path))) == {"常识"}
        assert db.session.scalar(select(func.count()).select_from(Question)
                                 .where(Question.category_id.is_(None))) == 2
    page = page_text(client.get(f"/admin/banks/{bank_id}?category=none"))
    assert page.count("data-question=") == 2


def test_filters_by_tag_and_type(app, client, org):
    bank_id = make_bank(app)
    admin_client(client, org)
    with app.app_context():
        tag_id = db.session.scalar(select(QuestionTag.id).where(QuestionTag.name == "团史"))
    page = page_text(client.get(f"/admin/banks/{bank_id}?tag={tag_id}"))
    assert page.count("data-question=") == 1 and "成立" in page
    page = page_text(client.get(f"/admin/banks/{bank_id}?type=truefalse"))
    assert page.count("data-question=") == 1 and "全国代表大会" in page
    page = page_text(client.get(f"/admin/banks/{bank_id}?type=bogus&tag=999&category=999"))
    assert page.count("data-question=") == 3


# --- the question form -------------------------------------------------------------------------


def question_form(stem="题目", **fields) -> dict:
    data = {"stem": stem, "stem_format": "markdown", "name": "", "general_feedback": "",
            "default_mark": "1", "category": "0", "tags": "", "difficulty": "",
            "idnumber": "", "submit": "Save"}
    for key, value in fields.items():
        data[key.replace("__", "-")] = value
    return data


def rows(prefix: str, *entries: dict) -> dict:
    """Repeating row fields: rows("answers", {"text": "A"}) -> {"answers-0-text": "A"}."""
    return {f"{prefix}-{index}-{key}": value for index, entry in enumerate(entries)
            for key, value in entry.items()}


# (type, form fields, expected data)
EVERY_TYPE = [
    ("single", rows("answers", {"text": "1921", "fraction": "", "feedback": ""},
                    {"text": "1922", "fraction": "100", "feedback": "**对**"},
                    {"text": "", "fraction": "", "feedback": ""}),
     {"options": [
         {"id": "o1", "text": "1921", "text_html": "<p>1921</p>", "fraction": 0.0,
          "feedback": "", "feedback_html": ""},
         {"id": "o2", "text": "1922", "text_html": "<p>1922</p>", "fraction": 1.0,
          "feedback": "**对**", "feedback_html": "<p><strong>对</strong></p>"}]}),
    ("multiple", rows("answers", {"text": "北京", "fraction": "50"},
                      {"text": "上海", "fraction": "50"}, {"text": "广州", "fraction": "-100"}),
     {"options": [
         {"id": "o1", "text": "北京", "text_html": "<p>北京</p>", "fraction": 0.5,
          "feedback": "", "feedback_html": ""},
         {"id": "o2", "text": "上海", "text_html": "<p>上海</p>", "fraction": 0.5,
          "feedback": "", "feedback_html": ""},
         {"id": "o3", "text": "广州", "text_html": "<p>广州</p>", "fraction": -1.0,
          "feedback": "", "feedback_html": ""}]}),
    ("truefalse", {"correct": "false", "true_feedback": "再想想", "false_feedback": ""},
     {"correct": False, "true_feedback": "再想想", "true_feedback_html": "<p>再想想</p>",
      "false_feedback": "", "false_feedback_html": ""}),
    ("shortanswer", rows("answers", {"text": "北京", "fraction": "100"},
                         {"text": "北平", "fraction": "50", "feedback": "旧称"}),
     {"answers": [
         {"text": "北京", "fraction": 1.0, "feedback": "", "feedback_html": ""},
         {"text": "北平", "fraction": 0.5, "feedback": "旧称", "feedback_html": "<p>旧称</p>"}],
      "case_sensitive": False}),
    ("numerical", rows("numerical", {"value": "3.14", "tolerance": "0.005", "fraction": "100"},
                       {"value": "", "tolerance": "", "fraction": "", "feedback": "不对"}),
     {"answers": [
         {"value": 3.14, "tolerance": 0.005, "fraction": 1.0, "feedback": "",
          "feedback_html": ""},
         {"value": None, "tolerance": 0.0, "fraction": 0.0, "feedback": "不对",
          "feedback_html": "<p>不对</p>"}]}),
    ("matching", {**rows("pairs", {"question": "广州", "answer": "广东"},
                         {"question": "杭州", "answer": "浙江"}),
                  "distractors": "江苏\r\n\r\n"},
     {"pairs": [{"id": "p1", "question": "广州", "question_html": "<p>广州</p>",
                 "answer": "广东"},
                {"id": "p2", "question": "杭州", "question_html": "<p>杭州</p>",
                 "answer": "浙江"}],
      "distractors": ["江苏"]}),
    ("essay", {"grader_info": "联系实际"}, {"grader_info": "联系实际"}),
    ("description", {}, {}),
]


@pytest.mark.parametrize(("qtype", "fields", "expected"), EVERY_TYPE,
                         ids=[row[0] for row in EVERY_TYPE])
def test_each_type_is_created_through_the_form(app, client, org, qtype, fields, expected):
    bank_id = make_bank(app, gift="")
    admin_client(client, org)
    url = f"/admin/banks/{bank_id}/questions/new?type={qtype}"
    page = page_text(client.get(url))
    assert 'id="question-form"' in page
    data = question_form("中华人民共和国的**首都**是哪里？", general_feedback="见课本",
                         default_mark="2", tags="常识，地理, 常识", difficulty="易", **fields)
    if qtype == "description":
        assert 'name="default_mark"' not in page  # no mark: the field is left out
        del data["default_mark"]
    response = post_form(client, url, data)
    assert response.status_code == 302, page_text(response)
    assert response.location.endswith(f"/admin/banks/{bank_id}")
    with app.app_context():
        question = db.session.scalars(select(Question)).one()
        assert question.qtype == qtype
        assert question.data == expected
        assert question.stem_html == "<p>中华人民共和国的<strong>首都</strong>是哪里？</p>"
        assert question.general_feedback_html == "<p>见课本</p>"
        assert question.default_mark == (0.0 if qtype == "description" else 2.0)
        assert [tag.name for tag in question.tags] == ["地理", "常识"]
        assert question.difficulty == "易"


def test_a_blank_in_the_stem_is_kept_as_the_blank(app, client, org):
    bank_id = make_bank(app, gift="")
    admin_client(client, org)
    response = post_form(client, f"/admin/banks/{bank_id}/questions/new?type=shortanswer",
                         question_form("首都是 _____ 。", **rows("answers", {
                             "text": "北京", "fraction": "100"})))
    assert response.status_code == 302
    with app.app_context():
        question = db.session.scalars(select(Question)).one()
        at = question.data["blank_at"]
        assert question.stem[at:at + 5] == "_____"
        assert services.to_parsed(question).blank == ("首都是 ", " 。")


def test_problems_are_shown_next_to_their_fields_and_nothing_is_saved(app, client, org):
    bank_id = make_bank(app, gift="")
    admin_client(client, org)
    url = f"/admin/banks/{bank_id}/questions/new?type=single"

    # The rules of imports: a single-choice question needs a 100% answer.
    response = post_form(client, url, question_form(**rows(
        "answers", {"text": "甲", "fraction": "50"}, {"text": "乙", "fraction": "0"})))
    assert response.status_code == 200
    page = page_text(response)
    problems = re.search(r'id="question-problems">(.*?)</div>', page, re.S).group(1)
    assert "no answer is worth 100% (the best is 50%)" in problems

    # A weight without a text, a weight out of range, an empty stem, a bad mark.
    response = post_form(client, url, question_form(
        "", default_mark="abc", **rows("answers", {"text": "甲", "fraction": "100"},
                                       {"text": "", "fraction": "20"},
                                       {"text": "丙", "fraction": "150"})))
    page = page_text(response)
    assert re.search(r'id="stem"[^>]*>[^<]*</textarea>\s*<div class="invalid-feedback[^"]*">'
                     r"This field is required.", page)
    assert re.search(r'name="answers-2-fraction"[^>]*>\s*<div class="invalid-feedback">'
                     r"Number must be between -100 and 100.", page)
    assert re.search(r'name="default_mark"[^>]*>\s*<div class="invalid-feedback[^"]*">'
                     r"Not a valid float value.", page)

    response = post_form(client, url, question_form(**rows(
        "answers", {"text": "甲", "fraction": "100"}, {"text": "", "fraction": "20"})))
    assert re.search(r'name="answers-1-text"[^>]*>\s*<div class="invalid-feedback">'
                     r"Write the answer.{1,5}s text.", page_text(response))

    # Multiple choice: the positive weights must add up to 100%.
    response = post_form(client, f"/admin/banks/{bank_id}/questions/new?type=multiple",
                         question_form(**rows("answers", {"text": "甲", "fraction": "50"},
                                              {"text": "乙", "fraction": "30"})))
    assert "the positive weights add up to 80%, not 100%" in page_text(response)

    # True/false needs its answer; matching its pairs.
    response = post_form(client, f"/admin/banks/{bank_id}/questions/new?type=truefalse",
                         question_form())
    assert "the true/false answer is missing" in page_text(response)
    response = post_form(client, f"/admin/banks/{bank_id}/questions/new?type=matching",
                         question_form(**rows("pairs", {"question": "甲", "answer": "乙"})))
    assert "a matching question needs at least 2 sub-questions and 3 answers" in \
        page_text(response)
    assert count(app, Question) == 0 and count(app, QuestionTag) == 0


def test_the_type_is_chosen_first(app, client, org):
    bank_id = make_bank(app, gift="")
    admin_client(client, org)
    page = page_text(client.get(f"/admin/banks/{bank_id}/questions/new"))
    assert "Which type of question?" in page
    for qtype in ("single", "multiple", "truefalse", "shortanswer", "numerical", "matching",
                  "essay", "description"):
        assert f"type={qtype}" in page


def test_an_id_number_is_unique_in_its_bank(app, client, org):
    bank_id = make_bank(app, gift="// [id:x1]\n::a:: 甲{T}\n")
    admin_client(client, org)
    response = post_form(client, f"/admin/banks/{bank_id}/questions/new?type=truefalse",
                         question_form(correct="true", idnumber="x1"))
    assert "Another question of this bank has this ID number." in page_text(response)
    assert count(app, Question) == 1


HOSTILE = "谁对？<script>alert('x')</script><img src=x onerror=alert(2)> **重点**"


def test_preview_of_the_unsaved_form_is_sanitised_and_saves_nothing(app, client, org):
    bank_id = make_bank(app, gift="")
    admin_client(client, org)
    fields = question_form(HOSTILE, general_feedback="<script>steal()</script>解析",
                           **rows("answers", {"text": "<b onclick=x()>甲</b>", "fraction": "100"},
                                  {"text": "乙", "fraction": "", "feedback": "错"}))
    fields.pop("submit")
    fields["preview"] = "Preview"
    response = post_form(client, f"/admin/banks/{bank_id}/questions/new?type=single", fields)
    assert response.status_code == 200
    page = page_text(response)
    preview = page[page.index('id="preview"'):page.index("</main>")]
    # The page's own scripts (the editor's) come after the preview; the question's must not.
    preview = re.sub(r'<script src="/static/js/[a-z]+\.js" defer></script>', "", preview)
    assert "<strong>重点</strong>" in preview and "<b>甲</b>" in preview
    assert "<script" not in preview and "onerror" not in preview and "onclick" not in preview
    assert "alert" not in preview and "steal" not in preview
    assert 'type="radio"' in preview and "disabled" in preview  # as a member sees it
    assert "100%" in preview and "解析" in preview  # and, for the author, the answers
    assert count(app, Question) == 0


def test_stored_question_preview_and_edit(app, client, org):
    make_bank(app)
    admin_client(client, org)
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.name == "直辖市"))
        question_id, category_id = question.id, question.category_id

    page = page_text(client.get(f"/admin/questions/{question_id}/preview"))
    assert 'type="checkbox"' in page and "-100%" in page and "广州" in page

    page = page_text(client.get(f"/admin/questions/{question_id}"))
    assert 'value="北京"' in page and 'name="answers-2-fraction"' in page
    assert re.search(r'name="answers-2-fraction"[^>]*value="-100.0"', page)
    assert f'<option selected value="{category_id}">' in page

    fields = question_form("下列城市中，直辖市有（ ）。", name="直辖市", category=str(category_id),
                           tags="地理", **rows("answers", {"text": "北京", "fraction": "50"},
                                               {"text": "天津", "fraction": "50"},
                                               {"text": "广州", "fraction": "-100"}))
    fields.pop("submit")
    fields["preview"] = "Preview"
    assert "天津" in page_text(post_form(client, f"/admin/questions/{question_id}", fields))
    with app.app_context():
        assert "天津" not in str(db.session.get(Question, question_id).data)

    fields.pop("preview")
    fields["submit"] = "Save"
    assert post_form(client, f"/admin/questions/{question_id}", fields).status_code == 302
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert [o["text"] for o in question.data["options"]] == ["北京", "天津", "广州"]
        assert question.stem == "下列城市中，直辖市有（ ）。"
        assert [tag.name for tag in question.tags] == ["地理"]

    assert post_form(client, f"/admin/questions/{question_id}/delete").status_code == 302
    assert count(app, Question) == 2
    assert client.get(f"/admin/questions/{question_id}").status_code == 404


# --- import ------------------------------------------------------------------------------------


def upload(client, bank_id, name, content: bytes, fmt=""):
    return post_form(client, f"/admin/banks/{bank_id}/import", {
        "file": (io.BytesIO(content), name), "format": fmt},
        content_type="multipart/form-data")


def token_of(page: str) -> str:
    return re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)


def test_dry_run_names_every_bad_line_and_changes_nothing(app, client, org):
    bank_id = make_bank(app, gift="")
    admin_client(client, org)
    response = upload(client, bank_id, "bad.gift", BAD_GIFT.encode())
    assert response.status_code == 200
    page = page_text(response)
    errors = re.search(r'<table class="table table-sm" id="errors">(.*?)</table>', page,
                       re.S).group(1)
    lines = re.findall(r"<tr>\s*<td[^>]*>(\d+)", errors)
    assert lines == ["3", "5"]
    assert "not 100%" in errors
    assert 'id="apply"' not in page  # nothing to apply
    assert count(app, Question) == 0 and count(app, QuestionCategory) == 0

    # A spreadsheet's problems name their row and column.
    sheet = "题型,题干,选项A,选项B,答案\n单选,题一,甲,乙,C\n".encode()
    page = page_text(upload(client, bank_id, "bad.csv", sheet))
    assert re.search(r"<tr>\s*<td[^>]*>2</td>\s*<td>答案</td>", page)
    # A file type nobody reads is refused by the form.
    page = page_text(upload(client, bank_id, "x.doc", b"x"))
    assert "Only .gift, .txt, .xlsx and .csv files can be imported." in page


def test_an_over_long_file_name_is_refused_by_the_form(app, client, org):
    bank_id = make_bank(app, gift="")
    admin_client(client, org)
    response = upload(client, bank_id, "题" * 295 + ".gift", GIFT.encode())
    assert response.status_code == 200
    assert ("The file name is 300 characters long; rename the file to at most 255 characters "
            "and upload it again." in page_text(response))
    assert 'name="token"' not in page_text(response)
    assert count(app, Question) == 0


def test_file_text_in_a_problem_is_escaped(app, client, org):
    # Format messages are lazy strings, which Jinja takes as safe HTML: the page must escape
    # the file's text they quote.
    bank_id = make_bank(app, gift="")
    admin_client(client, org)
    hostile = "::m::配对{=<script>alert(1)</script> -> \n =乙 -> 2 =丙 -> 3}\n"
    page = upload(client, bank_id, "x.gift", hostile.encode()).get_data(as_text=True)
    assert "no matching answer for sub-question &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page


def test_apply_imports_everything_from_the_checked_file(app, client, org):
    bank_id = make_bank(app, gift="")
    admin_client(client, org)
    page = page_text(upload(client, bank_id, "团史.gift", GIFT.encode()))
    assert re.search(r'data-summary="questions">3<', page)
    assert "团史/成立" in page  # categories to create
    assert count(app, Question) == 0
    response = post_form(client, f"/admin/banks/{bank_id}/import/apply",
                         {"token": token_of(page), "format": ""})
    assert response.status_code == 302
    page = page_text(client.get(response.location))
    assert "Imported 3 questions into 团史题库; 0 duplicates skipped." in page
    assert count(app, Question) == 3
    # The staged file is used once.
    response = post_form(client, f"/admin/banks/{bank_id}/import/apply",
                         {"token": token_of(page_text(upload(client, bank_id, "x.gift",
                                                             b"::n::new {T}"))) + "x"})
    assert response.status_code == 302 and "/import" in response.location
    assert count(app, Question) == 3


def test_an_aiken_file_needs_its_format_chosen(app, client, org):
    bank_id = make_bank(app, gift="")
    admin_client(client, org)
    aiken = "团成立于哪一年？\nA. 1921\nB. 1922\nANSWER: B\n".encode()
    page = page_text(upload(client, bank_id, "a.txt", aiken, fmt="aiken"))
    assert re.search(r'data-summary="questions">1<', page)
    response = post_form(client, f"/admin/banks/{bank_id}/import/apply",
                         {"token": token_of(page), "format": "aiken"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Question)).one().qtype == "single"


def test_duplicates_are_reported_refused_or_skipped(app, client, org):
    bank_id = make_bank(app)
    admin_client(client, org)
    again = GIFT + "\n::新题::新的题目{T}\n"
    page = page_text(upload(client, bank_id, "again.gift", again.encode()))
    assert re.search(r'data-summary="duplicates">3<', page)
    assert "the same question is already in the bank" in page
    assert 'name="skip_duplicates"' in page
    token = token_of(page)

    response = post_form(client, f"/admin/banks/{bank_id}/import/apply", {"token": token})
    assert response.status_code == 422
    assert "Nothing was imported: 3 questions are already in the bank." in page_text(response)
    assert count(app, Question) == 3

    response = post_form(client, f"/admin/banks/{bank_id}/import/apply",
                         {"token": token, "skip_duplicates": "y"})
    assert response.status_code == 302
    assert "Imported 1 questions into 团史题库; 3 duplicates skipped." in \
        page_text(client.get(response.location))
    assert count(app, Question) == 4


def test_the_dry_run_says_up_front_that_duplicates_block_the_import(app, client, org):
    """Issue 18: before the figures, not only after a refused apply."""
    bank_id = make_bank(app)
    admin_client(client, org)
    again = GIFT + "\n::新题::新的题目{T}\n"
    page = page_text(upload(client, bank_id, "again.gift", again.encode()))
    notice = "3 questions are already in the bank: the import is refused unless you tick"
    assert notice in page and page.index(notice) < page.index('id="summary"')
    assert "1 questions will be imported if duplicates are skipped." in page
    assert "questions will be imported (" not in page  # no count the import would refuse
    # Repeats within the file only: said up front too, as information (they do not block).
    fresh = make_bank(app, "新库", gift="")
    twice = "::a::同一题{T}\n\n::a::同一题{T}\n"
    page = page_text(upload(client, fresh, "twice.gift", twice.encode()))
    assert "The file repeats 1 questions" in page
    assert page.index("The file repeats") < page.index('id="summary"')
    # A clean file gets no notice.
    clean = make_bank(app, "净库", gift="")
    assert 'id="duplicates-notice"' not in page_text(upload(client, clean, "a.gift", GIFT.encode()))


def test_a_staged_file_belongs_to_its_bank(app, client, org):
    first, second = make_bank(app, "一", gift=""), make_bank(app, "二", gift="")
    admin_client(client, org)
    token = token_of(page_text(upload(client, first, "a.gift", GIFT.encode())))
    response = post_form(client, f"/admin/banks/{second}/import/apply", {"token": token})
    assert response.status_code == 302 and response.location.endswith(f"/{second}/import")
    assert count(app, Question) == 0


def test_an_upload_over_the_request_limit_is_refused(app, client, org):
    bank_id = make_bank(app, gift="")
    admin_client(client, org)
    too_big = b"#" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    assert upload(client, bank_id, "big.gift", too_big).status_code == 413


# --- export and template -----------------------------------------------------------------------


def test_gift_export_round_trips_through_the_pages(app, client, org):
    bank_id = make_bank(app, gift=GIFT + "\n::数::圆周率？{#3.14:0.01}\n\n"
                                         "::配::配对{=甲 -> 1 =乙 -> 2 =丙 -> 3}\n")
    admin_client(client, org)
    response = client.get(f"/admin/banks/{bank_id}/export?format=gift")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "filename*=UTF-8''%E5%9B%A2%E5%8F%B2%E9%A2%98%E5%BA%93.gift" in \
        response.headers["Content-Disposition"]
    copy = make_bank(app, "副本", gift="")
    page = page_text(upload(client, copy, "copy.gift", response.data))
    post_form(client, f"/admin/banks/{copy}/import/apply", {"token": token_of(page)})
    with app.app_context():
        def parsed(bank):
            questions = db.session.scalars(select(Question).where(Question.bank_id == bank)
                                           .order_by(Question.id))
            return sorted((services.to_parsed(q) for q in questions), key=lambda q: q.stem)
        assert len(parsed(copy)) == 5
        assert parsed(copy) == parsed(bank_id)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_sheet_export_opens_and_holds_the_questions(app, client, org, fmt):
    bank_id = make_bank(app)
    admin_client(client, org)
    response = client.get(f"/admin/banks/{bank_id}/export?format={fmt}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(response.data)).active
        stems = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    else:
        stems = [row[1] for row in list(csv.reader(io.StringIO(
            response.data.decode("utf-8-sig"))))[1:]]
    assert len(stems) == 3 and "团的最高领导机关是全国代表大会。" in stems
    assert client.get(f"/admin/banks/{bank_id}/export?format=doc").status_code == 400


def test_template_downloads_have_the_chinese_headers(app, client, org):
    admin_client(client, org)
    response = client.get("/admin/banks/template.xlsx")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    header = [cell.value for cell in load_workbook(io.BytesIO(response.data)).active[1]]
    expected = ["题型", "题干", *(f"选项{letter}" for letter in "ABCDEFGH"), "答案", "解析",
                "分值", "分类", "难度"]
    assert header[:len(expected)] == expected
    response = client.get("/admin/banks/template.csv")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert header[:len(expected)] == expected


# --- queries -----------------------------------------------------------------------------------


def _bank_with(app, name: str, questions: int) -> int:
    gift = "\n\n".join(
        f"$CATEGORY: 分类/第{i % 3}章\n// [tag:标签{i % 4}]\n::题{i}::第{i}题？{{=对{i} ~错{i}}}"
        for i in range(questions))
    return make_bank(app, name, gift=gift)


def _queries(client, query_counter, url) -> int:
    with query_counter() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_the_bank_pages_issue_a_constant_number_of_queries(app, client, org, query_counter):
    few, many = _bank_with(app, "少", 5), _bank_with(app, "多", 30)
    admin_client(client, org)
    _queries(client, query_counter, f"/admin/banks/{few}")  # warm-up
    assert _queries(client, query_counter, f"/admin/banks/{few}") == \
        _queries(client, query_counter, f"/admin/banks/{many}")
    assert _queries(client, query_counter, f"/admin/banks/{few}?tag=1&type=single") == \
        _queries(client, query_counter, f"/admin/banks/{many}?tag=1&type=single")
    before = _queries(client, query_counter, "/admin/banks/")
    _bank_with(app, "更多", 7)
    assert _queries(client, query_counter, "/admin/banks/") == before
    page = page_text(client.get(f"/admin/banks/{many}?page=2"))
    assert page.count("data-question=") == 10 and "2 / 2" in page
