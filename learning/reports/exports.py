"""A completion report as an XLSX workbook or CSV files, for sending upward (报上级团委).

Figures in, bytes out; no database. Three tables, the same columns in XLSX and CSV:

* summary by unit: one row per child unit (roster, completed, in progress, not started, late,
  rate, rank) and a totals row for the unit itself; in XLSX below a header block with the
  report's title, unit, period and generated-at time;
* members: each roster member's status, modules done, when and how last completed, best quiz
  score and posts;
* 未学名单: who has not completed, by unit, with the unit's leaders to chase them.

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

from learning.reports.figures import MemberRow, NotCompletedGroup, UnitFigures, UnitReport
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

KINDS = ("summary", "members", "not_completed")

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
class _Table:
    """One sheet's columns and rows, written alike to XLSX and CSV."""

    titles: list[str]
    widths: list[int]
    formats: dict[int, str] = field(default_factory=dict)  # 1-based column -> number format
    rows: list[list[object]] = field(default_factory=list)


def report_xlsx(report: UnitReport, members: list[MemberRow],
                not_completed: list[NotCompletedGroup], *, title: str, unit_label: str,
                period_label: str, generated_at: datetime) -> bytes:
    """The workbook: summary by unit, members and 未学名单, in the reader's language."""
    workbook = new_workbook()
    summary = workbook.active
    summary.title = _sheet_title(_("Summary by unit"))
    table = _summary_table(report)
    _about(summary, title, unit_label, period_label, generated_at, columns=len(table.titles))
    _write(summary, table, filtered=False)  # sorting would move the totals row
    for cell in summary[summary.max_row]:  # the totals row
        cell.font = BOLD
    _write(workbook.create_sheet(_sheet_title(_("Member progress"))), _members_table(members))
    _write(workbook.create_sheet(_sheet_title(_("Not completed"))),
           _not_completed_table(not_completed))
    return workbook_bytes(workbook)


def csv_export(kind: str, *, report: UnitReport | None = None,
               members: Sequence[MemberRow] | None = None,
               not_completed: Sequence[NotCompletedGroup] | None = None) -> bytes:
    """One table of the workbook as CSV: kind "summary" (needs `report`), "members" (needs
    `members`) or "not_completed" (needs `not_completed`)."""
    if kind == "summary" and report is not None:
        table = _summary_table(report)
    elif kind == "members" and members is not None:
        table = _members_table(members)
    elif kind == "not_completed" and not_completed is not None:
        table = _not_completed_table(not_completed)
    else:
        raise ValueError(f"cannot export {kind!r} from what was given")
    return csv_bytes(table.titles, table.rows, table.formats)


# --- tables -------------------------------------------------------------------------------------


def _summary_table(report: UnitReport) -> _Table:
    """A row per child unit, then the unit's totals."""
    table = _Table([_("Unit"), _("Roster"), _("Completed"), _("In progress"), _("Not started"),
                    _("Late"), _("Completion rate"), _("Rank")],
                   widths=[28, 10, 10, 12, 12, 10, 12, 8], formats={7: PERCENT})
    for unit in report.children:
        table.rows.append(_figures(unit.name, unit))
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
    table = _Table([_("Unit"), _("Leader"), _("Name"), _("Username"), _("Status"),
                    _("Modules completed"), _("Modules")],
                   widths=[24, 20, 14, 16, 10, 12, 10])
    for group in groups:
        leaders = "、".join(group.leaders)
        for row in group.members:
            table.rows.append([group.unit_name, leaders, row.name, row.username,
                               _status(row.status), row.done, row.total])
    return table


def _status(status: str) -> str:
    """The status in the reader's words."""
    return str(STATUS_WORDS.get(status, status))


def _via(via: str | None) -> str:
    """How the last module was completed, in the reader's words."""
    return str(VIA_WORDS.get(via, via)) if via else ""


# --- sheets -------------------------------------------------------------------------------------


def _about(sheet: Worksheet, title: str, unit_label: str, period_label: str,
           generated_at: datetime, *, columns: int) -> None:
    """The header block above the summary: title, unit, period, generated at (a date cell);
    each value spans the table's width, so a narrow column does not show ####."""
    append(sheet, [title])
    sheet["A1"].font = _TITLE
    for label, value in ((_("Unit"), unit_label), (_("Period"), period_label),
                         (_("Generated at"), generated_at)):
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
