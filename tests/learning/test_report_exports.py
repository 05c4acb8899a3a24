"""The completion report's exports: an XLSX workbook and CSV files that open cleanly in Chinese
Excel, with formulas neutralised. The figures are built by hand: no database is read."""

import csv
import io
from datetime import UTC, datetime

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from learning.reports.exports import ReportHeading, csv_export, report_xlsx
from learning.reports.figures import (
    MemberRow,
    NotCompletedGroup,
    QuizNotPassed,
    UnitFigures,
    UnitReport,
)
from learning.workbooks import csv_bytes, guard_formula

GENERATED = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)  # 10:30 in Asia/Shanghai, the default zone
DONE_AT = datetime(2026, 2, 27, 16, 5, tzinfo=UTC)  # 2026-02-28 00:05 in Shanghai: the day moves
HOSTILE = ['=HYPERLINK("http://x")', "+1-2", "@SUM(A1)", "\tcmd", "\rcmd", "-A1"]


def figures() -> UnitReport:
    first = UnitFigures(2, "第一团支部", roster=6, completed=5, in_progress=1, rank=1)
    second = UnitFigures(3, "第二团支部", roster=4, completed=2, not_started=1, late=1, rank=2)
    empty = UnitFigures(4, "新建团支部")  # no roster: no rate, no rank
    direct = UnitFigures(1, "某某团委", roster=1, not_started=1, direct=True)
    total = UnitFigures(1, "某某团委", roster=11, completed=7, in_progress=1, not_started=2,
                        late=1)
    return UnitReport(total, [first, second, empty], direct)


HEADING = ReportHeading(course="绽放战疫青春", module="第二单元", period="第1期",
                        dates="2026-02-01 08:00 – 2026-02-28 22:00",
                        unit_path="某某团委 / 第一团支部", generated_at=GENERATED,
                        producer="王书记")


def member(name: str = "张三", **fields) -> MemberRow:
    values = dict(user_id=7, name=name, unit_id=2, unit_name="第一团支部", status="completed",
                  done=5, total=5, last_completed_at=DONE_AT, last_via="quiz",
                  username="zhangsan", best_score=87.5, posts=3)
    values.update(fields)
    return MemberRow(**values)


def laggards() -> list[NotCompletedGroup]:
    return [NotCompletedGroup(3, "第二团支部", ["王书记", "赵组长"], [
        member("李四", user_id=8, unit_id=3, unit_name="第二团支部", status="not_started",
               done=0, last_completed_at=None, last_via=None, username="lisi",
               best_score=None, posts=0),
        member("王五", user_id=9, unit_id=3, unit_name="第二团支部", status="late", done=2,
               username="wangwu"),
    ])]


def not_passed() -> list[QuizNotPassed]:
    return [QuizNotPassed(5, "第二单元测验", 60.0, [NotCompletedGroup(3, "第二团支部", ["王书记"], [
        member("李四", user_id=8, quiz_score=35.0, quiz_attempts=2, best_score=90.0),
        member("王五", user_id=9, quiz_score=None, quiz_attempts=0, best_score=None)])])]


def workbook(app, members=None, groups=None, locale="en"):
    with app.test_request_context(), force_locale(locale):
        data = report_xlsx(figures(), members if members is not None else [member()],
                           groups if groups is not None else laggards(), not_passed(),
                           heading=HEADING)
    return load_workbook(io.BytesIO(data))


def csv_rows(app, kind, locale="en", **given) -> tuple[bytes, list[list[str]]]:
    with app.test_request_context(), force_locale(locale):
        data = csv_export(kind, **given)
    return data, list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_workbook_has_four_sheets_with_frozen_bold_headers_and_widths(app):
    book = workbook(app)
    assert book.sheetnames == ["Summary by unit", "Member progress", "Not completed",
                               "Not passed the quiz"]
    summary, members, missing, failing = book.worksheets
    assert [c.value for c in summary[9]] == ["Unit", "Roster", "Completed", "In progress",
                                              "Not started", "Late", "Completion rate", "Rank"]
    assert summary.freeze_panes == "A10"  # the heading and the header row stay in view
    assert members.freeze_panes == "A2" and missing.freeze_panes == "A2"
    for sheet, header_row in ((summary, 9), (members, 1), (missing, 1), (failing, 1)):
        assert all(cell.font.b for cell in sheet[header_row])
        assert sheet.column_dimensions["A"].width >= 14
    assert summary.column_dimensions["A"].width >= 24  # unit names are long


def test_summary_says_what_it_is_about_rates_as_percentages_and_rows_that_add_up(app):
    summary = workbook(app)["Summary by unit"]
    assert summary["A1"].value == "第1期 · 绽放战疫青春 · 第二单元"
    lines = {summary.cell(row, 1).value: summary.cell(row, 2).value for row in range(2, 8)}
    assert lines == {"Course": "绽放战疫青春", "Module": "第二单元",
                     "Period": "第1期 (2026-02-01 08:00 – 2026-02-28 22:00)",
                     "Unit": "某某团委 / 第一团支部", "Generated at": datetime(2026, 3, 1, 10, 30),
                     "Produced by": "王书记"}
    generated = summary["B6"]
    assert generated.is_date and "yy" in generated.number_format  # local time, a date cell

    rows = {row[0].value: row for row in summary.iter_rows(min_row=10)}
    first = rows["第一团支部"]
    assert [c.value for c in first[1:6]] == [6, 5, 1, 0, 0]
    assert isinstance(first[6].value, float) and first[6].value == pytest.approx(5 / 6)
    assert "%" in first[6].number_format
    assert first[7].value == 1 and rows["第二团支部"][7].value == 2
    assert rows["新建团支部"][6].value is None and rows["新建团支部"][7].value is None
    direct = rows["Members directly in this unit"]
    assert [c.value for c in direct[1:8]] == [1, 0, 0, 1, 0, 0, None]  # not ranked
    total = rows["Total: 某某团委"]
    assert total[0].row == summary.max_row and total[0].font.b
    assert [c.value for c in total[1:6]] == [11, 7, 1, 2, 1]
    assert total[6].value == pytest.approx(7 / 11) and total[7].value is None
    for column in range(1, 6):  # the rows above the totals add up to them
        assert sum(row[column].value for name, row in rows.items()
                   if not name.startswith("Total")) == total[column].value


def test_not_passed_sheet_has_each_members_score_on_that_quiz(app):
    sheet = workbook(app)["Not passed the quiz"]
    assert [c.value for c in sheet[1]] == ["Quiz", "Pass mark", "Unit", "Leader", "Name",
                                           "Username", "Score", "Attempts"]
    li = [c.value for c in sheet[2]]
    assert li == ["第二单元测验", 0.6, "第二团支部", "王书记", "李四", "zhangsan", 0.35, 2]
    assert "%" in sheet["G2"].number_format  # 35%, not the best over the period (90%)
    assert [c.value for c in sheet[3]][4:] == ["王五", "zhangsan", "Not attempted", 0]
    _, rows = csv_rows(app, "not_passed", not_passed=not_passed())
    assert rows[1][6:] == ["35.0%", "2"] and rows[2][6:] == ["Not attempted", "0"]


def test_members_sheet_has_words_dates_and_scores(app):
    sheet = workbook(app, members=[member(), member("李四", status="in_progress", done=2,
                                                    last_via="offline", best_score=None)])
    sheet = sheet["Member progress"]
    assert [c.value for c in sheet[1]] == [
        "Name", "Username", "Unit", "Status", "Modules completed", "Modules",
        "Last completed at", "How completed", "Best quiz score", "Posts"]
    zhang = [c for c in sheet[2]]
    assert [c.value for c in zhang[:6]] == ["张三", "zhangsan", "第一团支部", "Completed", 5, 5]
    assert zhang[6].value == datetime(2026, 2, 28, 0, 5) and zhang[6].is_date
    assert zhang[7].value == "Quiz passed"
    assert zhang[8].value == pytest.approx(0.875) and "%" in zhang[8].number_format
    assert zhang[9].value == 3
    li = [c.value for c in sheet[3]]
    assert li[3] == "In progress" and li[7] == "Offline lesson" and li[8] is None


def test_not_completed_sheet_names_the_units_leaders(app):
    sheet = workbook(app)["Not completed"]
    assert [c.value for c in sheet[1]] == ["Unit", "Leader", "Name", "Username", "Status",
                                           "Modules completed", "Modules"]
    assert [c.value for c in sheet[2]] == ["第二团支部", "王书记、赵组长", "李四", "lisi",
                                           "Not started", 0, 5]
    assert [c.value for c in sheet[3]][2:5] == ["王五", "wangwu", "Late"]
    assert sheet.max_row == 3


def test_words_follow_the_readers_language(app):
    book = workbook(app, locale="zh_CN")
    assert book.sheetnames[:3] == ["分单位汇总", "成员学习情况", "未学名单"]
    sheet = book.worksheets[1]
    assert [c.value for c in sheet[1]][:2] == ["姓名", "用户名"]
    assert sheet["D2"].value == "已完成"


@pytest.mark.parametrize("name", HOSTILE)
def test_formulas_in_names_are_neutralised_in_xlsx(app, name):
    group = NotCompletedGroup(2, name, [name], [member(name, username=name, unit_name=name)])
    book = workbook(app, members=[member(name, username=name, unit_name=name)], groups=[group])
    stored = name.replace("\r", "\n")  # XML reads a bare CR back as LF
    for sheet in book.worksheets[1:3]:  # members and 未学名单 (not passed: test_not_passed_...)
        texts = [c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
        hostile = [c for c in texts if c.value.lstrip("'") == stored]
        assert len(hostile) >= 3
        assert all(c.value == "'" + stored and c.data_type == "s" for c in hostile)
    assert all(c.data_type != "f" for s in book.worksheets for r in s.iter_rows() for c in r)


@pytest.mark.parametrize("name", HOSTILE)
def test_formulas_in_names_are_neutralised_in_csv(app, name):
    _, rows = csv_rows(app, "members", members=[member(name, username=name)])
    assert rows[1][:2] == ["'" + name, "'" + name]
    _, rows = csv_rows(app, "not_completed", not_completed=[
        NotCompletedGroup(2, name, [name], [member(status="late")])])
    assert rows[1][:2] == ["'" + name, "'" + name]


def test_plain_numbers_are_left_alone():
    assert guard_formula("-5") == "-5" and guard_formula("+3.5") == "+3.5"
    assert guard_formula("-5 分") == "'-5 分"
    assert guard_formula("张三") == "张三"
    # A text that already looks guarded gets one more ', so a reader can strip exactly one.
    assert guard_formula("'=1") == "''=1"


def test_number_like_text_stays_untouched_in_both_files(app):
    book = workbook(app, members=[member("-5", username="-5")])
    assert book["Member progress"]["A2"].value == "-5"
    _, rows = csv_rows(app, "members", members=[member("-5", username="-5")])
    assert rows[1][:2] == ["-5", "-5"]


def test_csv_is_utf8_with_bom_and_crlf_for_chinese_excel(app):
    data, rows = csv_rows(app, "summary", locale="zh_CN", report=figures())
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n")
    assert rows[0][0] == "组织"  # the existing translation of "Unit"
    by_unit = {row[0]: row for row in rows[1:]}
    assert by_unit["第一团支部"][1:] == ["6", "5", "1", "0", "0", "83.3%", "1"]
    assert by_unit["新建团支部"][6:] == ["", ""]
    assert rows[-2][0] == "直属成员" and rows[-2][1:] == ["1", "0", "0", "1", "0", "0.0%", ""]
    assert rows[-1][0].endswith("某某团委") and rows[-1][6:] == ["63.6%", ""]


def test_csv_members_has_local_dates_and_percentages(app):
    _, rows = csv_rows(app, "members", members=[member(), member(
        "李四", last_completed_at=None, last_via=None, best_score=None)])
    assert len(rows[0]) == 10
    assert rows[1] == ["张三", "zhangsan", "第一团支部", "Completed", "5", "5",
                       "2026-02-28 00:05", "Quiz passed", "87.5%", "3"]
    assert rows[2][6:9] == ["", "", ""]


def test_csv_not_completed_matches_the_sheet(app):
    _, rows = csv_rows(app, "not_completed", not_completed=laggards())
    assert rows[1] == ["第二团支部", "王书记、赵组长", "李四", "lisi", "Not started", "0", "5"]


def test_csv_export_refuses_an_unknown_kind_or_missing_figures(app):
    with app.test_request_context(), pytest.raises(ValueError):
        csv_export("people", members=[member()])
    with app.test_request_context(), pytest.raises(ValueError):
        csv_export("summary", members=[member()])


def test_csv_bytes_writes_dates_and_percentages_as_excel_reads_them(app):
    with app.test_request_context():
        data = csv_bytes(["时间", "比例", "文字"], [[GENERATED, 0.5, "=1+1"], [None, None, ""]],
                         {2: "0.0%"})
    assert data.decode("utf-8-sig") == "时间,比例,文字\r\n2026-03-01 10:30,50.0%,'=1+1\r\n,,\r\n"
