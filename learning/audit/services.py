"""Writing the audit log."""

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from learning.audit.models import AuditEntry
from learning.extensions import db


def record(
    action: str,
    summary: str,
    *,
    target: Any = None,
    details: dict[str, Any] | None = None,
    actor: Any = None,
) -> AuditEntry:
    """Log an admin or leader action in the current transaction (so it commits with the change)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None) or "system",
        action=action,
        target_type=type(target).__name__ if target is not None else None,
        target_id=getattr(target, "id", None),
        summary=summary[:500],
        details=details,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
