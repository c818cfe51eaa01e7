"""Inbound webhooks: the booking systems (one handler, one table: handler.py, providers.py) and Twilio's callbacks."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from ..extensions import db
from ..metrics import WEBHOOKS
from ..runtime import get_settings
from ..textclean import storable
from ..timeutil import utcnow
from . import twilio_inbound, twilio_status
from .errors import PayloadError, SignatureError
from .handler import error_response, view
from .providers import PROVIDERS

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger(__name__)


OUTCOME_BY_CODE = {
    400: "rejected",
    401: "unauthorised",
    403: "unauthorised",
    413: "too_large",
    415: "rejected",
    422: "rejected",
    429: "rate_limited",
    502: "upstream_error",
    503: "unavailable",
}


@bp.after_request
def _count(response: Response) -> Response:
    provider = request.path.removeprefix("/webhooks/").strip("/").replace("/", "_")[:32] or "unknown"
    outcome = OUTCOME_BY_CODE.get(response.status_code, "error" if response.status_code >= 500 else str(response.status_code))
    if response.status_code == 200:
        body = response.get_json(silent=True) if response.is_json else None
        outcome = str(body.get("status", "ok"))[:32] if isinstance(body, dict) else "ok"
    WEBHOOKS.labels(provider=provider, outcome=outcome).inc()
    return response


for _provider in PROVIDERS:  # every booking system: the one handler, fed its entry
    bp.add_url_rule(_provider.path, endpoint=_provider.endpoint, view_func=view(_provider), methods=["POST"])


def twilio_form(what: str) -> tuple[dict[str, str] | None, ResponseReturnValue | None]:
    """Twilio's form, checked against its signature over the public URL, then made storable; or the error answer."""
    settings = get_settings()
    if not (settings.twilio_auth_token and settings.public_base_url):
        return None, error_response(503, f"{what} is off: TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL must be set")
    url = twilio_status.public_url(settings.public_base_url, request.path, request.query_string)
    try:
        twilio_status.verify(settings.twilio_auth_token, url, request.form, request.headers.get(twilio_status.SIGNATURE_HEADER))
    except SignatureError as exc:
        return None, error_response(403, str(exc))
    return {k: storable(v) or "" for k, v in request.form.items()}, None


@bp.post("/twilio/status")
def twilio_status_callback() -> ResponseReturnValue:
    """Delivery receipts; `?reminder=<id>` names our reminder. 403 on a bad signature (Twilio's convention)."""
    form, refusal = twilio_form("status callbacks")
    if form is None:
        assert refusal is not None  # twilio_form gives one or the other
        return refusal
    reminder_id = request.args.get("reminder", type=int)
    if reminder_id is not None and not 0 < reminder_id < 2**31:
        return error_response(400, "reminder must be one of our reminder ids", [f"reminder: {reminder_id}"])
    try:
        outcome = twilio_status.record_status(db.session, form, reminder_id, get_settings(), utcnow())
    except PayloadError as exc:
        db.session.rollback()
        return error_response(400, exc.message, exc.details)
    db.session.commit()
    return jsonify({"status": outcome}), 200


@bp.post("/twilio/inbound")
def twilio_inbound_message() -> ResponseReturnValue:
    """Patients' replies; answered with TwiML. 403 on a bad signature."""
    form, refusal = twilio_form("inbound SMS")
    if form is None:
        assert refusal is not None  # twilio_form gives one or the other
        return refusal
    try:
        reply = twilio_inbound.handle_inbound(db.session, form, get_settings(), utcnow())
    except PayloadError as exc:
        db.session.rollback()
        return error_response(400, exc.message, exc.details)
    db.session.commit()
    return twilio_inbound.twiml(reply), 200, {"Content-Type": "text/xml; charset=utf-8"}
