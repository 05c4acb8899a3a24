"""A quiz report as an XLSX workbook: sheets "Summary", "Questions" and "Options".

Report in, bytes out; no database. Every sheet has a bold, frozen header row and set column
widths; percentages are stored as numbers (0.42) in a percentage format, so Excel can sort and
chart them. Question and option texts are written by admins but still never trusted: a text that
Excel would read as a formula (= + - @, tab, CR first) gets a leading ' (learning.workbooks),
and every text cell is stored as a string, never as a formula.
"""

from __future__ import annotations

from flask_babel import gettext as _
from openpyxl.worksheet.worksheet import Worksheet

from learning.workbooks import (
    BOLD,
    DATETIME,
    NUMBER,
    PERCENT,
    append,
    header,
    local_naive,
    new_workbook,
    share,
    workbook_bytes,
)
from quizzes.reports.services import QuizReport


def report_xlsx(report: QuizReport, *, course_title: str, unit_label: str,
                qtype_labels: dict) -> bytes:
    """The workbook of `report`; labels come from the caller, in the reader's language."""
    workbook = new_workbook()
    summary = workbook.active
    summary.title = "Summary"
    _summary(summary, report, course_title, unit_label)
    _questions(workbook.create_sheet("Questions"), report, qtype_labels)
    _options(workbook.create_sheet("Options"), report)
    return workbook_bytes(workbook)


def _summary(sheet: Worksheet, report: QuizReport, course_title: str, unit_label: str) -> None:
    stats = report.summary
    header(sheet, [_("Item"), _("Value")], widths=[32, 48])
    rows: list[tuple[str, object, str | None]] = [
        (_("Quiz"), report.quiz.title, None),
        (_("Course"), course_title, None),
        (_("Unit"), unit_label, None),
        (_("Generated at"), local_naive(report.generated_at), DATETIME),
        (_("Attempts counted (each member's first)"), stats.count, None),
        (_("Attempts waiting for grading"), stats.pending, None),
        (_("Mean score"), share(stats.mean), PERCENT),
        (_("Median score"), share(stats.median), PERCENT),
        (_("Standard deviation"), share(stats.sd), PERCENT),
        (_("Members in scope"), report.members, None),
        (_("Members who finished an attempt"), report.members_attempted, None),
    ]
    for label, value, number_format in rows:
        append(sheet, [label, value], {2: number_format} if number_format else {})
    sheet.append([None])
    append(sheet, [_("Score range"), _("Attempts")])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    for band in stats.distribution:
        append(sheet, [f"{band.low:g}%–{band.high:g}%", band.count])


def _questions(sheet: Worksheet, report: QuizReport, qtype_labels: dict) -> None:
    header(sheet, [_("No."), _("Question"), _("Type"), _("Question text"), _("Mark"),
                   _("Attempts"), _("Facility index"), _("Standard deviation"),
                   _("Discrimination index"), _("Discriminative efficiency"),
                   _("Mean mark")],
           widths=[6, 24, 14, 60, 8, 10, 14, 14, 16, 16, 10])
    for question in report.questions:
        stats = question.stats
        append(sheet, [question.number, question.name, str(qtype_labels.get(
            question.qtype, question.qtype)), question.excerpt, stats.mark, stats.count,
            share(stats.facility), share(stats.sd), share(stats.discrimination_index),
            share(stats.discriminative_efficiency), stats.mean_mark],
            {7: PERCENT, 8: PERCENT, 9: PERCENT, 10: PERCENT, 11: NUMBER})


def _options(sheet: Worksheet, report: QuizReport) -> None:
    header(sheet, [_("No."), _("Question"), _("Option"), _("Right answer"), _("Picked"),
                   _("Share")], widths=[6, 24, 48, 12, 10, 10])
    for question in report.questions:
        if not question.options:
            continue
        for option in question.options:
            append(sheet, [question.number, question.name, option.text,
                           _("yes") if option.right else "", option.count,
                           share(option.share)], {6: PERCENT})
        unanswered = 100 * question.unanswered / question.held if question.held else None
        append(sheet, [question.number, question.name, _("(no answer)"), "",
                       question.unanswered, share(unanswered)], {6: PERCENT})
