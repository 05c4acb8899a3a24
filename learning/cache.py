"""The shared cache, used through `cached(key, compute, timeout)` so an outage never breaks a page.

The backend is Flask-Caching's (learning/config.py picks it): Redis when REDIS_URL is set, so
every worker and server behind the load balancer shares one copy; otherwise a per-process
memory cache. Redis errors reach the caller as exceptions (cachelib does not swallow them), so
this wrapper catches them: the value is computed as if nothing was cached, the failure is
logged, and the cache is left alone for a short while so that a dead or unreachable Redis costs
each request nothing more than the computation it would have done anyway.

Keys must change whenever the cached value could (a version read from the database is part of
each key), so nothing here ever needs to delete an entry: old keys simply expire.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app

from learning.extensions import cache

log = logging.getLogger(__name__)
T = TypeVar("T")

# After a failure, skip the cache in this process for this long (then try again).
RETRY_AFTER_SECONDS = 30.0
_DOWN_UNTIL = "studyhall.cache_down_until"  # app.extensions key: per app, not per module


def cached(key: str, compute: Callable[[], T], timeout: int) -> T:
    """The value stored under `key`, or `compute()` stored there for `timeout` seconds.

    Any cache failure (Redis down, timed out, a value that no longer unpickles) is logged and
    answered with `compute()`; errors raised by `compute` itself propagate untouched.
    """
    if _cache_down():
        return compute()
    try:
        value = cache.get(key)
    except Exception as error:  # a cache must never break a page, whatever it raises
        _mark_down("read", key, error)
        return compute()
    if value is not None:
        return value
    value = compute()
    try:
        cache.set(key, value, timeout=timeout)
    except Exception as error:
        _mark_down("write", key, error)
    return value


def digest(*parts: object) -> str:
    """A short, stable hex digest of `parts` (their reprs), for keys built from many values."""
    text = "\x1f".join(repr(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _cache_down() -> bool:
    return time.monotonic() < current_app.extensions.get(_DOWN_UNTIL, 0.0)


def _mark_down(operation: str, key: str, error: Exception) -> None:
    current_app.extensions[_DOWN_UNTIL] = time.monotonic() + RETRY_AFTER_SECONDS
    log.warning("cache %s failed for %s (%s: %s); computing without the cache for %ds",
                operation, key, type(error).__name__, error, RETRY_AFTER_SECONDS)
