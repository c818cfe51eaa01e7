"""Aftercare, tips, courses and maintenance: which messages the rules want, and when — pure, no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from service.domain.care import TipRef, plan_aftercare, plan_maintenance, plan_tips
from service.domain.courses import CourseSession, CourseSummary, add_months, attach_session, course_state, progress
from service.domain.frequency import DayLoad, day_bounds, is_capped, rank, wait_for_free_day
from service.domain.planning import Channel, Reach
from service.domain.quiet_hours import QuietHours

PARIS = ZoneInfo("Europe/Paris")
WINDOW = QuietHours(8, 21)
BOTH = Reach(sms=True, email=True)
NOBODY = Reach(sms=False, email=False)  # no consent or no contact on either channel
ZONES = [
    ZoneInfo(z)
    for z in (
        "Europe/Paris",
        "America/New_York",
        "Australia/Sydney",
        "America/Santiago",
        "Asia/Kolkata",
        "Pacific/Chatham",
        "Europe/London",
        "America/Sao_Paulo",
    )
]


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0, zone: ZoneInfo = PARIS) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=zone)


def sess(start: datetime, status: str = "booked", aid: int = 1, minutes: int = 10) -> CourseSession:
    return CourseSession(aid, start.astimezone(UTC), (start + timedelta(minutes=minutes)).astimezone(UTC), status)


# -- aftercare -------------------------------------------------------------------------------------


def test_aftercare_comes_two_hours_after_the_session_ends_and_the_check_in_two_days_later():
    s = sess(at(2026, 3, 10, 11, 0))
    wanted = {w.kind: w for w in plan_aftercare(s, BOTH, PARIS, WINDOW)}
    assert wanted["aftercare"].due_at == s.ends_at + timedelta(hours=2)
    assert wanted["aftercare_checkin"].due_at == s.ends_at + timedelta(days=2)
    assert wanted["aftercare"].channel is Channel.SMS
    # Stale after two days late: never sent then.
    assert wanted["aftercare"].expires_at == s.ends_at + timedelta(hours=2) + timedelta(days=2)


def test_aftercare_after_an_evening_session_waits_for_the_morning():
    s = sess(at(2026, 3, 10, 19, 30))  # ends 19:40; +2 h is 21:40, inside quiet hours
    aftercare = next(w for w in plan_aftercare(s, BOTH, PARIS, WINDOW) if w.kind == "aftercare")
    assert aftercare.due_at.astimezone(PARIS) == at(2026, 3, 11, 8, 0)


def test_no_aftercare_for_a_cancelled_or_missed_session():
    for status in ("cancelled", "no_show"):
        assert plan_aftercare(sess(at(2026, 3, 10), status), BOTH, PARIS, WINDOW) == []


def test_aftercare_goes_by_email_when_the_patient_only_allows_email():
    wanted = plan_aftercare(sess(at(2026, 3, 10)), Reach(sms=False, email=True), PARIS, WINDOW)
    assert {w.channel for w in wanted} == {Channel.EMAIL}


# -- courses ---------------------------------------------------------------------------------------


def test_a_course_is_complete_when_its_planned_sessions_are_done():
    sessions = [sess(at(2026, 3, 2 + 7 * i), aid=i) for i in range(4)]
    state = course_state(sessions, 4, at(2026, 4, 1), PARIS)
    assert state.completed_at == sessions[-1].ends_at
    assert state.maintenance_due_on == date(2027, 3, 23)
    assert not state.active


def test_a_course_without_a_planned_count_is_complete_eight_weeks_after_its_last_session():
    sessions = [sess(at(2026, 3, 2), aid=1), sess(at(2026, 3, 9), aid=2)]
    assert course_state(sessions, None, at(2026, 5, 3), PARIS).completed_at is None
    state = course_state(sessions, None, at(2026, 5, 5), PARIS)
    assert state.completed_at == sessions[-1].starts_at + timedelta(weeks=8)
    assert state.maintenance_due_on == date(2027, 3, 9)


def test_missed_and_cancelled_sessions_do_not_count_toward_a_course():
    sessions = [sess(at(2026, 3, 2), aid=1), sess(at(2026, 3, 9), "no_show", aid=2), sess(at(2026, 3, 16), "cancelled", aid=3)]
    state = course_state(sessions, 3, at(2026, 3, 20), PARIS)
    assert state.attended == 1 and state.completed_at is None and state.active


def test_a_session_ahead_keeps_a_course_open_past_eight_weeks():
    sessions = [sess(at(2026, 1, 5), aid=1), sess(at(2026, 4, 1), aid=2)]
    assert course_state(sessions, None, at(2026, 3, 20), PARIS).completed_at is None


def test_the_yearly_due_date_handles_the_29th_of_february():
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_course_progress_counts_sessions_not_cancelled_or_missed():
    sessions = [sess(at(2026, 3, 2), aid=1), sess(at(2026, 3, 9), "cancelled", aid=2), sess(at(2026, 3, 16), aid=3)]
    assert progress(sessions, 3, 6) == (2, 6)
    assert progress(sessions, 2, 6) is None


def test_a_session_joins_the_open_course_of_its_area_or_starts_a_new_one():
    open_course = CourseSummary(7, "Thighs", at(2026, 3, 2).astimezone(UTC), None)
    assert attach_session([open_course], "thighs", at(2026, 3, 30), PARIS).course_id == 7
    assert attach_session([open_course], "arms", at(2026, 3, 30), PARIS).course_id is None
    late = attach_session([open_course], "thighs", at(2026, 6, 1), PARIS)  # a gap over 8 weeks
    assert (late.course_id, late.kind) == (None, "initial")


def test_a_new_course_near_a_due_date_is_the_maintenance_course():
    done = CourseSummary(7, "thighs", at(2025, 3, 2).astimezone(UTC), date(2026, 3, 2))
    assert attach_session([done], "thighs", at(2026, 2, 1), PARIS).kind == "maintenance"
    assert attach_session([done], "thighs", at(2026, 4, 20), PARIS).kind == "maintenance"
    assert attach_session([done], "thighs", at(2026, 9, 1), PARIS).kind == "initial"


# -- maintenance -----------------------------------------------------------------------------------


def test_maintenance_reminders_30_days_before_on_and_30_days_after_the_due_date_at_10_local():
    wanted = plan_maintenance(3, date(2027, 3, 23), superseded=False, future_session_booked=False, reach=BOTH, zone=PARIS)
    assert [(w.kind, w.due_at.astimezone(PARIS)) for w in wanted] == [
        ("maintenance_early", at(2027, 2, 21)),
        ("maintenance_due", at(2027, 3, 23)),
        ("maintenance_overdue", at(2027, 4, 22)),
    ]
    # Each is only useful until the next one is due.
    assert wanted[0].expires_at == wanted[1].due_at and wanted[1].expires_at == wanted[2].due_at


def test_maintenance_stops_when_a_session_is_booked_or_a_newer_course_began():
    due = date(2027, 3, 23)
    assert plan_maintenance(3, due, superseded=False, future_session_booked=True, reach=BOTH, zone=PARIS) == []
    assert plan_maintenance(3, due, superseded=True, future_session_booked=False, reach=BOTH, zone=PARIS) == []


# -- tips ------------------------------------------------------------------------------------------

LIBRARY = [TipRef(i, c) for i, c in enumerate(["diet", "exercise", "water", "circulation"] * 2, start=1)]


def test_one_tip_a_week_while_the_course_runs_each_one_different():
    start = at(2026, 3, 2, 11, 0)
    state = course_state([sess(start + timedelta(weeks=w), aid=w) for w in range(6)], 6, at(2026, 3, 1), PARIS)
    assigned: dict[int, int] = {}
    seen: list[int] = []
    for day in range(0, 40):
        now = at(2026, 3, 1) + timedelta(days=day)
        for w in plan_tips(5, state, LIBRARY, assigned, {}, BOTH, PARIS, now):
            week, tip = w.variables["week"], w.variables["tip_id"]
            if week not in assigned:
                assigned[week] = tip
                seen.append(tip)
            assert w.due_at == at(2026, 3, 2) + timedelta(weeks=week) and w.channel is Channel.EMAIL
    assert len(seen) == len(set(seen)) >= 5  # weekly, through the course, never the same tip twice


def test_no_tip_is_planned_after_the_course_is_over():
    start = at(2026, 3, 2, 11, 0)
    sessions = [sess(start, aid=1), sess(start + timedelta(weeks=1), aid=2)]
    state = course_state(sessions, 2, at(2026, 3, 20), PARIS)
    assert state.completed_at is not None
    assert plan_tips(5, state, LIBRARY, {}, {}, BOTH, PARIS, at(2026, 3, 20)) == []


def test_once_every_tip_was_sent_the_oldest_comes_round_again():
    start = at(2026, 3, 2, 11, 0)
    state = course_state([sess(start, aid=1), sess(start + timedelta(weeks=3), aid=2)], 4, at(2026, 3, 8), PARIS)
    last_sent = {t.tip_id: at(2025, 1, 1) + timedelta(days=t.tip_id) for t in LIBRARY}
    tips = plan_tips(5, state, LIBRARY, {}, last_sent, BOTH, PARIS, at(2026, 3, 8))
    assert [t.variables["tip_id"] for t in tips] == [1, 2]  # weeks 1 and 2, least recently sent first


# -- one message a day -----------------------------------------------------------------------------


def test_a_tip_waits_for_a_free_day_and_aftercare_goes_first():
    now = at(2026, 3, 10, 14, 0)
    busy = DayLoad(sent_today=1, more_important_due_today=0)
    assert wait_for_free_day("tip", busy, now, PARIS, WINDOW, 1) == at(2026, 3, 11, 8, 0)
    assert wait_for_free_day("tip", DayLoad(0, 1), now, PARIS, WINDOW, 1) == at(2026, 3, 11, 8, 0)
    assert wait_for_free_day("tip", DayLoad(0, 0), now, PARIS, WINDOW, 1) is None
    assert wait_for_free_day("reminder_24h", busy, now, PARIS, WINDOW, 1) is None  # session reminders are exempt
    assert wait_for_free_day("tip", busy, now, PARIS, WINDOW, 2) is None  # the cap is configurable


def test_a_local_day_is_23_hours_on_the_night_clocks_go_forward():
    start, end = day_bounds(at(2026, 3, 29, 12, 0), PARIS)
    assert end - start == timedelta(hours=23)


# -- across DST, in many zones ---------------------------------------------------------------------

instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(start=instants, zone=st.sampled_from(ZONES), minutes=st.integers(5, 90))
def test_aftercare_is_never_due_in_quiet_hours_nor_before_the_session_ends(start, zone, minutes):
    s = CourseSession(1, start, start + timedelta(minutes=minutes), "booked")
    for w in plan_aftercare(s, BOTH, zone, WINDOW):
        assert WINDOW.allows(w.due_at, zone)
        assert w.due_at >= s.ends_at + timedelta(hours=2)
        assert w.expires_at is not None and w.due_at < w.expires_at


@settings(max_examples=300, deadline=None)
@given(day=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)), zone=st.sampled_from(ZONES))
def test_maintenance_reminders_fall_on_the_right_local_date_at_10_whatever_the_clocks_do(day, zone):
    for w, offset in zip(
        plan_maintenance(1, day, superseded=False, future_session_booked=False, reach=BOTH, zone=zone), (-30, 0, 30), strict=True
    ):
        local = w.due_at.astimezone(zone)
        assert local.date() == day + timedelta(days=offset)
        assert (local.hour, local.minute) == (10, 0)
        assert WINDOW.allows(w.due_at, zone)


@settings(max_examples=200, deadline=None)
@given(now=instants, zone=st.sampled_from(ZONES))
def test_a_deferred_tip_reopens_inside_the_window_on_the_next_local_day(now, zone):
    opens = wait_for_free_day("tip", DayLoad(1, 0), now, zone, WINDOW, 1)
    assert opens is not None and WINDOW.allows(opens, zone)
    assert opens.astimezone(zone).date() == now.astimezone(zone).date() + timedelta(days=1)


# -- edges: an unreachable patient, a course not started, a library used up --------------------------
# Every date below is derived from NOW, which the rules are given: nothing depends on today's date.

NOW = at(2026, 3, 11, 9, 0)


def test_a_patient_reachable_by_no_channel_gets_no_aftercare_tips_or_maintenance():
    assert plan_aftercare(sess(NOW - timedelta(hours=3)), NOBODY, PARIS, WINDOW) == []
    running = course_state([sess(NOW - timedelta(days=8), aid=1), sess(NOW + timedelta(days=6), aid=2)], 6, NOW, PARIS)
    assert running.active and plan_tips(5, running, LIBRARY, {}, {}, BOTH, PARIS, NOW)  # reachable: tips are wanted
    assert plan_tips(5, running, LIBRARY, {}, {}, NOBODY, PARIS, NOW) == []
    due = (NOW + timedelta(days=20)).date()
    assert plan_maintenance(3, due, superseded=False, future_session_booked=False, reach=NOBODY, zone=PARIS) == []


def test_no_tips_for_a_course_with_no_session_yet_or_without_a_tip_library():
    empty = course_state([], 6, NOW, PARIS)
    assert empty.first_session_at is None
    assert plan_tips(5, empty, LIBRARY, {}, {}, BOTH, PARIS, NOW) == []
    running = course_state([sess(NOW - timedelta(days=8), aid=1), sess(NOW + timedelta(days=6), aid=2)], 6, NOW, PARIS)
    assert plan_tips(5, running, [], {}, {}, BOTH, PARIS, NOW) == []


def test_once_every_tip_is_planned_for_an_earlier_week_the_next_week_gets_none_rather_than_a_repeat():
    # Course began 8 days ago: week 1's tip was due yesterday (still useful), week 2's falls inside the horizon.
    running = course_state([sess(NOW - timedelta(days=8), aid=1), sess(NOW + timedelta(days=6), aid=2)], 6, NOW, PARIS)
    only = [TipRef(1, "water")]
    tips = plan_tips(5, running, only, {1: 1}, {}, BOTH, PARIS, NOW)
    assert [(w.variables["week"], w.variables["tip_id"]) for w in tips] == [(1, 1)]
    # With a second tip in the library, week 2 gets it.
    tips = plan_tips(5, running, [*only, TipRef(2, "diet")], {1: 1}, {}, BOTH, PARIS, NOW)
    assert [(w.variables["week"], w.variables["tip_id"]) for w in tips] == [(1, 1), (2, 2)]


def test_the_daily_cap_ranks_aftercare_before_maintenance_before_tips_and_leaves_session_reminders_out():
    assert rank("aftercare") < rank("aftercare_checkin") < rank("maintenance_due") < rank("tip")
    assert not is_capped("reminder_24h") and rank("reminder_24h") == -1  # below every capped kind: never waits for one
