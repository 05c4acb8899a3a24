"""Question banks: storing imported questions, the dry run, all-or-nothing import, duplicates,
categories, sanitised HTML, export and the `flask bank` commands (on SQLite and PostgreSQL)."""

from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from learning.extensions import db
from quizzes.banks import services
from quizzes.formats import parse, template_bytes
from quizzes.models import Question, QuestionBank, QuestionCategory, QuestionTag

MOODLE_FIXTURE = (Path(__file__).resolve().parents[3] / "shared" / "corpora" / "gift" / "moodle"
                  / "questions.gift.txt")

# One question of every type, with weights, feedback, formats, a blank, tags and categories.
EVERY_TYPE = """\
$CATEGORY: 团史/成立
// [id:tuan-1922] [tag:团史] [tag:基础]
::成立::中国共产主义青年团成立于哪一年？{
\t~1920#早了
\t=1922#对
\t~1925
####1922年5月召开第一次全国代表大会。}

$CATEGORY: 团史/组织
::直辖市::[markdown]下列城市中，**直辖市**有：{
\t~%50%北京
\t~%50%上海
\t~%-100%广州#广州不是
}

// [tag:团史]
团的最高领导机关是全国代表大会。{TRUE#再想想#对}

$CATEGORY: 常识
中华人民共和国的首都是 {=北京 =%50%北平#旧称} 。

::圆周率:: 圆周率的前三位是多少？{#3.14:0.005 =%50%3.1:0.05 ~#不对}

::配对::把城市和省份配起来。{
\t=广州 -> 广东
\t=杭州 -> 浙江
\t= -> 江苏
}

::体会::[html]谈谈你的<b>学习体会</b>。{####参考要点：联系实际。}

::说明::[plain]以下题目考查 <团史> 知识。
"""


@pytest.fixture(autouse=True)
def _english(request, monkeypatch):
    """CLI messages in English, the msgids these tests read (the CLI uses the default locale)."""
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")


def _gift(text: str) -> bytes:
    return text.encode("utf-8")


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _bank_parsed(name: str) -> list:
    bank = services.get_bank(name)
    return [services.to_parsed(q) for q in sorted(bank.questions, key=lambda q: q.id)]


def test_every_type_is_stored_per_the_spec(app):
    with app.app_context():
        result = services.apply_import("团课题库", _gift(EVERY_TYPE), "every.gift")
        db.session.commit()
        assert result.bank_created and result.imported == 8 and result.skipped == 0
        questions = {q.name or q.qtype: q for q in services.get_bank("团课题库").questions}

        single = questions["成立"]
        assert single.qtype == "single" and single.idnumber == "tuan-1922"
        assert [o["id"] for o in single.data["options"]] == ["o1", "o2", "o3"]
        assert single.data["options"][1]["fraction"] == 1.0
        assert single.data["options"][0]["feedback_html"] == "早了"
        assert "1922年5月" in single.general_feedback_html
        assert {t.name for t in single.tags} == {"团史", "基础"}
        assert single.category.path == "团史/成立"

        multiple = questions["直辖市"]
        assert multiple.stem_format == "markdown"
        assert "<strong>直辖市</strong>" in multiple.stem_html
        assert [o["fraction"] for o in multiple.data["options"]] == [0.5, 0.5, -1.0]

        truefalse = next(q for q in questions.values() if q.qtype == "truefalse")
        assert truefalse.data["correct"] is True
        assert truefalse.data["true_feedback"] == "对"
        assert truefalse.data["false_feedback"] == "再想想"

        short = next(q for q in questions.values() if q.qtype == "shortanswer")
        assert short.data["case_sensitive"] is False
        assert [(a["text"], a["fraction"]) for a in short.data["answers"]] == [
            ("北京", 1.0), ("北平", 0.5)]
        at = short.data["blank_at"]
        assert short.stem[at:at + 5] == "_____"
        assert short.category.path == "常识"

        numerical = questions["圆周率"]
        assert numerical.data["answers"][0] == {
            "value": 3.14, "tolerance": 0.005, "fraction": 1.0, "feedback": "",
            "feedback_html": ""}
        assert numerical.data["answers"][-1]["value"] is None

        matching = questions["配对"]
        assert [p["id"] for p in matching.data["pairs"]] == ["p1", "p2"]
        assert matching.data["distractors"] == ["江苏"]

        essay = questions["体会"]
        assert essay.data == {"grader_info": ""}
        assert "<b>学习体会</b>" in essay.stem_html

        description = questions["说明"]
        assert description.data == {}
        assert "&lt;团史&gt;" in description.stem_html  # plain text is escaped, not parsed

        assert _count(QuestionTag) == 2


def test_categories_are_nested_from_category_paths(app):
    with app.app_context():
        text = "$CATEGORY: $course$/top/党史/第一章/第一节\n题目一{T}\n\n$CATEGORY: 党史/第二章\n"
        plan = services.plan_import("党史", _gift(text), "c.gift")
        assert plan.categories_to_create == ["党史", "党史/第一章", "党史/第一章/第一节",
                                             "党史/第二章"]
        services.apply_import("党史", _gift(text), "c.gift")
        db.session.commit()
        categories = {c.path: c for c in db.session.scalars(select(QuestionCategory))}
        assert set(categories) == {"党史", "党史/第一章", "党史/第一章/第一节", "党史/第二章"}
        section = categories["党史/第一章/第一节"]
        assert section.name == "第一节"
        assert section.parent.name == "第一章"
        assert section.parent.parent.name == "党史" and section.parent.parent.parent is None
        assert db.session.scalar(select(Question)).category_id == section.id
        # A second import into the same bank re-uses the categories it finds.
        again = services.plan_import("党史", _gift("$CATEGORY: 党史/第一章\n题目二{F}\n"), "d.gift")
        assert again.categories_to_create == []


def test_stored_html_is_sanitised(app):
    with app.app_context():
        text = ("::x::[html]<p onclick='evil()'>谁是<b>对</b>的？</p><script>alert(1)</script>"
                "{=<img src\\=x onerror\\=alert(1)>甲 ~乙<script>steal()</script>}")
        services.apply_import("安全", _gift(text), "x.gift")
        db.session.commit()
        question = db.session.scalar(select(Question))
        assert "<script>" in question.stem  # the source is kept as typed ...
        assert "script" not in question.stem_html and "alert" not in question.stem_html
        assert "onclick" not in question.stem_html and "<b>对</b>" in question.stem_html
        options = " ".join(o["text_html"] for o in question.data["options"])
        assert "onerror" not in options and "steal" not in options  # ... only HTML is cleaned


def test_dry_run_writes_nothing(app):
    with app.app_context():
        plan = services.plan_import("新题库", _gift(EVERY_TYPE), "every.gift")
        assert plan.ok and len(plan.questions) == 8 and not plan.bank_exists
        assert "团史/成立" in plan.categories_to_create
    result = app.test_cli_runner().invoke(args=[
        "bank", "import", str(_write(app, "every.gift", EVERY_TYPE)), "--bank", "新题库",
        "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "8 questions would be imported" in result.output
    assert "will be created" in result.output
    with app.app_context():
        assert [_count(m) for m in (QuestionBank, QuestionCategory, Question, QuestionTag)] == [
            0, 0, 0, 0]


def _write(app, name: str, content: str | bytes) -> Path:
    folder = Path(app.config["UPLOAD_DIR"]) / "bank-files"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


BAD_FILE = """\
::好题::1+1=?{=2 ~3}

::坏题一::缺少右括号{=2 ~3

::坏题二::没有正确答案{~1 ~3}

::好题二::2+2=?{=4 ~5}
"""


def test_a_file_with_bad_questions_imports_nothing_and_names_every_line(app):
    path = _write(app, "bad.gift", BAD_FILE)
    result = app.test_cli_runner().invoke(args=["bank", "import", str(path), "--bank", "题库"])
    assert result.exit_code != 0
    assert "line 3" in result.output and "line 5" in result.output
    assert "nothing was imported" in result.output
    with app.app_context():
        assert _count(QuestionBank) == 0 and _count(Question) == 0
        with pytest.raises(services.BankImportError) as refused:
            services.apply_import("题库", _gift(BAD_FILE), "bad.gift")
        assert [e.line for e in refused.value.plan.errors] == [3, 5]
        db.session.rollback()
        assert _count(Question) == 0


def test_duplicates_in_the_bank_are_refused_or_skipped(app):
    runner = app.test_cli_runner()
    path = _write(app, "every.gift", EVERY_TYPE)
    first = runner.invoke(args=["bank", "import", str(path), "--bank", "题库"])
    assert first.exit_code == 0, first.output
    assert "Imported 8 questions" in first.output and "Created the bank" in first.output

    again = runner.invoke(args=["bank", "import", str(path), "--bank", "题库"])
    assert again.exit_code != 0
    assert again.output.count("the same question is already in the bank") == 8
    with app.app_context():
        plan = services.plan_import("题库", _gift(EVERY_TYPE), "every.gift")
        assert len(plan.duplicates) == 8 and all(d.in_bank for d in plan.duplicates)
        assert plan.ok and plan.blocked(skip_duplicates=False)
        assert _count(Question) == 8

    # A file with one new question and one the bank has: the new one goes in.
    mixed = _write(app, "mixed.gift",
                   "::成立::中国共产主义青年团成立于哪一年？{~1920 =1922 ~1925}\n\n新的题目{T}\n")
    skipped = runner.invoke(args=["bank", "import", str(mixed), "--bank", "题库",
                                  "--skip-duplicates"])
    assert skipped.exit_code == 0, skipped.output
    assert "Imported 1 questions" in skipped.output and "1 duplicates skipped" in skipped.output
    with app.app_context():
        assert _count(Question) == 9


def test_duplicates_within_a_file_are_reported_and_may_be_skipped(app):
    text = "甲是乙吗？{T}\n\n甲 是 乙吗？{F}\n\n另一题{T}\n"  # same stem once spaces are ignored
    with app.app_context():
        plan = services.plan_import("题库", _gift(text), "dup.gift")
        assert [(d.line, d.first_line, d.in_bank) for d in plan.duplicates] == [(3, 1, False)]
        assert not plan.blocked(skip_duplicates=False)
    runner = app.test_cli_runner()
    path = _write(app, "dup.gift", text)
    result = runner.invoke(args=["bank", "import", str(path), "--bank", "题库",
                                 "--skip-duplicates"])
    assert result.exit_code == 0, result.output
    assert "line 3: repeats the question on line 1" in result.output
    with app.app_context():
        assert _count(Question) == 2


def test_same_idnumber_twice_is_an_error(app):
    text = "// [id:a1]\n第一题{T}\n\n// [id:a1]\n第二题{F}\n"
    with app.app_context():
        plan = services.plan_import("题库", _gift(text), "id.gift")
        assert [e.line for e in plan.errors] == [5]


@pytest.mark.skipif(not MOODLE_FIXTURE.is_file(), reason=f"{MOODLE_FIXTURE} is not available")
def test_moodle_fixture_imports_as_nine_questions(app):
    result = app.test_cli_runner().invoke(args=[
        "bank", "import", str(MOODLE_FIXTURE), "--bank", "Moodle"])
    assert result.exit_code == 0, result.output
    assert "Imported 9 questions" in result.output
    with app.app_context():
        assert _count(Question) == 9
        # Its two "2-08 TSL" questions are the same: reported, imported as Moodle does.
        plan = services.plan_import("其他", MOODLE_FIXTURE.read_bytes(), MOODLE_FIXTURE.name)
        assert len(plan.duplicates) == 1 and not plan.duplicates[0].in_bank


def test_xlsx_template_imports(app):
    rows = [
        ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "分值", "分类", "难度"],  # noqa: E501
        ["单选", "团的基层组织是？", "团支部", "团小组", "团委", "", "A", "见团章", 2, "团章/组织", "易"],  # noqa: E501
        ["多选", "下列属于直辖市的有", "北京", "上海", "广州", "天津", "ABD", "", 3, "常识", "中"],
        ["判断", "团员应当按期交纳团费。", "", "", "", "", "正确", "", 1, "团章", ""],
        ["填空", "团旗的颜色是____色。", "", "", "", "", "红|红色", "", 1, "", ""],
        ["简答", "谈谈体会。", "", "", "", "", "联系实际", "", 10, "", "难"],
    ]
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = BytesIO()
    book.save(buffer)
    path = _write(app, "题库.xlsx", buffer.getvalue())
    result = app.test_cli_runner().invoke(args=["bank", "import", str(path), "--bank", "团章"])
    assert result.exit_code == 0, result.output
    assert "Imported 5 questions" in result.output
    with app.app_context():
        by_type = {q.qtype: q for q in db.session.scalars(select(Question))}
        assert by_type["single"].default_mark == 2 and by_type["single"].difficulty == "易"
        assert by_type["single"].category.path == "团章/组织"
        assert [o["fraction"] for o in by_type["multiple"].data["options"]] == [
            pytest.approx(1 / 3), pytest.approx(1 / 3), -1.0, pytest.approx(1 / 3)]
        assert by_type["essay"].data["grader_info"] == "联系实际"
        assert by_type["single"].general_feedback_html == "见团章"

    # The downloadable template's example rows are skipped: it imports as nothing, cleanly.
    template = _write(app, "template.xlsx", template_bytes("xlsx"))
    empty = app.test_cli_runner().invoke(args=["bank", "import", str(template), "--bank", "空"])
    assert empty.exit_code == 0 and "Imported 0 questions" in empty.output


def test_sheet_errors_name_their_rows(app):
    csv = "题型,题干,选项A,选项B,答案\n单选,好题,甲,乙,A\n单选,坏题,甲,乙,C\n怪题,题干,,,\n"
    path = _write(app, "bad.csv", csv.encode("utf-8"))
    result = app.test_cli_runner().invoke(args=["bank", "import", str(path), "--bank", "表格"])
    assert result.exit_code != 0
    assert "row 3" in result.output and "row 4" in result.output
    with app.app_context():
        assert _count(Question) == 0


def test_gift_export_reimports_to_equal_questions(app):
    with app.app_context():
        services.apply_import("原题库", _gift(EVERY_TYPE), "every.gift")
        db.session.commit()
        exported = services.export_bank("原题库", "gift")
        services.apply_import("新题库", exported, "export.gift")
        db.session.commit()
        original, copy = _bank_parsed("原题库"), _bank_parsed("新题库")
        assert {q.qtype for q in original} == {"single", "multiple", "truefalse", "shortanswer",
                                               "numerical", "matching", "essay", "description"}
        assert sorted(copy, key=repr) == sorted(original, key=repr)
        # And stored the same way: rendered HTML and answer data included.
        old = {q.stem: (q.stem_html, q.data) for q in services.get_bank("原题库").questions}
        new = {q.stem: (q.stem_html, q.data) for q in services.get_bank("新题库").questions}
        assert old == new
        # The file itself reads back to the bank's questions, categories and tags included.
        assert sorted(parse(exported, "x.gift").questions, key=repr) == sorted(original, key=repr)


def test_cli_export_gift_and_xlsx(app, tmp_path):
    runner = app.test_cli_runner()
    path = _write(app, "every.gift", EVERY_TYPE)
    assert runner.invoke(args=["bank", "import", str(path), "--bank", "题库"]).exit_code == 0

    gift = tmp_path / "out.gift"
    result = runner.invoke(args=["bank", "export", "--bank", "题库", "--format", "gift",
                                 "-o", str(gift)])
    assert result.exit_code == 0, result.output
    assert "$CATEGORY: 团史/成立" in gift.read_text("utf-8")

    xlsx = tmp_path / "out.xlsx"
    result = runner.invoke(args=["bank", "export", "--bank", "题库", "--format", "xlsx",
                                 "-o", str(xlsx)])
    assert result.exit_code == 0, result.output
    assert "left out" in result.output  # numerical, matching, description have no template row
    sheet = load_workbook(xlsx).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:2] == ("题型", "题干")
    assert {row[0] for row in values[1:]} == {"单选", "多选", "判断", "填空", "简答"}

    # The exported sheet imports back into an empty bank.
    result = runner.invoke(args=["bank", "import", str(xlsx), "--bank", "表格"])
    assert result.exit_code == 0, result.output
    assert "Imported 5 questions" in result.output

    missing = runner.invoke(args=["bank", "export", "--bank", "没有", "--format", "gift",
                                  "-o", str(tmp_path / "x.gift")])
    assert missing.exit_code != 0 and "no question bank named" in missing.output
