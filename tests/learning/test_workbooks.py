"""learning.workbooks is the one writer of spreadsheets and CSV files.

Every XLSX and CSV file the app hands out holds text from users (names, units, question texts),
so each must go through the writer that keeps such text from becoming a live formula. The
writers themselves are tested with the files that use them (report exports, the question sheet,
the roster's passwords file); here: that no other code makes a workbook or a CSV writer, and the
one-sheet helper.
"""

import io
import re
from pathlib import Path

from openpyxl import load_workbook

from learning.workbooks import table_xlsx, unguard_formula

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("learning", "courses", "quizzes")
WRITER = ROOT / "learning" / "workbooks.py"
# Making a workbook or a CSV writer, or writing a cell by hand, bypasses the formula guard.
BYPASSES = re.compile(r"\bWorkbook\(|import Workbook\b|csv\.(?:writer|DictWriter)\b|"
                      r"\.cell\([^)]*value=")


def test_no_code_but_the_writer_makes_a_workbook_or_a_csv_writer():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py")) if path != WRITER
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if BYPASSES.search(line)
    ]
    assert offenders == []


def test_a_one_sheet_workbook_keeps_every_text_a_text():
    data = table_xlsx("名单", ["姓名", "分数"], [12, 8],
                      [['=HYPERLINK("http://x","y")', 5], ["-5", None], ["@cmd", 1.5]])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "名单" and sheet.freeze_panes == "A2" and sheet["A1"].font.b
    assert [[cell.data_type for cell in row] for row in sheet.iter_rows(min_row=2)] == [
        ["s", "n"], ["s", "n"], ["s", "n"]]
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert values == [('\'=HYPERLINK("http://x","y")', 5), ("-5", None), ("'@cmd", 1.5)]
    assert [unguard_formula(row[0]) for row in values] == [
        '=HYPERLINK("http://x","y")', "-5", "@cmd"]
