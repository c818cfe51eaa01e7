"""Inbound webhooks: verify over the raw bytes, parse, store, apply, answer."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from ..extensions import db
from ..metrics import WEBHOOKS
from ..runtime import get_settings
from ..textclean import storable
from ..timeutil import utcnow
from . import acuity, calcom, calendly, fhir, generic, twilio_inbound, twilio_status
from .delivery import Delivery
from .errors import PayloadError, SignatureError
from .intake import accept, record_rejected

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger(__name__)


def error_response(status: int, message: str, details: list[str] | None = None) -> ResponseReturnValue:
    return jsonify({"error": message, "details": details or []}), status


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


@bp.errorhandler(SignatureError)
def _unauthorised(exc: SignatureError) -> ResponseReturnValue:
    log.warning("webhook %s refused: %s", request.path, exc)
    return error_response(401, str(exc))


def booking_delivery(
    source: str, secret: str | None, setting: str, verify: Callable[[bytes], None], parse: Callable[[bytes], Delivery]
) -> ResponseReturnValue:
    """Verify over the raw bytes, parse, store, apply, answer: the same steps for every booking system."""
    if not secret:
        return error_response(503, f"the {source} webhook is off: {setting} is not set")
    raw = request.get_data(cache=True)
    now = utcnow()
    verify(raw)
    try:
        delivery = parse(raw)
    except PayloadError as exc:
        record_rejected(source, raw, "; ".join([exc.message, *exc.details]), now)
        return error_response(422, exc.message, exc.details)
    body, status = accept(
        source,
        delivery.event_id,
        delivery.event_type,
        raw,
        delivery.events,
        get_settings(),
        now,
        ignored=delivery.ignored,
        warnings=delivery.warnings,
    )
    return jsonify(body), status


@bp.post("/calcom")
def calcom_booking() -> ResponseReturnValue:
    settings = get_settings()
    secret = settings.calcom_webhook_secret
    return booking_delivery(
        calcom.SOURCE,
        secret,
        "CALCOM_WEBHOOK_SECRET",
        lambda raw: calcom.verify(request.headers, raw, secret or ""),
        lambda raw: calcom.parse(raw, region=settings.clinic_region, now=utcnow()),
    )


@bp.post("/calendly")
def calendly_booking() -> ResponseReturnValue:
    settings = get_settings()
    key = settings.calendly_webhook_signing_key
    return booking_delivery(
        calendly.SOURCE,
        key,
        "CALENDLY_WEBHOOK_SIGNING_KEY",
        lambda raw: calendly.verify(request.headers, raw, key or "", utcnow()),
        lambda raw: calendly.parse(raw, region=settings.clinic_region, now=utcnow()),
    )


@bp.post("/acuity")
def acuity_booking() -> ResponseReturnValue:
    """Acuity posts only ids: verify, then fetch the appointment's current state from Acuity's API."""
    settings = get_settings()
    if not (settings.acuity_api_key and settings.acuity_user_id):
        return error_response(503, "the acuity webhook is off: ACUITY_USER_ID and ACUITY_API_KEY must be set")
    raw = request.get_data(cache=True)
    now = utcnow()
    acuity.verify(request.headers, raw, settings.acuity_api_key)
    try:
        action, appointment_id = acuity.read_form(raw)
        delivery = acuity.ignored(raw, action) or acuity.to_delivery(
            action,
            acuity.fetch(settings.acuity_api_base_url, settings.acuity_user_id, settings.acuity_api_key, appointment_id),
            region=settings.clinic_region,
            now=now,
        )
    except PayloadError as exc:
        record_rejected(acuity.SOURCE, raw, "; ".join([exc.message, *exc.details]), now)
        return error_response(422, exc.message, exc.details)
    except acuity.UpstreamError as exc:
        return error_response(502, f"{exc}; nothing was stored, please retry")
    body, status = accept(
        acuity.SOURCE,
        delivery.event_id,
        delivery.event_type,
        raw,
        delivery.events,
        settings,
        now,
        ignored=delivery.ignored,
        warnings=delivery.warnings,
    )
    return jsonify(body), status


@bp.post("/fhir")
def fhir_appointment() -> ResponseReturnValue:
    """FHIR R4 Appointment or Bundle; every error is an OperationOutcome."""
    settings = get_settings()

    def outcome(status: int, code: str, message: str, details: list[str] | None = None) -> ResponseReturnValue:
        return jsonify(fhir.operation_outcome(code, message, details)), status, {"Content-Type": "application/fhir+json"}

    if not settings.fhir_webhook_token:
        return outcome(503, "transient", "the FHIR webhook is off: FHIR_WEBHOOK_TOKEN is not set")
    raw = request.get_data(cache=True)  # first, so an oversized body is a 413 like everywhere else
    try:
        fhir.verify(request.headers, settings.fhir_webhook_token)
    except SignatureError as exc:
        return outcome(401, "security", str(exc))
    now = utcnow()
    try:
        delivery = fhir.parse(raw, region=settings.clinic_region, now=now)
    except PayloadError as exc:
        record_rejected(fhir.SOURCE, raw, "; ".join([exc.message, *exc.details]), now)
        return outcome(422, "invalid", exc.message, exc.details)
    body, status = accept(
        fhir.SOURCE,
        delivery.event_id,
        delivery.event_type,
        raw,
        delivery.events,
        settings,
        now,
        ignored=delivery.ignored,
        warnings=delivery.warnings,
    )
    if status >= 400:
        return outcome(status, "not-found", str(body.get("error")))
    return jsonify(body), status


@bp.post("/generic")
def generic_booking() -> ResponseReturnValue:
    settings = get_settings()
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
