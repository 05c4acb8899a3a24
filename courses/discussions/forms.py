"""Discussion forms (validate only; discussions.services does the writing and the rules).

The services own every rule about the text (blank, too long) and say what is wrong and where
(DiscussionError.field names the form field); a form adds the CSRF check and the fields' shape.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired

from courses.discussions.services import REASON_MAX, TITLE_MAX

BODY_HELP = _l("Markdown: **bold**, *italic*, > quote, - list, [link](https://...). "
               "Write @username to notify someone.")


class ThreadForm(FlaskForm):
    """Open a thread: title, first post, and where it is open (`where`, see views)."""

    title = StringField(_l("Title"), render_kw={"maxlength": TITLE_MAX})
    body = TextAreaField(_l("First post"), description=BODY_HELP,
                         render_kw={"rows": 5})
    # "module", "group-<unit id>" or "topic-<unit id>" (a leader's pinned lesson topic).
    where = SelectField(_l("Open to"), validators=[DataRequired()])
    submit = SubmitField(_l("Open the thread"))


class PostForm(FlaskForm):
    """A post in a thread; `parent_id` names the post it replies to (quoted above it)."""

    body = TextAreaField(_l("Your post"), description=BODY_HELP,
                         render_kw={"rows": 4})
    parent_id = HiddenField()
    submit = SubmitField(_l("Post"))


class EditForm(FlaskForm):
    """Change one's own post within the edit window."""

    body = TextAreaField(_l("Your post"), description=BODY_HELP,
                         render_kw={"rows": 6})
    submit = SubmitField(_l("Save"))


class ReasonForm(FlaskForm):
    """Report a post, or hide it as a moderator: the reason is shown to the right people."""

    reason = StringField(_l("Reason"), render_kw={"maxlength": REASON_MAX})
    submit = SubmitField(_l("Send"))


class ResolveForm(FlaskForm):
    """Decide a report with one of two buttons: hide the post (with a reason for its author)
    or dismiss the report."""

    reason = StringField(_l("Reason for the author (empty: the report's reason)"),
                         render_kw={"maxlength": REASON_MAX})
    hide = SubmitField(_l("Hide the post"))
    dismiss = SubmitField(_l("Dismiss the report"))
