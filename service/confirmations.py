"""A patient confirms a session: one function for the SMS reply OUI and the personal page's button.

So both ways mean exactly the same thing: `confirmed_at` set once, an audit row naming the patient, and an
`appointment.confirmed` event for the booking system. A second confirmation changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .domain.vocabulary import OutboundEventType
from .extensions import DbSession
from .models import Appointment, AuditEvent
from .outbound import emit
from .settings import Settings

PATIENT = "patient"  # the audit actor of what a patient does themselves; `via` says how


def appointment_data(appointment: Appointment) -> dict[str, Any]:
    """What an outbound event says about a session: ids the booking system knows it by, never who the patient is."""
    return {
        "appointment_id": appointment.id,
        "source": appointment.source,
        "external_id": appointment.external_id,
        "starts_at": appointment.starts_at.isoformat(),
    }


def audit(db_session: DbSession, appointment: Appointment, action: str, via: str, now: datetime, **details: Any) -> None:
    db_session.add(
        AuditEvent(
            at=now,
            actor=PATIENT,
            action=action,
            entity="appointment",
            entity_id=str(appointment.id),
            details={"via": via, **details},
        )
    )


def confirm(db_session: DbSession, appointment: Appointment, settings: Settings, now: datetime, via: str) -> bool:
    """Confirm the session; False when it already was (nothing is written then). The caller commits."""
    if appointment.confirmed_at is not None:
        return False
    appointment.confirmed_at = now
    audit(db_session, appointment, "confirm", via, now)
    emit(
        db_session,
        settings,
        OutboundEventType.APPOINTMENT_CONFIRMED,
        {**appointment_data(appointment), "via": via},
        now,
        appointment_id=appointment.id,
    )
    return True
