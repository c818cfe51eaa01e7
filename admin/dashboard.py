"""The front desk's first screen: today and tomorrow, what goes out in the next hour, how delivery is going."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from service import todo
from service.delivery_days import daily_counts
from service.domain.vocabulary import AppointmentStatus, ReminderStatus
from service.extensions import db
from service.models import Appointment, Course, InboundMessage, Patient, Reminder

from . import wording


@dataclass(frozen=True)
class SessionLine:
    appointment: Appointment
    status: str | None  # in words; None for a session still ahead, whose line says whether the patient confirmed


@dataclass(frozen=True)
class OutgoingLine:
    reminder: Reminder
    kind: str  # in words
    channel: str


@dataclass
class Dashboard:
    today: list[SessionLine]
    tomorrow: list[SessionLine]
    next_hour: list[OutgoingLine]
    daily: list[tuple[date, int, int, int]]  # (local day, sent, delivered, failed) over 30 days
    delivery_rate: float | None
    maintenance_due: list[tuple[Patient, date]]
    unanswered: int
    opted_out: int
    todo_open: int  # the front desk's To do list

    @property
    def anything_went_out(self) -> bool:
        """An empty chart says so in words rather than showing 30 empty days."""
        return any(sent or failed for _, sent, _, failed in self.daily)


def _day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def _session_words(appointment: Appointment, now: datetime) -> str | None:
    """None while booked and ahead (the line shows the confirmation instead), else the status in words."""
    words = wording.session_status(appointment.status, appointment.starts_at, appointment.duration_minutes, now)
    return None if words == str(wording.SESSION_STATUS[AppointmentStatus.BOOKED]) else words


def build_dashboard(settings: Any, now: datetime) -> Dashboard:
    zone = ZoneInfo(settings.clinic_timezone)
    today = now.astimezone(zone).date()

    def sessions(day: date) -> list[SessionLine]:
        start, end = _day_bounds(day, zone)
        found = db.session.execute(
            select(Appointment)
            .where(Appointment.starts_at >= start, Appointment.starts_at < end, Appointment.status != AppointmentStatus.CANCELLED)
            .order_by(Appointment.starts_at)
        ).scalars()
        return [SessionLine(a, _session_words(a, now)) for a in found]

    next_hour = list(
        db.session.execute(
            select(Reminder)
            .where(Reminder.status == ReminderStatus.PENDING, Reminder.next_attempt_at <= now + timedelta(hours=1))
            .order_by(Reminder.next_attempt_at)
            .limit(50)
        ).scalars()
    )
    # Settled days come from `delivery_day`, the last few from the reminders: a busy clinic has a million rows here.
    counted = daily_counts(db.session, settings.clinic_timezone, today)
    daily = [(day, sent, delivered, failed) for day, sent, delivered, failed, _ in counted]
    # The rate over what a provider reported on: console sends and mail have no receipts, and are not "undelivered".
    delivered_total = sum(d for _, _, d, _ in daily)
    reported = sum(r for *_, r in counted)
    month_end = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    booked_ahead = select(Appointment.patient_id).where(
        Appointment.status == AppointmentStatus.BOOKED, Appointment.starts_at > now
    )
    due = db.session.execute(
        select(Patient, Course.maintenance_due_on)
        .join(Course, Course.patient_id == Patient.id)
        .where(
            Course.maintenance_due_on >= today.replace(day=1),
            Course.maintenance_due_on < month_end,
            Patient.id.notin_(booked_ahead),
        )
        .order_by(Course.maintenance_due_on)
    ).all()
    return Dashboard(
        today=sessions(today),
        tomorrow=sessions(today + timedelta(days=1)),
        next_hour=[OutgoingLine(r, wording.reminder_kind(r.kind), wording.channel(r.channel)) for r in next_hour],
        daily=daily,
        delivery_rate=(delivered_total / reported) if reported else None,
        maintenance_due=[(p, d) for p, d in due if d is not None],  # the date range already excludes NULL
        unanswered=db.session.execute(
            select(func.count()).select_from(InboundMessage).where(InboundMessage.handled_at.is_(None))
        ).scalar_one(),
        opted_out=db.session.execute(
            select(func.count()).select_from(Patient).where(Patient.sms_opted_out_at.is_not(None))
        ).scalar_one(),
        todo_open=todo.open_count(db.session),
    )
