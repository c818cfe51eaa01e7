"""Nudges when a course stalls, and the follow-up after a missed session (pure).

A course stalls when it is short of its planned sessions, its last session has passed and nothing is booked. Then a
`rebook` message goes out the day after the next session should have been (last session + interval + 1 day) at
10:00 local, a second one 7 days later, and 7 days after that the front desk is asked to call. Each nudge is about
one stall (the course and its last session): a session booked, or the course closed, ends the stall and its nudges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .care import LOCAL_SEND_TIME, PREFERRED_CHANNEL, STALE_AFTER
from .courses import CourseSession, attended
from .planning import Reach, Wanted
from .quiet_hours import QuietHours, local_moment, next_allowed_at_or_after
from .vocabulary import AppointmentStatus, ReminderKind

FIRST_NUDGE_AFTER = timedelta(days=1)  # after the day the next session should have been
SECOND_NUDGE_AFTER = timedelta(days=7)  # after the first nudge's day
INTERRUPTED_AFTER = timedelta(days=14)  # after the first nudge's day: the front desk calls


@dataclass(frozen=True)
class Stall:
    """A course waiting for its next session: which one it is, and the local day of its first nudge."""

    course_id: int
    last_session_id: int
    attended: int
    sessions_planned: int
    first_day: date

    def nudge_days(self) -> tuple[date, date]:
        return self.first_day, self.first_day + SECOND_NUDGE_AFTER

    def interrupted_at(self, zone: ZoneInfo) -> datetime:
        """When the front desk is asked to call: the first nudge's date + 14 days, at the local send time."""
        return local_moment(self.first_day + INTERRUPTED_AFTER, LOCAL_SEND_TIME, zone)

    @property
    def todo_key(self) -> str:
        return f"course_interrupted:{self.course_id}:{self.last_session_id}"


def find_stall(
    course_id: int,
    sessions: Sequence[CourseSession],
    sessions_planned: int | None,
    interval_days: int | None,
    *,
    closed: bool,
    session_booked: bool,
    now: datetime,
    zone: ZoneInfo,
) -> Stall | None:
    """The course's stall at `now`, or None: closed, complete, of unknown size, never attended, or a session booked.

    `session_booked`: the patient has a session ahead (in any course): a patient who has booked is not nudged.
    """
    if closed or session_booked or not sessions_planned or not interval_days:
        return None
    if any(s.status == AppointmentStatus.BOOKED and s.ends_at > now for s in sessions):
        return None
    done = sorted((s for s in sessions if attended(s, now)), key=lambda s: (s.starts_at, s.appointment_id))
    if not done or len(done) >= sessions_planned:
        return None
    last = done[-1]
    first_day = last.starts_at.astimezone(zone).date() + timedelta(days=interval_days) + FIRST_NUDGE_AFTER
    return Stall(course_id, last.appointment_id, len(done), sessions_planned, first_day)


def plan_nudges(stall: Stall | None, reach: Reach, zone: ZoneInfo, window: QuietHours) -> list[Wanted]:
    """The two `rebook` messages of a stall, at 10:00 local (or the window's next opening).

    Each is useful for two days (as aftercare): a nudge held back longer by an outage would arrive out of step.
    """
    if stall is None:
        return []
    channel = reach.pick(PREFERRED_CHANNEL[ReminderKind.REBOOK])
    if channel is None:
        return []
    first, second = stall.nudge_days()
    moments = [next_allowed_at_or_after(local_moment(day, LOCAL_SEND_TIME, zone), zone, window) for day in (first, second)]
    ends = [min(moments[1], moments[0] + STALE_AFTER), min(stall.interrupted_at(zone), moments[1] + STALE_AFTER)]
    return [
        Wanted(
            dedupe_key=f"rebook:{stall.course_id}:{stall.last_session_id}:{number}",
            kind=ReminderKind.REBOOK,
            channel=channel,
            due_at=due,
            expires_at=expires,
            course_id=stall.course_id,
            # The session the patient is asked to book: "session 3 of 6".
            variables={"next_session": stall.attended + 1, "sessions_planned": stall.sessions_planned},
        )
        for number, (due, expires) in enumerate(zip(moments, ends, strict=True), start=1)
    ]


def plan_no_show_followup(session: CourseSession, reach: Reach, zone: ZoneInfo, window: QuietHours) -> list[Wanted]:
    """One "we missed you" message after a missed session: as it ends if allowed, else at the window's next opening."""
    if session.status != AppointmentStatus.NO_SHOW:
        return []
    channel = reach.pick(PREFERRED_CHANNEL[ReminderKind.NO_SHOW_FOLLOWUP])
    if channel is None:
        return []
    return [
        Wanted(
            dedupe_key=f"no_show:{session.appointment_id}:{ReminderKind.NO_SHOW_FOLLOWUP}",
            kind=ReminderKind.NO_SHOW_FOLLOWUP,
            channel=channel,
            due_at=next_allowed_at_or_after(session.ends_at, zone, window),
            expires_at=session.ends_at + STALE_AFTER,
            planned_for=session.starts_at,
            appointment_id=session.appointment_id,
            appointments=((session.appointment_id, session.starts_at.isoformat()),),
        )
    ]
