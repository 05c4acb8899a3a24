"""Forms for the organisation tree (validate only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

KIND_CHOICES = [
    ("committee", _l("Committee (团委)")),
    ("general_branch", _l("General branch (团总支)")),
    ("branch", _l("Branch (团支部)")),
    ("group", _l("Study group (学习小组)")),
]


class UnitForm(FlaskForm):
    name = StringField(_l("Unit name"), validators=[DataRequired(), Length(max=64)])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    parent_id = SelectField(_l("Parent unit"), coerce=int)
    position = IntegerField(_l("Order among siblings"), default=0,
                            validators=[Optional(), NumberRange(min=0, max=10000)])
    submit = SubmitField(_l("Save"))
