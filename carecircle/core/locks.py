"""One piece of work at a time: a lock named by what is being done, held until the transaction ends.

A workflow step locks the row it moves (`select_for_update`, then it reads the state). Work that makes rows
which do not exist yet — a day's work orders — has no row to lock; two runs at once would both find nothing
and both insert. `hold("workorders.generate", date)` makes the second run wait until the first has
committed, and then find what it made.

* PostgreSQL: a transaction-scoped advisory lock on a 64-bit hash of the name (`pg_advisory_xact_lock`).
* SQLite: nothing more is needed. Every transaction begins IMMEDIATE (settings, checked by `core.checks`), so
  it already holds the database's write lock, and the second run waits at its BEGIN.
"""
from __future__ import annotations

import hashlib

from django.db import connections


def lock_key(*name) -> int:
    """The signed 64-bit number PostgreSQL's advisory locks take, stable across processes and versions."""
    text = "\x1f".join(str(part) for part in name)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def hold(*name, using: str = "default") -> None:
    """Wait for, then hold until commit or rollback, the lock called `name` (e.g. "workorders.generate",
    the date). Must be called inside `transaction.atomic()`: a lock outside a transaction would protect
    nothing."""
    if not name:
        raise ValueError("a lock needs a name")
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("core.locks.hold() must be called inside transaction.atomic()")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(*name)])
