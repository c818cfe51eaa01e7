"""Inbound webhooks: verify over the raw bytes, parse, store, apply, answer."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from ..timeutil import utcnow
from . import generic
from .errors import PayloadError, SignatureError
from .intake import accept, record_rejected

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def error_response(status: int, message: str, details: list[str] | None = None) -> ResponseReturnValue:
    return jsonify({"error": message, "details": details or []}), status


@bp.errorhandler(SignatureError)
def _unauthorised(exc: SignatureError) -> ResponseReturnValue:
    return error_response(401, str(exc))


@bp.post("/generic")
def generic_booking() -> ResponseReturnValue:
    settings = current_app.extensions["recall.settings"]
    if not settings.booking_webhook_secret:
        return error_response(503, "the generic webhook is off: BOOKING_WEBHOOK_SECRET is not set")
    raw = request.get_data(cache=True)
    now = utcnow()
    generic.verify(request.headers, raw, settings.booking_webhook_secret, now)
    try:
        event = generic.parse(raw, region=settings.clinic_region)
    except PayloadError as exc:
        record_rejected(generic.SOURCE, raw, "; ".join([exc.message, *exc.details]), now)
        return error_response(400, exc.message, exc.details)
    body, status = accept(generic.SOURCE, event.event_id, event.type.value, raw, [event], settings, now)
    return jsonify(body), status
