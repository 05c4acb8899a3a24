"""Series forms (validate only; courses.series.services does the writing)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from courses.series.services import WEEKDAY_NAMES

WEEKDAYS = list(enumerate(WEEKDAY_NAMES))


class SeriesForm(FlaskForm):
    """A weekly series: what is released, to whom, on which days, and each period's times."""

    title = StringField(_l("Title (e.g. 青年大学习)"), validators=[DataRequired(), Length(max=80)])
    course_id = SelectField(_l("Course"), coerce=int, validators=[DataRequired()])
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[DataRequired()])
    module_ids = SelectMultipleField(
        _l("Modules"), coerce=int, validators=[Optional()],
        description=_l("Leave empty to release every published module of the course in order."))
    weekdays = SelectMultipleField(_l("Release days"), coerce=int, choices=WEEKDAYS,
                                   validators=[DataRequired()], default=[0])
    starts_on = DateField(_l("First release on or after"), validators=[DataRequired()])
    start_time = TimeField(_l("Each period starts at"), validators=[InputRequired()])
    due_days = IntegerField(_l("Due after (days)"), default=6,
                            validators=[InputRequired(), NumberRange(min=0, max=60)],
                            description=_l("6: a period released on Monday is due on Sunday."))
    due_time = TimeField(_l("Due at"), validators=[InputRequired()])
    first_number = IntegerField(_l("First period number"), default=1,
                                validators=[InputRequired(), NumberRange(min=1, max=100000)])
    skipped = TextAreaField(
        _l("Skipped days or weeks"), validators=[Optional(), Length(max=5000)],
        description=_l("One per line: a date like 2026-10-05, or a whole week like 2026-W41 "
                       "(a holiday week)."))
    active = BooleanField(_l("Active (create periods on schedule)"), default=True)
    submit = SubmitField(_l("Save"))
