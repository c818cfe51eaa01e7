"""Compose the actual message for an outbox row: template lookup, variables, calendar file."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from icalendar import Calendar, Event
from sqlalchemy import select

from . import links, plans, staff_content
from .content.templates import for_whatsapp
from .domain import whatsapp
from .domain.courses import CourseSession, progress
from .domain.sms_encoding import sms_encoding
from .domain.vocabulary import Channel, ReminderKind
from .extensions import DbSession
from .models import Appointment, Course, MessageTemplate, Patient, Reminder
from .rendering import (
    TemplateProblem,
    default_template,
    format_phone,
    language_of,
    render_text,
    session_variables,
    template_kind,
)
from .settings import Settings
from .unsubscribe import unsubscribe_url


@dataclass(frozen=True)
class Composed:
    subject: str | None
    text: str
    html: str | None = None
    ics: bytes | None = None
    encoding: str | None = None
    segments: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_sid: str | None = None  # WhatsApp: the approved Content template for outside the 24-hour window
    content_variables: str | None = None  # its numbered variables, a JSON object


def whatsapp_template(db_session: DbSession, kind: str, language: str) -> MessageTemplate | None:
    """The clinic's approved WhatsApp Content template for this kind (or its family): the patient's language first."""
    rows = db_session.execute(
        select(MessageTemplate).where(
            MessageTemplate.kind.in_({kind, template_kind(kind)}),
            MessageTemplate.channel == Channel.WHATSAPP,
            MessageTemplate.content_sid.is_not(None),
        )
    ).scalars()
    ranked = sorted(rows, key=lambda t: (t.kind != kind, t.language != language, t.language != "en", t.id))
    return ranked[0] if ranked else None


def find_template(db_session: DbSession, kind: str, channel: str, language: str) -> tuple[str | None, str]:
    """The clinic's own template if it has one (for this very kind, else its family), else the shipped default."""
    templates = staff_content.get(db_session).templates
    for wanted in dict.fromkeys((kind, template_kind(kind))):
        for lang in dict.fromkeys((language, "en")):
            found = templates.get((wanted, channel, lang))
            if found is not None:
                return found
    return default_template(template_kind(kind), channel, language)


def patient_zone(patient: Patient, settings: Settings) -> ZoneInfo:
    return ZoneInfo(patient.timezone or settings.clinic_timezone)


# Production refuses to start without CLINIC_PHONE; elsewhere a message must not read "call  if …".
MISSING_CLINIC_PHONE = "[CLINIC_PHONE not set]"


def clinic_phone(settings: Settings) -> str:
    """The clinic's number as messages print it, or a marker nobody can miss when it is not configured."""
    return format_phone(settings.clinic_phone) or MISSING_CLINIC_PHONE


def base_variables(patient: Patient, settings: Settings) -> dict[str, Any]:
    return {
        "first_name": patient.first_name,
        "clinic_name": settings.clinic_name,
        "clinic_phone": clinic_phone(settings),
        "booking_url": settings.booking_url or "",  # templates give the phone instead when it is empty
        "manage_url": "",
    }


def manage_url(appointments: list[Appointment], settings: Settings) -> str:
    """The patient's page for the first session a message names (the same link in every message about it); empty
    without PUBLIC_BASE_URL, and the templates then give the phone alone."""
    if not appointments or not settings.public_base_url:
        return ""
    return links.manage_url(min(appointments, key=lambda a: (a.starts_at, a.id)).id, settings)


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
        event.add("description", f"To change it, call {clinic_phone(settings)}.")
        event.add("status", "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()


def text_to_html(text: str, footer: str | None = None) -> str:
    paragraphs = [f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n")]
    if footer:
        paragraphs.append(f'<p style="color:#666;font-size:12px">{footer}</p>')
    return "<!doctype html><html><body>" + "".join(paragraphs) + "</body></html>"


def compose(
    db_session: DbSession,
    reminder: Reminder,
    patient: Patient,
    appointments: list[Appointment],
    settings: Settings,
    channel: str,
    now: datetime,
) -> Composed:
    language = language_of(patient.language)
    zone = patient_zone(patient, settings)
    variables = base_variables(patient, settings)
    # WhatsApp's free text is the SMS text; outside the 24-hour window its Content template goes instead.
    text_channel = Channel.SMS if channel == Channel.WHATSAPP else channel
    subject_src, body_src = find_template(db_session, reminder.kind, text_channel, language)
    if appointments:
        starts = [a.starts_at for a in appointments]
        variables.update(session_variables(starts, zone, language, sms=channel == Channel.SMS))
        variables["manage_url"] = manage_url(appointments, settings)
        # Two statements' worth: only for a template that says where the session sits in its course.
        if "course_progress" in body_src or "course_progress" in (subject_src or ""):
            progress = course_progress(db_session, appointments[0], language)
            if progress:
                variables["course_progress"] = progress
    planned = dict((reminder.context or {}).get("variables", {}))
    if "due_on" in planned:
        variables["due_date"] = format_date(date.fromisoformat(planned["due_on"]), format="long", locale=language)
    if reminder.kind == ReminderKind.REBOOK and planned.get("next_session"):
        with_total = PROGRESS.get(language, PROGRESS["en"])[0]  # the session to book: "session 3 of 6"
        variables["course_progress"] = with_total.format(n=planned["next_session"], total=planned.get("sessions_planned"))
    if reminder.kind == ReminderKind.TIP:
        variables["tip"] = tip_text(db_session, planned.get("tip_id"), language)
    if reminder.kind == ReminderKind.AFTERCARE:
        variables["aftercare_tips"] = aftercare_tips(db_session, language)
    link = unsubscribe_url(settings.public_base_url, settings.secret_key, patient.id) if channel == Channel.EMAIL else None
    variables["unsubscribe_url"] = link or ""
    text = render_text(body_src, variables)
    if channel == Channel.WHATSAPP:
        approved = whatsapp_template(db_session, reminder.kind, language)
        text = for_whatsapp(text)  # the free text, inside the 24-hour window
        if approved is None:
            return Composed(subject=None, text=text)
        filled = whatsapp.numbered(dict(approved.content_variables or {}), variables)
        return Composed(subject=None, text=text, content_sid=approved.content_sid, content_variables=json.dumps(filled))
    if channel == Channel.SMS:
        encoding = sms_encoding(text)
        return Composed(subject=None, text=text, encoding=encoding.encoding, segments=encoding.segments)
    subject = render_text(subject_src or "{{ clinic_name }}", variables)
    # Calendar invitations belong to reminders about a session ahead, not to aftercare.
    ics = session_ics(appointments, settings, now) if appointments and reminder.kind not in NO_ICS_KINDS else None
    if not link:
        return Composed(subject=subject, text=text, html=text_to_html(text), ics=ics)
    # RFC 8058: an https URL the mail provider POSTs to; both headers must be DKIM-signed by the sending domain.
    headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    footer = f'<a href="{html.escape(link)}">{html.escape(UNSUBSCRIBE_LINE[language].rstrip(": "))}</a>'
    return Composed(
        subject=subject,
        text=f"{text}\n\n{UNSUBSCRIBE_LINE[language]}{link}",
        html=text_to_html(text, footer),
        ics=ics,
        headers=headers,
    )


def named_session_ids(appointment_id: int | None, context: dict[str, Any] | None) -> set[int]:
    """The sessions a reminder is about: its own and those its planned context names (a day's sessions, a notice)."""
    named = {int(a) for a, _ in (context or {}).get("appointments", [])}
    return named | ({appointment_id} if appointment_id else set())


def compose_now(
    db_session: DbSession, reminder: Reminder, settings: Settings, now: datetime, channel: str | None = None
) -> Composed:
    """The text `reminder` would have if it were sent at `now`: what the dispatcher composes, nothing written.

    The same `compose` the sending transaction calls, over the same sessions, read without locks; the page, the
    outbox and `reminders preview` show it for a message still to go out. Raises TemplateProblem as a send would.
    """
    with db_session.no_autoflush:  # reading only: whatever the caller holds unflushed stays so
        ids = named_session_ids(reminder.appointment_id, reminder.context)
        appointments = (
            list(db_session.execute(select(Appointment).where(Appointment.id.in_(ids)).order_by(Appointment.starts_at)).scalars())
            if ids
            else []
        )
        patient = db_session.get(Patient, reminder.patient_id)
        assert patient is not None  # a reminder's patient is never deleted, only erased
        return compose(db_session, reminder, patient, appointments, settings, channel or reminder.channel, now)


NO_ICS_KINDS = (
    ReminderKind.AFTERCARE,
    ReminderKind.AFTERCARE_CHECKIN,
    ReminderKind.CANCELLATION_NOTICE,
    ReminderKind.NO_SHOW_FOLLOWUP,
)
UNSUBSCRIBE_LINE = {
    "en": "To stop these emails: ",
    "fr": "Pour ne plus recevoir ces emails : ",
    "es": "Para dejar de recibir estos correos: ",
    "de": "Diese E-Mails abbestellen: ",
    "it": "Per non ricevere più queste email: ",
}
# Spanish says "cita", not "sesión": the words go into SMS, where one ó would cut a segment to 70 characters.
PROGRESS = {
    "en": ("session {n} of {total}", "session {n}"),
    "fr": ("séance {n} sur {total}", "séance {n}"),
    "es": ("cita {n} de {total}", "cita {n}"),
    "de": ("Sitzung {n} von {total}", "Sitzung {n}"),
    "it": ("seduta {n} di {total}", "seduta {n}"),
}


def course_progress(db_session: DbSession, appointment: Appointment, language: str) -> str | None:
    """ "session 3 of 6": where this session sits in its course (cancelled and missed ones not counted); the total is
    the course's own size, else its area's treatment plan."""
    if appointment.course_id is None:
        return None
    course = db_session.get(Course, appointment.course_id)
    rows = db_session.execute(
        select(Appointment.id, Appointment.starts_at, Appointment.status).where(Appointment.course_id == appointment.course_id)
    ).all()
    planned = plans.planned_sessions(db_session, course) if course is not None else None
    found = progress([CourseSession(i, s, s, st) for i, s, st in rows], appointment.id, planned)
    if found is None:
        return None
    number, total = found
    with_total, alone = PROGRESS.get(language, PROGRESS["en"])
    return with_total.format(n=number, total=total) if total else alone.format(n=number)


def tip_text(db_session: DbSession, tip_id: object, language: str) -> str:
    """The week's tip; if staff removed it meanwhile, the first active tip in the patient's language."""
    content = staff_content.get(db_session)
    tip = content.tips_by_id.get(tip_id) if isinstance(tip_id, int) else None
    if tip is not None and tip.active:
        return tip.text
    fallback = content.active_tips(language, exclude="aftercare")
    if not fallback:
        raise TemplateProblem("the tip library has no active tip to send")
    return fallback[0].text


def aftercare_tips(db_session: DbSession, language: str) -> list[str]:
    content = staff_content.get(db_session)
    for lang in dict.fromkeys((language, "en")):
        texts = [t.text for t in content.active_tips(lang, ("aftercare",))]
        if texts:
            return texts
    return []
