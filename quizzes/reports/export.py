"""A quiz report as an XLSX workbook: sheets "Summary", "Questions" and "Options".

Report in, bytes out; no database. Every sheet has a bold, frozen header row and set column
widths; percentages are stored as numbers (0.42) in a percentage format, so Excel can sort and
chart them. Question and option texts are written by admins but still never trusted: a text that
Excel would read as a formula (= + - @, tab, CR first) gets the same leading ' as the question
sheet's CSV export, and every text cell is stored as a string, never as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import to_user_timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from quizzes.formats.sheet import guard_formula
from quizzes.reports.services import QuizReport

PERCENT = "0.0%"
NUMBER = "0.00"
DATETIME = "yyyy-mm-dd hh:mm"


def report_xlsx(report: QuizReport, *, course_title: str, unit_label: str,
                qtype_labels: dict) -> bytes:
    """The workbook of `report`; labels come from the caller, in the reader's language."""
    workbook = Workbook()
    summary = workbook.active
    summary.title = "Summary"
    _summary(summary, report, course_title, unit_label)
    _questions(workbook.create_sheet("Questions"), report, qtype_labels)
    _options(workbook.create_sheet("Options"), report)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _summary(sheet: Worksheet, report: QuizReport, course_title: str, unit_label: str) -> None:
    stats = report.summary
    _header(sheet, [_("Item"), _("Value")], widths=[32, 48])
    rows: list[tuple[str, object, str | None]] = [
        (_("Quiz"), report.quiz.title, None),
        (_("Course"), course_title, None),
        (_("Unit"), unit_label, None),
        (_("Generated at"), _local(report.generated_at), DATETIME),
        (_("Attempts counted (each member's first)"), stats.count, None),
        (_("Attempts waiting for grading"), stats.pending, None),
        (_("Mean score"), _share(stats.mean), PERCENT),
        (_("Median score"), _share(stats.median), PERCENT),
        (_("Standard deviation"), _share(stats.sd), PERCENT),
        (_("Members in scope"), report.members, None),
        (_("Members who finished an attempt"), report.members_attempted, None),
    ]
    for label, value, number_format in rows:
        _append(sheet, [label, value], {2: number_format} if number_format else {})
    sheet.append([None])
    _append(sheet, [_("Score range"), _("Attempts")])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for band in stats.distribution:
        _append(sheet, [f"{band.low:g}%–{band.high:g}%", band.count])


def _questions(sheet: Worksheet, report: QuizReport, qtype_labels: dict) -> None:
    _header(sheet, [_("No."), _("Question"), _("Type"), _("Question text"), _("Mark"),
                    _("Attempts"), _("Facility index"), _("Standard deviation"),
                    _("Discrimination index"), _("Discriminative efficiency"),
                    _("Mean mark")],
            widths=[6, 24, 14, 60, 8, 10, 14, 14, 16, 16, 10])
    for question in report.questions:
        stats = question.stats
        _append(sheet, [question.number, question.name, str(qtype_labels.get(
            question.qtype, question.qtype)), question.excerpt, stats.mark, stats.count,
            _share(stats.facility), _share(stats.sd), _share(stats.discrimination_index),
            _share(stats.discriminative_efficiency), stats.mean_mark],
            {7: PERCENT, 8: PERCENT, 9: PERCENT, 10: PERCENT, 11: NUMBER})


def _options(sheet: Worksheet, report: QuizReport) -> None:
    _header(sheet, [_("No."), _("Question"), _("Option"), _("Right answer"), _("Picked"),
                    _("Share")], widths=[6, 24, 48, 12, 10, 10])
    for question in report.questions:
        if not question.options:
            continue
        for option in question.options:
            _append(sheet, [question.number, question.name, option.text,
                            _("yes") if option.right else "", option.count,
                            _share(option.share)], {6: PERCENT})
        unanswered = 100 * question.unanswered / question.held if question.held else None
        _append(sheet, [question.number, question.name, _("(no answer)"), "",
                        question.unanswered, _share(unanswered)], {6: PERCENT})


# --- Cells --------------------------------------------------------------------------------------


def _header(sheet: Worksheet, titles: Sequence[str], widths: Iterable[int]) -> None:
    _append(sheet, titles)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell, width in zip(sheet[1], widths, strict=True):
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"


_WRAP = Alignment(wrap_text=True, vertical="top")  # one style object, shared by every cell


def _append(sheet: Worksheet, values: Sequence[object],
            formats: dict[int, str] | None = None) -> None:
    """Add a row: texts made safe, numbers in the given formats (by 1-based column)."""
    # Excel cannot hold control characters; and a text is never a formula.
    sheet.append([ILLEGAL_CHARACTERS_RE.sub("", guard_formula(value))
                  if isinstance(value, str) else value for value in values])
    for column, cell in enumerate(sheet[sheet.max_row], start=1):
        if isinstance(cell.value, str):
            cell.data_type = "s"
            cell.alignment = _WRAP
        elif formats and column in formats and cell.value is not None:
            cell.number_format = formats[column]


def _share(percent: float | None) -> float | None:
    """A percentage (42.0) as the fraction a percentage cell holds (0.42)."""
    return None if percent is None else percent / 100


def _local(moment: datetime) -> datetime:
    """In the reader's time zone and naive: XLSX has no time zones."""
    return to_user_timezone(moment).replace(tzinfo=None)
