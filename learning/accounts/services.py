"""Account rules: creating users, passwords, authentication and personal API tokens.

Services flush, never commit: the request (or CLI command) commits once at the end.
"""

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from learning.accounts.models import ApiToken, LoginEvent, User
from learning.dbtypes import utcnow
from learning.extensions import db

PASSWORD_METHOD = "scrypt"  # noqa: S105 - werkzeug's default scrypt cost (n=2**15, r=8, p=1)
# Generated initial passwords must be changed at first login, where they are re-hashed at full
# cost. Hashing 3,000 of them at full cost would take ~5 minutes on two cores; n=2**12 takes ~15 s.
INITIAL_PASSWORD_METHOD = "scrypt:4096:8:1"  # noqa: S105
# No 0/O, 1/l/I: initial passwords are read off a printout or a phone screen.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105
USERNAME_RE = re.compile(r"^[\w.@-]{2,64}$")
TOKEN_PREFIX = "shk_"  # noqa: S105

# A constant hash to check against when the username is unknown, so a login for a missing
# account costs as much time as one for a real account (no username probing by timing).
_DUMMY_HASH = generate_password_hash("not-a-real-password", method=PASSWORD_METHOD)


class AccountError(ValueError):
    """A rule about accounts was broken; the message is shown to the user."""


def normalise_username(raw: str) -> str:
    """Usernames compare without case and width: 'ＺＨＡＮＧ３' logs in as 'zhang3'."""
    return unicodedata.normalize("NFKC", raw or "").strip().lower()


def hash_password(password: str) -> str:
    """A salted scrypt hash of a chosen password."""
    return generate_password_hash(password, method=PASSWORD_METHOD)


def generate_password(length: int = 10) -> str:
    """A random initial password that is easy to read aloud."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def hash_initial_passwords(passwords: Iterable[str]) -> list[str]:
    """Hash many generated passwords in parallel (hashlib's scrypt releases the GIL)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(
            pool.map(lambda pw: generate_password_hash(pw, method=INITIAL_PASSWORD_METHOD),
                     passwords)
        )


def check_password_policy(password: str) -> None:
    """Raise AccountError when a chosen password is too weak to accept."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise AccountError(_("The password must have at least %(n)d characters.", n=minimum))
    if password.isdigit() or password.isalpha():
        raise AccountError(_("The password must mix letters with digits or symbols."))


def get_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == normalise_username(username)))


def create_user(
    username: str,
    display_name: str,
    password: str,
    *,
    is_admin: bool = False,
    phone: str | None = None,
    must_change_password: bool = False,
) -> User:
    """Create an account; the username must be free and well formed."""
    username = normalise_username(username)
    if not USERNAME_RE.match(username):
        raise AccountError(
            _("A username has 2 to 64 letters, digits or the characters . _ @ -.")
        )
    if get_by_username(username) is not None:
        raise AccountError(_("The username %(u)s is already taken.", u=username))
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        phone=phone,
        password_hash=hash_password(password),
        is_admin=is_admin,
        must_change_password=must_change_password,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(username: str, password: str, ip: str | None, user_agent: str | None):
    """Check a login; returns (user or None, reason) and logs the attempt either way."""
    name = normalise_username(username)
    user = db.session.scalar(select(User).where(User.username == name)) if name else None
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        reason = "unknown_user"
    elif not check_password_hash(user.password_hash, password):
        reason = "bad_password"
    elif not user.active:
        reason = "inactive"
    else:
        reason = "ok"
        user.last_login_at = utcnow()
    record_login(name[:64], user, reason, ip, user_agent)
    return (user if reason == "ok" else None), reason


def record_login(username, user, reason, ip, user_agent) -> LoginEvent:
    """Keep one login attempt in the login log and the application log."""
    event = LoginEvent(
        username=username,
        user_id=user.id if user is not None else None,
        success=reason == "ok",
        reason=reason,
        ip=ip,
        user_agent=(user_agent or "")[:255],
    )
    db.session.add(event)
    log = current_app.logger.info if reason == "ok" else current_app.logger.warning
    log("login %s for %r from %s", reason, username, ip)
    return event


def end_sessions(user: User) -> None:
    """End everything that proved who the user was: every session, remember-me cookie and
    personal API token. Called on password change, reset and deactivation, so a stolen token
    or cookie dies with the password it was obtained under."""
    user.session_version += 1  # part of the login id: old sessions no longer load
    # Revoked, not only refused: the token list shows why, and reactivating the account later
    # does not bring the old tokens back.
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )


def set_password(user: User, password: str, *, must_change: bool = False) -> None:
    """Store a new password and end the user's sessions and API tokens."""
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    end_sessions(user)


def change_password(user: User, current: str, new: str) -> None:
    """A user changes their own password after proving they know the current one."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError(_("The current password is not correct."))
    if new == current:
        raise AccountError(_("The new password must differ from the current one."))
    check_password_policy(new)
    set_password(user, new)


def reset_password(user: User) -> str:
    """An admin resets a password: returns a new one to hand over, to be changed at next login."""
    password = generate_password()
    set_password(user, password, must_change=True)
    return password


def set_active(user: User, active: bool) -> None:
    """Activate or deactivate an account; deactivation ends its sessions and tokens at once."""
    user.active = active
    if not active:
        end_sessions(user)


def count_admins() -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.is_admin, User.active)
    )


# --- personal API tokens -------------------------------------------------------------------


def _digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough; a slow one would only slow the API.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str, expires_at: datetime | None = None):
    """Create a token; returns (ApiToken, the plain token shown once)."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name.strip()[:64] or "token",
        token_hash=_digest(plain),
        prefix=plain[: len(TOKEN_PREFIX) + 4],
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    return token, plain


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()


def user_for_token(plain: str) -> User | None:
    """The active user a bearer token belongs to, or None if unknown, revoked or expired."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plain)))
    now = utcnow()
    if token is None or not token.is_usable(now) or not token.user.active:
        return None
    token.last_used_at = now
    return token.user
