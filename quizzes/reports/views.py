"""Pages: a quiz's item statistics for admins and leaders, on screen and as XLSX.

- /quizzes/<id>/statistics?unit=<id>       figures, score distribution, per-question table,
                                           hardest questions and option frequencies
- /quizzes/<id>/statistics.xlsx?unit=<id>  the same as a workbook

Leaders see only the attempts of people in their subtree (the service restricts them); a quiz
they may not see, or a unit outside their scope, is a 404 as if it did not exist.
"""

from io import BytesIO
from pathlib import Path

from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required

from courses.models import Course
from learning.bounds import positive_int
from learning.extensions import db
from learning.orgs.services import unit_paths
from learning.permissions import require
from quizzes.banks.forms import QTYPE_LABELS
from quizzes.models import Quiz
from quizzes.permissions import can_view_statistics
from quizzes.reports import services
from quizzes.reports.export import report_xlsx

bp = Blueprint("quiz_reports", __name__,
               template_folder=str(Path(__file__).parents[1] / "templates"))

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_UNSAFE_FILENAME = str.maketrans({char: "_" for char in '\\/:*?"<>|'})

# The score distribution's SVG drawing: no viewBox, so its text keeps its CSS px size at every
# width (issue 18); x in percent of the width, y in px.
CHART_HEIGHT, _PLOT_TOP, _PLOT_BOTTOM = 220, 20, 190


def load_report(quiz_id: int) -> tuple[Quiz, services.QuizReport]:
    """The quiz (404 unless the viewer may see its statistics) and its report for ?unit=."""
    quiz = db.session.get(Quiz, quiz_id)
    require(quiz is not None and can_view_statistics(current_user, quiz))
    try:
        report = services.quiz_report(quiz, current_user,
                                      request.args.get("unit", type=positive_int))
    except services.UnitNotFound:
        abort(404)
    return quiz, report


def unit_label(report: services.QuizReport) -> str:
    """The chosen unit's path, or what "no unit" means for this viewer."""
    if report.unit is not None:
        return unit_paths([report.unit])[report.unit.id]
    return _("All units in your scope")


@bp.get("/quizzes/<int:quiz_id>/statistics")
@login_required
def statistics(quiz_id: int):
    """The statistics page, with a unit filter over the viewer's scope."""
    quiz, report = load_report(quiz_id)
    units = services.scope_units(current_user)
    return render_template(
        "quizzes/reports/statistics.html", quiz=quiz, report=report,
        course=db.session.get(Course, quiz.course_id), units=units, paths=unit_paths(units),
        unit_label=unit_label(report), chart=score_chart(report.summary.distribution),
        qtype_labels=QTYPE_LABELS)


@bp.get("/quizzes/<int:quiz_id>/statistics.xlsx")
@login_required
def statistics_xlsx(quiz_id: int):
    """The same statistics as an XLSX workbook (Summary, Questions, Options)."""
    quiz, report = load_report(quiz_id)
    course = db.session.get(Course, quiz.course_id)
    label = unit_label(report)
    data = report_xlsx(report, course_title=course.title if course else "", unit_label=label,
                       qtype_labels=QTYPE_LABELS)
    name = _("%(quiz)s statistics", quiz=quiz.title)
    if report.unit is not None:
        name += f" - {report.unit.name}"
    # send_file writes the UTF-8 name as filename*=UTF-8''... next to an ASCII fallback.
    response = send_file(BytesIO(data), mimetype=XLSX_MIME, as_attachment=True,
                         download_name=f"{name}.xlsx".translate(_UNSAFE_FILENAME))
    response.headers["Cache-Control"] = "no-store"
    return response


def score_chart(distribution) -> dict:
    """The score distribution as SVG geometry (drawn by the template: no script, no inline
    style, which the CSP forbids): one bar per band, its count above, its lower bound below.
    Horizontal places are percentages of the chart's width, vertical ones px."""
    most = max((band.count for band in distribution), default=0) or 1
    slot = 100 / max(len(distribution), 1)
    plot_height = _PLOT_BOTTOM - _PLOT_TOP
    bars = []
    for index, band in enumerate(distribution):
        height = plot_height * band.count / most
        x = index * slot
        bars.append({
            "x": round(x + slot * 0.1, 2), "width": round(slot * 0.8, 2),
            "y": round(_PLOT_BOTTOM - height, 1), "height": round(height, 1),
            "centre": round(x + slot / 2, 2), "count_y": round(_PLOT_BOTTOM - height - 4, 1),
            "label_x": round(x, 2), "label": f"{band.low:g}", "count": band.count,
            "range": f"{band.low:g}–{band.high:g}%",
        })
    return {"height": CHART_HEIGHT, "axis_y": _PLOT_BOTTOM, "label_y": _PLOT_BOTTOM + 18,
            "bars": bars}
