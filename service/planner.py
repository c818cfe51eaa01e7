"""Keep the outbox equal to what the rules want for a patient.

Planning is idempotent: it computes every reminder the rules want, inserts the
missing ones (a unique dedupe key makes a concurrent planner harmless), updates
pending ones whose time or channel moved, and cancels pending ones that are no
longer wanted. Run it as often as you like.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .domain.planning import (
    DEFAULT_SESSION_RULES,
    Channel,
    NoticeState,
    Reach,
    SessionRule,
    SessionSnapshot,
    Wanted,
    plan_notices,
    plan_session_reminders,
)
from .domain.quiet_hours import QuietHours
from .models import Appointment, Patient, Reminder, ReminderRule
from .settings import Settings

log = logging.getLogger(__name__)

NOTICE_KINDS = ("confirmation", "change_notice", "cancellation_notice")
UNWANTED = "unwanted: "  # prefix of reasons the planner writes; only such rows may come back to life
LOOKBACK = timedelta(days=3)


@dataclass
class PlanResult:
    created: int = 0
    updated: int = 0
    cancelled: int = 0

    def __iadd__(self, other: PlanResult) -> PlanResult:
        self.created += other.created
        self.updated += other.updated
        self.cancelled += other.cancelled
        return self


def reach_of(patient: Patient) -> Reach:
    return Reach(
        sms=bool(patient.phone and patient.sms_consent and patient.sms_opted_out_at is None),
        email=bool(patient.email and patient.email_consent and patient.email_unsubscribed_at is None),
    )


def session_rules(session: Session) -> list[SessionRule]:
    """The clinic's rules from the database; the shipped defaults until it has any."""
    rows = session.execute(select(ReminderRule)).scalars().all()
    if not rows:
        return list(DEFAULT_SESSION_RULES)
    return [SessionRule(r.kind, Channel(r.channel), timedelta(minutes=r.offset_minutes)) for r in rows if r.enabled]


def window_of(settings: Settings) -> QuietHours:
    return QuietHours(*settings.quiet_hours)


def wanted_for_patient(session: Session, patient: Patient, settings: Settings, now: datetime) -> list[Wanted]:
    zone = ZoneInfo(patient.timezone or settings.clinic_timezone)
    appointments = session.execute(
        select(Appointment).where(Appointment.patient_id == patient.id, Appointment.starts_at >= now - LOOKBACK)
    ).scalars().all()
    snapshots = [SessionSnapshot(a.id, a.starts_at, a.status, a.slot_changed_at) for a in appointments]
    reach = reach_of(patient)
    wanted = plan_session_reminders(snapshots, session_rules(session), reach, zone, window_of(settings))
    told = _notified_starts(session, [a.id for a in appointments])
    debounce = timedelta(minutes=settings.confirmation_debounce_minutes)
    for snap in snapshots:
        if snap.starts_at > now:
            wanted.extend(plan_notices(NoticeState(snap, told.get(snap.appointment_id)), reach, debounce))
    return wanted


def _notified_starts(session: Session, appointment_ids: list[int]) -> dict[int, datetime]:
    """For each appointment, the start time the patient was last told is booked; none after a cancellation notice."""
    if not appointment_ids:
        return {}
    rows = session.execute(
        select(Reminder.appointment_id, Reminder.kind, Reminder.planned_for)
        .where(
            Reminder.appointment_id.in_(appointment_ids),
            Reminder.kind.in_(NOTICE_KINDS),
            Reminder.status.in_(("sending", "sent", "delivered")),
        )
        .order_by(Reminder.id)
    ).all()
    told: dict[int, datetime | None] = {}
    for appointment_id, kind, planned_for in rows:  # in send order: the last word counts
        told[appointment_id] = None if kind == "cancellation_notice" else planned_for
    return {a: start for a, start in told.items() if start is not None}


def _insert_ignoring_duplicates(session: Session, values: dict[str, object]) -> bool:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Reminder).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return bool(session.execute(stmt).rowcount)


def _why_unwanted(row: Reminder, appointments: dict[int, Appointment]) -> str:
    appt = appointments.get(row.appointment_id or -1)
    if appt is not None and appt.status != "booked":
        return UNWANTED + f"the session is {appt.status.replace('_', '-')}"
    if appt is not None and row.planned_for is not None and appt.starts_at != row.planned_for:
        return UNWANTED + "the session was moved"
    return UNWANTED + "the rules or the patient's details changed"


def plan_patient(session: Session, patient: Patient, settings: Settings, now: datetime) -> PlanResult:
    result = PlanResult()
    wanted = {w.dedupe_key: w for w in wanted_for_patient(session, patient, settings, now)}
    rows = session.execute(
        select(Reminder).where(
            Reminder.patient_id == patient.id,
            (Reminder.status == "pending") | Reminder.dedupe_key.in_(list(wanted)),
        )
    ).scalars().all()
    existing = {r.dedupe_key: r for r in rows}

    for key, w in wanted.items():
        row = existing.get(key)
        if row is None:
            created = _insert_ignoring_duplicates(
                session,
                {
                    "patient_id": patient.id,
                    "appointment_id": w.appointment_id,
                    "course_id": w.course_id,
                    "kind": w.kind,
                    "channel": w.channel.value,
                    "dedupe_key": key,
                    "planned_for": w.planned_for,
                    "due_at": w.due_at,
                    "next_attempt_at": w.due_at,
                    "expires_at": w.expires_at,
                    "status": "pending",
                    "attempts": 0,
                    "context": {"appointments": [list(a) for a in w.appointments]},
                    "created_at": now,
                    "updated_at": now,
                },
            )
            result.created += int(created)
        elif row.status == "cancelled" and (row.status_reason or "").startswith(UNWANTED):
            row.status, row.status_reason = "pending", None
            row.due_at = row.next_attempt_at = w.due_at
            row.channel = w.channel.value
            result.updated += 1
        elif row.status == "pending" and (row.due_at, row.channel) != (w.due_at, w.channel.value) and row.attempts == 0:
            row.due_at = row.next_attempt_at = w.due_at
            row.channel = w.channel.value
            result.updated += 1

    stale = [r for r in rows if r.status == "pending" and r.dedupe_key not in wanted]
    if stale:
        appointments = {
            a.id: a
            for a in session.execute(
                select(Appointment).where(Appointment.id.in_({r.appointment_id for r in stale if r.appointment_id}))
            ).scalars()
        }
        for row in stale:
            row.status, row.status_reason = "cancelled", _why_unwanted(row, appointments)
            result.cancelled += 1
    return result


def plan_changed(session: Session, settings: Settings, now: datetime) -> PlanResult:
    """Plan every patient with an appointment changed since it was last planned."""
    result = PlanResult()
    patient_ids = session.execute(
        select(Appointment.patient_id).where(Appointment.needs_planning.is_(True)).distinct()
    ).scalars().all()
    for patient_id in patient_ids:
        patient = session.get(Patient, patient_id)
        if patient is not None:
            result += plan_patient(session, patient, settings, now)
        session.execute(
            update(Appointment).where(Appointment.patient_id == patient_id).values(needs_planning=False)
        )
    return result
