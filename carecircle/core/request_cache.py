"""Values worth reading once per request: a page that shows fifty catalogue codes, a check-in that asks for four
policy values. Within a request (RequestCacheMiddleware) `cached` keeps what its loader returned; outside one
(a task, a command, a test calling a service) it loads every time, so nothing outlives the request."""
from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable
from typing import Any

_store: contextvars.ContextVar[dict | None] = contextvars.ContextVar("request_cache", default=None)


@contextlib.contextmanager
def request_scope():
    token = _store.set({})
    try:
        yield
    finally:
        _store.reset(token)


def cached(key: str, loader: Callable[[], Any]) -> Any:
    store = _store.get()
    if store is None:
        return loader()
    if key not in store:
        store[key] = loader()
    return store[key]


def forget(key: str) -> None:
    """What was kept under `key` changed during the request: the next `cached` loads it again."""
    store = _store.get()
    if store is not None:
        store.pop(key, None)
