"""A patient's story in one list: sessions, messages (with their text and receipts) and replies, newest first, in the
patient's local time. Reading it writes nothing: a message still to go out is composed, never saved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from service.extensions import db
from service.i18n import _, _l, when
from service.models import Appointment, InboundMessage, Patient, Reminder
from service.settings import Settings
from service.timeutil import utcnow

from . import wording
from .message_text import MessageText, message_text, receipts_for


@dataclass(frozen=True)
class Entry:
    at: datetime
    local: str
    kind: str  # session | message | reply
    label: str  # the kind in words
    title: str
    detail: str
    message: MessageText | None = None


def patient_timeline(patient: Patient, settings: Settings, now: datetime | None = None) -> list[Entry]:
    now = now or utcnow()
    zone = patient.timezone or settings.clinic_timezone

    def entry(at: datetime, kind: str, title: str, detail: str = "", message: MessageText | None = None) -> Entry:
        return Entry(at, when(at, zone), kind, str(LABELS[kind]), title, detail, message)

    entries = [
        entry(
            a.starts_at,
            "session",
            wording.session_status(a.status, a.starts_at, a.duration_minutes, now),
            _session_detail(a),
        )
        for a in db.session.execute(select(Appointment).where(Appointment.patient_id == patient.id)).scalars()
    ]
    reminders = db.session.execute(select(Reminder).where(Reminder.patient_id == patient.id)).scalars().all()
    receipts = receipts_for((r.id for r in reminders), zone)
    for r in reminders:
        shown = message_text(r, settings, now, receipts[r.id])
        entries.append(entry(r.sent_at or r.next_attempt_at, "message", shown.kind, wording.reason(r.status_reason), shown))
    for m in db.session.execute(select(InboundMessage).where(InboundMessage.patient_id == patient.id)).scalars():
        entries.append(entry(m.received_at, "reply", _("Reply"), m.body or ""))
    return sorted(entries, key=lambda e: e.at, reverse=True)


def _session_detail(a: Appointment) -> str:
    confirmed = _("confirmed by the patient") if a.confirmed_at else ""
    return " · ".join(part for part in (a.area or a.treatment, wording.source(a.source), confirmed) if part)


LABELS = {"session": _l("Session"), "message": _l("Message"), "reply": _l("Reply")}
