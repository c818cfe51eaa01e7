"""The demo clinic: a few patients with courses and upcoming sessions, made through the webhook path.

Seeding goes through the same `apply_booking_event` the webhooks use, with fixed
event ids, so running it twice changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from .content.seed import seed_tips
from .domain.events import AppointmentInfo, BookingEvent, CourseInfo, EventType, PatientInfo
from .extensions import db
from .i18n import panel_default
from .ingest import apply_booking_event
from .models import Appointment, Course, User, WebhookEvent
from .runtime import get_settings

SOURCE = "demo"
DEMO_EMAIL = "demo@clinique.example"  # .example: a domain that can never reach anyone


class NotDevelopment(Exception):
    """The demo account has a password printed in a terminal: it must never exist outside development."""


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str | None  # only when just created: afterwards only its hash exists


def seed_demo_account(now: datetime) -> DemoAccount:
    """Create the panel's demo admin once, with a random password returned to be shown once; development only."""
    from admin.auth import create_user

    settings = get_settings()
    if settings.environment != "development":
        raise NotDevelopment(
            f"the demo account is for development only (RECALL_ENV=development); this is RECALL_ENV={settings.environment}. "
            "Create real accounts with: flask --app wsgi users create EMAIL --role admin"
        )
    if db.session.execute(select(User.id).where(func.lower(User.email) == DEMO_EMAIL)).first():
        return DemoAccount(DEMO_EMAIL, None)
    password = secrets.token_urlsafe(12)
    user = create_user(DEMO_EMAIL, password, "admin", now)
    user.language = panel_default()
    db.session.commit()
    return DemoAccount(DEMO_EMAIL, password)


PATIENTS = [
    PatientInfo("p-camille", "Camille", "Martin", "+33612345678", "camille@example.test", "Europe/Paris", "fr", True, True),
    PatientInfo("p-sam", "Sam", "Taylor", "+447911123456", "sam@example.test", "Europe/London", "en", True, True),
    PatientInfo("p-lea", "Léa", "Bernard", "+33698765432", None, "Europe/Paris", "fr", True, False),
    PatientInfo("p-nora", "Nora", "Petit", None, "nora@example.test", "Europe/Paris", "fr", False, True),
]


def _at(day: date, hour: int, minute: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))


def seed_demo(now: datetime) -> str:
    """Book the demo sessions relative to today; returns a one-line summary."""
    settings_zone = "Europe/Paris"
    today = now.astimezone(ZoneInfo(settings_zone)).date()

    settings = get_settings()
    seed_tips(db.session)
    bookings = [
        # (patient, appointment id, day offset, hour, minute, area, course id, sessions planned)
        (PATIENTS[0], "a-camille-1", 1, 16, 45, "thighs", "c-camille", 6),
        (PATIENTS[0], "a-camille-2", 8, 16, 45, "thighs", "c-camille", 6),
        (PATIENTS[1], "a-sam-1", 2, 10, 0, "abdomen", "c-sam", 10),
        (PATIENTS[1], "a-sam-2", 2, 10, 30, "thighs", "c-sam-thighs", 5),
        (PATIENTS[2], "a-lea-1", 0, 19, 30, "arms", "c-lea", 4),
        (PATIENTS[3], "a-nora-1", 3, 9, 15, "thighs", "c-nora", 6),
    ]
    booked_at = now - timedelta(days=3)  # as if booked earlier, so the first tick has reminders to send
    created = 0
    for patient, appt_id, days, hour, minute, area, course_id, planned in bookings:
        event_id = f"demo-{appt_id}"
        if db.session.execute(
            select(WebhookEvent.id).where(WebhookEvent.source == SOURCE, WebhookEvent.event_id == event_id)
        ).first():
            continue
        starts = _at(today + timedelta(days=days), hour, minute, patient.timezone or settings_zone)
        event = BookingEvent(
            source=SOURCE,
            event_id=event_id,
            type=EventType.BOOKED,
            occurred_at=booked_at,
            appointment=AppointmentInfo(
                appt_id, starts, 10, "mesotherapy", area, patient.timezone, CourseInfo(course_id, planned, "initial")
            ),
            patient=patient,
        )
        db.session.add(WebhookEvent(source=SOURCE, event_id=event_id, event_type="booked", outcome="processed", received_at=now))
        apply_booking_event(db.session, event, settings, booked_at)
        created += 1

    # A patient whose course ended last year: annual maintenance falls due within the month.
    if not db.session.execute(select(Course.id).where(Course.source == SOURCE, Course.external_id == "c-ines")).first():
        past = _at(today - timedelta(days=345), 11, 0, settings_zone)
        ines = PatientInfo("p-ines", "Inès", "Moreau", "+33611223344", "ines@example.test", "Europe/Paris", "fr", True, True)
        event = BookingEvent(
            source=SOURCE,
            event_id="demo-a-ines-1",
            type=EventType.COMPLETED,
            occurred_at=now,
            appointment=AppointmentInfo(
                "a-ines-1", past, 10, "mesotherapy", "thighs", "Europe/Paris", CourseInfo("c-ines", 1, "initial")
            ),
            patient=ines,
        )
        apply_booking_event(db.session, event, settings, now)  # the planner completes the course and plans maintenance
        created += 1
    db.session.commit()
    total = db.session.execute(select(db.func.count()).select_from(Appointment).where(Appointment.source == SOURCE)).scalar_one()
    return f"demo clinic: {created} bookings added, {total} demo sessions in all"
