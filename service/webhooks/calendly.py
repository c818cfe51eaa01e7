"""Calendly (API v2): `Calendly-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`, 3 minutes' tolerance.

invitee.created books (or, with `old_invitee`, reschedules), invitee.canceled
cancels (with `rescheduled: true` it is the old half of a reschedule: the patient is
told of the move by the new booking, not of a cancellation), invitee_no_show.created
marks a no-show. A reschedule is tracked per invitee, so the invitee URI is the
appointment's id here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.events import AppointmentInfo, BookingEvent, EventType, PatientInfo, StatusEvent, web_link
from ..textclean import known_zone
from .errors import PayloadError, SignatureError
from .instants import between, instant, received_at
from .posts import (
    WebhookPost,
    bounded,
    digest_id,
    email_or_warning,
    json_envelope,
    phone_or_warning,
    shape_checked,
    split_name,
    text_or_empty,
)
from .signatures import hmac_sha256_hex, matches

SOURCE = "calendly"
SIGNATURE_HEADER = "Calendly-Webhook-Signature"
TOLERANCE_SECONDS = 180


def verify(headers: Any, raw: bytes, key: str, now: datetime) -> None:
    header = (headers.get(SIGNATURE_HEADER) or "").strip()
    if not header:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    stamp, given = parts.get("t", "").strip(), parts.get("v1", "").strip()
    if not stamp.isdigit() or not given:
        raise SignatureError(f"{SIGNATURE_HEADER} must look like t=<unix seconds>,v1=<hex>")
    if abs(now.timestamp() - int(stamp)) > TOLERANCE_SECONDS:
        raise SignatureError(f"{SIGNATURE_HEADER} timestamp is more than {TOLERANCE_SECONDS} s away from now")
    if not matches(hmac_sha256_hex(key, stamp.encode() + b"." + raw), given.lower()):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body")


def _zone(value: object) -> str | None:
    return known_zone(value)


@shape_checked
def parse(raw: bytes, *, region: str, now: datetime | None = None) -> WebhookPost:
    body, payload = json_envelope(raw, "invitee")
    event = str(body.get("event") or "")
    created = body.get("created_at")
    invitee_uri = payload.get("invitee") if event.startswith("invitee_no_show") else payload.get("uri")
    event_id = digest_id(event, payload.get("uri"), created)
    occurred = instant(created, "created_at") if created else None
    if event == "invitee_no_show.created":
        if not invitee_uri or occurred is None:
            raise PayloadError("payload.invitee and created_at are required", ["payload.invitee: the invitee URI"])
        return WebhookPost(
            event_id,
            event,
            [StatusEvent(SOURCE, event_id, EventType.NO_SHOW, occurred, bounded(invitee_uri, 255, "payload.invitee"))],
        )
    if event not in ("invitee.created", "invitee.canceled"):
        return WebhookPost(event_id, event or "unknown", [], ignored=f"{event or 'an event without a name'} is not used")
    if not invitee_uri:
        raise PayloadError("payload.uri is missing", ["payload.uri: the invitee URI"])
    scheduled = payload.get("scheduled_event")
    if not isinstance(scheduled, dict):
        raise PayloadError("payload.scheduled_event is missing", ["payload.scheduled_event: start_time and end_time"])
    starts = instant(scheduled.get("start_time"), "payload.scheduled_event.start_time")
    ends = instant(scheduled.get("end_time"), "payload.scheduled_event.end_time") if scheduled.get("end_time") else None
    warnings: list[str] = []
    reminder_number = payload.get("text_reminder_number")
    phone = phone_or_warning(reminder_number, region, "text_reminder_number", warnings)
    first = text_or_empty(payload.get("first_name"), "payload.first_name")
    last = text_or_empty(payload.get("last_name"), "payload.last_name")
    if not first:
        first, last = split_name(text_or_empty(payload.get("name"), "payload.name"))
    zone = _zone(payload.get("timezone"))
    canceled = event == "invitee.canceled"
    return WebhookPost(
        event_id,
        event,
        [
            BookingEvent(
                source=SOURCE,
                event_id=event_id,
                type=EventType.CANCELLED
                if canceled
                else (EventType.RESCHEDULED if payload.get("old_invitee") else EventType.BOOKED),
                occurred_at=occurred or received_at(now, warnings, "created_at"),
                appointment=AppointmentInfo(
                    external_id=bounded(invitee_uri, 255, "payload.uri"),
                    starts_at=starts,
                    duration_minutes=between(starts, ends, "payload.scheduled_event.end_time") if ends else 10,
                    treatment=str(scheduled.get("name") or "mesotherapy")[:100],
                    area="",
                    timezone=zone,
                    # The invitee's own pages on Calendly: the patient's page leads there to cancel or reschedule.
                    cancel_url=web_link(payload.get("cancel_url")),
                    reschedule_url=web_link(payload.get("reschedule_url")),
                ),
                patient=PatientInfo(
                    external_id=None,
                    first_name=first or "there",
                    last_name=last,
                    phone=phone,
                    email=email_or_warning(payload.get("email"), "email", warnings),
                    timezone=zone,
                    language=None,
                    sms_consent=True if phone else None,  # the invitee asked for text reminders at this number
                    email_consent=True if payload.get("email") else None,
                ),
                replaces_external_id=(
                    bounded(payload["old_invitee"], 255, "payload.old_invitee")
                    if not canceled and payload.get("old_invitee")
                    else None
                ),
                replaced_by_external_id=(
                    bounded(payload["new_invitee"], 255, "payload.new_invitee")
                    if canceled and payload.get("rescheduled") and payload.get("new_invitee")
                    else None
                ),
            )
        ],
        warnings=warnings,
    )
