"""A patient's story in one list: sessions, messages, delivery receipts and replies, newest first, in local time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from service.extensions import db
from service.models import Appointment, DeliveryEvent, InboundMessage, Patient, Reminder


@dataclass(frozen=True)
class Entry:
    at: datetime
    local: str
    kind: str  # session | message | receipt | reply
    title: str
    detail: str


def patient_timeline(patient: Patient, settings: Any) -> list[Entry]:
    zone = ZoneInfo(patient.timezone or settings.clinic_timezone)

    def entry(at: datetime, kind: str, title: str, detail: str = "") -> Entry:
        return Entry(at, at.astimezone(zone).strftime("%a %d %b %Y %H:%M"), kind, title, detail)

    entries = [
        entry(
            a.starts_at,
            "session",
            f"Session {a.status.replace('_', '-')}",
            f"{a.area or a.treatment} · {a.source}" + (" · confirmed by the patient" if a.confirmed_at else ""),
        )
        for a in db.session.execute(select(Appointment).where(Appointment.patient_id == patient.id)).scalars()
    ]
    reminders = db.session.execute(select(Reminder).where(Reminder.patient_id == patient.id)).scalars().all()
    for r in reminders:
        when = r.sent_at or r.next_attempt_at
        state = r.status + (f" ({r.provider_status})" if r.provider_status else "")
        entries.append(entry(when, "message", f"{r.kind.replace('_', ' ')} by {r.channel}: {state}", r.status_reason or ""))
    ids = [r.id for r in reminders]
    if ids:
        for d in db.session.execute(select(DeliveryEvent).where(DeliveryEvent.reminder_id.in_(ids))).scalars():
            entries.append(
                entry(d.received_at, "receipt", f"Twilio: {d.status}", f"error {d.error_code}" if d.error_code else "")
            )
    for m in db.session.execute(select(InboundMessage).where(InboundMessage.patient_id == patient.id)).scalars():
        entries.append(entry(m.received_at, "reply", f"Reply ({m.intent})", m.body or ""))
    return sorted(entries, key=lambda e: e.at, reverse=True)
