"""When time alone can next change a patient's plan (`domain/replanning.py`): never later than a real change.

The planner stores this instant and the sweep plans a patient only once it has come, so an instant later than a
real change would lose a reminder. `plan` below is what `service/planner.py` asks of the pure rules, with what
only events change (the notices already told, the tips already assigned) held fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from service.domain.care import TIP_HORIZON, TipRef, plan_aftercare, plan_maintenance, plan_tips
from service.domain.courses import COMPLETION_GAP, CourseSession, course_state
from service.domain.planning import (
    DEFAULT_SESSION_RULES,
    NoticeState,
    Reach,
    SessionSnapshot,
    plan_notices,
    plan_session_reminders,
)
from service.domain.quiet_hours import QuietHours
from service.domain.replanning import LOOKBACK, CourseFacts, next_replan_at

WINDOW = QuietHours(8, 21)
BOTH = Reach(sms=True, email=True)
LIBRARY = [TipRef(1, "diet"), TipRef(2, "water"), TipRef(3, "exercise")]
DEBOUNCE = timedelta(minutes=3)
ZONES = [ZoneInfo(z) for z in ("Europe/Paris", "America/New_York", "Australia/Sydney", "Pacific/Chatham", "Asia/Kolkata")]
STATUSES = ("booked", "booked", "booked", "completed", "no_show", "cancelled")


@dataclass(frozen=True)
class History:
    zone: ZoneInfo
    sessions: tuple[tuple[int, CourseSession], ...]  # (course, session)
    planned: tuple[int | None, ...]  # sessions planned, per course
    booked_at: datetime

    @property
    def appointments(self) -> list[CourseSession]:
        return [s for _, s in self.sessions]

    def courses(self) -> list[CourseFacts]:
        return [
            CourseFacts(tuple(s for c, s in self.sessions if c == course), planned) for course, planned in enumerate(self.planned)
        ]


def plan(h: History, now: datetime) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """What the planner wants at `now`, and the course progress it saves, as comparable values."""
    every = h.appointments
    window = [s for s in every if s.starts_at >= now - LOOKBACK]
    snaps = [SessionSnapshot(s.appointment_id, s.starts_at, s.status, h.booked_at) for s in window]
    wanted = plan_session_reminders(snaps, DEFAULT_SESSION_RULES, BOTH, h.zone, WINDOW)
    wanted += plan_notices([NoticeState(s, None) for s in snaps if s.starts_at > now], BOTH, DEBOUNCE)
    for s in window:
        wanted += plan_aftercare(s, BOTH, h.zone, WINDOW)
    future_booked = any(s.status == "booked" and s.starts_at > now for s in every)
    states = [course_state(list(c.sessions), c.sessions_planned, now, h.zone) for c in h.courses()]
    progress = []
    for course_id, state in enumerate(states):
        progress.append((state.first_session_at, state.completed_at, state.maintenance_due_on))
        if state.active:
            wanted += plan_tips(course_id, state, LIBRARY, {}, {}, BOTH, h.zone, now)
        superseded = any(  # every course here is of one area
            other.first_session_at is not None
            and state.last_session_at is not None
            and other.first_session_at > state.last_session_at
            for other in states
            if other is not state
        )
        wanted += plan_maintenance(
            course_id,
            state.maintenance_due_on,
            superseded=superseded,
            future_session_booked=future_booked,
            reach=BOTH,
            zone=h.zone,
        )
    rows = sorted(
        (w.dedupe_key, w.kind, w.channel.value, w.due_at, w.expires_at, w.appointments, tuple(sorted(w.variables.items())))
        for w in wanted
    )
    return rows, progress


@st.composite
def histories(draw: st.DrawFn) -> tuple[History, datetime]:
    base = draw(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)))
    zone = draw(st.sampled_from(ZONES))
    courses = draw(st.integers(1, 2))
    sessions = []
    for appointment_id in range(1, draw(st.integers(0, 7)) + 1):
        # Sessions a week or a few apart, as courses go; some far enough apart for a course to complete between them.
        starts = base + timedelta(hours=draw(st.integers(-24 * 120, 24 * 200)))
        minutes = draw(st.integers(10, 90))
        status = draw(st.sampled_from(STATUSES))
        course = draw(st.integers(0, courses - 1))
        sessions.append((course, CourseSession(appointment_id, starts, starts + timedelta(minutes=minutes), status)))
    planned = tuple(draw(st.one_of(st.none(), st.integers(1, 6))) for _ in range(courses))
    booked_at = base - timedelta(days=draw(st.integers(1, 200)))
    if sessions and draw(st.booleans()):
        # Near or at a bound of the rules, where an instant off by a little would show.
        _, near = draw(st.sampled_from(sessions))
        bound = draw(st.sampled_from((near.starts_at, near.ends_at, near.starts_at + LOOKBACK, near.starts_at + COMPLETION_GAP)))
        now = (
            bound
            + draw(st.sampled_from((timedelta(0), timedelta(microseconds=1))))
            - timedelta(minutes=draw(st.integers(0, 2880)))
        )
    else:
        now = base + timedelta(minutes=draw(st.integers(-60 * 24 * 30, 60 * 24 * 600)))
    return History(zone, tuple(sessions), planned, booked_at), now


@settings(max_examples=400, deadline=None)
@given(case=histories(), fraction=st.floats(0, 1, exclude_max=True))
def test_planning_again_before_the_next_instant_wants_exactly_the_same(case, fraction):
    h, now = case
    nxt = next_replan_at(h.appointments, h.courses(), now, h.zone)
    assert nxt is None or nxt > now
    before = plan(h, now)
    # The last instant before it, and anywhere in between (when None: anywhere in the next two years).
    span = (nxt - now) if nxt is not None else timedelta(days=730)
    for moment in {now + span * fraction, now + span - timedelta(microseconds=1)}:
        if now <= moment < (nxt or moment + span):
            assert plan(h, moment) == before, (now, moment, nxt)


# -- examples: which instant, for what ---------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def session(aid: int, starts: datetime, status: str = "booked") -> CourseSession:
    return CourseSession(aid, starts, starts + timedelta(minutes=10), status)


def test_a_course_booked_ahead_changes_first_when_its_first_tip_enters_the_horizon():
    first = at(date(2027, 3, 10), 11)
    s = session(1, first)
    now = at(date(2027, 3, 1), 9)
    assert next_replan_at([s], [CourseFacts((s,), 6)], now, PARIS) == at(date(2027, 3, 17), 10) - TIP_HORIZON


def test_a_running_course_changes_at_the_session_then_as_tips_come_and_go():
    first = at(date(2027, 3, 10), 11)
    s = session(1, first)
    course = [CourseFacts((s,), 6)]
    assert next_replan_at([s], course, first - timedelta(hours=1), PARIS) == first
    assert next_replan_at([s], course, first, PARIS) == first + timedelta(minutes=10)
    # From the first microsecond after five days, the planner no longer looks at the session (at five days it
    # still does); then week 2's tip enters the horizon (before week 1's, due on the 17th, leaves it).
    assert next_replan_at([s], course, at(date(2027, 3, 15), 10), PARIS) == first + LOOKBACK + timedelta(microseconds=1)
    assert next_replan_at([s], course, first + LOOKBACK, PARIS) == first + LOOKBACK + timedelta(microseconds=1)
    week2 = at(date(2027, 3, 24), 10)
    assert next_replan_at([s], course, at(date(2027, 3, 15), 12), PARIS) == week2 - TIP_HORIZON
    # Week 3's (the 31st, after the clocks go forward) enters eight days of elapsed time before: at 09:00 the 23rd.
    assert next_replan_at([s], course, week2 - TIP_HORIZON, PARIS) == at(date(2027, 3, 23), 9)
    assert next_replan_at([s], course, at(date(2027, 3, 23), 9), PARIS) == at(date(2027, 3, 24), 10)  # week 1 leaves


def test_a_course_left_alone_completes_eight_weeks_after_its_last_session():
    first = at(date(2027, 3, 10), 11)
    s = session(1, first)
    now = first + COMPLETION_GAP - timedelta(days=1)
    nxt = next_replan_at([s], [CourseFacts((s,), None)], now, PARIS)
    assert nxt is not None and nxt <= first + COMPLETION_GAP


def test_maintenance_stages_then_nothing_more():
    first = at(date(2027, 3, 10), 11)
    s = session(1, first, "completed")
    course = [CourseFacts((s,), 1)]  # complete at once; due 2028-03-10
    assert next_replan_at([s], course, at(date(2028, 1, 1), 12), PARIS) == at(date(2028, 2, 9), 10)
    assert next_replan_at([s], course, at(date(2028, 3, 10), 10), PARIS) == at(date(2028, 4, 9), 10)
    assert next_replan_at([s], course, at(date(2028, 4, 9), 10), PARIS) is None
