"""Webhook errors carry the words the sender needs to fix its request."""

from __future__ import annotations


class SignatureError(Exception):
    """Not from who it claims to be (401); nothing is stored."""


class PayloadError(Exception):
    """Signed correctly, but not something we can use; `details` names each field."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class UpstreamError(Exception):
    """The provider's own API did not give us what the post names (502); nothing is stored, the sender retries."""
