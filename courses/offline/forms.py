"""Forms for offline group lessons (validate only; the service checks the rules and saves)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from courses.offline.services import NOTES_MAX, PLACE_MAX, TOPIC_MAX


class LessonForm(FlaskForm):
    """Date, place, topic, notes, modules and attendees of an offline lesson.

    Module and attendee choices are rendered as checkboxes by the template; the choices are not
    checked here (validate_choice=False) because the service refuses anything outside the unit's
    roster or the published modules with a message that names what was wrong.
    """

    held_on = DateField(_l("Date held"), validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=PLACE_MAX)])
    topic = StringField(_l("Topic"), validators=[Optional(), Length(max=TOPIC_MAX)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=NOTES_MAX)])
    module_ids = SelectMultipleField(_l("Modules covered"), coerce=int, validate_choice=False)
    attendee_ids = SelectMultipleField(_l("Attendees"), coerce=int, validate_choice=False)
    select_all = SubmitField(_l("Tick everyone"))
    save = SubmitField(_l("Save"))
