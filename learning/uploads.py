"""The name of an uploaded file: how long a name the app keeps, checked before it is stored.

A browser sends whatever name the file has on the user's disk. The tables that keep it (staged
files, attachments) hold MAX_FILE_NAME characters; a longer name is refused with a message
before it reaches the database (PostgreSQL would refuse the INSERT, SQLite would keep it all).
"""

from flask_babel import gettext as _
from wtforms.validators import StopValidation

MAX_FILE_NAME = 255  # characters


def file_name_error(name: str | None) -> str | None:
    """Why an uploaded file's name cannot be kept (a message for its uploader), or None."""
    if name and len(name) > MAX_FILE_NAME:
        return _("The file name is %(length)d characters long; rename the file to at most "
                 "%(max)d characters and upload it again.", length=len(name), max=MAX_FILE_NAME)
    return None


class FileNameLength:
    """Form validator: refuse an uploaded file whose name is longer than MAX_FILE_NAME."""

    def __call__(self, form, field) -> None:
        message = file_name_error(getattr(field.data, "filename", None))
        if message is not None:
            raise StopValidation(message)
