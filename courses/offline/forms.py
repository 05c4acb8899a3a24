"""Forms for offline group lessons (validate only; the service checks the rules and saves)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional

from courses.offline.services import NOTES_MAX, PLACE_MAX, TOPIC_MAX


class LessonForm(FlaskForm):
    """Date, place, topic, notes, modules and attendees of an offline lesson.

    Module and attendee choices are rendered as checkboxes by the template; the choices are not
    checked here (validate_choice=False) because the service refuses anything outside the unit's
    roster or the published modules with a message that names what was wrong. The form only
    reads the input (a date it cannot read is its error); every rule is the service's, so the
    page reports all problems at once, in the same words as the API.
    """

    held_on = DateField(_l("Date held"), validators=[Optional()], render_kw={"required": True})
    place = StringField(_l("Place"), validators=[Optional()],
                        render_kw={"required": True, "maxlength": PLACE_MAX})
    topic = StringField(_l("Topic"), validators=[Optional()], render_kw={"maxlength": TOPIC_MAX})
    notes = TextAreaField(_l("Notes"), validators=[Optional()],
                          render_kw={"maxlength": NOTES_MAX})
    module_ids = SelectMultipleField(_l("Modules covered"), coerce=int, validate_choice=False)
    attendee_ids = SelectMultipleField(_l("Attendees"), coerce=int, validate_choice=False)
    select_all = SubmitField(_l("Tick everyone"))
    save = SubmitField(_l("Save"))
