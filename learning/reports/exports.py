"""A completion report as an XLSX workbook or CSV files, for sending upward (报上级团委).

Figures in, bytes out; no database. Four tables, the same columns in XLSX and CSV:

* summary by unit: one row per child unit (roster, completed, in progress, not started, late,
  rate, rank), a row of the members directly in the unit (直属成员) when there are any, and a
  totals row, so the rows add up; in XLSX below the heading that says what the report is
  about (ReportHeading: course, module, period and dates, the unit's full path, generated at,
  who produced it), the same lines the print view shows;
* members: each roster member's status, modules done, when and how last completed, best quiz
  score and posts;
* 未学名单: who has not completed, by unit, with the unit's leaders to chase them;
* not passed the quiz: per quiz, who has not passed it, with their score on that quiz.

A CSV file holds one table and nothing else (so it sorts and filters cleanly); its file name
says what it is about (services.export_download).

Status and "how" are words in the reader's language; dates are date cells (CSV: local
"YYYY-MM-DD HH:MM"), rates and scores percentages. Done and total are two number columns, not
"3/5": Excel would read that as a date. Every text goes through learning.workbooks, which
neutralises formulas (a member named `=HYPERLINK(...)` stays a name).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from learning.reports.figures import (
    MemberRow,
    ModuleLine,
    NotCompletedGroup,
    QuizNotPassed,
    UnitFigures,
    UnitReport,
)
from learning.reports.watching import STATE_WORDS
from learning.workbooks import (
    BOLD,
    DATETIME,
    PERCENT,
    append,
    csv_bytes,
    header,
    new_workbook,
    share,
    workbook_bytes,
)

KINDS = ("summary", "members", "not_completed", "not_passed")
KIND_WORDS = {
    "summary": _l("Summary by unit"),
    "members": _l("Member progress"),
    "not_completed": _l("Not completed"),
    "not_passed": _l("Not passed the quiz"),
}

STATUS_WORDS = {
    "completed": _l("Completed"),
    "late": _l("Late"),
    "in_progress": _l("In progress"),
    "not_started": _l("Not started"),
}
VIA_WORDS = {
    "reading": _l("Reading"),
    "confirm": _l("Confirmed"),
    "quiz": _l("Quiz passed"),
    "offline": _l("Offline lesson"),
    "posts": _l("Discussion"),
}

_TITLE = Font(bold=True, size=14)
_LEFT = Alignment(horizontal="left", vertical="top")


@dataclass
class ReportHeading:
    """What a report sent upward is about: printed above it, on the XLSX summary sheet and in
    a CSV file's name."""

    course: str  # 专题
    module: str | None  # when one module was assigned
    period: str  # the period's own title (第N期), may be empty
    dates: str  # "start – due", the reader's time zone
    unit_path: str  # 某某团委 / 第一团支部
    generated_at: datetime
    producer: str  # 填报人: the leader who opened or downloaded it

    @property
    def title(self) -> str:
        """The report's title line: period, course and module."""
        return " · ".join(part for part in (self.period, self.course, self.module) if part)

    def lines(self) -> list[tuple[str, object]]:
        """(label, value) lines under the title, in the reader's language."""
        lines: list[tuple[str, object]] = [(_("Course"), self.course)]
        if self.module:
            lines.append((_("Module"), self.module))
        period = (_("%(period)s (%(dates)s)", period=self.period, dates=self.dates)
                  if self.period else self.dates)
        return [*lines, (_("Period"), period), (_("Unit"), self.unit_path),
                (_("Generated at"), self.generated_at), (_("Produced by"), self.producer)]


@dataclass
class _Table:
    """One sheet's columns and rows, written alike to XLSX and CSV."""

    titles: list[str]
    widths: list[int]
    formats: dict[int, str] = field(default_factory=dict)  # 1-based column -> number format
    rows: list[list[object]] = field(default_factory=list)


def report_xlsx(report: UnitReport, members: list[MemberRow],
                not_completed: list[NotCompletedGroup], not_passed: list[QuizNotPassed], *,
                heading: ReportHeading) -> bytes:
    """The workbook: summary by unit, members, 未学名单 and not passed the quiz, in the
    reader's language."""
    workbook = new_workbook()
    summary = workbook.active
    summary.title = _sheet_title(str(KIND_WORDS["summary"]))
    table = _summary_table(report)
    _about(summary, heading, columns=len(table.titles))
    _write(summary, table, filtered=False)  # sorting would move the totals row
    for cell in summary[summary.max_row]:  # the totals row
        cell.font = BOLD
    for kind, table in (("members", _members_table(members)),
                        ("not_completed", _not_completed_table(not_completed)),
                        ("not_passed", _not_passed_table(not_passed))):
        _write(workbook.create_sheet(_sheet_title(str(KIND_WORDS[kind]))), table)
    return workbook_bytes(workbook)


def csv_export(kind: str, *, report: UnitReport | None = None,
               members: Sequence[MemberRow] | None = None,
               not_completed: Sequence[NotCompletedGroup] | None = None,
               not_passed: Sequence[QuizNotPassed] | None = None) -> bytes:
    """One table of the workbook as CSV: kind "summary" (needs `report`), "members" (needs
    `members`), "not_completed" (needs `not_completed`) or "not_passed" (needs `not_passed`)."""
    if kind == "summary" and report is not None:
        table = _summary_table(report)
    elif kind == "members" and members is not None:
        table = _members_table(members)
    elif kind == "not_completed" and not_completed is not None:
        table = _not_completed_table(not_completed)
    elif kind == "not_passed" and not_passed is not None:
        table = _not_passed_table(not_passed)
    else:
        raise ValueError(f"cannot export {kind!r} from what was given")
    return csv_bytes(table.titles, table.rows, table.formats)


# --- tables -------------------------------------------------------------------------------------


def _summary_table(report: UnitReport) -> _Table:
    """A row per child unit, the direct members' row, then the unit's totals."""
    table = _Table([_("Unit"), _("Roster"), _("Completed"), _("In progress"), _("Not started"),
                    _("Late"), _("Completion rate"), _("Rank")],
                   widths=[28, 10, 10, 12, 12, 10, 12, 8], formats={7: PERCENT})
    for unit in report.rows:
        table.rows.append(_figures(row_label(unit), unit, rank=not unit.direct))
    table.rows.append(_figures(_("Total: %(unit)s", unit=report.unit.name), report.unit,
                               rank=False))
    return table


def _figures(label: str, unit: UnitFigures, rank: bool = True) -> list[object]:
    """One summary row (the rate a fraction, for a percentage cell)."""
    return [label, unit.roster, unit.completed, unit.in_progress, unit.not_started, unit.late,
            unit.rate, unit.rank if rank else None]


def _members_table(members: Sequence[MemberRow]) -> _Table:
    """A row per roster member."""
    table = _Table([_("Name"), _("Username"), _("Unit"), _("Status"), _("Modules completed"),
                    _("Modules"), _("Last completed at"), _("How completed"),
                    _("Best quiz score"), _("Posts")],
                   widths=[14, 16, 24, 10, 12, 10, 18, 14, 14, 8],
                   formats={7: DATETIME, 9: PERCENT})
    for row in members:
        table.rows.append([row.name, row.username, row.unit_name, _status(row.status), row.done,
                           row.total, row.last_completed_at, _via(row.last_via),
                           share(row.best_score), row.posts])
    return table


def _not_completed_table(groups: Sequence[NotCompletedGroup]) -> _Table:
    """未学名单: a row per member who has not completed, with their unit's leaders."""
    # The video column (未观看 / 未看完 / 未答题) only when someone on the list has one.
    video = any(row.watching for group in groups for row in group.members)
    table = _Table([_("Unit"), _("Leader"), _("Name"), _("Username"), _("Status"),
                    _("Modules completed"), _("Modules"), *([_("Video")] if video else [])],
                   widths=[24, 20, 14, 16, 10, 12, 10, *([14] if video else [])])
    for group in groups:
        leaders = "、".join(group.leaders)
        for row in group.members:
            table.rows.append([group.unit_name, leaders, row.name, row.username,
                               _status(row.status), row.done, row.total,
                               *([str(STATE_WORDS.get(row.watching, ""))] if video else [])])
    return table


def _not_passed_table(quizzes: Sequence[QuizNotPassed]) -> _Table:
    """Not passed the quiz: a row per quiz and member, with the member's score on that quiz."""
    table = _Table([_("Quiz"), _("Pass mark"), _("Unit"), _("Leader"), _("Name"), _("Username"),
                    _("Score"), _("Attempts")],
                   widths=[24, 10, 24, 20, 14, 16, 12, 10], formats={2: PERCENT, 7: PERCENT})
    for quiz in quizzes:
        for group in quiz.groups:
            leaders = "、".join(group.leaders)
            for row in group.members:
                score = (share(row.quiz_score) if row.quiz_score is not None
                         else quiz_score_text(row))
                table.rows.append([quiz.title, share(quiz.pass_mark), group.unit_name, leaders,
                                   row.name, row.username, score, row.quiz_attempts])
    return table


def row_label(unit: UnitFigures) -> str:
    """A summary row's first cell: the child unit's name, or the direct members' label."""
    return str(_("Members directly in this unit")) if unit.direct else unit.name


def quiz_score_text(row: MemberRow) -> str:
    """The member's score on one quiz as the not-passed list prints it: "35%", 未作答 when
    they finished no attempt, 待评分 when an attempt waits for hand grading."""
    if row.quiz_score is not None:
        return f"{row.quiz_score:.0f}%"
    return _("Awaiting grading") if row.quiz_attempts else _("Not attempted")


def module_reason(line: ModuleLine) -> str:
    """Why a module is or is not complete for the member, in one line: how it was completed,
    or what its completion rule still asks (with the quiz score when there is one), e.g.
    「测验 100% — 本单元需直接确认」."""
    if line.completed_at is not None:
        return _via(line.via)
    needs = {
        "reading": lambda: _("This module needs reading for the set time, then a confirmation"),
        "confirm": lambda: _("This module needs a direct confirmation"),
        "quiz": lambda: (_("This module needs its quiz passed (pass mark %(p)s%%)",
                           p=f"{line.pass_mark:g}") if line.pass_mark is not None
                         else _("This module needs its quiz passed")),
        "posts": lambda: _("This module needs %(n)d posts in its discussion (%(done)d so far)",
                           n=line.min_posts, done=line.posts),
    }
    reason = needs.get(line.rule, lambda: "")()
    if line.best_score is not None:
        return _("Quiz %(score)s%% — %(reason)s", score=f"{line.best_score:.0f}", reason=reason)
    return reason


def _status(status: str) -> str:
    """The status in the reader's words."""
    return str(STATUS_WORDS.get(status, status))


def _via(via: str | None) -> str:
    """How the last module was completed, in the reader's words."""
    return str(VIA_WORDS.get(via, via)) if via else ""


# --- sheets -------------------------------------------------------------------------------------


def _about(sheet: Worksheet, heading: ReportHeading, *, columns: int) -> None:
    """The heading above the summary: title, then course, module, period, unit, generated at
    (a date cell) and who produced it; each value spans the table's width, so a narrow column
    does not show ####."""
    append(sheet, [heading.title])
    sheet["A1"].font = _TITLE
    for label, value in heading.lines():
        append(sheet, [label, value])
        sheet.cell(sheet.max_row, 1).font = BOLD
        sheet.cell(sheet.max_row, 2).alignment = _LEFT
    for row in range(1, sheet.max_row + 1):
        sheet.merge_cells(start_row=row, end_row=row, start_column=1 if row == 1 else 2,
                          end_column=columns)
    sheet.append([None])


def _write(sheet: Worksheet, table: _Table, *, filtered: bool = True) -> None:
    """The table under a frozen header row, with filter buttons unless told otherwise."""
    header(sheet, table.titles, table.widths)
    first = sheet.max_row
    for row in table.rows:
        append(sheet, row, table.formats)
    if filtered:
        last_column = sheet.cell(first, len(table.titles)).column_letter
        sheet.auto_filter.ref = f"A{first}:{last_column}{sheet.max_row}"


def _sheet_title(text: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    return "".join(" " if c in "[]:*?/\\" else c for c in text)[:31]
