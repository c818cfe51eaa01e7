"""What a patient asks from their personal link, for sessions Recall owns (generic, FHIR, panel bookings).

A cancellation goes through the webhooks' intake like any booking system's, as a status event naming the session by
its own source and id, in a post whose source is `patient`: the intake keeps it once under that source (so it says
who cancelled, and a second post changes nothing), cancels the reminders and plans the cancellation notice. The
audit row, the outbound event and the front desk's item are added in the same transaction the intake commits, so
they exist exactly when the cancellation does (a repeat is rolled back by the intake with them).
"""

from __future__ import annotations

import json
from datetime import datetime

from babel.dates import get_day_names

from .confirmations import appointment_data, audit
from .domain.events import EventType, StatusEvent
from .domain.patient_actions import late_cancellation
from .domain.vocabulary import AppointmentStatus, OutboundEventType, TodoKind
from .extensions import DbSession
from .i18n import panel_default
from .models import Appointment
from .outbound import emit
from .settings import Settings
from .todo import add
from .webhooks.intake import accept
from .webhooks.posts import WebhookPost

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PATIENT = "patient"  # the source of what patients post from their page, as the intake records it
VIA = "page"


def cancel(db_session: DbSession, appointment: Appointment, reason: str, settings: Settings, now: datetime) -> bool:
    """Cancel the session for the patient; False when it was already cancelled (nothing more happens)."""
    if appointment.status == AppointmentStatus.CANCELLED:
        return False
    post_id = f"patient-cancel-{appointment.id}"
    # Now, or the session's newest event if its source's clock ran ahead: the patient's cancellation is newer.
    occurred = max(now, appointment.last_event_at) if appointment.last_event_at else now
    event = StatusEvent(appointment.source, post_id, EventType.CANCELLED, occurred, appointment.external_id)
    audit(db_session, appointment, "cancel", VIA, now)
    emit(
        db_session,
        settings,
        OutboundEventType.APPOINTMENT_CANCELLED_BY_PATIENT,
        appointment_data(appointment),
        now,
        appointment_id=appointment.id,
    )
    if late_cancellation(appointment.starts_at, now):
        add(
            db_session,
            TodoKind.LATE_CANCELLATION,
            f"late_cancellation:{appointment.id}",
            now,
            patient_id=appointment.patient_id,
            appointment_id=appointment.id,
            detail=reason or None,
        )
    raw = json.dumps({"appointment_id": appointment.id, "reason": reason}, ensure_ascii=False).encode()
    body, status = accept(PATIENT, WebhookPost(post_id, "patient.cancelled", [event]), raw, settings, now)
    return status < 400 and body.get("status") != "duplicate"


def day_names(days: list[str], language: str) -> list[str]:
    names = get_day_names("wide", locale=language)  # 0 is Monday
    return [names[WEEKDAYS.index(d)] for d in days if d in WEEKDAYS]


def ask_another_time(
    db_session: DbSession, appointment: Appointment, message: str, days: list[str], settings: Settings, now: datetime
) -> bool:
    """A front-desk item and an outbound event; False when the patient already asked (nothing more happens)."""
    named = ", ".join(day_names(days, panel_default()))  # the front desk reads them in its language
    wanted = f"{named}: {message}" if named and message else named or message
    item = add(
        db_session,
        TodoKind.RESCHEDULE_REQUEST,
        f"reschedule_request:{appointment.id}",
        now,
        patient_id=appointment.patient_id,
        appointment_id=appointment.id,
        detail=wanted or None,
    )
    if item.id is not None:  # made before: this request was already heard
        return False
    audit(db_session, appointment, "reschedule-request", VIA, now)
    emit(
        db_session,
        settings,
        OutboundEventType.APPOINTMENT_RESCHEDULE_REQUESTED,
        {**appointment_data(appointment), "preferred_days": days},  # the patient's message stays with the clinic
        now,
        appointment_id=appointment.id,
    )
    db_session.commit()
    return True
