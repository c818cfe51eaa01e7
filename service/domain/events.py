"""Domain events: the one language every booking system is translated into."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from .vocabulary import AppointmentStatus


class EventType(StrEnum):
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


# The appointment status each event leaves behind.
STATUS_AFTER = {
    EventType.BOOKED: AppointmentStatus.BOOKED,
    EventType.RESCHEDULED: AppointmentStatus.BOOKED,
    EventType.CANCELLED: AppointmentStatus.CANCELLED,
    EventType.COMPLETED: AppointmentStatus.COMPLETED,
    EventType.NO_SHOW: AppointmentStatus.NO_SHOW,
}


@dataclass(frozen=True)
class PatientInfo:
    external_id: str | None
    first_name: str
    last_name: str
    phone: str | None  # E.164, already normalised
    email: str | None
    timezone: str | None
    language: str | None
    sms_consent: bool | None  # None: the source did not say
    email_consent: bool | None
    whatsapp_consent: bool | None = None
    preferred_channel: str | None = None  # sms | whatsapp | email: where the patient prefers to read, when reachable


@dataclass(frozen=True)
class CourseInfo:
    external_id: str
    sessions_planned: int | None
    kind: str | None  # initial | maintenance


@dataclass(frozen=True)
class AppointmentInfo:
    external_id: str
    starts_at: datetime  # aware
    duration_minutes: int
    treatment: str
    area: str
    timezone: str | None  # the zone the booking was made in, if the source says
    course: CourseInfo | None = None
    # The booking system's own pages where the patient cancels or reschedules (Calendly, Acuity); None: it has none.
    cancel_url: str | None = None
    reschedule_url: str | None = None


LINK_MAX = 500  # Appointment.cancel_url / reschedule_url


def web_link(value: object) -> str | None:
    """A link a patient may be sent to: an http(s) URL of sane length, else None (never `javascript:` or a bare path)."""
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > LINK_MAX:
        return None
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or any(c.isspace() for c in url):
        return None
    return url


@dataclass(frozen=True)
class BookingEvent:
    """Something happened to an appointment in a booking system."""

    source: str
    event_id: str
    type: EventType
    occurred_at: datetime  # aware; the booking system's clock
    appointment: AppointmentInfo
    patient: PatientInfo
    # For a reschedule that arrives as a new booking (Cal.com, Calendly): the booking it replaces.
    replaces_external_id: str | None = None
    # For the old half of such a reschedule (Calendly's cancel with `rescheduled: true`): the booking replacing it.
    replaced_by_external_id: str | None = None


@dataclass(frozen=True)
class StatusEvent:
    """A booking system saying only what became of a known appointment (a no-show mark), without its details."""

    source: str
    event_id: str
    type: EventType
    occurred_at: datetime
    external_id: str
