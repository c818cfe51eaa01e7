"""The rule for nudging a stalled course, and the no-show follow-up, across DST changes (Hypothesis): never due in
quiet hours, never while a session is booked, never more than the one-message-a-day cap on a local day."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from service.domain.care import CAPPED_KINDS, plan_aftercare
from service.domain.courses import CourseSession
from service.domain.frequency import DayLoad, day_bounds, wait_for_free_day
from service.domain.nudges import find_stall, plan_no_show_followup, plan_nudges
from service.domain.planning import Reach
from service.domain.quiet_hours import QuietHours
from service.domain.vocabulary import AppointmentStatus, Channel, ReminderKind

ZONES = [ZoneInfo("Europe/Paris"), ZoneInfo("Europe/London"), ZoneInfo("America/New_York")]
WINDOW = QuietHours(8, 21)
EVERYONE = Reach(sms=True, email=True)
# Local wall times across several years of clock changes, in each zone (gaps and folds included).
starts = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2034, 12, 31), timezones=st.sampled_from(ZONES))
windows = st.tuples(st.integers(0, 12), st.integers(13, 24)).map(lambda hours: QuietHours(*hours))


def sessions_from(last: datetime, attended: int, interval_days: int) -> list[CourseSession]:
    return [
        CourseSession(
            n,
            last - timedelta(days=interval_days * (attended - n)),
            last - timedelta(days=interval_days * (attended - n)) + timedelta(minutes=10),
            AppointmentStatus.COMPLETED,
        )
        for n in range(1, attended + 1)
    ]


def stall_of(
    last: datetime, attended: int, planned: int, interval_days: int, *, booked: bool = False, now: datetime | None = None
):
    zone = last.tzinfo
    assert isinstance(zone, ZoneInfo)
    return find_stall(
        7,
        sessions_from(last, attended, interval_days),
        planned,
        interval_days,
        closed=False,
        session_booked=booked,
        now=now or last + timedelta(hours=1),
        zone=zone,
    )


@settings(max_examples=300, deadline=None)
@given(last=starts, attended=st.integers(1, 9), extra=st.integers(1, 5), interval_days=st.integers(1, 30), window=windows)
def test_nudges_are_never_due_in_quiet_hours_and_fall_on_two_local_days_a_week_apart(
    last, attended, extra, interval_days, window
):
    zone = last.tzinfo
    assert isinstance(zone, ZoneInfo)
    wanted = plan_nudges(stall_of(last, attended, attended + extra, interval_days), EVERYONE, zone, window)
    assert [w.dedupe_key.rsplit(":", 1)[1] for w in wanted] == ["1", "2"]
    for w in wanted:
        assert window.allows(w.due_at, zone)
        assert w.expires_at is not None and w.due_at < w.expires_at
        assert w.kind == ReminderKind.REBOOK and w.channel is Channel.SMS
    days = [w.due_at.astimezone(zone).date() for w in wanted]
    assert days[0] == last.date() + timedelta(days=interval_days + 1) and days[1] - days[0] == timedelta(days=7)
    if window.start_hour <= 10 < window.end_hour:  # 10:00 local, as the clinic's other dated messages
        assert all(w.due_at.astimezone(zone).time() == time(10, 0) for w in wanted)


@settings(max_examples=300, deadline=None)
@given(
    last=starts,
    attended=st.integers(1, 9),
    extra=st.integers(1, 5),
    interval_days=st.integers(1, 30),
    ahead_days=st.integers(0, 60),
)
def test_no_nudge_while_a_session_is_booked(last, attended, extra, interval_days, ahead_days):
    zone = last.tzinfo
    assert isinstance(zone, ZoneInfo)
    now = last + timedelta(days=ahead_days, hours=1)
    assert (
        plan_nudges(stall_of(last, attended, attended + extra, interval_days, booked=True, now=now), EVERYONE, zone, WINDOW) == []
    )
    # A session of the course itself booked ahead is as good as one elsewhere.
    booked = CourseSession(99, now + timedelta(days=1), now + timedelta(days=1, minutes=10), AppointmentStatus.BOOKED)
    stall = find_stall(
        7,
        [*sessions_from(last, attended, interval_days), booked],
        attended + extra,
        interval_days,
        closed=False,
        session_booked=False,
        now=now,
        zone=zone,
    )
    assert stall is None


@settings(max_examples=200, deadline=None)
@given(last=starts, attended=st.integers(1, 9), extra=st.integers(1, 5), interval_days=st.integers(1, 14), tips=st.integers(0, 6))
def test_never_more_than_the_cap_on_a_patients_local_day(last, attended, extra, interval_days, tips):
    """Nudges and other capped messages (weekly tips, here on the nudges' days too), sent by the cap's rule hour by
    hour: at most one a local day, and never in quiet hours."""
    zone = last.tzinfo
    assert isinstance(zone, ZoneInfo)
    nudges = plan_nudges(stall_of(last, attended, attended + extra, interval_days), EVERYONE, zone, WINDOW)
    pending = [(w.kind, w.due_at) for w in nudges]
    pending += [(ReminderKind.TIP, nudges[0].due_at + timedelta(days=3 * n)) for n in range(tips)]
    pending += [(ReminderKind.TIP, nudges[0].due_at)]  # a tip due with the first nudge: one of them waits
    sent: list[tuple[str, datetime]] = []
    moment = min(d for _, d in pending)
    while pending and moment < last + timedelta(days=120):
        if WINDOW.allows(moment, zone):
            start, end = day_bounds(moment, zone)
            for kind, due in sorted(pending, key=lambda p: CAPPED_KINDS.index(p[0])):
                if due > moment:
                    continue
                today = sum(1 for _, at in sent if start <= at < end)
                higher = sum(1 for k, d in pending if d < end and CAPPED_KINDS.index(k) < CAPPED_KINDS.index(kind))
                if wait_for_free_day(kind, DayLoad(today, higher), moment, zone, WINDOW, 1) is None:
                    sent.append((kind, moment))
                    pending.remove((kind, due))
        moment += timedelta(hours=1)
    per_day: dict[object, int] = {}
    for _, at in sent:
        assert WINDOW.allows(at, zone)
        per_day[at.astimezone(zone).date()] = per_day.get(at.astimezone(zone).date(), 0) + 1
    assert all(count <= 1 for count in per_day.values())
    assert sent[0][0] == ReminderKind.REBOOK  # the nudge goes before the tip due with it


@settings(max_examples=300, deadline=None)
@given(start=starts, minutes=st.integers(5, 120), window=windows)
def test_a_no_show_gets_one_follow_up_at_the_next_allowed_moment_and_never_aftercare(start, minutes, window):
    zone = start.tzinfo
    assert isinstance(zone, ZoneInfo)
    missed = CourseSession(5, start, start + timedelta(minutes=minutes), AppointmentStatus.NO_SHOW)
    assert plan_aftercare(missed, EVERYONE, zone, window) == []
    (followup,) = plan_no_show_followup(missed, EVERYONE, zone, window)
    assert window.allows(followup.due_at, zone) and followup.due_at >= missed.ends_at
    local_end, local_due = missed.ends_at.astimezone(zone), followup.due_at.astimezone(zone)
    assert local_due.date() - local_end.date() <= timedelta(days=1)  # the same day, or the next morning
    if window.allows(missed.ends_at, zone):
        assert followup.due_at == missed.ends_at.astimezone(UTC)  # an ambiguous wall time compares unequal (PEP 495)
    attended = CourseSession(5, start, start + timedelta(minutes=minutes), AppointmentStatus.COMPLETED)
    assert plan_no_show_followup(attended, EVERYONE, zone, window) == []


def test_a_patient_who_cannot_be_reached_is_not_nudged_and_a_closed_course_has_no_stall():
    last = datetime(2031, 3, 20, 11, 0, tzinfo=ZONES[0])  # any instant: the pure rules are handed it, none reads a clock
    stall = stall_of(last, 2, 6, 7)
    assert plan_nudges(stall, Reach(sms=False, email=False), ZONES[0], WINDOW) == []
    assert [w.channel for w in plan_nudges(stall, Reach(sms=False, email=True), ZONES[0], WINDOW)] == [Channel.EMAIL] * 2
    closed = find_stall(
        7, sessions_from(last, 2, 7), 6, 7, closed=True, session_booked=False, now=last + timedelta(days=1), zone=ZONES[0]
    )
    assert closed is None
    assert (
        find_stall(
            7, sessions_from(last, 6, 7), 6, 7, closed=False, session_booked=False, now=last + timedelta(days=1), zone=ZONES[0]
        )
        is None
    )
    assert find_stall(7, [], 6, 7, closed=False, session_booked=False, now=last, zone=ZONES[0]) is None
