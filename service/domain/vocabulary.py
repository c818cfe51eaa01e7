"""The words the outbox speaks: statuses, kinds and channels, each spelled once.

They are `StrEnum`s, so the database keeps the same strings and a member compares
equal to its value; code compares and assigns members, never bare strings.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """What falls back to what is CHANNEL_ORDER's to say: `service.domain.channel_order`."""

    SMS = "sms"
    EMAIL = "email"
    WHATSAPP = "whatsapp"


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    COURSE_INTERRUPTED = "course_interrupted"  # a stalled course, two nudges later: call to book the next session


class ReminderStatus(StrEnum):
    """Where a reminder is in its life; `service.domain.lifecycle` alone moves it."""

    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a dispatcher, under a lease
    SENT = "sent"  # the provider took it
    DELIVERED = "delivered"  # the provider says it arrived
    FAILED = "failed"  # every way to send it is spent
    CANCELLED = "cancelled"  # no longer true or wanted (a session cancelled, moved, an opt-out, erasure)
    SKIPPED = "skipped"  # still true, but not worth sending (too late, another message said it)


OPEN = (ReminderStatus.PENDING, ReminderStatus.SENDING)
WENT_OUT = (ReminderStatus.SENT, ReminderStatus.DELIVERED)


class ReminderKind(StrEnum):
    """The kinds Recall ships. Staff may add session rules of their own, so a stored kind can be another string."""

    CONFIRMATION = "confirmation"
    CHANGE_NOTICE = "change_notice"
    CANCELLATION_NOTICE = "cancellation_notice"
    REMINDER_48H = "reminder_48h"
    REMINDER_24H = "reminder_24h"
    REMINDER_2H = "reminder_2h"
    AFTERCARE = "aftercare"
    AFTERCARE_CHECKIN = "aftercare_checkin"
    TIP = "tip"
    MAINTENANCE_EARLY = "maintenance_early"
    MAINTENANCE_DUE = "maintenance_due"
    MAINTENANCE_OVERDUE = "maintenance_overdue"
    REBOOK = "rebook"  # a course stalled: short of its plan, its last session past, nothing booked
    NO_SHOW_FOLLOWUP = "no_show_followup"  # "we missed you": once per missed session


NOTICE_KINDS = (ReminderKind.CONFIRMATION, ReminderKind.CHANGE_NOTICE, ReminderKind.CANCELLATION_NOTICE)
AFTERCARE_KINDS = (ReminderKind.AFTERCARE, ReminderKind.AFTERCARE_CHECKIN)
MAINTENANCE_KINDS = (ReminderKind.MAINTENANCE_EARLY, ReminderKind.MAINTENANCE_DUE, ReminderKind.MAINTENANCE_OVERDUE)


class OutboundEventType(StrEnum):
    """What Recall tells the clinic's booking system (OUTBOUND_WEBHOOK_URL); the names are a contract, never rename."""

    APPOINTMENT_CONFIRMED = "appointment.confirmed"
    APPOINTMENT_CANCELLED_BY_PATIENT = "appointment.cancelled_by_patient"
    APPOINTMENT_RESCHEDULE_REQUESTED = "appointment.reschedule_requested"
    PATIENT_SMS_OPTED_OUT = "patient.sms_opted_out"
    PATIENT_SMS_OPTED_IN = "patient.sms_opted_in"
    MESSAGE_FAILED = "message.failed"


class OutboundStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # a final answer (4xx but 429), or 24 hours of retries spent


class TodoKind(StrEnum):
    """What the front desk must look at; each item names who, when and what."""

    RESCHEDULE_REQUEST = "reschedule_request"
    LATE_CANCELLATION = "late_cancellation"  # a patient cancelled less than 48 h ahead
    REPLY = "reply"  # a free-text SMS reply not yet handled
    SEND_FAILURE = "send_failure"  # a permanent failure: check the patient's number or address
    NO_SHOW = "no_show"
    COURSE_INTERRUPTED = "course_interrupted"  # a stalled course, two nudges later: call to book the next session
