"""Forms for question banks, their categories, questions and imports (validate only, never save).

The question form holds the fields of every type; a page shows only the ones of its question's
type. `QuestionForm.parsed` turns a submitted form into the `ParsedQuestion` the file formats
read, and checks it with the formats' own `validate_question`, so a question typed in the browser
meets exactly the rules of an imported one.
"""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from learning.markup import MAX_SOURCE_CHARS
from learning.uploads import FileNameLength
from quizzes.formats import AIKEN, GIFT, SHEET, ParsedQuestion, validate_question
from quizzes.formats.questions import (
    BLANK,
    DESCRIPTION,
    ESSAY,
    MATCHING,
    MULTIPLE,
    NUMERICAL,
    SHORTANSWER,
    SINGLE,
    TRUEFALSE,
    Answer,
    MatchPair,
    NumericalAnswer,
)
from quizzes.models import CATEGORY_SEPARATOR

QTYPE_LABELS = {
    SINGLE: _l("Single choice"),
    MULTIPLE: _l("Multiple choice"),
    TRUEFALSE: _l("True/false"),
    SHORTANSWER: _l("Short answer / fill in the blank"),
    NUMERICAL: _l("Numerical"),
    MATCHING: _l("Matching"),
    ESSAY: _l("Essay (graded by hand)"),
    DESCRIPTION: _l("Description (no answer)"),
}
FORMAT_CHOICES = [
    ("markdown", _l("Markdown")),
    ("html", _l("HTML")),
    ("plain", _l("Plain text")),
    ("moodle", _l("Moodle auto-format")),
]
IMPORT_FORMATS = (GIFT, AIKEN, SHEET)
IMPORT_FORMAT_CHOICES = [
    ("", _l("Automatic, by the file's extension")),
    (GIFT, _l("GIFT (.gift, .txt)")),
    (AIKEN, _l("Aiken (.txt)")),
    (SHEET, _l("Question template (.xlsx, .csv)")),
]

ROWS = 8  # answer rows shown for a new question
MAX_ROWS = 30  # answer rows accepted from one form (a GIFT file may give more than 8 options)
MAX_ROW_TEXT = 5000
MAX_TAG = 100  # the column size of QuestionTag.name
TAG_SEPARATORS = re.compile(r"[,，、;；]")  # Chinese input methods type ，、； as often as ,;


def split_tags(text: str | None) -> list[str]:
    """The tags typed in one field, separated by commas (full or half width), once each."""
    names = (" ".join(part.split()) for part in TAG_SEPARATORS.split(text or ""))
    return list(dict.fromkeys(name for name in names if name))


def _percent(value: float | None) -> float:
    return (value or 0.0) / 100


# --- banks and categories ----------------------------------------------------------------------


class BankForm(FlaskForm):
    name = StringField(_l("Bank name"), validators=[DataRequired(), Length(max=200)],
                       filters=[lambda value: value.strip() if value else value])
    description = TextAreaField(_l("Description"), render_kw={"rows": 3},
                                validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save"))


def _category_name(value):
    return " ".join(value.split()) if value else value


class CategoryForm(FlaskForm):
    """A new category, at the top or inside another one of the same bank."""

    name = StringField(_l("Category name"), validators=[DataRequired(), Length(max=255)],
                       filters=[_category_name])
    parent = SelectField(_l("Inside"), coerce=int, choices=[(0, "—")])
    submit = SubmitField(_l("Add category"))

    def validate_name(self, field):
        if CATEGORY_SEPARATOR in (field.data or ""):
            raise ValidationError(_l('A category name cannot contain "/".'))


class CategoryRenameForm(FlaskForm):
    name = StringField(_l("Category name"), validators=[DataRequired(), Length(max=255)],
                       filters=[_category_name])
    submit = SubmitField(_l("Rename"))

    def validate_name(self, field):
        if CATEGORY_SEPARATOR in (field.data or ""):
            raise ValidationError(_l('A category name cannot contain "/".'))


# --- questions ---------------------------------------------------------------------------------


class AnswerRow(Form):
    """An option of a choice question, or an accepted answer of a short-answer question."""

    text = StringField(_l("Text"), validators=[Optional(), Length(max=MAX_ROW_TEXT)])
    fraction = FloatField(_l("Weight (%)"), validators=[Optional(), NumberRange(-100, 100)])
    feedback = StringField(_l("Feedback"), validators=[Optional(), Length(max=MAX_ROW_TEXT)])


class NumericalRow(Form):
    """An accepted number, right within its tolerance; no number = any other answer."""

    value = FloatField(_l("Value"), validators=[Optional()])
    tolerance = FloatField(_l("Tolerance (±)"), validators=[Optional(), NumberRange(min=0)])
    fraction = FloatField(_l("Weight (%)"), validators=[Optional(), NumberRange(-100, 100)])
    feedback = StringField(_l("Feedback"), validators=[Optional(), Length(max=MAX_ROW_TEXT)])


class PairRow(Form):
    question = StringField(_l("Sub-question"), validators=[Optional(), Length(max=MAX_ROW_TEXT)])
    answer = StringField(_l("Matching answer"), validators=[Optional(), Length(max=MAX_ROW_TEXT)])


class QuestionForm(FlaskForm):
    """Every field of every question type; `parsed(qtype, ...)` reads the ones of one type."""

    name = StringField(_l("Name (optional; the start of the text is used otherwise)"),
                       validators=[Optional(), Length(max=255)])
    stem = TextAreaField(_l("Question text"), render_kw={"rows": 6},
                         description=_l("Markdown. Write _____ (five underscores) where the "
                                        "blank of a fill-in question goes."),
                         validators=[DataRequired(), Length(max=MAX_SOURCE_CHARS)])
    stem_format = SelectField(_l("Text format"), choices=FORMAT_CHOICES, default="markdown")
    answers = FieldList(FormField(AnswerRow), min_entries=ROWS, max_entries=MAX_ROWS)
    correct = RadioField(_l("The right answer"), choices=[("true", _l("True")),
                                                          ("false", _l("False"))],
                         validate_choice=False)
    true_feedback = StringField(_l("Feedback for the answer “true”"),
                                validators=[Optional(), Length(max=MAX_ROW_TEXT)])
    false_feedback = StringField(_l("Feedback for the answer “false”"),
                                 validators=[Optional(), Length(max=MAX_ROW_TEXT)])
    numerical = FieldList(FormField(NumericalRow), min_entries=4, max_entries=MAX_ROWS)
    pairs = FieldList(FormField(PairRow), min_entries=ROWS, max_entries=MAX_ROWS)
    distractors = TextAreaField(_l("Extra wrong answers (one per line)"), render_kw={"rows": 3},
                                validators=[Optional(), Length(max=MAX_ROW_TEXT)])
    grader_info = TextAreaField(_l("Reference answer or marking guide for the grader"),
                                render_kw={"rows": 4},
                                validators=[Optional(), Length(max=MAX_SOURCE_CHARS)])
    general_feedback = TextAreaField(_l("Explanation (shown after answering)"),
                                     render_kw={"rows": 3},
                                     validators=[Optional(), Length(max=MAX_SOURCE_CHARS)])
    # Optional: a description has no mark and its page leaves the field out (empty = 1).
    default_mark = FloatField(_l("Default mark"), default=1.0,
                              validators=[Optional(), NumberRange(min=0, max=1000)])
    category = SelectField(_l("Category"), coerce=int, choices=[(0, "—")], default=0)
    tags = StringField(_l("Tags (separated by commas)"), validators=[Optional(), Length(max=1000)])
    difficulty = StringField(_l("Difficulty"), render_kw={"placeholder": "易 / 中 / 难"},
                             validators=[Optional(), Length(max=16)])
    idnumber = StringField(_l("ID number (optional, unique in the bank)"),
                           validators=[Optional(), Length(max=100)])
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Save"))

    def validate_tags(self, field):
        if any(len(name) > MAX_TAG for name in split_tags(field.data)):
            raise ValidationError(_l("A tag is at most %(n)d characters.", n=MAX_TAG))

    def parsed(self, qtype: str, category_path: str = "") -> ParsedQuestion | None:
        """The question the form describes; None when an answer row cannot be read.

        Call after `validate()` succeeded. A problem with one answer row is set on that row's
        field (and None returned). The rules of the whole question (validate_question: a 100%
        answer, weights adding up ...) are listed in `problems`, shown at the top of the
        answers: the question is still returned, so that it can be previewed.
        """
        self.problems: list[str] = []
        question = ParsedQuestion(
            qtype, (self.stem.data or "").replace("\r\n", "\n").strip(),
            name=(self.name.data or "").strip(), stem_format=self.stem_format.data,
            general_feedback=(self.general_feedback.data or "").strip(),
            category=category_path, tags=split_tags(self.tags.data),
            idnumber=(self.idnumber.data or "").strip(),
            default_mark=0.0 if qtype == DESCRIPTION else (
                1.0 if self.default_mark.data is None else float(self.default_mark.data)),
            difficulty=(self.difficulty.data or "").strip())
        if BLANK in question.stem and qtype not in (ESSAY, DESCRIPTION):
            # The first blank is where the answers go (GIFT's missing-word questions).
            before, _blank, after = question.stem.partition(BLANK)
            question.blank = (before, after)
        rows_ok = True
        if qtype in (SINGLE, MULTIPLE, SHORTANSWER):
            question.answers, rows_ok = self._answers()
        elif qtype == NUMERICAL:
            question.numerical = self._numbers()
        elif qtype == MATCHING:
            question.pairs = self._pairs()
            question.distractors = [line.strip() for line in
                                    (self.distractors.data or "").splitlines() if line.strip()]
        elif qtype == TRUEFALSE:
            if self.correct.data in ("true", "false"):
                question.correct = self.correct.data == "true"
            question.true_feedback = (self.true_feedback.data or "").strip()
            question.false_feedback = (self.false_feedback.data or "").strip()
        elif qtype == ESSAY:
            question.grader_info = (self.grader_info.data or "").strip()
        if not rows_ok:
            return None
        self.problems = [str(problem) for problem in validate_question(question)]
        return question

    def _answers(self) -> tuple[list[Answer], bool]:
        answers, ok = [], True
        for row in self.answers:
            text = (row.text.data or "").strip()
            feedback = (row.feedback.data or "").strip()
            if not text and not feedback and not row.fraction.data:
                continue  # an unused row
            if not text:
                row.text.errors = [*row.text.errors, _l("Write the answer's text.")]
                ok = False
            answers.append(Answer(text, _percent(row.fraction.data), feedback))
        return answers, ok

    def _numbers(self) -> list[NumericalAnswer]:
        answers = []
        for row in self.numerical:
            feedback = (row.feedback.data or "").strip()
            if row.value.data is None and not feedback and not row.fraction.data:
                continue  # an unused row
            answers.append(NumericalAnswer(row.value.data, row.tolerance.data or 0.0,
                                           _percent(row.fraction.data), feedback))
        return answers

    def _pairs(self) -> list[MatchPair]:
        pairs = []
        for row in self.pairs:
            question = (row.question.data or "").strip()
            answer = (row.answer.data or "").strip()
            if question or answer:
                pairs.append(MatchPair(question, answer))
        return pairs


def question_form_data(parsed: ParsedQuestion, category_id: int | None) -> dict:
    """The form's initial values for editing a stored question (read back with to_parsed)."""

    def percent(fraction: float) -> float:
        return round(fraction * 100, 5)

    data = {
        "name": parsed.name, "stem": parsed.stem, "stem_format": parsed.stem_format,
        "general_feedback": parsed.general_feedback, "default_mark": parsed.default_mark,
        "category": category_id or 0, "tags": ", ".join(parsed.tags),
        "difficulty": parsed.difficulty, "idnumber": parsed.idnumber,
        "answers": [{"text": a.text, "fraction": percent(a.fraction), "feedback": a.feedback}
                    for a in parsed.answers],
        "numerical": [{"value": n.value, "tolerance": n.tolerance,
                       "fraction": percent(n.fraction), "feedback": n.feedback}
                      for n in parsed.numerical],
        "pairs": [{"question": p.question, "answer": p.answer} for p in parsed.pairs],
        "distractors": "\n".join(parsed.distractors),
        "true_feedback": parsed.true_feedback, "false_feedback": parsed.false_feedback,
        "grader_info": parsed.grader_info,
    }
    if parsed.correct is not None:
        data["correct"] = "true" if parsed.correct else "false"
    return data


# --- import ------------------------------------------------------------------------------------


class ImportForm(FlaskForm):
    file = FileField(_l("Question file"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["gift", "txt", "xlsx", "csv"],
                    _l("Only .gift, .txt, .xlsx and .csv files can be imported.")),
        FileNameLength(),
    ])
    format = SelectField(_l("Format"), choices=IMPORT_FORMAT_CHOICES, default="")
    submit = SubmitField(_l("Check the file (dry run)"))


class ImportApplyForm(FlaskForm):
    token = HiddenField()
    format = HiddenField(validators=[Optional(), AnyOf(IMPORT_FORMATS)])
    skip_duplicates = BooleanField(_l("Skip duplicates (import each question once, and none "
                                      "that is already in the bank)"))
    submit = SubmitField(_l("Import now"))
