"""Forms for quiz settings, a fixed quiz's question list and a random quiz's draws (validate
only, never save: quizzes.authoring.services writes and applies the quiz rules).

The forms check types and plain ranges; the rules that involve the stored quiz (a module that
has a quiz already, more questions drawn than a category holds, a close before the open) are
the services' QuizSettingsError, which the page shows next to the field it names.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    FloatField,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from learning.accounts.forms import ConfirmForm
from learning.markup import MAX_SOURCE_CHARS

SELECTION_CHOICES = [("fixed", _l("Fixed questions, the same for everyone")),
                     ("random", _l("Drawn at random from categories for each attempt"))]
LAYOUT_CHOICES = [("one", _l("One question per page")), ("all", _l("All questions on one page"))]
GRADING_CHOICES = [("highest", _l("Highest attempt")), ("last", _l("Last attempt")),
                   ("first", _l("First attempt")), ("average", _l("Average of attempts"))]
REVIEW_WHEN_CHOICES = [("after_attempt", _l("After each attempt")),
                       ("after_close", _l("After the quiz closes")),
                       ("never", _l("Never"))]
REVIEW_SHOWS_CHOICES = [("score", _l("The score only")),
                        ("rightwrong", _l("Score and right/wrong per question")),
                        ("answers", _l("… and the right answers")),
                        ("explanations", _l("… and the explanations and feedback"))]
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
MAX_MARK = 1000
MAX_QUESTIONS = 500  # rows one question-list form may post
MAX_DRAWS = 100


class QuizForm(FlaskForm):
    """Every setting of a quiz; times are local (the app's display time zone)."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)],
                        filters=[lambda value: value.strip() if value else value])
    module_id = SelectField(_l("Attached to"), coerce=int, default=0,
                            description=_l("A module has at most one quiz; a standalone quiz "
                                           "belongs to the course only."))
    intro_md = TextAreaField(_l("Introduction (Markdown)"), render_kw={"rows": 4},
                             validators=[Optional(), Length(max=MAX_SOURCE_CHARS)])
    selection = SelectField(_l("How questions are chosen"), choices=SELECTION_CHOICES,
                            default="fixed")
    shuffle_questions = BooleanField(_l("Shuffle the order of the questions"))
    shuffle_options = BooleanField(_l("Shuffle the options of choice questions"), default=True)
    layout = SelectField(_l("Layout"), choices=LAYOUT_CHOICES, default="one")
    time_limit_minutes = IntegerField(_l("Time limit (minutes; blank for none)"),
                                      validators=[Optional()])
    attempts_allowed = IntegerField(_l("Attempts allowed (0 = unlimited)"), default=0,
                                    validators=[InputRequired()])
    grading_method = SelectField(_l("Grade from"), choices=GRADING_CHOICES, default="highest")
    pass_mark = FloatField(_l("Pass mark (%)"), default=60.0, validators=[InputRequired()])
    open_at = DateTimeLocalField(_l("Opens (blank: open now)"), format=LOCAL_FORMAT,
                                 validators=[Optional()])
    close_at = DateTimeLocalField(_l("Closes (blank: never)"), format=LOCAL_FORMAT,
                                  validators=[Optional()])
    review_when = SelectField(_l("Members may review their attempts"),
                              choices=REVIEW_WHEN_CHOICES, default="after_attempt")
    review_shows = SelectField(_l("The review shows"), choices=REVIEW_SHOWS_CHOICES,
                               default="explanations")
    submit = SubmitField(_l("Save"))


class QuestionRow(Form):
    """One question of the fixed list as posted: its id (hidden), its mark, remove or not."""

    question_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    mark = FloatField(_l("Mark"), validators=[Optional(), NumberRange(0, MAX_MARK)])
    remove = BooleanField(_l("Remove"))


class QuizQuestionsForm(FlaskForm):
    """The complete ordered list of a fixed quiz's questions, as the page posts it back, with
    the questions ticked in the picker (`add`) and at most one move (`move` = "up-3": the
    row at index 3 one place up)."""

    rows = FieldList(FormField(QuestionRow), min_entries=0, max_entries=MAX_QUESTIONS)
    add = SelectMultipleField(_l("Add"), coerce=int, validate_choice=False)
    move = StringField(validators=[Optional(), Length(max=20)])
    submit = SubmitField(_l("Save the list"))


class DrawRow(Form):
    """One random draw as posted: category (hidden), how many, with subcategories, remove."""

    category_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    count = IntegerField(_l("How many"), validators=[InputRequired(), NumberRange(1, 1000)])
    include_subcategories = BooleanField(_l("With subcategories"))
    remove = BooleanField(_l("Remove"))


class QuizDrawsForm(FlaskForm):
    """The complete list of a random quiz's draws, and optionally one new draw."""

    rows = FieldList(FormField(DrawRow), min_entries=0, max_entries=MAX_DRAWS)
    new_category = SelectField(_l("Category"), coerce=int, default=0, validate_choice=False)
    new_count = IntegerField(_l("How many"), validators=[Optional(), NumberRange(1, 1000)])
    new_include_subcategories = BooleanField(_l("With subcategories"), default=True)
    submit = SubmitField(_l("Save the draws"))


class DeleteQuizForm(ConfirmForm):
    """Delete a quiz; when it has attempts, only with `delete_attempts` ticked."""

    delete_attempts = BooleanField(_l("Delete its attempts too"))
    submit = SubmitField(_l("Delete the quiz"))
