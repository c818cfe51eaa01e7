"""HMAC checks over the raw request bytes, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def matches(expected: str, given: str | None) -> bool:
    return hmac.compare_digest(expected.encode(), (given or "").encode())
