"""What a clinic needs to answer a patient under the GDPR: all we hold about them, and erasure.

Erasure keeps the rows that make the clinic's numbers add up (how many reminders of which kind went out, when)
and removes what identifies the person: names, contacts, external ids, message bodies and replies. The number
and address are kept only as a SHA-256 digest in `suppression`, checked before every send, so a booking system
that sends the same patient again cannot get them messaged.

The digest is plain SHA-256, not an HMAC keyed with SECRET_KEY: a keyed digest would silently stop matching the
day the key is rotated, and an erased patient would be texted again. The price: phone numbers are few enough to
be guessed back from their digests, so the list is pseudonymous, not anonymous; it is kept for this purpose only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from sqlalchemy import String, delete, func, or_, select, update

from .contacts import ContactError, normalise_email, normalise_phone
from .domain import lifecycle
from .extensions import DbSession
from .models import (
    Appointment,
    AuditEvent,
    Course,
    DeliveryEvent,
    InboundMessage,
    Patient,
    PatientExternalId,
    Reminder,
    SendAttempt,
    Suppression,
    TodoItem,
    WebhookEvent,
)

ERASED_NAME = "(erased)"


def digest(kind: str, value: str) -> str:
    key = value.strip().lower() if kind == "email" else value.strip()
    return hashlib.sha256(f"{kind}:{key}".encode()).hexdigest()


def is_suppressed(db_session: DbSession, kind: str, value: str | None) -> bool:
    return bool(value) and db_session.get(Suppression, digest(kind, value or "")) is not None


def find_patients(db_session: DbSession, *, phone: str | None, email: str | None, region: str) -> list[Patient]:
    """Patients holding this number or address (one usually; a family sharing a phone is several)."""
    if bool(phone) == bool(email):
        raise ContactError("give exactly one of --phone or --email")
    if phone:
        number = normalise_phone(phone, region)
        return list(db_session.execute(select(Patient).where(Patient.phone == number).order_by(Patient.id)).scalars())
    address = normalise_email(email or "")
    return list(
        db_session.execute(select(Patient).where(func.lower(Patient.email) == address.lower()).order_by(Patient.id)).scalars()
    )


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _row(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: _iso(getattr(obj, name)) for name in fields}


def export_patient(db_session: DbSession, patient: Patient) -> dict[str, Any]:
    """Everything we hold about one patient, as plain JSON types."""
    reminders = list(
        db_session.execute(select(Reminder).where(Reminder.patient_id == patient.id).order_by(Reminder.id)).scalars()
    )
    reminder_ids = [r.id for r in reminders]
    attempts: dict[int, list[SendAttempt]] = {}
    receipts: dict[int, list[DeliveryEvent]] = {}
    if reminder_ids:
        for a in db_session.execute(
            select(SendAttempt).where(SendAttempt.reminder_id.in_(reminder_ids)).order_by(SendAttempt.id)
        ).scalars():
            attempts.setdefault(a.reminder_id, []).append(a)
        for d in db_session.execute(
            select(DeliveryEvent).where(DeliveryEvent.reminder_id.in_(reminder_ids)).order_by(DeliveryEvent.id)
        ).scalars():
            receipts.setdefault(d.reminder_id or 0, []).append(d)
    return {
        "profile": _row(
            patient, ("id", "first_name", "last_name", "phone", "email", "timezone", "language", "created_at", "updated_at")
        ),
        "consents": _row(
            patient,
            (
                "sms_consent",
                "sms_consent_at",
                "sms_consent_source",
                "email_consent",
                "email_consent_at",
                "email_consent_source",
                "sms_opted_out_at",
                "email_unsubscribed_at",
            ),
        ),
        "external_ids": [_row(x, ("source", "external_id")) for x in patient.external_ids],
        "courses": [
            _row(c, ("id", "area", "treatment", "kind", "sessions_planned", "started_at", "completed_at", "maintenance_due_on"))
            for c in db_session.execute(select(Course).where(Course.patient_id == patient.id).order_by(Course.id)).scalars()
        ],
        "sessions": [
            _row(
                a,
                (
                    "id",
                    "source",
                    "external_id",
                    "course_id",
                    "starts_at",
                    "timezone",
                    "duration_minutes",
                    "treatment",
                    "area",
                    "status",
                    "confirmed_at",
                ),
            )
            for a in db_session.execute(
                select(Appointment).where(Appointment.patient_id == patient.id).order_by(Appointment.starts_at)
            ).scalars()
        ],
        "messages": [
            {
                **_row(
                    r,
                    (
                        "id",
                        "kind",
                        "channel",
                        "status",
                        "status_reason",
                        "due_at",
                        "sent_at",
                        "provider_status",
                        "subject",
                        "body",
                    ),
                ),
                "attempts": [
                    _row(a, ("number", "started_at", "outcome", "error_code", "error_message")) for a in attempts.get(r.id, [])
                ],
                "delivery": [_row(d, ("status", "error_code", "received_at")) for d in receipts.get(r.id, [])],
            }
            for r in reminders
        ],
        "replies": [
            _row(m, ("received_at", "from_number", "body", "intent", "handled_at"))
            for m in db_session.execute(
                select(InboundMessage).where(InboundMessage.patient_id == patient.id).order_by(InboundMessage.id)
            ).scalars()
        ],
    }


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _payload_needles(db_session: DbSession, patient: Patient) -> list[str]:
    """Strings that only this patient's deliveries contain: the number in the ways booking systems write it, the
    address, and ids of 6 characters or more (a shorter one could be part of another patient's id)."""
    needles: list[str] = []
    if patient.phone:
        needles += [patient.phone, patient.phone.lstrip("+")]
        try:  # stored numbers are E.164; one that is not must not stop an erasure
            number = phonenumbers.parse(patient.phone, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None:
            national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            needles += [national, national.replace(" ", ""), international]
    if patient.email:
        needles.append(patient.email)
    ids = [x.external_id for x in patient.external_ids]
    ids += db_session.execute(select(Appointment.external_id).where(Appointment.patient_id == patient.id)).scalars().all()
    needles += [i for i in ids if len(i) >= 6 and not i.startswith("erased:")]
    return sorted(set(needles))


@dataclass
class Erasure:
    patient_id: int
    cancelled: int
    bodies_removed: int
    replies_removed: int
    payloads_removed: int


def erase_patient(db_session: DbSession, patient: Patient, *, actor: str, now: datetime) -> Erasure:
    """Remove what identifies the patient, suppress their contacts, cancel what is pending; the caller commits."""
    for kind, value in (("phone", patient.phone), ("email", patient.email)):
        if value and db_session.get(Suppression, digest(kind, value)) is None:
            db_session.add(Suppression(digest=digest(kind, value), kind=kind, reason="erased", created_at=now))
    # Raw webhook payloads that quote the patient go too (they also expire after 30 days): found by the number as
    # booking systems write it, the address, and the patient's and appointments' ids in those systems.
    needles = _payload_needles(db_session, patient)
    payloads = 0
    if needles:
        quoting = or_(*[WebhookEvent.payload.ilike(f"%{_like_escape(n)}%", escape="\\") for n in needles])
        payloads = (
            db_session.execute(  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult; Session.execute says Result
                update(WebhookEvent)
                .where(WebhookEvent.payload.is_not(None), quoting)
                .values(payload=None, error=None)
                .execution_options(synchronize_session=False)
            ).rowcount
            or 0
        )
    cancelled = (
        db_session.execute(  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult; Session.execute says Result
            update(Reminder)
            .where(Reminder.patient_id == patient.id, Reminder.status.in_(lifecycle.OPEN))
            .values(**lifecycle.cancelled("the patient's data was erased", now))
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    bodies = (
        db_session.execute(  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult; Session.execute says Result
            update(Reminder)
            .where(Reminder.patient_id == patient.id)
            .values(body=None, subject=None, context=None, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    reminder_ids = select(Reminder.id).where(Reminder.patient_id == patient.id).scalar_subquery()
    db_session.execute(
        update(SendAttempt)
        .where(SendAttempt.reminder_id.in_(reminder_ids))
        .values(error_message=None)
        .execution_options(synchronize_session=False)
    )
    replies = (
        db_session.execute(  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult; Session.execute says Result
            update(InboundMessage)
            .where(InboundMessage.patient_id == patient.id)
            .values(body=None, from_number=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    # A to-do's detail can quote the patient (a cancellation reason, what they asked for): the item stays, as a count.
    db_session.execute(
        update(TodoItem).where(TodoItem.patient_id == patient.id).values(detail=None).execution_options(synchronize_session=False)
    )
    db_session.execute(
        delete(PatientExternalId).where(PatientExternalId.patient_id == patient.id).execution_options(synchronize_session=False)
    )
    db_session.expire(patient, ["external_ids"])
    # The booking system's ids would tie these rows back to a named record there.
    db_session.execute(
        update(Appointment)
        .where(Appointment.patient_id == patient.id)
        .values(external_id="erased:" + Appointment.id.cast(String))
        .execution_options(synchronize_session=False)
    )
    db_session.execute(
        update(Course)
        .where(Course.patient_id == patient.id, Course.external_id.is_not(None))
        .values(external_id=None)
        .execution_options(synchronize_session=False)
    )
    patient.first_name, patient.last_name, patient.phone, patient.email = ERASED_NAME, "", None, None
    patient.sms_consent = patient.email_consent = False
    patient.sms_consent_source = patient.email_consent_source = None
    patient.updated_at = now
    db_session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action="erase",
            entity="patient",
            entity_id=str(patient.id),
            details={"cancelled": cancelled, "messages": bodies, "replies": replies, "payloads": payloads},
        )
    )
    return Erasure(patient.id, cancelled, bodies, replies, payloads)


@dataclass
class Purge:
    bodies: int
    replies: int
    payloads: int


def purge_expired(db_session: DbSession, *, retention_months: int, payload_days: int, now: datetime) -> Purge:
    """Message bodies and replies older than the retention period, raw webhook payloads older than `payload_days`."""
    before = now - timedelta(days=round(retention_months * 30.44))
    bodies = (
        db_session.execute(  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult; Session.execute says Result
            update(Reminder)
            .where(
                Reminder.body.is_not(None),
                Reminder.created_at < before,
                Reminder.status.notin_(lifecycle.OPEN),
            )
            .values(body=None, subject=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    replies = (
        db_session.execute(  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult; Session.execute says Result
            update(InboundMessage)
            .where(InboundMessage.body.is_not(None), InboundMessage.received_at < before)
            .values(body=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    # A to-do's detail quotes the patient as a reply does, and goes when replies go.
    replies += (
        db_session.execute(  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult; Session.execute says Result
            update(TodoItem)
            .where(TodoItem.detail.is_not(None), TodoItem.created_at < before)
            .values(detail=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    payloads = (
        db_session.execute(  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult; Session.execute says Result
            update(WebhookEvent)
            .where(WebhookEvent.payload.is_not(None), WebhookEvent.received_at < now - timedelta(days=payload_days))
            .values(payload=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    return Purge(bodies, replies, payloads)
