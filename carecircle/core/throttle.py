"""Counting anonymous writes in fixed windows, in Django's cache (shared by every web process when the cache is
Redis; per process with the embedded default's local-memory cache, which is enough for one process).

`take(scope, ident, limit=…, window=…)` counts one use of `scope` by `ident` (a client address, a notice) and
says how long to wait when the limit of the current window is already used up. The identity is stored only as
a keyed hash, so the cache holds no addresses. Callers raise `RateLimited` with a sentence for the reader;
pages answer it with 429, the API with 429 and `Retry-After` (core.errors).
"""
from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings
from django.core.cache import cache

HOUR = 3600


class RateLimited(Exception):
    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def _key(scope: str, ident: str, slot: int) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{scope}\0{ident}\0{slot}".encode(), hashlib.sha256)
    return f"throttle:{scope}:{digest.hexdigest()[:32]}"


def take(scope: str, ident: str, *, limit: int, window: int = HOUR, now: float | None = None) -> int | None:
    """Count one use; None when it is within `limit` for the current window, else the seconds until the window
    ends (the use is counted either way)."""
    now = time.time() if now is None else now
    slot = int(now // window)
    key = _key(scope, ident, slot)
    cache.add(key, 0, timeout=window + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 60)
        count = 1
    if count > limit:
        return max(1, int((slot + 1) * window - now))
    return None
