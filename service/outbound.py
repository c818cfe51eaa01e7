"""Events for the clinic's booking system: a row before it is a request.

`emit` is the one way an event is made; it writes an `outbound_event` row in the caller's transaction, so the event
exists exactly when what it reports was committed. `service/outbound_delivery.py` posts the rows, signed per the
Standard Webhooks specification, retrying with the same `webhook-id`. Without OUTBOUND_WEBHOOK_URL nothing is kept.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from .domain.vocabulary import Channel, OutboundEventType
from .extensions import DbSession
from .models import Appointment, OutboundEvent, Patient, Reminder
from .settings import Settings


def emit(
    db_session: DbSession,
    settings: Settings,
    type: OutboundEventType,
    data: dict[str, Any],
    now: datetime,
    *,
    appointment_id: int | None = None,
) -> OutboundEvent | None:
    """Record an event to post; None when no receiver is configured. `data` must hold no name, phone or email:
    the booking system knows its patients by its own ids, which `data` carries."""
    if not settings.outbound_webhook_url:
        return None
    event = OutboundEvent(
        webhook_id=f"msg_{secrets.token_urlsafe(18)}",
        type=str(type),
        payload={"type": str(type), "timestamp": now.isoformat(), "data": data},
        appointment_id=appointment_id,
        next_attempt_at=now,
        created_at=now,
    )
    db_session.add(event)
    return event


def patient_ids(patient: Patient) -> dict[str, Any]:
    """How the booking system knows this patient: Recall's id and its own ids, per booking system; never a contact."""
    return {
        "patient_id": patient.id,
        "external_ids": [
            {"source": e.source, "external_id": e.external_id}
            for e in sorted(patient.external_ids, key=lambda e: (e.source, e.external_id))
        ],
    }


def appointment_ids(appointment: Appointment) -> dict[str, Any]:
    """How the booking system knows this session: Recall's id, and the booking system's own."""
    return {"appointment_id": appointment.id, "source": appointment.source, "external_id": appointment.external_id}


def sms_consent_changed(
    db_session: DbSession, settings: Settings, patient: Patient, *, opted_out: bool, actor: str, now: datetime
) -> OutboundEvent | None:
    """`patient.sms_opted_out` / `patient.sms_opted_in` (service/consent.py calls it). `via` says who asked in one word
    ("patient", "twilio"), never a staff member's address."""
    via = "staff" if "@" in actor else actor.split(":", 1)[0]
    kind = OutboundEventType.PATIENT_SMS_OPTED_OUT if opted_out else OutboundEventType.PATIENT_SMS_OPTED_IN
    return emit(db_session, settings, kind, {**patient_ids(patient), "channel": str(Channel.SMS), "via": via}, now)


def message_failed(
    db_session: DbSession,
    settings: Settings,
    reminder: Reminder,
    patient: Patient,
    *,
    provider: str,
    error_code: str | None,
    now: datetime,
) -> OutboundEvent | None:
    """`message.failed`: a message failed for a reason a person must fix (an invalid number). The provider's own words
    stay out: Twilio's quote the number."""
    appointment = db_session.get(Appointment, reminder.appointment_id) if reminder.appointment_id else None
    data: dict[str, Any] = {
        **(appointment_ids(appointment) if appointment else {"appointment_id": None, "source": None, "external_id": None}),
        **patient_ids(patient),
        "reminder_id": reminder.id,
        "kind": reminder.kind,
        "channel": reminder.channel,
        "provider": provider,
        "error_code": error_code,
    }
    return emit(
        db_session, settings, OutboundEventType.MESSAGE_FAILED, data, now, appointment_id=appointment.id if appointment else None
    )
