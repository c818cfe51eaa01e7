"""Apply a booking event to the database, whatever order events arrive in.

Every event carries the whole appointment and patient, so any event can create
them. The booking system's `occurred_at` orders events: an older one never
overwrites a newer one, and at the same instant a cancellation wins.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select

from . import links, todo
from .domain.courses import CourseSummary, attach_session
from .domain.events import STATUS_AFTER, BookingEvent, EventType, PatientInfo, StatusEvent
from .domain.vocabulary import AppointmentStatus
from .extensions import DbSession
from .models import Appointment, Course, Patient, PatientExternalId
from .planner import plan_patient
from .settings import Settings
from .textclean import storable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    outcome: str  # processed | stale
    appointment_id: int
    patient_id: int
    detail: str = ""


def _find_patient(db_session: DbSession, source: str, info: PatientInfo) -> tuple[Patient | None, bool]:
    """The patient this booking system's id is linked to, else the first with this phone, else with this email; and
    whether the link was what found them. One query: the three ways ranked in that order."""
    linked = (
        select(PatientExternalId.patient_id)
        .where(PatientExternalId.source == source, PatientExternalId.external_id == info.external_id)
        .scalar_subquery()
        if info.external_id
        else None
    )
    ways = [
        (condition, rank)
        for condition, rank in (
            (Patient.id == linked if linked is not None else None, 0),
            (Patient.phone == info.phone if info.phone else None, 1),
            (Patient.email == info.email if info.email else None, 2),
        )
        if condition is not None
    ]
    if not ways:
        return None, False
    ranked = case(*ways, else_=3)
    found = db_session.execute(
        select(Patient, ranked).where(or_(*(condition for condition, _ in ways))).order_by(ranked, Patient.id).limit(1)
    ).one_or_none()
    return (found[0], found[1] == 0) if found is not None else (None, False)


def upsert_patient(db_session: DbSession, source: str, info: PatientInfo, now: datetime, language: str) -> Patient:
    """The patient this booking is for, created or brought up to date; `language` is the clinic's, for a new patient
    whose booking system does not say."""
    patient, linked = _find_patient(db_session, source, info)
    if patient is None:
        # An empty list, known to be complete: looking for the external id below needs no query after the flush.
        patient = Patient(first_name=info.first_name, last_name=info.last_name, created_at=now, external_ids=[])
        db_session.add(patient)
    patient.first_name = storable((info.first_name or patient.first_name)[:100]) or ""
    patient.last_name = storable((info.last_name or patient.last_name or "")[:100]) or ""
    patient.phone = info.phone or patient.phone
    patient.email = info.email or patient.email
    patient.timezone = info.timezone or patient.timezone
    patient.language = storable((info.language or patient.language or language)[:8]) or language
    # Consent is recorded with when and how; an opt-out (STOP) is separate and only START undoes it.
    if info.sms_consent is not None and info.sms_consent != bool(patient.sms_consent):
        patient.sms_consent, patient.sms_consent_at, patient.sms_consent_source = info.sms_consent, now, f"webhook:{source}"
    if info.email_consent is not None and info.email_consent != bool(patient.email_consent):
        patient.email_consent, patient.email_consent_at, patient.email_consent_source = (
            info.email_consent,
            now,
            f"webhook:{source}",
        )
    if info.whatsapp_consent is not None and info.whatsapp_consent != bool(patient.whatsapp_consent):
        patient.whatsapp_consent, patient.whatsapp_consent_at, patient.whatsapp_consent_source = (
            info.whatsapp_consent,
            now,
            f"webhook:{source}",
        )
    patient.preferred_channel = info.preferred_channel or patient.preferred_channel
    db_session.flush()
    if (
        info.external_id
        and not linked
        and not any(x.source == source and x.external_id == info.external_id for x in patient.external_ids)
    ):
        patient.external_ids.append(PatientExternalId(source=source, external_id=info.external_id))
    return patient


def _course_summaries(
    db_session: DbSession, patient: Patient, zone: ZoneInfo, exclude_appointment: int | None
) -> list[CourseSummary]:
    """The patient's courses, each with its last booked or completed session (this one left out): one query."""
    last_session = func.max(Appointment.starts_at)
    rows = db_session.execute(
        select(Course, last_session)
        .outerjoin(
            Appointment,
            (Appointment.course_id == Course.id)
            & (Appointment.patient_id == patient.id)
            & Appointment.status.in_((AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED))
            & (Appointment.id != (exclude_appointment or -1)),
        )
        .where(Course.patient_id == patient.id)
        .group_by(Course.id)
        .order_by(Course.id)
    ).all()
    return [CourseSummary(c.id, c.area, last, c.maintenance_due_on) for c, last in rows]


def _course_for(
    db_session: DbSession, event: BookingEvent, patient: Patient, appt: Appointment | None, zone: ZoneInfo, now: datetime
) -> Course | None:
    """The course the webhook names; else the one the session already belongs to; else the patient's open
    course for that area; else a new one (a maintenance course when it starts near a due date)."""
    info = event.appointment
    given = info.course
    if given is None and appt is not None and appt.course_id is not None:
        return db_session.get(Course, appt.course_id)
    attachment = attach_session(
        _course_summaries(db_session, patient, zone, appt.id if appt else None), info.area, info.starts_at, zone
    )
    course: Course | None = None
    if given is not None:
        course = _named_course(db_session, event.source, given.external_id, patient.id)
    elif attachment.course_id is not None:
        course = db_session.get(Course, attachment.course_id)
    if course is None:
        course = Course(
            patient_id=patient.id,
            source=event.source if given else None,
            external_id=given.external_id if given else None,
            started_at=info.starts_at,
            area=info.area,
            treatment=info.treatment,
            kind=attachment.kind or "initial",
            created_at=now,
        )
        db_session.add(course)
        log.info("course started for patient %s (%s)", patient.id, course.kind)
    if given is not None:
        course.kind = given.kind or course.kind or "initial"
        course.sessions_planned = given.sessions_planned or course.sessions_planned
    return course


def _named_course(db_session: DbSession, source: str, external_id: str, patient_id: int) -> Course | None:
    """The course a booking system names by its own id; the front desk (`panel`) names one of the patient's courses
    by Recall's id, `recall:<id>`, whoever first named it."""
    own = external_id.removeprefix("recall:")
    if source == "panel" and own != external_id and own.isdigit():
        return db_session.execute(
            select(Course).where(Course.id == int(own), Course.patient_id == patient_id)
        ).scalar_one_or_none()
    return db_session.execute(
        select(Course).where(Course.source == source, Course.external_id == external_id)
    ).scalar_one_or_none()


def _is_stale(appt: Appointment, event: BookingEvent) -> bool:
    if appt.last_event_at is None:
        return False
    if event.occurred_at < appt.last_event_at:
        return True
    # Same instant: a cancellation wins over anything else.
    return (
        event.occurred_at == appt.last_event_at
        and appt.status == AppointmentStatus.CANCELLED
        and event.type != EventType.CANCELLED
    )


def apply_booking_event(db_session: DbSession, event: BookingEvent, settings: Settings, now: datetime) -> IngestResult:
    patient = upsert_patient(db_session, event.source, event.patient, now, settings.clinic_language)
    info = event.appointment
    appt = db_session.execute(
        select(Appointment)
        .where(Appointment.source == event.source, Appointment.external_id == info.external_id)
        .with_for_update()
    ).scalar_one_or_none()
    if appt is not None and _is_stale(appt, event):
        return IngestResult("stale", appt.id, patient.id, "a newer event for this appointment was already applied")

    zone_name = info.timezone or patient.timezone or settings.clinic_timezone
    starts_at = info.starts_at.astimezone(ZoneInfo("UTC"))
    status = STATUS_AFTER[event.type]
    if appt is None:
        appt = Appointment(
            source=event.source,
            external_id=info.external_id,
            patient_id=patient.id,
            created_at=now,
            slot_changed_at=now,
            starts_at=starts_at,
            status=status,
        )
        db_session.add(appt)
    elif appt.starts_at != starts_at or (appt.status == AppointmentStatus.BOOKED) != (status == AppointmentStatus.BOOKED):
        appt.slot_changed_at = now
        if appt.starts_at != starts_at:
            appt.confirmed_at = None
    appt.patient_id = patient.id
    appt.starts_at = starts_at
    appt.timezone = zone_name
    appt.local_starts_at = starts_at.astimezone(ZoneInfo(zone_name)).replace(tzinfo=None)
    appt.duration_minutes = max(1, min(600, info.duration_minutes))
    appt.treatment, appt.area = storable(info.treatment[:100]) or "", storable(info.area[:100]) or ""
    # Every event carries the booking system's current links (none, for a source without any): they replace the old.
    appt.cancel_url, appt.reschedule_url = info.cancel_url, info.reschedule_url
    appt.status = status
    appt.last_event_at = event.occurred_at
    appt.needs_planning = False  # planned inline below, in this transaction; true again if that fails
    with db_session.no_autoflush:  # the appointment is written once, with its course, not inserted then updated
        course = _course_for(db_session, event, patient, appt if appt.id else None, ZoneInfo(zone_name), now)
    if course is not None:
        appt.course = course
    db_session.flush()
    links.remember(appt, settings)  # the id exists now: the patient's link can be found from here on

    if event.replaced_by_external_id:
        appt.replaced_by_external_id = event.replaced_by_external_id
    if event.replaces_external_id:
        old_appt = db_session.execute(
            select(Appointment)
            .where(Appointment.source == event.source, Appointment.external_id == event.replaces_external_id)
            .with_for_update()
        ).scalar_one_or_none()
        if old_appt is not None and old_appt.id != appt.id:
            # One change, told once: the old booking ends without a cancellation notice, the new one gets a change notice.
            appt.replaces_id = old_appt.id
            old_appt.replaced_by_external_id = info.external_id
            if appt.course_id is None and info.course is None:
                appt.course_id = old_appt.course_id
            if old_appt.status == AppointmentStatus.BOOKED:
                old_appt.status, old_appt.slot_changed_at, old_appt.needs_planning = AppointmentStatus.CANCELLED, now, True

    if appt.status == AppointmentStatus.NO_SHOW:  # an acuity or FHIR booking saying so
        todo.add_no_show(db_session, appt, now)
    # Plan now, so the answer to the webhook already reflects the reminders; on a planning bug
    # the appointment is still saved and `needs_planning` lets the next tick try again.
    _plan_inline(db_session, appt, patient, settings, now)
    return IngestResult("processed", appt.id, patient.id)


def _plan_inline(db_session: DbSession, appt: Appointment, patient: Patient, settings: Settings, now: datetime) -> None:
    """Plan the patient in a savepoint. The appointment was written as planned (with its other changes, one
    statement) and is marked for the next tick only when planning fails: what commits has `needs_planning` true
    exactly then."""
    try:
        with db_session.begin_nested():
            plan_patient(db_session, patient, settings, now)
    except Exception:
        log.exception("planning failed for appointment %s; the next tick retries", appt.id)
        appt.needs_planning = True


def apply_status_event(db_session: DbSession, event: StatusEvent, settings: Settings, now: datetime) -> IngestResult:
    """Mark a known appointment (no-show, completed, cancelled); an unknown one is the sender's mistake to see."""
    appt = db_session.execute(
        select(Appointment)
        .where(Appointment.source == event.source, Appointment.external_id == event.external_id)
        .with_for_update()
    ).scalar_one_or_none()
    if appt is None:
        raise LookupError(f"no appointment {event.external_id!r} from {event.source} is known here")
    if appt.last_event_at is not None and event.occurred_at < appt.last_event_at:
        return IngestResult("stale", appt.id, appt.patient_id, "a newer event for this appointment was already applied")
    status = STATUS_AFTER[event.type]
    if (appt.status == AppointmentStatus.BOOKED) != (status == AppointmentStatus.BOOKED):
        appt.slot_changed_at = now
    appt.status, appt.last_event_at, appt.needs_planning = status, event.occurred_at, False  # see _plan_inline
    db_session.flush()
    if status == AppointmentStatus.NO_SHOW:  # a booking system's or the panel's "no-show": call the patient back
        todo.add_no_show(db_session, appt, now)
    _plan_inline(db_session, appt, appt.patient, settings, now)
    return IngestResult("processed", appt.id, appt.patient_id)
