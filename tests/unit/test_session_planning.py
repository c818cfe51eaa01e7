"""Which session reminders are wanted, and when — pure, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from service.domain.planning import DEFAULT_SESSION_RULES, Channel, Reach, SessionRule, SessionSnapshot, plan_session_reminders
from service.domain.quiet_hours import QuietHours

PARIS = ZoneInfo("Europe/Paris")
WINDOW = QuietHours(8, 21)
BOTH = Reach(sms=True, email=True)


def session(starts: datetime, appointment_id: int = 1, booked: datetime | None = None, status: str = "booked") -> SessionSnapshot:
    booked_at = booked or starts - timedelta(days=10)
    return SessionSnapshot(appointment_id, starts.astimezone(UTC), status, booked_at.astimezone(UTC))


def plan(sessions, reach=BOTH, zone=PARIS):
    return plan_session_reminders(sessions, DEFAULT_SESSION_RULES, reach, zone, WINDOW)


def test_defaults_are_an_email_48h_and_sms_24h_and_2h_before():
    starts = datetime(2026, 3, 12, 16, 45, tzinfo=PARIS)
    wanted = {w.kind: w for w in plan([session(starts)])}
    assert {k: (w.channel, starts - w.due_at) for k, w in wanted.items()} == {
        "reminder_48h": (Channel.EMAIL, timedelta(hours=48)),
        "reminder_24h": (Channel.SMS, timedelta(hours=24)),
        "reminder_2h": (Channel.SMS, timedelta(hours=2)),
    }


def test_planning_twice_gives_the_same_keys_and_a_new_time_gives_new_keys():
    starts = datetime(2026, 3, 12, 16, 45, tzinfo=PARIS)
    first = {w.dedupe_key for w in plan([session(starts)])}
    assert first == {w.dedupe_key for w in plan([session(starts)])}
    moved = {w.dedupe_key for w in plan([session(starts + timedelta(hours=1))])}
    assert first.isdisjoint(moved)


def test_a_booking_made_three_hours_ahead_gets_no_24h_or_48h_reminder():
    starts = datetime(2026, 3, 12, 16, 45, tzinfo=PARIS)
    wanted = plan([session(starts, booked=starts - timedelta(hours=3))])
    assert [w.kind for w in wanted] == ["reminder_2h"]


def test_cancelled_sessions_want_nothing():
    starts = datetime(2026, 3, 12, 16, 45, tzinfo=PARIS)
    assert plan([session(starts, status="cancelled")]) == []


def test_two_sessions_on_one_day_are_named_in_one_reminder_per_rule():
    a = session(datetime(2026, 3, 12, 10, 0, tzinfo=PARIS), 1)
    b = session(datetime(2026, 3, 12, 10, 30, tzinfo=PARIS), 2)
    wanted = plan([b, a])
    assert len(wanted) == 3
    assert all([x for x, _ in w.appointments] == [1, 2] for w in wanted)


def test_without_email_the_48h_reminder_falls_back_to_sms_and_expires_when_the_24h_one_is_due():
    starts = datetime(2026, 3, 12, 16, 45, tzinfo=PARIS)
    wanted = {w.kind: w for w in plan([session(starts)], reach=Reach(sms=True, email=False))}
    assert wanted["reminder_48h"].channel is Channel.SMS
    assert wanted["reminder_48h"].expires_at == wanted["reminder_24h"].due_at


def test_a_patient_reachable_by_no_channel_gets_nothing():
    assert plan([session(datetime(2026, 3, 12, 16, 45, tzinfo=PARIS))], reach=Reach(False, False)) == []


@settings(max_examples=300, deadline=None)
@given(
    starts=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
    zone=st.sampled_from(["Europe/Paris", "America/New_York", "Australia/Sydney", "America/Santiago"]),
)
def test_session_reminders_are_never_in_quiet_hours_never_after_the_session_and_on_the_right_day(starts, zone):
    tz = ZoneInfo(zone)
    for w in plan([session(starts, booked=starts - timedelta(days=30))], zone=tz):
        local = w.due_at.astimezone(tz)
        assert 8 <= local.hour < 21
        assert w.due_at < starts
        assert starts - w.due_at <= timedelta(hours=48) + timedelta(hours=14)


def test_notices_confirm_once_announce_moves_and_cancel_only_what_was_announced():
    from service.domain.planning import NoticeState, plan_notices

    starts = datetime(2026, 3, 12, 16, 45, tzinfo=PARIS)
    debounce = timedelta(minutes=3)
    booked = session(starts, booked=starts - timedelta(days=2))

    (confirmation,) = plan_notices([NoticeState(booked, None)], BOTH, debounce)
    assert confirmation.kind == "confirmation" and confirmation.due_at == booked.slot_changed_at + debounce
    assert plan_notices([NoticeState(booked, booked.starts_at)], BOTH, debounce) == []
    (moved,) = plan_notices([NoticeState(booked, booked.starts_at - timedelta(days=1))], BOTH, debounce)
    assert moved.kind == "change_notice"
    cancelled = session(starts, status="cancelled")
    assert plan_notices([NoticeState(cancelled, None)], BOTH, debounce) == []
    (notice,) = plan_notices([NoticeState(cancelled, cancelled.starts_at)], BOTH, debounce)
    assert notice.kind == "cancellation_notice"


def test_sessions_booked_together_get_one_confirmation_naming_them_all():
    from service.domain.planning import NoticeState, plan_notices

    debounce = timedelta(minutes=3)
    booked_at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    course = [
        session(
            datetime(2026, 3, 12 + 7 * i, 16, 45, tzinfo=PARIS),
            appointment_id=i + 1,
            booked=booked_at + timedelta(seconds=40 * i),
        )
        for i in range(3)
    ]
    later = session(datetime(2026, 4, 30, 10, 0, tzinfo=PARIS), appointment_id=9, booked=booked_at + timedelta(hours=2))

    first, second = sorted(plan_notices([NoticeState(s, None) for s in [*course, later]], BOTH, debounce), key=lambda w: w.due_at)
    assert [a for a, _ in first.appointments] == [1, 2, 3]
    assert first.due_at == course[-1].slot_changed_at + debounce  # once the last of them has settled
    assert first.expires_at == course[0].starts_at
    assert [a for a, _ in second.appointments] == [9]  # booked two hours later: a booking of its own
    # A fourth session added to the same booking makes a new confirmation; the three-session one is no longer wanted.
    more = session(datetime(2026, 4, 9, 16, 45, tzinfo=PARIS), appointment_id=4, booked=booked_at + timedelta(minutes=2))
    (grown,) = [w for w in plan_notices([NoticeState(s, None) for s in [*course, more]], BOTH, debounce)]
    assert [a for a, _ in grown.appointments] == [1, 2, 3, 4] and grown.dedupe_key != first.dedupe_key


def test_a_day_before_at_10_rule_goes_out_at_10_local_whatever_the_clocks_did_overnight():
    rule = SessionRule("reminder_day_before", Channel.SMS, timedelta(days=1), time(10, 0))
    starts = datetime(2026, 3, 30, 9, 0, tzinfo=PARIS)  # the day before is the spring-forward Sunday
    (w,) = plan_session_reminders([session(starts)], [rule], BOTH, PARIS, WINDOW)
    assert w.due_at.astimezone(PARIS) == datetime(2026, 3, 29, 10, 0, tzinfo=PARIS)
    assert starts - w.due_at == timedelta(hours=23)  # not 24: a calendar rule, not an elapsed one


def test_a_calendar_rule_that_would_fall_after_the_session_is_not_wanted():
    rule = SessionRule("reminder_same_day", Channel.SMS, timedelta(0), time(18, 0))
    assert plan_session_reminders([session(datetime(2026, 3, 12, 10, 0, tzinfo=PARIS))], [rule], BOTH, PARIS, WINDOW) == []


@settings(max_examples=300, deadline=None)
@given(
    starts=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)),
    zone=st.sampled_from(
        [
            ZoneInfo(z)
            for z in (
                "Europe/Paris",
                "America/New_York",
                "Australia/Sydney",
                "America/Santiago",
                "Pacific/Chatham",
                "Asia/Tehran",
            )
        ]
    ),
    days=st.integers(1, 3),
    hour=st.integers(8, 20),
)
def test_calendar_rules_land_on_the_right_local_date_inside_the_window_and_before_the_session(starts, zone, days, hour):
    rule = SessionRule("reminder_days_before", Channel.SMS, timedelta(days=days), time(hour, 0))
    for w in plan_session_reminders([session(starts)], [rule], BOTH, zone, WINDOW):
        local = w.due_at.astimezone(zone)
        assert local.date() == starts.astimezone(zone).date() - timedelta(days=days)
        assert WINDOW.allows(w.due_at, zone) and w.due_at < starts


def test_booking_notices_fall_back_to_email_and_go_nowhere_when_the_patient_is_reachable_by_no_channel():
    from service.domain.planning import NoticeState, plan_notices

    now = datetime(2026, 3, 11, 9, 0, tzinfo=PARIS)  # the notices are derived from the booking's times only
    booked = session(now + timedelta(days=5), booked=now - timedelta(minutes=10))
    debounce = timedelta(minutes=3)
    (by_email,) = plan_notices([NoticeState(booked, None)], Reach(sms=False, email=True), debounce)
    assert by_email.kind == "confirmation" and by_email.channel is Channel.EMAIL
    assert plan_notices([NoticeState(booked, None)], Reach(sms=False, email=False), debounce) == []
