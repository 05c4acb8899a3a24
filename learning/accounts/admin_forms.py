"""Forms admins use to manage people (validate only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp

PHONE_RE = r"^1[3-9]\d{9}$"


class MemberSearchForm(FlaskForm):
    """GET filters for the member list (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name, username or phone"), validators=[Optional(), Length(max=64)])
    unit = SelectField(_l("Unit (and below)"), coerce=int, validators=[Optional()])
    role = SelectField(_l("Role"), validators=[Optional()], choices=[
        ("", _l("Any role")), ("member", _l("Member")), ("leader", _l("Leader")),
        ("admin", _l("Admin")), ("inactive", _l("Deactivated")),
    ])


class MemberForm(FlaskForm):
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), Regexp(
        PHONE_RE, message=_l("A mobile number has 11 digits and starts with 1."))])
    is_admin = BooleanField(_l("Administrator"))
    submit = SubmitField(_l("Save"))


class MembershipForm(FlaskForm):
    unit_id = SelectField(_l("Unit"), coerce=int)
    role = SelectField(_l("Role"), choices=[("member", _l("Member")), ("leader", _l("Leader"))])
    submit = SubmitField(_l("Add or change"))


class NewMemberForm(MemberForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=2, max=64)])
