"""Pages: the notification centre.

- /notifications[?page=n]       my notifications, newest first, unread ones marked
- /notifications/<id>/open      mark it read and go where it leads (local paths only)
- /notifications/read-all       POST: mark every one of mine read
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from learning.bounds import page_arg
from learning.extensions import db
from learning.notifications import services
from learning.notifications.models import Notification
from learning.permissions import require
from learning.security import is_safe_redirect

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PER_PAGE = 20

KIND_LABELS = {
    "reply": _l("Reply"),
    "mention": _l("Mention"),
    "moderation": _l("Moderation"),
    "reminder": _l("Reminder"),
    "report": _l("Report"),
}


@bp.before_request
@login_required
def _logged_in():
    """Every page here is about the logged-in user's own notifications."""


@bp.get("/")
def index():
    """My notifications, newest first; unread ones stand out until opened."""
    page = db.paginate(services.recent_select(current_user.id),
                       page=request.args.get("page", 1, type=page_arg), per_page=PER_PAGE,
                       error_out=False)
    return render_template("notifications/index.html", page=page, kind_labels=KIND_LABELS)


@bp.get("/<int:notification_id>/open")
def open_notification(notification_id: int):
    """Mark one of my notifications read, then follow it (only ever to a path on this site)."""
    notification = db.session.get(Notification, notification_id)
    require(notification is not None and notification.user_id == current_user.id)
    services.mark_read(current_user.id, [notification.id])
    if is_safe_redirect(notification.url):
        return redirect(notification.url)
    return redirect(url_for("notifications.index"))


@bp.post("/read-all")
def read_all():
    """Mark all my notifications read."""
    count = services.mark_read(current_user.id)
    if count:
        flash(_("All notifications are marked read."), "info")
    return redirect(url_for("notifications.index"))
