"""Acuity Scheduling: a form post carrying only ids, signed with `X-Acuity-Signature`
(base64 HMAC-SHA256 of the raw body with `ACUITY_API_KEY`).

The appointment itself is fetched from Acuity's API (`ACUITY_API_BASE_URL`, Basic auth
`ACUITY_USER_ID:ACUITY_API_KEY`), so what we apply is always Acuity's current state:
the overlapping `changed` action and out-of-order posts cannot make us go back.
A post is identified by the state fetched, so a repeat (or `changed` echoing `rescheduled`) changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import requests

from ..domain.events import AppointmentInfo, BookingEvent, EventType, PatientInfo, web_link
from ..textclean import known_zone
from .errors import PayloadError, SignatureError, UpstreamError
from .instants import instant, minutes
from .jsonbody import read_json
from .posts import WebhookPost, bounded, contact_consent, digest_id, email_or_warning, phone_or_warning, shape_checked

SOURCE = "acuity"
SIGNATURE_HEADER = "X-Acuity-Signature"
ACTIONS = {
    "scheduled": EventType.BOOKED,
    "rescheduled": EventType.RESCHEDULED,
    "canceled": EventType.CANCELLED,
    "changed": EventType.BOOKED,
}


def verify(headers: Any, raw: bytes, api_key: str) -> None:
    given = (headers.get(SIGNATURE_HEADER) or "").strip()
    if not given:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    expected = base64.b64encode(hmac.new(api_key.encode(), raw, hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body")


@shape_checked
def read_form(raw: bytes) -> tuple[str, str]:
    try:
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), strict_parsing=False).items()}
    except UnicodeDecodeError:
        raise PayloadError("the body is not a form", ["expected action=…&id=…"]) from None
    action, appointment_id = form.get("action", ""), form.get("id", "")
    if not action or not appointment_id.isdigit():
        raise PayloadError("action and a numeric id are required", [f"received: {sorted(form)}"])
    return action, appointment_id


def fetch(base_url: str, user_id: str, api_key: str, appointment_id: str, *, timeout: float = 8.0) -> dict[str, Any]:
    url = f"{base_url.rstrip('/')}/appointments/{appointment_id}"
    try:
        response = requests.get(url, auth=(user_id, api_key), timeout=timeout, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise UpstreamError(f"could not reach Acuity for appointment {appointment_id}: {type(exc).__name__}") from None
    if response.status_code == 404:
        raise PayloadError(f"Acuity has no appointment {appointment_id}", [f"id: {appointment_id}"])
    if response.status_code != 200:
        raise UpstreamError(f"Acuity answered {response.status_code} for appointment {appointment_id}")
    # Acuity answered, but with something we cannot read: keep it for staff (422) rather than ask for retries.
    data = read_json(response.content, f"Acuity's answer for appointment {appointment_id}")
    if not isinstance(data, dict):
        raise PayloadError(f"Acuity's answer for appointment {appointment_id} is not an appointment", [str(data)[:200]])
    return data


def ignored(raw: bytes, action: str) -> WebhookPost | None:
    """Actions Recall does not use (order.completed) are acknowledged without asking Acuity anything."""
    return None if action in ACTIONS else WebhookPost(digest_id(raw), action, [], ignored=f"{action} is not used")


def parse(
    raw: bytes, *, base_url: str, user_id: str, api_key: str, region: str, now: datetime, consent: str = "none"
) -> WebhookPost:
    """The notification's action and id, then the appointment's current state fetched from Acuity (UpstreamError
    when Acuity does not answer: nothing is stored and Acuity retries). `consent` is ACUITY_CONTACT_CONSENT."""
    action, appointment_id = read_form(raw)
    return ignored(raw, action) or to_post(
        action, fetch(base_url, user_id, api_key, appointment_id), region=region, now=now, consent=consent
    )


@shape_checked
def to_post(action: str, appt: dict[str, Any], *, region: str, now: Any, consent: str = "none") -> WebhookPost:
    # Keyed on the state fetched, not the action: `changed` repeating what `rescheduled` said is a duplicate.
    event_id = digest_id(appt.get("id"), json.dumps(appt, sort_keys=True, default=str))
    starts = instant(appt.get("datetime"), "appointment.datetime")
    warnings: list[str] = []
    zone = known_zone(appt.get("timezone")) or known_zone(appt.get("calendarTimezone"))
    duration = minutes(appt["duration"], "appointment.duration") if appt.get("duration") not in (None, "") else 10
    phone = phone_or_warning(appt.get("phone"), region, "appointment.phone", warnings)
    email = email_or_warning(appt.get("email"), "appointment.email", warnings)
    # An email given to book counts as consent to email, as for Cal.com and Calendly; the phone only when the clinic
    # says so (ACUITY_CONTACT_CONSENT), since Acuity asks nothing about text messages.
    sms_consent, email_consent = contact_consent(consent, phone, email)
    kind = EventType.CANCELLED if appt.get("canceled") else ACTIONS[action]
    confirmation = web_link(appt.get("confirmationPage"))
    if appt.get("noShow") is True:
        kind = EventType.NO_SHOW
    return WebhookPost(
        event_id,
        action,
        [
            BookingEvent(
                source=SOURCE,
                event_id=event_id,
                type=kind,
                occurred_at=now,  # the state fetched just now is Acuity's newest
                appointment=AppointmentInfo(
                    external_id=bounded(appt.get("id"), 255, "appointment.id"),
                    starts_at=starts,
                    duration_minutes=duration,
                    treatment=str(appt.get("type") or "mesotherapy")[:100],
                    area=str(appt.get("category") or "")[:100],
                    timezone=zone,
                    # Acuity's client confirmation page is where a client cancels or reschedules, when the clinic
                    # allows it (`canClientCancel`, `canClientReschedule`); Acuity has no separate link for each.
                    cancel_url=confirmation if appt.get("canClientCancel") is not False else None,
                    reschedule_url=confirmation if appt.get("canClientReschedule") is not False else None,
                ),
                patient=PatientInfo(
                    external_id=None,
                    first_name=str(appt.get("firstName") or "there"),
                    last_name=str(appt.get("lastName") or ""),
                    phone=phone,
                    email=email,
                    timezone=zone,
                    language=None,
                    sms_consent=sms_consent,
                    email_consent=True if appt.get("email") else email_consent,
                ),
            )
        ],
        warnings=warnings,
    )
