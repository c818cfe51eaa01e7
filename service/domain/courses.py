"""Courses of treatment: when one is complete, when its annual maintenance falls due, where a new session belongs.

A course is complete when its planned sessions are done, or 8 weeks after its
last session with nothing more booked. Results are kept by 4 to 6 weeks of
treatment every year, so maintenance falls due a year (configurable) after the
last session, counted in calendar months on the patient's local date.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .vocabulary import AppointmentStatus

COMPLETION_GAP = timedelta(weeks=8)  # no session for this long: the course is over
MAINTENANCE_WINDOW = timedelta(days=60)  # a new course this close to a due date is the maintenance course


@dataclass(frozen=True)
class CourseSession:
    appointment_id: int
    starts_at: datetime  # aware
    ends_at: datetime
    status: str  # booked | completed | no_show | cancelled


def attended(session: CourseSession, now: datetime) -> bool:
    """A session counts as attended when marked completed, or booked and over (unless marked otherwise)."""
    return session.status == AppointmentStatus.COMPLETED or (
        session.status == AppointmentStatus.BOOKED and session.ends_at <= now
    )


@dataclass(frozen=True)
class CourseState:
    attended: int
    first_session_at: datetime | None
    last_session_at: datetime | None  # the last attended session's start
    next_session_at: datetime | None  # the next booked session still ahead
    completed_at: datetime | None
    maintenance_due_on: date | None

    @property
    def active(self) -> bool:
        return self.completed_at is None and (self.attended > 0 or self.next_session_at is not None)


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the 29th of February becomes the 28th in a common year."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def course_state(
    sessions: list[CourseSession],
    sessions_planned: int | None,
    now: datetime,
    zone: ZoneInfo,
    *,
    interval_months: int = 12,
) -> CourseState:
    done = sorted((s for s in sessions if attended(s, now)), key=lambda s: s.starts_at)
    ahead = sorted((s for s in sessions if s.status == AppointmentStatus.BOOKED and s.ends_at > now), key=lambda s: s.starts_at)
    first = min((s.starts_at for s in [*done, *ahead]), default=None)
    last = done[-1] if done else None
    completed_at: datetime | None = None
    if last is not None:
        if sessions_planned and len(done) >= sessions_planned:
            completed_at = last.ends_at
        elif not ahead and now >= last.starts_at + COMPLETION_GAP:
            completed_at = last.starts_at + COMPLETION_GAP
    due = add_months(last.starts_at.astimezone(zone).date(), interval_months) if completed_at and last else None
    return CourseState(
        attended=len(done),
        first_session_at=first,
        last_session_at=last.starts_at if last else None,
        next_session_at=ahead[0].starts_at if ahead else None,
        completed_at=completed_at,
        maintenance_due_on=due,
    )


def progress(sessions: list[CourseSession], appointment_id: int, sessions_planned: int | None) -> tuple[int, int | None] | None:
    """Which session of its course this is ("3 of 6"), counting sessions not cancelled or missed."""
    counted = sorted(
        (s for s in sessions if s.status in (AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED)),
        key=lambda s: (s.starts_at, s.appointment_id),
    )
    for number, session in enumerate(counted, start=1):
        if session.appointment_id == appointment_id:
            return number, sessions_planned
    return None


@dataclass(frozen=True)
class CourseSummary:
    """A course as seen when deciding where a new session belongs."""

    course_id: int
    area: str
    last_session_at: datetime | None  # latest session not cancelled (attended or booked)
    maintenance_due_on: date | None


@dataclass(frozen=True)
class Attachment:
    course_id: int | None  # None: start a new course
    kind: str  # initial | maintenance (for a new course)


def attach_session(courses: list[CourseSummary], area: str, starts_at: datetime, zone: ZoneInfo) -> Attachment:
    """The patient's open course for this area (a gap under 8 weeks), else a new one.

    A new course that starts within 60 days of a due date of that area is the
    annual maintenance course.
    """
    same_area = [c for c in courses if c.area.strip().lower() == area.strip().lower()]
    for course in sorted(
        same_area, key=lambda c: c.last_session_at or datetime.min.replace(tzinfo=starts_at.tzinfo), reverse=True
    ):
        if course.last_session_at is not None and abs(starts_at - course.last_session_at) < COMPLETION_GAP:
            return Attachment(course.course_id, "")
    local_day = starts_at.astimezone(zone).date()
    for course in same_area:
        if course.maintenance_due_on is not None and abs(local_day - course.maintenance_due_on) <= MAINTENANCE_WINDOW:
            return Attachment(None, "maintenance")
    return Attachment(None, "initial")
