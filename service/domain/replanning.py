"""When time alone can next change what the planner wants for a patient.

The planner's rules read the clock in a handful of places: a session starting
(notices stop, "a session is booked ahead" flips), a booked session ending (it
counts as attended), a session leaving the planner's look-back, a course becoming
complete 8 weeks after its last session, a week's tip entering the planning
horizon or going stale. Between two such instants, planning again gives exactly
the same reminders, so the sweep only needs to plan a patient once the earliest
of them has come. The planner stores it; the sweep selects on it.

The answer errs early, never late: an instant returned too soon costs one
needless planning; one returned too late would lose a reminder. So a few
instants are included that today's rules do not strictly need (every
maintenance stage, tips whatever the library and the patient's reach).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from .care import LOCAL_SEND_TIME, MAINTENANCE_STAGES, TIP_EVERY, TIP_HORIZON
from .courses import COMPLETION_GAP, CourseSession, CourseState, course_state
from .nudges import Stall
from .quiet_hours import local_moment

LOOKBACK = timedelta(days=5)  # the planner looks at sessions this far back: the check-in (2 days) and its staleness (2 more)
JUST_AFTER = timedelta(microseconds=1)  # the first instant past a bound the rules include (`>=`)


@dataclass(frozen=True)
class CourseFacts:
    """One course as the planner sees it: its sessions and how many were planned."""

    sessions: tuple[CourseSession, ...]
    sessions_planned: int | None
    stall: Stall | None = None  # waiting for a session nobody booked: its nudges and the front desk's call are dated


def _session_instants(session: CourseSession) -> Iterable[datetime]:
    yield session.starts_at  # notices stop, "a session is booked ahead" flips
    yield session.ends_at  # a booked session over counts as attended
    yield session.starts_at.astimezone(UTC) + LOOKBACK + JUST_AFTER  # the planner no longer looks at it


def _tip_instants(state: CourseState, zone: ZoneInfo, now: datetime) -> Iterable[datetime]:
    """A week's tip enters the horizon at its due time less the horizon, and is no longer wanted a week after it."""
    if state.first_session_at is None:
        return
    start_day = state.first_session_at.astimezone(zone).date()
    elapsed_weeks = (now.astimezone(zone).date() - start_day).days // 7
    week = max(1, elapsed_weeks - 2)  # earlier weeks' instants are all past
    while True:
        due = local_moment(start_day + timedelta(weeks=week), LOCAL_SEND_TIME, zone)
        # As the planner computes them: `due + TIP_EVERY > now` is a week of wall time in the patient's zone,
        # `due > now + TIP_HORIZON` eight days of elapsed time (an hour apart across a clock change).
        yield due + TIP_EVERY
        enters = due.astimezone(UTC) - TIP_HORIZON
        if enters > now:
            yield enters
            return  # every later week's instants come after this one
        week += 1


def _course_instants(state: CourseState, zone: ZoneInfo, now: datetime) -> Iterable[datetime]:
    if state.completed_at is None:
        if state.last_session_at is not None:
            yield state.last_session_at + COMPLETION_GAP  # complete, unless a session is booked ahead by then
        if state.active:
            yield from _tip_instants(state, zone, now)
    if state.maintenance_due_on is not None:
        for _, days in MAINTENANCE_STAGES:
            yield local_moment(state.maintenance_due_on + timedelta(days=days), LOCAL_SEND_TIME, zone)


def next_replan_at(
    appointments: Sequence[CourseSession],
    courses: Sequence[CourseFacts],
    now: datetime,
    zone: ZoneInfo,
    *,
    interval_months: int = 12,
) -> datetime | None:
    """The earliest instant after `now` from which planning may want something else, with nothing but the clock moving.

    Planning at any instant in [now, the answer) wants exactly what planning at `now` wants. None: time alone
    never changes this patient's plan (only an event can: a booking, a reply, an edit).
    """
    instants: list[datetime] = []
    for session in appointments:
        instants.extend(_session_instants(session))
    for course in courses:
        for session in course.sessions:
            instants.extend(_session_instants(session))
        state = course_state(list(course.sessions), course.sessions_planned, now, zone, interval_months=interval_months)
        instants.extend(_course_instants(state, zone, now))
        if course.stall is not None:  # the nudges' dates, and when the front desk is asked to call
            instants.extend(local_moment(day, LOCAL_SEND_TIME, zone) for day in course.stall.nudge_days())
            instants.append(course.stall.interrupted_at(zone))
    return min((t for t in instants if t > now), default=None)
