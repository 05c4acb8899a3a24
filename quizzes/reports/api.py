"""API: a quiz's item statistics, the figures of the statistics page as JSON.

Same service and policies as the page: a quiz whose statistics the caller may not see, or a unit
outside their scope, is a 404. Percentages are numbers from 0 to 100 (null where Moodle's
formula divides by zero: one attempt, or everyone scoring the same).
"""

from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, fields

from learning.api import api_blueprint
from learning.extensions import db
from quizzes.models import Quiz
from quizzes.permissions import can_view_statistics
from quizzes.reports import services

blp = api_blueprint("quiz_statistics_api", __name__, "Quiz item statistics")


class StatisticsQuerySchema(Schema):
    unit = fields.Integer(load_default=None, metadata={
        "description": "only members in this unit and below it (a unit in your scope)"})


class StatisticsScoreBinSchema(Schema):
    low = fields.Float(metadata={"description": "% score, included"})
    high = fields.Float(metadata={"description": "% score, excluded (included for 100)"})
    count = fields.Integer()


class StatisticsSummarySchema(Schema):
    count = fields.Integer(metadata={"description": "attempts counted: each member's first"})
    pending = fields.Integer(metadata={"description": "left out: an answer awaits a grader"})
    mean = fields.Float(allow_none=True)
    median = fields.Float(allow_none=True)
    sd = fields.Float(allow_none=True)
    distribution = fields.List(fields.Nested(StatisticsScoreBinSchema))


class StatisticsOptionSchema(Schema):
    id = fields.String()
    text = fields.String(metadata={"description": "plain text of the option as attempted"})
    right = fields.Boolean(metadata={"description": "the option earns marks"})
    count = fields.Integer()
    share = fields.Float(allow_none=True, metadata={
        "description": "% of the attempts that held the question"})


class QuestionStatisticsSchema(Schema):
    key = fields.String(metadata={"description": "the question id, or deleted-<hash> for a "
                                                 "question since deleted from its bank"})
    question_id = fields.Integer(allow_none=True)
    number = fields.Integer()
    type = fields.String()
    name = fields.String()
    excerpt = fields.String(metadata={"description": "the stem as plain text, cut short"})
    mark = fields.Float()
    count = fields.Integer(metadata={"description": "graded attempts that held the question"})
    mean_mark = fields.Float(allow_none=True)
    facility = fields.Float(allow_none=True, metadata={"description": "mean score, % of mark"})
    sd = fields.Float(allow_none=True)
    discrimination_index = fields.Float(allow_none=True)
    discriminative_efficiency = fields.Float(allow_none=True)
    options = fields.List(fields.Nested(StatisticsOptionSchema),
                          metadata={"description": "choice questions only"})
    unanswered = fields.Integer(metadata={"description": "choice questions: no option picked"})


class StatisticsMembersSchema(Schema):
    in_scope = fields.Integer(metadata={"description": "people with a member role in scope"})
    attempted = fields.Integer(metadata={"description": "of those, who finished an attempt"})


class QuizStatisticsSchema(Schema):
    quiz_id = fields.Integer()
    quiz_title = fields.String()
    unit_id = fields.Integer(allow_none=True)
    generated_at = fields.DateTime()
    summary = fields.Nested(StatisticsSummarySchema)
    members = fields.Nested(StatisticsMembersSchema)
    questions = fields.List(fields.Nested(QuestionStatisticsSchema))
    hardest = fields.List(fields.String(), metadata={
        "description": "keys of the questions with the lowest facility, hardest first"})


@blp.get("/quizzes/<int:quiz_id>/statistics")
@blp.arguments(StatisticsQuerySchema, location="query")
@blp.response(200, QuizStatisticsSchema)
def quiz_statistics(args, quiz_id: int):
    """Item statistics of a quiz over each member's first attempt, in my scope."""
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or not can_view_statistics(current_user, quiz):
        abort(404)
    try:
        report = services.quiz_report(quiz, current_user, args["unit"])
    except services.UnitNotFound:
        abort(404, message="No such unit in your scope.")
    summary = report.summary
    return {
        "quiz_id": quiz.id, "quiz_title": quiz.title,
        "unit_id": report.unit.id if report.unit else None,
        "generated_at": report.generated_at,
        "summary": summary,
        "members": {"in_scope": report.members, "attempted": report.members_attempted},
        "questions": [_question(q) for q in report.questions],
        "hardest": [q.key for q in report.hardest],
    }


def _question(q: services.QuestionReport) -> dict:
    stats = q.stats
    return {
        "key": q.key, "question_id": q.question_id, "number": q.number, "type": q.qtype,
        "name": q.name, "excerpt": q.excerpt, "mark": stats.mark, "count": stats.count,
        "mean_mark": stats.mean_mark, "facility": stats.facility, "sd": stats.sd,
        "discrimination_index": stats.discrimination_index,
        "discriminative_efficiency": stats.discriminative_efficiency,
        "options": [{"id": o.option_id, "text": o.text, "right": o.right, "count": o.count,
                     "share": o.share} for o in q.options],
        "unanswered": q.unanswered,
    }
