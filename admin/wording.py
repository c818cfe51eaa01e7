"""What the panel calls things: statuses, kinds, channels and sources in the reader's words, each spelled once.

Every page (lists, filters, the timeline, a course, the dashboard) takes its words from here, so a session reads the
same everywhere. A booked session whose end has passed and that nobody marked counts as attended, as the course
progress and the aftercare messages count it (`service.domain.courses.attended`); it says so, and that it is unmarked.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from service.domain.courses import CourseSession, attended
from service.domain.replies import Intent
from service.domain.vocabulary import AppointmentStatus, Channel, ReminderKind, ReminderStatus, TodoKind
from service.i18n import _l

SESSION_STATUS = {
    AppointmentStatus.BOOKED: _l("Booked"),
    AppointmentStatus.COMPLETED: _l("Attended"),
    AppointmentStatus.NO_SHOW: _l("No-show"),
    AppointmentStatus.CANCELLED: _l("Cancelled"),
}
PASSED_UNMARKED = _l("Passed, not marked (counted as attended)")

REMINDER_STATUS = {
    ReminderStatus.PENDING: _l("Waiting"),
    ReminderStatus.SENDING: _l("Being sent"),
    ReminderStatus.SENT: _l("Sent"),
    ReminderStatus.DELIVERED: _l("Delivered"),
    ReminderStatus.FAILED: _l("Failed"),
    ReminderStatus.CANCELLED: _l("Cancelled"),
    ReminderStatus.SKIPPED: _l("Not sent"),
}

REMINDER_KIND = {
    ReminderKind.CONFIRMATION: _l("Booking confirmation"),
    ReminderKind.CHANGE_NOTICE: _l("Change notice"),
    ReminderKind.CANCELLATION_NOTICE: _l("Cancellation notice"),
    ReminderKind.REMINDER_48H: _l("Reminder, 2 days before"),
    ReminderKind.REMINDER_24H: _l("Reminder, the day before"),
    ReminderKind.REMINDER_2H: _l("Reminder, 2 hours before"),
    ReminderKind.AFTERCARE: _l("Aftercare advice"),
    ReminderKind.AFTERCARE_CHECKIN: _l("Aftercare check-in"),
    ReminderKind.TIP: _l("Lifestyle tip"),
    ReminderKind.MAINTENANCE_EARLY: _l("Maintenance, a month ahead"),
    ReminderKind.MAINTENANCE_DUE: _l("Maintenance due"),
    ReminderKind.MAINTENANCE_OVERDUE: _l("Maintenance overdue"),
    ReminderKind.REBOOK: _l("Nudge to book the next session"),
    ReminderKind.NO_SHOW_FOLLOWUP: _l("Missed session follow-up"),
}

INTENT = {
    Intent.CONFIRM: _l("Confirms"),
    Intent.RESCHEDULE: _l("Asks to move the session"),
    Intent.STOP: _l("Stop (opted out)"),
    Intent.START: _l("Start (opted in again)"),
    Intent.HELP: _l("Help"),
    Intent.OTHER: _l("Other message"),
}

CHANNEL = {Channel.SMS: _l("SMS"), Channel.EMAIL: _l("Email"), Channel.WHATSAPP: _l("WhatsApp")}

# What the front desk is asked to do about each to-do item: the panel's To do list and the daily digest say it so.
TODO_KIND = {
    TodoKind.RESCHEDULE_REQUEST: _l("Asks for another time"),
    TodoKind.LATE_CANCELLATION: _l("Cancelled less than 48 hours ahead"),
    TodoKind.REPLY: _l("Replied by SMS: read and answer"),
    TodoKind.SEND_FAILURE: _l("A message could not be delivered: check the number or address"),
    TodoKind.NO_SHOW: _l("Did not come: call to book again"),
    TodoKind.COURSE_INTERRUPTED: _l("Course interrupted: call to book the next session"),
}

# Why a message can never arrive, by the provider's code (service.todo.is_contact_problem keeps only these kinds).
SEND_FAILURE = {
    "21211": _l("not a valid phone number"),
    "21612": _l("this number cannot be reached from the sender"),
    "21614": _l("not a mobile number"),
    "30005": _l("unknown number, or no longer in service"),
    "30006": _l("a landline, which cannot receive texts"),
    "550": _l("the address does not exist"),
    "551": _l("the address does not exist"),
    "553": _l("the address is not valid"),
}

SOURCE = {
    "panel": _l("Front desk"),
    "demo": _l("Demo data"),
    "generic": _l("Booking system"),
    "calcom": "Cal.com",
    "calendly": "Calendly",
    "acuity": "Acuity Scheduling",
    "fhir": "FHIR",
}


def session_status(status: str, starts_at: datetime, duration_minutes: int, now: datetime) -> str:
    """A session's state in words; an unmarked booked one that is over reads as counted attended."""
    if status == AppointmentStatus.BOOKED:
        ends_at = starts_at + timedelta(minutes=duration_minutes or 0)
        if attended(CourseSession(0, starts_at, ends_at, status), now):
            return str(PASSED_UNMARKED)
    return str(SESSION_STATUS.get(status, status))  # type: ignore[call-overload]


def reminder_status(status: str) -> str:
    return str(REMINDER_STATUS.get(status, status))  # type: ignore[call-overload]


def reminder_kind(kind: str) -> str:
    """A shipped kind's name, or a staff rule's own kind ("reminder_evening") made readable."""
    return str(REMINDER_KIND.get(kind) or kind.replace("_", " ").capitalize())  # type: ignore[call-overload]


def intent(value: str | None) -> str:
    return str(INTENT.get(value or "", value or ""))  # type: ignore[call-overload]


def todo_kind(value: str) -> str:
    return str(TODO_KIND.get(value, value))  # type: ignore[call-overload]


def send_failure(detail: str | None) -> str:
    """A send failure item's detail ("sms twilio 21211") in words: "SMS: not a valid phone number"."""
    parts = (detail or "").split()
    if len(parts) != 3:
        return detail or ""
    how, provider, code = parts
    words = SEND_FAILURE.get(code)
    return f"{channel(how)}: {words}" if words else f"{channel(how)}: {provider} {code}"


def channel(value: str) -> str:
    return str(CHANNEL.get(value, value))  # type: ignore[call-overload]


def source(value: str) -> str:
    return str(SOURCE.get(value, value))


def consent_source(value: str | None) -> str:
    """Who recorded a consent, as stored ("admin:desk@…", "webhook:calcom", "sms:START", "import:…") in words."""
    if not value:
        return ""
    how, _sep, who = value.partition(":")
    if how == "admin":
        return str(_l("Front desk (%(who)s)", who=who))
    if how == "import":
        return str(_l("CSV import (%(who)s)", who=who))
    if how == "webhook":
        return str(_l("Booking: %(system)s", system=source(who)))
    if how == "sms":
        return str(_l("The patient, by SMS (%(word)s)", word=who))
    if how == "email":
        return str(_l("The patient, by email"))
    return value


# Why a message was held, skipped or cancelled, as the planner and the dispatcher write it (English, in the row) and
# as the reader should read it. A reason not listed (a provider's error text) is shown as written.
_SESSION_STATE = {
    "cancelled": SESSION_STATUS[AppointmentStatus.CANCELLED],
    "completed": SESSION_STATUS[AppointmentStatus.COMPLETED],
    "no-show": SESSION_STATUS[AppointmentStatus.NO_SHOW],
    "booked": SESSION_STATUS[AppointmentStatus.BOOKED],
}
_REASONS: list[tuple[re.Pattern[str], object]] = [
    (re.compile(r"^the session was moved\b.*"), _l("the session was moved")),
    (re.compile(r"^the session (?:is|was) cancelled$"), _l("the session is cancelled")),
    (re.compile(r"^the session is (?P<state>[a-z-]+)$"), _l("the session is marked “%(state)s”")),
    (re.compile(r"^the session no longer exists$"), _l("the session no longer exists")),
    (
        re.compile(r"^a session is booked, or a newer course has started$"),
        _l("a session is booked, or a newer course has started"),
    ),
    (re.compile(r"^a session is booked$"), _l("a session is booked")),
    (re.compile(r"^the course is over$"), _l("the course is over")),
    (
        re.compile(r"^another session was booked with it.*"),
        _l("another session was booked with it: one confirmation names them all"),
    ),
    (re.compile(r"^the day's sessions changed.*"), _l("the day's sessions changed: one reminder names them all")),
    (re.compile(r"^the rules or the patient's details changed$"), _l("the rules or the patient's details changed")),
    (
        re.compile(r"^(?:quiet hours .*)?too late to be useful$|^.* until it was too late to be useful$"),
        _l("too late to be useful"),
    ),
    (re.compile(r"^quiet hours last until it is too late to be useful$"), _l("too late to be useful")),
    (re.compile(r"^quiet hours in the patient's time zone$"), _l("waiting for the allowed hours in the patient's time zone")),
    (
        re.compile(r"^no consent to send by (?P<channel>sms|email)( or the other channel)?$"),
        _l("the patient has not agreed to %(channel)s"),
    ),
    (re.compile(r"^the patient already has a message today$"), _l("the patient already has a message today")),
    (
        re.compile(r"^the patient has confirmed the session, and this rule skips confirmed sessions$"),
        _l("the patient has confirmed the session (this rule is not sent for confirmed sessions)"),
    ),
    (re.compile(r"^the daily SMS cap \((?P<cap>\d+)\) is reached$"), _l("the daily SMS limit (%(cap)s) is reached")),
    (
        re.compile(r"^this number or address belonged to an erased patient.*"),
        _l("this number or address belonged to an erased patient"),
    ),
]


def reason(text: str | None) -> str:
    """A stored reason in the reader's words ("unwanted: the session was moved" -> "la séance a été déplacée")."""
    if not text:
        return ""
    core = text
    for prefix in ("unwanted: ", "deferred: "):
        core = core.removeprefix(prefix)
    for pattern, words in _REASONS:
        found = pattern.match(core)
        if found:
            values = found.groupdict()
            if "state" in values:
                values["state"] = str(_SESSION_STATE.get(values["state"], values["state"]))
            if "channel" in values:
                values["channel"] = channel(values["channel"])
            return str(words) % values if values else str(words)
    return text
