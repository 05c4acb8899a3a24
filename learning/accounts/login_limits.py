"""The limits on failed logins, in one place (learning/accounts/views.py applies them).

- Per account (`LOGIN_LIMIT_PER_ACCOUNT`, 5 per 15 minutes): an account with that many failed
  logins is locked until its window passes. It is refused before its password is checked, so the
  right password does not get in either: a guesser cannot tell a hit from a miss.
- Per address (`LOGIN_LIMIT_PER_ADDRESS`, 30 per 15 minutes): an address past that many failures
  is not shut out, because a classroom behind one NAT would then be locked out by its neighbours'
  typos. Instead each further failure from it locks the account it was aimed at at once: the
  right password for an account that is not locked still logs in, while a guesser behind that
  address gets one try per account and window instead of five.

Only failures count. The counters live in the rate limiter's storage (Redis when configured), so
every worker and every server shares them; the keys carry `RATELIMIT_KEY_PREFIX`.
"""

from flask import current_app
from limits import RateLimitItem, parse

from learning.extensions import limiter


def account_locked(username: str) -> bool:
    """True while the account (a normalised username) has used up its failed logins."""
    if not limiter.enabled:
        return False
    return not limiter.limiter.test(_account_limit(), *_keys("login-account", username))


def record_failure(username: str, address: str) -> None:
    """Count a failed login against the account and the address it came from."""
    if not limiter.enabled:
        return
    account = _account_limit()
    address_ok = limiter.limiter.hit(parse(current_app.config["LOGIN_LIMIT_PER_ADDRESS"]),
                                     *_keys("login-address", address))
    # Past the address limit, one failure spends the account's whole allowance.
    limiter.limiter.hit(account, *_keys("login-account", username),
                        cost=1 if address_ok else account.amount)


def _account_limit() -> RateLimitItem:
    return parse(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])


def _keys(scope: str, who: str) -> list[str]:
    # The same prefix Flask-Limiter puts on its own keys: two sites may share one Redis.
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX")
    return [prefix, scope, who] if prefix else [scope, who]
