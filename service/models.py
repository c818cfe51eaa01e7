"""Persistence: thin typed models. The rules live in `service.domain`.

Idempotency lives in the schema: one appointment per (source, external id), one
reminder per dedupe key, one webhook event per (source, event id), so a retried
delivery or a second instance can only ever hit a unique constraint, never a
second message.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .domain.vocabulary import AppointmentStatus, Channel, OutboundStatus, ReminderStatus, TodoKind
from .extensions import Model
from .timeutil import UTCDateTime, utcnow

APPOINTMENT_STATUSES = tuple(str(s) for s in AppointmentStatus)
REMINDER_STATUSES = tuple(str(s) for s in ReminderStatus)
CHANNELS = tuple(str(c) for c in Channel)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Patient(Model):
    __tablename__ = "patient"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA; None means the clinic's
    language: Mapped[str] = mapped_column(String(8), default="en")
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sms_consent_source: Mapped[str | None] = mapped_column(String(64))
    email_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    email_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_consent_source: Mapped[str | None] = mapped_column(String(64))
    whatsapp_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    whatsapp_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    whatsapp_consent_source: Mapped[str | None] = mapped_column(String(64))
    sms_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    whatsapp_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # STOP on WhatsApp stops WhatsApp only
    preferred_channel: Mapped[str | None] = mapped_column(String(8))  # the patient's choice; None: CHANNEL_ORDER's
    email_unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The next instant at which time alone may change what the planner wants for this patient, written at each
    # planning (far in the future when only an event can); the sweep plans the patients it has reached.
    # None: not planned since this column came, so the next sweep plans it.
    replan_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    external_ids: Mapped[list[PatientExternalId]] = relationship(back_populates="patient", cascade="all, delete-orphan")
    appointments: Mapped[list[Appointment]] = relationship(back_populates="patient")
    courses: Mapped[list[Course]] = relationship(back_populates="patient")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def __repr__(self) -> str:  # no names or contacts: reprs end up in logs
        return f"<Patient {self.id}>"


class PatientExternalId(Model):
    """A patient's id in a booking system, so the next event finds the same person."""

    __tablename__ = "patient_external_id"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))

    patient: Mapped[Patient] = relationship(back_populates="external_ids")

    def __repr__(self) -> str:
        return f"<PatientExternalId {self.source}:{self.external_id}>"


class Course(Model):
    """A course of sessions on one area; an annual maintenance course keeps results."""

    __tablename__ = "course"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint(_in("kind", ("initial", "maintenance")), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    source: Mapped[str | None] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(255))
    area: Mapped[str] = mapped_column(String(100), default="")
    treatment: Mapped[str] = mapped_column(String(100), default="mesotherapy")
    kind: Mapped[str] = mapped_column(String(16), default="initial")
    sessions_planned: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    maintenance_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="courses")
    appointments: Mapped[list[Appointment]] = relationship(back_populates="course")

    def __repr__(self) -> str:
        return f"<Course {self.id} {self.kind}>"


class Appointment(Model):
    """A treatment session. `starts_at` is UTC; the wall time and zone it was booked in are kept too."""

    __tablename__ = "appointment"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint(_in("status", APPOINTMENT_STATUSES), name="status"),
        Index("ix_appointment_starts_at_status", "starts_at", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    local_starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))  # wall time in `timezone`
    timezone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(Integer, default=10)
    treatment: Mapped[str] = mapped_column(String(100), default="mesotherapy")
    area: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16), default=AppointmentStatus.BOOKED)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the slot (time or status) last changed: drives debounce and "booked too late" skips.
    slot_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The booking system's clock for the newest event applied; older events never overwrite newer ones.
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A reschedule that came as a new booking: the appointment this one replaces, and on the old one, its successor.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id", ondelete="SET NULL"))
    replaced_by_external_id: Mapped[str | None] = mapped_column(String(255))
    # The patient's personal link (/r/<token>): only the token's SHA-256 is kept (service/links.py).
    manage_token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Where the booking system lets the patient cancel or pick another time itself (Calendly's, Cal.com's, Acuity's).
    cancel_url: Mapped[str | None] = mapped_column(String(500))
    reschedule_url: Mapped[str | None] = mapped_column(String(500))
    # Set when something changed that the planner has not yet turned into reminders.
    needs_planning: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="appointments")
    course: Mapped[Course | None] = relationship(back_populates="appointments")

    def __repr__(self) -> str:
        return f"<Appointment {self.id} {self.status}>"


class Reminder(Model):
    """The outbox: a reminder is this row before it is a message."""

    __tablename__ = "reminder"
    __table_args__ = (
        CheckConstraint(_in("status", REMINDER_STATUSES), name="status"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        # The dispatcher's due scan is a range scan on this index, whatever the table's size.
        Index("ix_reminder_status_next_attempt_at", "status", "next_attempt_at"),
        # The daily SMS cap counts what went out in the last 24 hours.
        Index("ix_reminder_sent_at", "sent_at"),
        # The outbox page lists by due time, newest first.
        Index("ix_reminder_due_at", "due_at"),
        # The dashboard counts the recent failures per day.
        Index("ix_reminder_status_updated_at", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(8))
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    # The session start this reminder was planned for: dispatch refuses to send it for any other.
    planned_for: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=ReminderStatus.PENDING)
    status_reason: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the dispatcher should next look at it: `due_at` at first, later moved by retries and quiet hours.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    leased_by: Mapped[str | None] = mapped_column(String(64))
    provider: Mapped[str | None] = mapped_column(String(16))
    # A Twilio SID is 34 characters, an email Message-ID can run past 100 (RFC 5322 sets no small limit).
    provider_message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # The provider's latest word on delivery (queued … delivered/undelivered/failed); only ever moves forward.
    provider_status: Mapped[str | None] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str | None] = mapped_column(Text)
    encoding: Mapped[str | None] = mapped_column(String(8))
    segments: Mapped[int | None] = mapped_column(Integer)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    patient: Mapped[Patient] = relationship()
    appointment: Mapped[Appointment | None] = relationship()
    course: Mapped[Course | None] = relationship()
    attempts_log: Mapped[list[SendAttempt]] = relationship(back_populates="reminder", order_by="SendAttempt.id")

    def __repr__(self) -> str:
        return f"<Reminder {self.id} {self.kind}/{self.channel} {self.status}>"


class SendAttempt(Model):
    """One try at handing a reminder to a provider, kept so staff can see backoff and errors."""

    __tablename__ = "send_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminder.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(16), default="started")  # started|sent|retry|unknown|failed
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(String(500))

    reminder: Mapped[Reminder] = relationship(back_populates="attempts_log")

    def __repr__(self) -> str:
        return f"<SendAttempt {self.reminder_id}#{self.number} {self.outcome}>"


class ReminderRule(Model):
    """A staff-editable rule: which message, on which channel, how long before a session."""

    __tablename__ = "reminder_rule"
    __table_args__ = (UniqueConstraint("kind", "channel"), CheckConstraint(_in("channel", CHANNELS), name="channel"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(8))
    offset_minutes: Mapped[int] = mapped_column(Integer)  # before the session start
    # "HH:MM": a calendar rule, offset_minutes // 1440 days before at this local time ("the day before at 10:00").
    at_local_time: Mapped[str | None] = mapped_column(String(5))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # When on, this rule's reminders are skipped for a session the patient has confirmed (SMS OUI, or their page).
    skip_when_confirmed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    def __repr__(self) -> str:
        return f"<ReminderRule {self.kind}/{self.channel} -{self.offset_minutes}min>"


class MessageTemplate(Model):
    __tablename__ = "message_template"
    __table_args__ = (UniqueConstraint("kind", "channel", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    # WhatsApp only: the approved Content template (HX…) sent outside the 24-hour window, and which of Recall's
    # variables fill its numbered ones ({"1": "first_name", "2": "session_time"}). No content_sid: not approved.
    content_sid: Mapped[str | None] = mapped_column(String(64))
    content_variables: Mapped[dict[str, str] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<MessageTemplate {self.kind}/{self.channel}/{self.language}>"


class Tip(Model):
    __tablename__ = "tip"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(32))  # aftercare | diet | exercise | water
    language: Mapped[str] = mapped_column(String(8))
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return f"<Tip {self.id} {self.category}/{self.language}>"


class DeliveryEvent(Model):
    """A provider's word on a sent message (Twilio status callback)."""

    __tablename__ = "delivery_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminder.id", ondelete="CASCADE"), index=True)
    provider_message_id: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<DeliveryEvent {self.provider_message_id} {self.status}>"


class InboundMessage(Model):
    """A patient's reply, kept for staff whatever it says."""

    __tablename__ = "inbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_message_id: Mapped[str] = mapped_column(String(64), unique=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id", ondelete="SET NULL"), index=True)
    from_number: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(8), default=Channel.SMS, server_default="sms")  # sms | whatsapp
    body: Mapped[str | None] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(String(16))  # stop|start|help|confirm|reschedule|other
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handled_by: Mapped[str | None] = mapped_column(String(254))

    def __repr__(self) -> str:
        return f"<InboundMessage {self.id} {self.intent}>"


class WebhookEvent(Model):
    """A verified webhook delivery, raw, with what we made of it."""

    __tablename__ = "webhook_event"
    __table_args__ = (UniqueConstraint("source", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))  # processed | ignored | rejected
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<WebhookEvent {self.source}:{self.event_id} {self.outcome}>"


class User(Model):
    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint(_in("role", ("admin", "staff")), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="staff")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    language: Mapped[str | None] = mapped_column(String(8))  # the panel's language for this user; None: CLINIC_LANGUAGE
    # In every session's user id: bumping it (sign-out, new password, deactivation) ends every session issued before.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # TOTP (RFC 6238): the base32 secret, set at enrolment and effective once confirmed (totp_enabled_at).
    # Kept out of the panel's lists, details and exports; anyone with the database can read it, like the hashes.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # the last accepted 30-s step: a code works once
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(cascade="all, delete-orphan")

    @property
    def mfa_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


@event.listens_for(User.active, "set", active_history=True)
def _deactivation_ends_sessions(user: User, value: bool, old: object, _initiator: object) -> None:
    """Whatever deactivates an account (the panel, a script) also signs it out everywhere."""
    if old is True and value is False:
        user.session_version = (user.session_version or 0) + 1


class RecoveryCode(Model):
    """One-use codes for a lost phone: only a SHA-256 digest is kept (each code has 80 random bits, no need for Argon2)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEvent(Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(254))  # a user's email, or "system", "webhook:calcom", …
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.entity}:{self.entity_id}>"


class DeliveryDay(Model):
    """Messages per clinic-local day, counted once a day is over, so the dashboard reads 30 rows, not a million."""

    __tablename__ = "delivery_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    zone: Mapped[str] = mapped_column(String(64), primary_key=True)  # a new clinic zone counts its days afresh
    sent: Mapped[int] = mapped_column(Integer, default=0)  # sent or delivered
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    reported: Mapped[int] = mapped_column(Integer, default=0)  # sends a provider reported a final status on
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Suppression(Model):
    """A contact that must never be messaged again: an erased patient's number or address, as a one-way hash."""

    __tablename__ = "suppression"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of "phone:+33…" / "email:…"
    kind: Mapped[str] = mapped_column(String(8))  # phone | email
    reason: Mapped[str] = mapped_column(String(32), default="erased")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboundEvent(Model):
    """An event for the clinic's booking system: a row before it is a request (service/outbound.py), delivered by
    service/outbound_delivery.py with the same webhook-id on every attempt, in order per appointment."""

    __tablename__ = "outbound_event"
    __table_args__ = (CheckConstraint(_in("status", tuple(str(s) for s in OutboundStatus)), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(64), unique=True)  # msg_<random>: the receiver's idempotency key
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboundStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<OutboundEvent {self.id} {self.type} {self.status}>"


class TodoItem(Model):
    """Something the front desk must do (service/todo.py); "done" records who did it."""

    __tablename__ = "todo_item"
    __table_args__ = (CheckConstraint(_in("kind", tuple(str(k) for k in TodoKind)), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # One item per cause: "reply:<id>", "no_show:<appointment id>"…, so a repeated event adds nothing.
    key: Mapped[str] = mapped_column(String(100), unique=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id", ondelete="SET NULL"))
    detail: Mapped[str | None] = mapped_column(Text)  # what is asked, in the patient's words or Recall's
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    done_by: Mapped[str | None] = mapped_column(String(254))

    patient: Mapped[Patient | None] = relationship()

    def __repr__(self) -> str:
        return f"<TodoItem {self.id} {self.kind}>"


class TreatmentPlan(Model):
    """How many sessions a course of one area takes, and how far apart: a course without a size takes its area's.

    `area` is matched against the course's area, trimmed and case-insensitively; the row `*` is for any other area.
    """

    __tablename__ = "treatment_plan"
    __table_args__ = (
        CheckConstraint("sessions_planned > 0", name="sessions_planned"),
        CheckConstraint("interval_days > 0", name="interval_days"),
        CheckConstraint("maintenance_sessions_planned > 0", name="maintenance_sessions_planned"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area: Mapped[str] = mapped_column(String(100), unique=True)
    sessions_planned: Mapped[int] = mapped_column(Integer)
    interval_days: Mapped[int] = mapped_column(Integer, default=7)
    maintenance_sessions_planned: Mapped[int] = mapped_column(Integer, default=4)

    def __repr__(self) -> str:
        return f"<TreatmentPlan {self.area!r} {self.sessions_planned}x{self.interval_days}d>"
