"""Assignment forms (validate only; courses.study.services does the writing)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError


class AssignmentForm(FlaskForm):
    """Assign a course (or one module of it) to a unit for a study period (local times)."""

    course_id = SelectField(_l("Course"), coerce=int, validators=[DataRequired()])
    module_id = SelectField(_l("Module"), coerce=int, validators=[Optional()],
                            description=_l("Leave at 'whole course' to assign every module."))
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[DataRequired()])
    title = StringField(_l("Title (e.g. 第12期)"), validators=[Optional(), Length(max=100)])
    starts_at = DateTimeLocalField(_l("Starts"), format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired()])
    due_at = DateTimeLocalField(_l("Due"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    submit = SubmitField(_l("Assign"))

    def validate_due_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The due time must be after the start time."))


class ExtendForm(FlaskForm):
    """A later due time for an open period (local time)."""

    due_at = DateTimeLocalField(_l("New due time"), format="%Y-%m-%dT%H:%M",
                                validators=[DataRequired()])
    submit = SubmitField(_l("Extend"))
