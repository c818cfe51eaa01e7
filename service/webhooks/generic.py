"""The generic booking webhook: Recall's own contract, for any booking system (docs/webhooks.md)."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator

from ..contacts import ContactError, normalise_email, normalise_phone
from ..domain.events import AppointmentInfo, BookingEvent, CourseInfo, EventType, PatientInfo
from ..textclean import known_zone
from .errors import PayloadError, SignatureError
from .instants import instant, minutes
from .jsonbody import read_json
from .posts import WebhookPost, language_of_locale
from .signatures import hmac_sha256_hex, matches

SOURCE = "generic"
TOLERANCE_SECONDS = 300
TIMESTAMP_HEADER = "X-Recall-Timestamp"
SIGNATURE_HEADER = "X-Recall-Signature"


def verify(headers: Any, raw: bytes, secret: str, now: datetime) -> None:
    """`X-Recall-Signature: sha256=<hex HMAC-SHA256 over "<timestamp>.<raw body>">`, timestamp within 300 s."""
    stamp = (headers.get(TIMESTAMP_HEADER) or "").strip()
    if not stamp:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} header")
    try:
        sent_at = int(stamp)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} must be unix seconds") from None
    if abs(now.timestamp() - sent_at) > TOLERANCE_SECONDS:
        raise SignatureError(f"{TIMESTAMP_HEADER} is more than {TOLERANCE_SECONDS} s away from now")
    given = (headers.get(SIGNATURE_HEADER) or "").strip()
    if not given:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    expected = "sha256=" + hmac_sha256_hex(secret, stamp.encode() + b"." + raw)
    if not matches(expected, given):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body")


@cache
def schema_validator() -> Draft202012Validator:
    schema = json.loads(files("service.webhooks").joinpath("generic_booking.schema.json").read_text())
    return Draft202012Validator(schema)


def _where(path: Any) -> str:
    return ".".join(str(p) for p in path) or "(body)"


def parse(raw: bytes, *, region: str) -> WebhookPost:
    """One post, one event: Recall's own contract carries the whole appointment and patient every time."""
    event = _event(read_json(raw), region)
    return WebhookPost(event.event_id, event.type.value, [event])


def _event(body: Any, region: str) -> BookingEvent:
    errors = sorted(schema_validator().iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        details = [f"{_where(e.absolute_path)}: {e.message}" for e in errors[:20]]
        raise PayloadError(f"the body does not match the schema ({details[0]})", details)

    appt, pat = body["appointment"], body["patient"]
    phone = email = None
    try:
        if pat.get("phone"):
            phone = normalise_phone(pat["phone"], region)
    except ContactError as exc:
        raise PayloadError(f"patient.phone: {exc}", [f"patient.phone: {exc}"]) from None
    try:
        if pat.get("email"):
            email = normalise_email(pat["email"])
    except ContactError as exc:
        raise PayloadError(f"patient.email: {exc}", [f"patient.email: {exc}"]) from None
    zone = pat.get("timezone") or None
    if zone and known_zone(zone) is None:
        raise PayloadError("patient.timezone is not an IANA time zone", [f"patient.timezone: {zone!r}"[:200]])

    course = appt.get("course")
    return BookingEvent(
        source=SOURCE,
        event_id=body["id"],
        type=EventType(body["type"].removeprefix("appointment.")),
        occurred_at=instant(body["occurred_at"], "occurred_at"),
        appointment=AppointmentInfo(
            external_id=appt["id"],
            starts_at=instant(appt["starts_at"], "appointment.starts_at"),
            duration_minutes=minutes(appt.get("duration_minutes", 10), "appointment.duration_minutes"),
            treatment=appt.get("treatment") or "mesotherapy",
            area=appt.get("area") or "",
            timezone=zone,
            course=CourseInfo(course["id"], course.get("sessions_planned"), course.get("kind")) if course else None,
        ),
        patient=PatientInfo(
            external_id=pat["id"],
            first_name=pat["first_name"],
            last_name=pat.get("last_name") or "",
            phone=phone,
            email=email,
            timezone=zone,
            language=language_of_locale(pat.get("language")),  # the closest language Recall has, else the clinic's
            sms_consent=pat.get("sms_consent"),
            email_consent=pat.get("email_consent"),
            whatsapp_consent=pat.get("whatsapp_consent"),
            preferred_channel=pat.get("preferred_channel") or None,
        ),
    )
