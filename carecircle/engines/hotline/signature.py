"""Signed device messages: X-Signature = hex HMAC-SHA256 of `timestamp + "\n" + body` under the device's secret.

`verify` answers None when the message may be processed, else the problem; the comparison takes constant
time, and a timestamp more than `window` seconds away from now (in either direction) is refused, so a
captured message cannot be replayed later."""
from __future__ import annotations

import hashlib
import hmac
from enum import Enum


class SignatureProblem(str, Enum):
    MISSING = "missing"          # a header is absent or empty
    BAD_TIMESTAMP = "bad_timestamp"  # not whole Unix seconds
    EXPIRED = "expired"          # older than the window
    FUTURE = "future"            # later than the window
    MISMATCH = "mismatch"        # the signature is not the device's


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    message = str(timestamp).encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def parse_timestamp(value: str | None) -> int | None:
    value = (value or "").strip()
    if not value or not value.isdigit() or len(value) > 12:
        return None
    return int(value)


def verify(*, secret: str, timestamp: str | None, body: bytes, signature: str | None, now: float,
           window: int = 300) -> SignatureProblem | None:
    if not (timestamp or "").strip() or not (signature or "").strip():
        return SignatureProblem.MISSING
    seconds = parse_timestamp(timestamp)
    if seconds is None:
        return SignatureProblem.BAD_TIMESTAMP
    # The signature first: an unsigned sender learns nothing about the clock window.
    expected = sign(secret, timestamp.strip(), body)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        return SignatureProblem.MISMATCH
    if seconds < now - window:
        return SignatureProblem.EXPIRED
    if seconds > now + window:
        return SignatureProblem.FUTURE
    return None
