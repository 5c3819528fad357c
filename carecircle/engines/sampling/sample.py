from __future__ import annotations

import hashlib
from decimal import Decimal

_SCALE = 2 ** 64


def sample_point(key, salt: str) -> Decimal:
    """A point in [0, 1) fixed by the key and the salt (SHA-256, first eight bytes)."""
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return Decimal(int.from_bytes(digest[:8], "big")) / Decimal(_SCALE)


def in_sample(key, salt: str, share) -> bool:
    """Whether the record `key` is in the sample drawn with `salt` (e.g. the month "2026-11") at `share`
    (0 takes nothing, 1 takes everything)."""
    share = Decimal(str(share))
    if share <= 0:
        return False
    if share >= 1:
        return True
    return sample_point(key, salt) < share
