"""Cal.com: `X-Cal-Signature-256` is the hex HMAC-SHA256 of the raw body with `CALCOM_WEBHOOK_SECRET`.

BOOKING_CREATED, BOOKING_RESCHEDULED (a new booking `uid` replacing `rescheduleUid`)
and BOOKING_CANCELLED become domain events; every other trigger is acknowledged and
ignored. Cal.com has no post id, so posts are told apart by
(trigger, booking uid, createdAt).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.events import AppointmentInfo, BookingEvent, EventType, PatientInfo
from ..textclean import known_zone
from .errors import PayloadError, SignatureError
from .instants import between, instant, minutes, received_at
from .posts import (
    WebhookPost,
    bounded,
    digest_id,
    email_or_warning,
    json_envelope,
    language_of_locale,
    phone_or_warning,
    shape_checked,
    split_name,
)
from .signatures import hmac_sha256_hex, matches

SOURCE = "calcom"
SIGNATURE_HEADER = "X-Cal-Signature-256"
TYPES = {
    "BOOKING_CREATED": EventType.BOOKED,
    "BOOKING_RESCHEDULED": EventType.RESCHEDULED,
    "BOOKING_CANCELLED": EventType.CANCELLED,
}
PHONE_FIELDS = ("attendeePhoneNumber", "phone", "phoneNumber", "smsReminderNumber")


def verify(headers: Any, raw: bytes, secret: str) -> None:
    given = (headers.get(SIGNATURE_HEADER) or "").strip()
    if not given or given == "no-secret-provided":
        raise SignatureError(f"missing {SIGNATURE_HEADER} header (set the webhook's secret in Cal.com)")
    if not matches(hmac_sha256_hex(secret, raw), given.lower()):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body")


def _zone(value: object) -> str | None:
    return known_zone(value)


def _response(responses: dict[str, Any], name: str) -> object:
    field = responses.get(name)
    return field.get("value") if isinstance(field, dict) else field


@shape_checked
def parse(raw: bytes, *, region: str, now: datetime | None = None) -> WebhookPost:
    body, payload = json_envelope(raw, "booking")
    trigger = str(body.get("triggerEvent") or "")
    created = body.get("createdAt")
    event_id = digest_id(trigger, payload.get("uid") or payload.get("bookingUid"), created)
    if trigger not in TYPES:
        return WebhookPost(
            event_id, trigger or "unknown", [], ignored=f"{trigger or 'an event without triggerEvent'} is not used"
        )
    uid = payload.get("uid")
    if not uid:
        raise PayloadError("payload.uid is missing", ["payload.uid: the booking's uid"])
    attendees = payload.get("attendees")
    if not isinstance(attendees, list) or not attendees or not isinstance(attendees[0], dict):
        raise PayloadError("payload.attendees is missing", ["payload.attendees[0]: the patient who booked"])
    attendee: dict[str, Any] = attendees[0]
    starts = instant(payload.get("startTime"), "payload.startTime")
    ends = instant(payload.get("endTime"), "payload.endTime") if payload.get("endTime") else None
    duration = between(starts, ends, "payload.endTime") if ends else minutes(payload.get("length") or 10, "payload.length")
    warnings: list[str] = []
    responses = payload.get("responses")
    if not isinstance(responses, dict):
        responses = {}
    reminder_number = payload.get("smsReminderNumber")
    raw_phone = (
        attendee.get("phoneNumber")
        or reminder_number
        or next((v for v in (_response(responses, f) for f in PHONE_FIELDS) if v), None)
    )
    phone = phone_or_warning(raw_phone, region, "attendee phone", warnings)
    first, last = split_name(attendee.get("name"))
    zone = _zone(attendee.get("timeZone"))
    area = _response(responses, "area")
    patient = PatientInfo(
        external_id=None,  # Cal.com has no person id: the patient is found by phone or email
        first_name=first or "there",
        last_name=last,
        phone=phone,
        email=email_or_warning(attendee.get("email"), "attendee email", warnings),
        timezone=zone,
        language=language_of_locale(
            (attendee.get("language") or {}).get("locale")
            if isinstance(attendee.get("language"), dict)
            else attendee.get("language")
        ),
        # Asking for an SMS reminder number is asking for text reminders; the address was given to book.
        sms_consent=True if (phone and reminder_number) else None,
        email_consent=True if attendee.get("email") else None,
    )
    kind = TYPES[trigger]
    old_uid = payload.get("rescheduleUid") or payload.get("fromReschedule")
    return WebhookPost(
        event_id,
        trigger,
        [
            BookingEvent(
                source=SOURCE,
                event_id=event_id,
                type=kind,
                occurred_at=instant(created, "createdAt") if created else received_at(now, warnings, "createdAt"),
                appointment=AppointmentInfo(
                    external_id=bounded(uid, 255, "payload.uid"),
                    starts_at=starts,
                    duration_minutes=duration,
                    treatment=str(payload.get("type") or payload.get("eventTitle") or "mesotherapy")[:100],
                    area=str(area or "")[:100],
                    timezone=zone,
                ),
                patient=patient,
                replaces_external_id=(
                    bounded(old_uid, 255, "payload.rescheduleUid")
                    if (kind is EventType.RESCHEDULED and old_uid and old_uid != uid)
                    else None
                ),
            )
        ],
        warnings=warnings,
    )
