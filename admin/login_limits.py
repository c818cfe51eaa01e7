"""Attempt limits for sign-in and second-factor codes, counted *before* the secret is checked.

Flask-Limiter's `deduct_when` counts after the view has answered, so parallel guesses all pass the test before any is
counted. Here each attempt takes a slot atomically (a moving window: one Lua script in Redis, a per-key lock in memory)
and only then is the password or code verified. Each app has its own storage, so two app instances sharing
RATELIMIT_STORAGE_URI=redis://… share the counts and two test apps in one process do not.
"""

from __future__ import annotations

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

SIGN_IN = parse("10 per minute")  # per client address and per account
CODES = parse("5 per minute")  # second-factor codes, per account


class AttemptLimits:
    def __init__(self, storage_uri: str) -> None:
        self.storage = storage_from_string(storage_uri)
        self.window = MovingWindowRateLimiter(self.storage)

    def take(self, item: RateLimitItem, *keys: str) -> bool:
        """Count one attempt against each key in turn; False at the first one over its limit (refuse the attempt)."""
        return all(self.window.hit(item, "recall", key) for key in keys)

    def clear(self, item: RateLimitItem, key: str) -> None:
        self.window.clear(item, "recall", key)

    def reset(self) -> None:
        self.storage.reset()


def init_limits(app: Flask, storage_uri: str) -> None:
    app.extensions["recall.attempts"] = AttemptLimits(storage_uri)


def attempts() -> AttemptLimits:
    limits: AttemptLimits = current_app.extensions["recall.attempts"]
    return limits
