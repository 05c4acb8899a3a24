"""Forms for authoring courses and modules (validate only, never save)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from courses.catalog.services import rule_error
from learning.markup import MAX_SOURCE_CHARS

RULE_CHOICES = [
    ("reading", _l("Reading (time spent, then confirm)")),
    ("confirm", _l("Confirm at once")),
    ("quiz", _l("Pass the module's quiz")),
    ("posts", _l("Write posts in the discussion")),
    ("watched", _l("Watch the module's video")),
    ("watched_quiz", _l("Watch the module's video and pass its quiz")),
]


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=2000)])
    position = IntegerField(_l("Order"), default=0,
                            validators=[Optional(), NumberRange(min=0, max=10000)])
    published = BooleanField(_l("Published (members it is assigned to can see it)"))
    cover = FileField(_l("Cover image (PNG, JPEG, GIF or WebP)"))
    submit = SubmitField(_l("Save"))


class ModuleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body_md = TextAreaField(_l("Body (Markdown)"), render_kw={"rows": 18},
                            validators=[Optional(), Length(max=MAX_SOURCE_CHARS)])
    estimated_minutes = IntegerField(_l("Estimated minutes"), default=10,
                                     validators=[InputRequired(), NumberRange(min=1, max=600)])
    completion_rule = SelectField(_l("Completion rule"), choices=RULE_CHOICES,
                                  default="reading")
    min_posts = IntegerField(_l("Posts needed (rule \"posts\")"), default=0,
                             validators=[Optional(), NumberRange(min=0, max=100)])
    watch_percent = IntegerField(
        _l("Share of the video to watch, % (empty: the site's default)"),
        validators=[Optional(), NumberRange(min=1, max=100)])
    published = BooleanField(_l("Published"))
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Save"))

    def validate_min_posts(self, field):
        message = rule_error(self.completion_rule.data, field.data)
        if message and self.completion_rule.data == "posts":
            raise ValidationError(message)


class UploadForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired()])
    submit = SubmitField(_l("Upload"))


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[DataRequired()])
