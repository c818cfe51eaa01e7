"""What the dispatcher would do at a given moment, and the text it would send, without doing any of it.

`reminders preview` answers "what goes out at 10:00 tomorrow, and what does it say?". It takes what a claim would
take (pending, next attempt due by then, in claim order), asks the dispatcher's own decision (`sending.decision_for`:
the session still booked, consent, quiet hours, the patient's daily cap, the clinic's SMS cap, an erased contact,
another message saying the same) and composes the text with the dispatcher's own `compose`. Nothing is written: no
claim, no lease, no status, no body. Each reminder is judged against the outbox as it stands, so two messages due
together are judged as if the other had not gone yet, and nothing the planner would add by then is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from .contacts import display_phone
from .dispatcher import sms_sent_since
from .domain import lifecycle
from .domain.dispatch_rules import Decision, Defer, Send, Skip
from .domain.vocabulary import Channel
from .extensions import DbSession
from .i18n import when
from .messages import MISSING_CLINIC_PHONE, Composed, compose_now, named_session_ids
from .models import Appointment, Patient, Reminder
from .pacing import SmsBudget
from .privacy import is_suppressed
from .rendering import TemplateProblem
from .sending import Locked, decision_for
from .settings import Settings


@dataclass(frozen=True)
class Previewed:
    """One due reminder: what the dispatcher would decide, by which channel, and its text (or why none)."""

    reminder: Reminder
    patient: Patient
    decision: Decision
    channel: Channel
    composed: Composed | None
    problem: str | None = None  # a template that does not render: the send would fail with this


def preview(db_session: DbSession, settings: Settings, at: datetime, patient_ids: list[int] | None = None) -> list[Previewed]:
    """The reminders a dispatch at `at` would take, in the order it would take them, each with its decision and text."""
    due = select(Reminder).where(Reminder.status == lifecycle.CLAIMABLE, Reminder.next_attempt_at <= at)
    if patient_ids is not None:
        due = due.where(Reminder.patient_id.in_(patient_ids))
    reminders = db_session.execute(due.order_by(Reminder.next_attempt_at, Reminder.id)).scalars().all()
    # The cap is the clinic's: counted over everyone even when one patient is previewed, as a batch counts it.
    budget = SmsBudget(settings.sms_daily_cap, sms_sent_since(db_session, at - timedelta(days=1)))
    found = []
    with db_session.no_autoflush:
        for reminder in reminders:
            patient = db_session.get(Patient, reminder.patient_id)
            assert patient is not None
            ids = named_session_ids(reminder.appointment_id, reminder.context)
            sessions = list(db_session.execute(select(Appointment).where(Appointment.id.in_(ids))).scalars()) if ids else []
            suppressed = frozenset(c for c, kind, value in _contacts(patient) if value and is_suppressed(db_session, kind, value))
            decision = decision_for(db_session, settings, budget, Locked(reminder, patient, sessions, suppressed), at)
            channel = decision.channel if isinstance(decision, Send) else Channel(reminder.channel)
            try:
                composed = compose_now(db_session, reminder, settings, at, channel)
            except TemplateProblem as exc:
                found.append(Previewed(reminder, patient, decision, channel, None, str(exc)))
                continue
            found.append(Previewed(reminder, patient, decision, channel, composed))
    return found


def describe(found: list[Previewed], settings: Settings, at: datetime) -> str:
    """The preview for a person: per patient, in the patient's zone, each message's kind, channel, fate and text."""
    from admin import wording  # the panel's words for kinds and channels, so the desk reads the same names

    lines = [f"What a dispatch at {when(at)} ({settings.clinic_timezone}) would do. Nothing is sent or changed."]
    if not settings.clinic_phone:
        lines.append(f"warning: CLINIC_PHONE is not set: messages that give the clinic's number show {MISSING_CLINIC_PHONE}")
    if not found:
        lines.append("Nothing is due then.")
    by_patient: dict[int, list[Previewed]] = {}
    for item in found:
        by_patient.setdefault(item.patient.id, []).append(item)
    for items in by_patient.values():
        patient = items[0].patient
        zone = patient.timezone or settings.clinic_timezone
        contact = ", ".join(c for c in (display_phone(patient.phone, settings.clinic_region), patient.email) if c)
        lines += ["", f"{patient.full_name} ({contact or 'no contact'}) · {zone}"]
        for item in items:
            reminder = item.reminder
            lines.append(
                f"  {when(reminder.next_attempt_at, zone)} · {wording.reminder_kind(reminder.kind)} · "
                f"{wording.channel(item.channel)} · {_fate(item, zone)}"
            )
            if item.composed is None:
                lines.append(f"    cannot be written: {item.problem}")
                continue
            if item.composed.subject is not None:
                lines.append(f"    Subject: {item.composed.subject}")
            lines += [f"    {line}".rstrip() for line in item.composed.text.splitlines()]
    return "\n".join(lines)


def _fate(item: Previewed, zone: str) -> str:
    decision = item.decision
    if isinstance(decision, Send):
        return "would go out" + ("" if decision.channel == item.reminder.channel else " (instead of the planned channel)")
    if isinstance(decision, Defer):
        return f"held until {when(decision.until, zone)}: {decision.reason}"
    if isinstance(decision, Skip):
        return f"would not be sent: {decision.reason}"
    return f"would be cancelled: {decision.reason}"


def _contacts(patient: Patient) -> tuple[tuple[Channel, str, str | None], ...]:
    return ((Channel.SMS, "phone", patient.phone), (Channel.EMAIL, "email", patient.email))
