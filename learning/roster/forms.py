"""Roster upload form (validate only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, SubmitField

from learning.uploads import FileNameLength


class RosterUploadForm(FlaskForm):
    file = FileField(_l("Roster file (CSV or XLSX)"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["csv", "xlsx"], _l("Only .csv and .xlsx files can be imported.")),
        FileNameLength(),
    ])
    submit = SubmitField(_l("Check the file (dry run)"))


class RosterApplyForm(FlaskForm):
    token = HiddenField()
    submit = SubmitField(_l("Import now"))
