"""The one booking-webhook handler: verify over the raw bytes, parse, keep a rejected post, accept the rest.

What differs between booking systems is a `Provider` entry (service/webhooks/providers.py): its path, whether it
is configured, how it verifies, how it parses (every parser returns a `WebhookPost`) and how it words an error. The
handler never asks which provider it serves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import Headers

from ..runtime import get_settings
from ..settings import Settings
from ..timeutil import utcnow
from .errors import PayloadError, SignatureError, UpstreamError
from .intake import accept, record_rejected
from .posts import WebhookPost

log = logging.getLogger(__name__)

# What went wrong, for a provider that words each problem its own way (FHIR's OperationOutcome codes): the webhook
# is off (503), the signature fails (401), the body cannot be used (400/422), its events name an appointment not known
# here (422), the provider's API did not answer (502).
Problem = Literal["off", "signature", "payload", "unknown", "upstream"]
Answer = Callable[[int, Problem, str, list[str]], ResponseReturnValue]


def error_response(status: int, message: str, details: list[str] | None = None) -> ResponseReturnValue:
    """Recall's JSON error: `{"error": …, "details": […]}`."""
    return jsonify({"error": message, "details": details or []}), status


def json_error(status: int, problem: Problem, message: str, details: list[str]) -> ResponseReturnValue:
    return error_response(status, message, details)


@dataclass(frozen=True)
class Provider:
    """One booking system, as the handler sees it."""

    source: str  # webhook_event.source
    path: str  # under /webhooks; the metrics' provider label is derived from it
    endpoint: str  # the Flask endpoint name
    configured: Callable[[Settings], bool]
    off: str  # the 503 answer while `configured` is false: names the settings to set
    verify: Callable[[Settings, Headers, bytes, datetime], None]  # raises SignatureError
    parse: Callable[[Settings, bytes, datetime], WebhookPost]  # raises PayloadError (kept as rejected) or UpstreamError
    answer: Answer = json_error
    rejected_status: int = 422  # a body that was signed but cannot be used


def handle(provider: Provider) -> ResponseReturnValue:
    """Verify, parse, keep a rejected post for staff to see, or store and apply it once."""
    settings = get_settings()
    if not provider.configured(settings):
        return provider.answer(503, "off", provider.off, [])
    raw = request.get_data(cache=True)  # before anything else reads it, so an oversized body is a 413 everywhere
    now = utcnow()
    try:
        provider.verify(settings, request.headers, raw, now)
    except SignatureError as exc:
        log.warning("webhook %s refused: %s", request.path, exc)
        return provider.answer(401, "signature", str(exc), [])
    try:
        post = provider.parse(settings, raw, now)
    except PayloadError as exc:
        # Signed by the provider, so kept (keyed by its bytes) with why it was refused.
        record_rejected(provider.source, raw, "; ".join([exc.message, *exc.details]), now)
        return provider.answer(provider.rejected_status, "payload", exc.message, exc.details)
    except UpstreamError as exc:
        return provider.answer(502, "upstream", f"{exc}; nothing was stored, please retry", [])
    body, status = accept(provider.source, post, raw, settings, now)
    if status >= 400:
        return provider.answer(status, "unknown", str(body.get("error")), [])  # accept's refusals name no fields
    return jsonify(body), status


def view(provider: Provider) -> Callable[[], ResponseReturnValue]:
    """The provider's Flask view: the handler, named as its endpoint (extensions such as the rate limiter key on it)."""

    def serve() -> ResponseReturnValue:
        return handle(provider)

    serve.__name__ = serve.__qualname__ = provider.endpoint
    serve.__module__ = "service.webhooks"
    serve.__doc__ = f"POST /webhooks{provider.path}: {provider.source} bookings, through the one handler."
    return serve
