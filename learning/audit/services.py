"""Writing the audit log."""

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from learning.audit.models import AuditEntry
from learning.extensions import db
from learning.messages import AUDIT_ACTIONS


def record(
    action: str,
    params: dict[str, Any],
    *,
    target: Any = None,
    details: dict[str, Any] | None = None,
    actor: Any = None,
) -> AuditEntry:
    """Log an admin or leader action in the current transaction (so it commits with the change).

    `action` is a key of learning.messages.AUDIT_ACTIONS and `params` fills its sentence (names
    of what was acted on, as they are now); the entry is put into words when it is read, in the
    reader's language. The actor's display name is added as `actor`.
    """
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    params = {name: value if isinstance(value, int | float) or value is None else str(value)
              for name, value in params.items()}
    if actor is not None:
        params.setdefault("actor", getattr(actor, "display_name", None)
                          or getattr(actor, "username", ""))
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None) or "system",
        action=action,
        target_type=type(target).__name__ if target is not None else None,
        target_id=getattr(target, "id", None),
        params=params,
        details=details,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
