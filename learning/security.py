"""The security frame: headers, CSRF, proxies, safe redirects.

- Security headers come from Flask-Talisman: a Content-Security-Policy that allows scripts and
  styles from our own host only (no inline script), frame-ancestors 'none', nosniff and a
  strict Referrer-Policy.
- CSRF (Flask-WTF) is checked for every unsafe request here, in one place, except API calls that
  authenticate with a bearer token: a browser never sends those on its own, so they cannot be
  forged cross-site; API calls made with the session cookie are checked like forms, and API calls
  with neither are refused with 401 by the API frame (learning/api.py).
"""

from urllib.parse import unquote, urlsplit

from flask import Flask, request, url_for
from flask_login import current_user
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

from learning.extensions import csrf

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "media-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def init_app(app: Flask) -> None:
    if app.config["PROXY_COUNT"]:
        # Behind a load balancer: trust exactly PROXY_COUNT hops of X-Forwarded-*, so rate limits
        # and the logs see the member's address, not the balancer's.
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    # One Talisman per app: its options live on the instance, and tests build several apps.
    Talisman(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        x_content_type_options=True,
        permissions_policy={"camera": "()", "microphone": "()", "geolocation": "()"},
    )

    @app.before_request
    def _check_csrf():
        if request.method not in UNSAFE_METHODS:
            return
        if request.path.startswith("/api/") and (
            request.headers.get("Authorization", "").startswith("Bearer ")
            # No session and no token: nothing to forge; the API answers 401, as documented.
            or not current_user.is_authenticated
        ):
            return
        csrf.protect()


def is_safe_redirect(target: str | None) -> bool:
    """Only paths on our own site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target:
        return False
    # Check the decoded form too: "/%09/evil" must not pass just because it is encoded.
    return _is_local_path(target) and _is_local_path(unquote(target))


def _is_local_path(target: str) -> bool:
    # Browsers drop tabs/newlines inside URLs and treat "\" like "/": "/\t/evil" and "/\evil"
    # would both leave the site, so any such character disqualifies the target.
    if any(ch in target for ch in "\\\t\r\n") or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return False
    return target.startswith("/") and not target.startswith("//")


def safe_next(target: str | None, default_endpoint: str = "home.index") -> str:
    """`target` when it is one of our own paths, else the home page."""
    return target if is_safe_redirect(target) else url_for(default_endpoint)
