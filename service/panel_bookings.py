"""Sessions booked, moved, cancelled and marked at the front desk, applied exactly as a booking webhook would be.

Each change becomes domain events from the source `panel` (one per change) in a `WebhookPost` that goes through the
webhooks' own intake (`service.webhooks.intake.accept`): stored once per id, applied by `ingest`, planned at once. So
the patient gets the same confirmation, change and cancellation messages, with the same debounce, as for a booking
made in a booking system. The form carries its id (`key`), so a form sent twice books once.

A session from a booking system keeps its source: a cancellation or an attended/no-show mark names it by that source
and its id there (a status event, as a booking system's own), so nothing else about it changes here.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from .domain.events import AppointmentInfo, BookingEvent, CourseInfo, EventType, PatientInfo, StatusEvent
from .domain.vocabulary import AppointmentStatus
from .extensions import DbSession
from .i18n import _
from .models import Appointment, Course, Patient, PatientExternalId
from .settings import Settings
from .webhooks.intake import accept
from .webhooks.posts import WebhookPost

PANEL = "panel"
MIN_MINUTES, MAX_MINUTES = 5, 240
TREATMENT = "mesotherapy"
_KEY = re.compile(r"^[0-9a-f]{32}$")


class BookingError(ValueError):
    """What is wrong with what staff asked, in words they can act on."""


@dataclass(frozen=True)
class NewPatient:
    first_name: str
    last_name: str
    phone: str  # E.164, already normalised
    email: str | None
    language: str
    sms_consent: bool
    email_consent: bool


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # aware
    zone: str  # the IANA zone the time was typed in: the patient's
    duration_minutes: int
    area: str
    course_id: int | None = None  # one of the patient's courses; None lets ingest choose as for any booking


@dataclass(frozen=True)
class Outcome:
    appointment_id: int
    duplicate: bool  # the same form was sent before: nothing new was done


def new_key() -> str:
    """The id a form carries from the page that showed it to the post that applies it."""
    return uuid.uuid4().hex


def usable_key(key: str | None) -> str:
    return key if key and _KEY.match(key) else new_key()


def patient_zone(patient: Patient | None, settings: Settings) -> str:
    return (patient.timezone if patient else None) or settings.clinic_timezone


def local_start(day: date, at: time, zone_name: str, now: datetime) -> datetime:
    """The instant of a wall time typed for the patient's zone; a time the clocks skip, or one past, is refused."""
    zone = ZoneInfo(zone_name)
    wall = datetime.combine(day, at.replace(second=0, microsecond=0))
    instant = wall.replace(tzinfo=zone, fold=0)
    if instant.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        raise BookingError(
            _(
                "%(time)s does not exist on that day in %(zone)s: the clocks go forward then. Choose another time.",
                time=at.strftime("%H:%M"),
                zone=zone_name,
            )
        )
    if instant <= now:
        raise BookingError(_("That time has already passed. Choose a time in the future."))
    return instant


def check_duration(minutes: int | None) -> int:
    if minutes is None or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise BookingError(
            _("A session lasts %(low)d to %(high)d minutes.", low=MIN_MINUTES, high=MAX_MINUTES),
        )
    return minutes


def patient_with(db_session: DbSession, phone: str | None, email: str | None) -> Patient | None:
    """A patient who already has this phone or email: a new patient with it would be merged into them."""
    ways = [c for c in (Patient.phone == phone if phone else None, Patient.email == email if email else None) if c is not None]
    if not ways:
        return None
    return db_session.execute(select(Patient).where(or_(*ways)).order_by(Patient.id).limit(1)).scalar_one_or_none()


def _link(db_session: DbSession, patient: Patient) -> str:
    """The patient's id for the source `panel`: the events name them by it, so ingest finds this very patient (two
    patients may share a phone; one may have neither phone nor email)."""
    found = db_session.execute(
        select(PatientExternalId.external_id)
        .where(PatientExternalId.patient_id == patient.id, PatientExternalId.source == PANEL)
        .order_by(PatientExternalId.id)
        .limit(1)
    ).scalar_one_or_none()
    if found is not None:
        return found
    external_id = f"panel-patient-{new_key()}"
    db_session.add(PatientExternalId(patient_id=patient.id, source=PANEL, external_id=external_id))
    return external_id


def _known(external_id: str) -> PatientInfo:
    """A patient known here: named by their link, nothing about them changed."""
    return PatientInfo(external_id, "", "", None, None, None, None, None, None)


def _newcomer(person: NewPatient, key: str) -> PatientInfo:
    return PatientInfo(
        external_id=f"panel-patient-{key}",
        first_name=person.first_name,
        last_name=person.last_name,
        phone=person.phone,
        email=person.email,
        timezone=None,
        language=person.language,
        sms_consent=person.sms_consent,
        email_consent=person.email_consent,
    )


def _course(db_session: DbSession, patient: Patient | None, course_id: int | None) -> CourseInfo | None:
    """One of the patient's own courses, named by Recall's id (ingest reads `recall:<id>` from the panel)."""
    if course_id is None:
        return None
    course = db_session.get(Course, course_id)
    if course is None or patient is None or course.patient_id != patient.id:
        raise BookingError(_("That course is not one of this patient's. Choose one from the list."))
    return CourseInfo(f"recall:{course.id}", None, None)


def _apply(post: WebhookPost, settings: Settings, now: datetime) -> bool:
    """Through the webhooks' intake: stored once under its id, applied, planned, committed."""
    raw = json.dumps([asdict(e) for e in post.events], default=str, ensure_ascii=False).encode()
    body, status = accept(PANEL, post, raw, settings, now)
    if status >= 400:
        raise BookingError(_("The session could not be changed: it is not known here any more."))
    return body.get("status") == "duplicate"  # this form was applied before: nothing new


def book(
    db_session: DbSession,
    who: Patient | NewPatient,
    slot: Slot,
    key: str,
    settings: Settings,
    now: datetime,
) -> Outcome:
    """Book a session for a known patient or one staff are adding now."""
    external_id = f"panel-{key}"
    if isinstance(who, NewPatient):
        if (same := patient_with(db_session, who.phone, who.email)) is not None and not _already_sent(db_session, key):
            raise BookingError(
                _(
                    "%(name)s already has this phone or email: search for them and book from their line.",
                    name=same.full_name,
                )
            )
        patient_info, course = _newcomer(who, key), None
    else:
        patient_info, course = _known(_link(db_session, who)), _course(db_session, who, slot.course_id)
    event = BookingEvent(
        source=PANEL,
        event_id=external_id,
        type=EventType.BOOKED,
        occurred_at=now,
        appointment=AppointmentInfo(
            external_id=external_id,
            starts_at=slot.starts_at,
            duration_minutes=slot.duration_minutes,
            treatment=TREATMENT,
            area=slot.area,
            timezone=slot.zone,
            course=course,
        ),
        patient=patient_info,
    )
    duplicate = _apply(WebhookPost(external_id, "panel.booked", [event]), settings, now)
    appointment_id = db_session.execute(
        select(Appointment.id).where(Appointment.source == PANEL, Appointment.external_id == external_id)
    ).scalar_one_or_none()
    if appointment_id is None:  # the intake met a conflict and kept nothing
        raise BookingError(_("The session could not be saved. Nothing was booked; please try again."))
    return Outcome(appointment_id, duplicate)


def _already_sent(db_session: DbSession, key: str) -> bool:
    found = db_session.execute(
        select(Appointment.id).where(Appointment.source == PANEL, Appointment.external_id == f"panel-{key}")
    ).first()
    return found is not None


def _after(appt: Appointment, now: datetime) -> datetime:
    """Now, or the appointment's newest event if a booking system's clock ran ahead: the panel's change is newer."""
    return max(now, appt.last_event_at) if appt.last_event_at is not None else now


def movable(appt: Appointment) -> bool:
    """Only the panel's own booked sessions: a move of a booking system's would be undone by its next webhook."""
    return appt.source == PANEL and appt.status == AppointmentStatus.BOOKED


def move(db_session: DbSession, appt: Appointment, slot: Slot, key: str, settings: Settings, now: datetime) -> Outcome:
    """Move a session booked here to another time (and length, area): the patient gets a change notice."""
    if not movable(appt):
        raise BookingError(_("Only a booked session made at the front desk can be moved here."))
    event = BookingEvent(
        source=PANEL,
        event_id=f"panel-move-{key}",
        type=EventType.RESCHEDULED,
        occurred_at=_after(appt, now),
        appointment=AppointmentInfo(
            external_id=appt.external_id,
            starts_at=slot.starts_at,
            duration_minutes=slot.duration_minutes,
            treatment=appt.treatment or TREATMENT,
            area=slot.area,
            timezone=slot.zone,
            course=_course(db_session, appt.patient, slot.course_id),
        ),
        patient=_known(_link(db_session, appt.patient)),
    )
    duplicate = _apply(WebhookPost(event.event_id, "panel.rescheduled", [event]), settings, now)
    return Outcome(appt.id, duplicate)


MARKS = {
    AppointmentStatus.CANCELLED: EventType.CANCELLED,
    AppointmentStatus.COMPLETED: EventType.COMPLETED,
    AppointmentStatus.NO_SHOW: EventType.NO_SHOW,
}


def mark(db_session: DbSession, appts: list[Appointment], status: str, key: str, settings: Settings, now: datetime) -> bool:
    """Cancel sessions, or mark them attended or no-show, from whichever source: one status event each, as their
    booking system would send it. False when this form was already applied."""
    events: list[BookingEvent | StatusEvent] = [
        StatusEvent(a.source, f"panel-{status}-{key}-{a.id}", MARKS[AppointmentStatus(status)], _after(a, now), a.external_id)
        for a in appts
    ]
    if not events:
        return True
    duplicate = _apply(WebhookPost(f"panel-{status}-{key}", f"panel.{status}", events), settings, now)
    return not duplicate
