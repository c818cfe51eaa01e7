"""Compose the actual message for an outbox row: template lookup, variables, calendar file."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from .domain.sms_encoding import sms_encoding
from .models import Appointment, MessageTemplate, Patient, Reminder
from .rendering import (
    default_template,
    format_phone,
    language_of,
    render_text,
    session_variables,
    template_kind,
)
from .settings import Settings


@dataclass(frozen=True)
class Composed:
    subject: str | None
    text: str
    html: str | None = None
    ics: bytes | None = None
    encoding: str | None = None
    segments: int | None = None


def find_template(session: Session, kind: str, channel: str, language: str) -> tuple[str | None, str]:
    """The clinic's own template if it has one, else the shipped default; the patient's language first."""
    for lang in dict.fromkeys((language, "en")):
        row = session.execute(
            select(MessageTemplate).where(
                MessageTemplate.kind == kind, MessageTemplate.channel == channel, MessageTemplate.language == lang
            )
        ).scalar_one_or_none()
        if row is not None:
            return row.subject, row.body
    return default_template(kind, channel, language)


def patient_zone(patient: Patient, settings: Settings) -> ZoneInfo:
    return ZoneInfo(patient.timezone or settings.clinic_timezone)


def base_variables(patient: Patient, settings: Settings) -> dict[str, Any]:
    return {
        "first_name": patient.first_name,
        "clinic_name": settings.clinic_name,
        "clinic_phone": format_phone(settings.clinic_phone),
    }


def session_ics(appointments: list[Appointment], settings: Settings, now: datetime) -> bytes:
    """An iCalendar (RFC 5545) PUBLISH object: 'add to calendar', no RSVP to handle."""
    cal = Calendar()
    cal.add("prodid", "-//Recall//Clinic reminders//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    domain = (settings.public_base_url or "recall.local").split("://")[-1].split("/")[0]
    for appt in appointments:
        event = Event()
        event.add("uid", f"appointment-{appt.id}@{domain}")
        event.add("dtstamp", now)
        event.add("dtstart", appt.starts_at)
        event.add("dtend", appt.starts_at + timedelta(minutes=appt.duration_minutes))
        event.add("summary", f"Appointment at {settings.clinic_name}")
        event.add("location", settings.clinic_name)
        event.add("description", f"To change it, call {format_phone(settings.clinic_phone)}.")
        event.add("status", "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()


def text_to_html(text: str, footer: str | None = None) -> str:
    paragraphs = [f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n")]
    if footer:
        paragraphs.append(f'<p style="color:#666;font-size:12px">{footer}</p>')
    return "<!doctype html><html><body>" + "".join(paragraphs) + "</body></html>"


def compose(
    session: Session,
    reminder: Reminder,
    patient: Patient,
    appointments: list[Appointment],
    settings: Settings,
    channel: str,
    now: datetime,
) -> Composed:
    language = language_of(patient.language)
    variables = base_variables(patient, settings)
    if appointments:
        variables.update(session_variables([a.starts_at for a in appointments], patient_zone(patient, settings), language))
    variables.update((reminder.context or {}).get("variables", {}))
    subject_src, body_src = find_template(session, template_kind(reminder.kind), channel, language)
    text = render_text(body_src, variables)
    if channel == "sms":
        encoding = sms_encoding(text)
        return Composed(subject=None, text=text, encoding=encoding.encoding, segments=encoding.segments)
    subject = render_text(subject_src or "{{ clinic_name }}", variables)
    ics = session_ics(appointments, settings, now) if appointments else None
    return Composed(subject=subject, text=text, html=text_to_html(text), ics=ics)
