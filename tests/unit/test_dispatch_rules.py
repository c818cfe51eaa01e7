"""The dispatcher's last check before a message leaves (`decide`) and when a failed send is tried again (`RetryPolicy`).

Pure: every instant is a fixed aware datetime handed in as `now`; nothing reads the clock.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.domain.dispatch_rules import Cancel, Defer, NamedSession, RetryPolicy, Send, Skip, decide
from service.domain.planning import Channel, Reach
from service.domain.quiet_hours import QuietHours

PARIS = ZoneInfo("Europe/Paris")
TOKYO = ZoneInfo("Asia/Tokyo")
WINDOW = QuietHours(8, 21)
SESSION_START = datetime(2026, 3, 12, 16, 45, tzinfo=PARIS)
DAYTIME = datetime(2026, 3, 10, 10, 0, tzinfo=PARIS)
BOTH = Reach(sms=True, email=True)


def session(status: str | None = "booked", *, moved_to: datetime | None = None, appointment_id: int = 1) -> NamedSession:
    current = None if status is None else (moved_to or SESSION_START)
    return NamedSession(appointment_id, planned_start=SESSION_START, current_start=current, current_status=status)


def rule(**overrides):
    arguments = {
        "channel": Channel.SMS,
        "expires_at": SESSION_START,
        "sessions": [session()],
        "reach": BOTH,
        "may_fall_back": False,
        "zone": PARIS,
        "window": WINDOW,
        "now": DAYTIME,
    }
    arguments.update(overrides)
    return decide(**arguments)


# --- the sessions a reminder names ---------------------------------------------------------------------------------


def test_a_booked_unmoved_session_in_waking_hours_is_sent_on_its_channel():
    assert rule() == Send(Channel.SMS)
    assert rule(channel=Channel.EMAIL) == Send(Channel.EMAIL)


def test_a_cancelled_session_cancels_the_reminder():
    assert rule(sessions=[session("cancelled")]) == Cancel("the session was cancelled")


def test_a_session_that_no_longer_exists_cancels_the_reminder():
    assert rule(sessions=[session(None)]) == Cancel("the session no longer exists")


def test_a_moved_session_cancels_the_reminder_for_the_old_time():
    moved = session(moved_to=SESSION_START + timedelta(days=1))
    assert rule(sessions=[moved]) == Cancel("the session was moved; a reminder for the new time replaces this one")


def test_the_same_instant_written_in_another_zone_is_not_a_move():
    same = session(moved_to=SESSION_START.astimezone(UTC))
    assert rule(sessions=[same]) == Send(Channel.SMS)


@pytest.mark.parametrize(("status", "reason"), [("no_show", "the session is no-show"), ("completed", "the session is completed")])
def test_a_session_in_a_status_the_reminder_does_not_allow_cancels_it_naming_the_status(status, reason):
    assert rule(sessions=[session(status)]) == Cancel(reason)


def test_aftercare_may_follow_a_completed_session_when_the_caller_allows_it():
    assert rule(sessions=[session("completed")], allowed_statuses=("booked", "completed")) == Send(Channel.SMS)
    # ...but a cancelled one still cancels, even if a caller lists it.
    assert rule(sessions=[session("cancelled")], allowed_statuses=("booked", "cancelled")) == Cancel("the session was cancelled")


def test_any_one_of_several_named_sessions_going_wrong_cancels_the_reminder():
    sessions = [session(appointment_id=1), session("cancelled", appointment_id=2)]
    assert rule(sessions=sessions) == Cancel("the session was cancelled")


def test_a_reminder_naming_no_session_is_judged_on_expiry_consent_and_hours_alone():
    assert rule(sessions=[]) == Send(Channel.SMS)


def test_a_cancellation_is_reported_as_such_even_once_the_reminder_has_expired():
    late = SESSION_START + timedelta(hours=1)
    assert rule(sessions=[session("cancelled")], now=late) == Cancel("the session was cancelled")


# --- a rule that skips confirmed sessions ----------------------------------------------------------------------------


def confirmed(appointment_id: int = 1, *, status: str = "booked") -> NamedSession:
    return NamedSession(appointment_id, SESSION_START, SESSION_START, status, confirmed=True)


def test_a_rule_that_skips_confirmed_sessions_skips_a_confirmed_one_and_says_why():
    decision = rule(sessions=[confirmed()], skip_when_confirmed=True)
    assert decision == Skip("the patient has confirmed the session, and this rule skips confirmed sessions")


def test_a_rule_that_skips_confirmed_sessions_still_reminds_of_an_unconfirmed_one():
    assert rule(sessions=[session()], skip_when_confirmed=True) == Send(Channel.SMS)


def test_a_rule_without_the_flag_reminds_of_a_confirmed_session_too():
    assert rule(sessions=[confirmed()]) == Send(Channel.SMS)


def test_a_day_with_one_session_still_unconfirmed_is_still_reminded_of():
    sessions = [confirmed(1), session(appointment_id=2)]
    assert rule(sessions=sessions, skip_when_confirmed=True) == Send(Channel.SMS)


def test_a_confirmed_session_that_was_cancelled_cancels_the_reminder_rather_than_skipping_it():
    decision = rule(sessions=[confirmed(status="cancelled")], skip_when_confirmed=True)
    assert decision == Cancel("the session was cancelled")


# --- expiry --------------------------------------------------------------------------------------------------------


def test_a_reminder_is_skipped_from_the_moment_it_expires():
    expires = DAYTIME + timedelta(minutes=5)
    assert rule(expires_at=expires, now=expires) == Skip("too late to be useful")
    assert rule(expires_at=expires, now=expires + timedelta(days=2)) == Skip("too late to be useful")
    assert rule(expires_at=expires, now=expires - timedelta(seconds=1)) == Send(Channel.SMS)


def test_a_reminder_without_expiry_never_goes_stale():
    assert rule(expires_at=None, now=datetime(2031, 1, 1, 12, 0, tzinfo=PARIS)) == Send(Channel.SMS)


# --- consent ---------------------------------------------------------------------------------------------------------


def test_no_consent_for_the_channel_skips_when_falling_back_is_not_allowed():
    assert rule(reach=Reach(sms=False, email=True)) == Skip("no consent to send by sms")
    assert rule(channel=Channel.EMAIL, reach=Reach(sms=True, email=False)) == Skip("no consent to send by email")


def test_no_consent_falls_back_to_the_other_channel_when_allowed():
    assert rule(reach=Reach(sms=False, email=True), may_fall_back=True) == Send(Channel.EMAIL)
    assert rule(channel=Channel.EMAIL, reach=Reach(sms=True, email=False), may_fall_back=True) == Send(Channel.SMS)


def test_no_consent_on_either_channel_skips_even_when_falling_back_is_allowed():
    decision = rule(reach=Reach(sms=False, email=False), may_fall_back=True)
    assert decision == Skip("no consent to send by sms or the other channel")


def test_consent_is_checked_before_quiet_hours_so_a_patient_without_consent_is_not_deferred():
    night = datetime(2026, 3, 10, 23, 0, tzinfo=PARIS)
    assert rule(reach=Reach(sms=False, email=False), now=night) == Skip("no consent to send by sms")


# --- quiet hours -------------------------------------------------------------------------------------------------------


def test_quiet_hours_defer_to_eight_oclock_the_next_local_morning():
    night = datetime(2026, 3, 10, 22, 30, tzinfo=PARIS)
    decision = rule(now=night)
    assert decision == Defer(datetime(2026, 3, 11, 8, 0, tzinfo=PARIS), "quiet hours in the patient's time zone")
    assert decision.until.astimezone(UTC) == datetime(2026, 3, 11, 7, 0, tzinfo=UTC)


def test_quiet_hours_are_those_of_the_patients_zone_not_the_clinics():
    now = datetime(2026, 3, 10, 6, 30, tzinfo=UTC)  # 07:30 in Paris, 15:30 in Tokyo
    assert rule(now=now, zone=TOKYO) == Send(Channel.SMS)
    assert rule(now=now, zone=PARIS) == Defer(datetime(2026, 3, 10, 7, 0, tzinfo=UTC), "quiet hours in the patient's time zone")


def test_quiet_hours_across_the_spring_forward_night_open_at_eight_local_summer_time():
    night = datetime(2026, 3, 29, 1, 30, tzinfo=PARIS)  # clocks jump 02:00 -> 03:00 this night
    decision = rule(now=night, expires_at=None)
    assert isinstance(decision, Defer)
    assert decision.until.astimezone(UTC) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # 08:00 CEST


def test_a_fallen_back_reminder_also_waits_for_waking_hours():
    night = datetime(2026, 3, 10, 22, 30, tzinfo=PARIS)
    decision = rule(now=night, reach=Reach(sms=False, email=True), may_fall_back=True)
    assert decision == Defer(datetime(2026, 3, 11, 8, 0, tzinfo=PARIS), "quiet hours in the patient's time zone")


def test_quiet_hours_lasting_until_expiry_skip_instead_of_deferring():
    night = datetime(2026, 3, 10, 22, 30, tzinfo=PARIS)
    opens = datetime(2026, 3, 11, 8, 0, tzinfo=PARIS)
    too_late = Skip("quiet hours last until it is too late to be useful")
    assert rule(now=night, expires_at=opens - timedelta(minutes=1)) == too_late
    assert rule(now=night, expires_at=opens) == too_late
    assert rule(now=night, expires_at=opens + timedelta(minutes=1)) == Defer(opens, "quiet hours in the patient's time zone")


def test_the_window_edges_are_eight_inclusive_and_nine_pm_exclusive():
    assert rule(now=datetime(2026, 3, 10, 8, 0, tzinfo=PARIS)) == Send(Channel.SMS)
    assert rule(now=datetime(2026, 3, 10, 20, 59, tzinfo=PARIS)) == Send(Channel.SMS)
    assert isinstance(rule(now=datetime(2026, 3, 10, 21, 0, tzinfo=PARIS)), Defer)
    assert isinstance(rule(now=datetime(2026, 3, 10, 7, 59, tzinfo=PARIS)), Defer)


ZONES = ["Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland"]
instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))


def in_waking_hours(moment: datetime, zone: ZoneInfo) -> bool:
    local = moment.astimezone(zone)
    return 8 * 60 <= local.hour * 60 + local.minute < 21 * 60


@settings(max_examples=400, deadline=None)
@given(
    now=instants,
    zone=st.sampled_from(ZONES),
    channel=st.sampled_from(list(Channel)),
    sms=st.booleans(),
    email=st.booleans(),
    may_fall_back=st.booleans(),
    expires_in=st.none() | st.timedeltas(min_value=timedelta(minutes=-30), max_value=timedelta(hours=30)),
)
def test_a_send_is_never_in_quiet_hours_and_a_defer_is_always_to_a_later_waking_moment(
    now, zone, channel, sms, email, may_fall_back, expires_in
):
    tz = ZoneInfo(zone)
    expires_at = None if expires_in is None else now + expires_in
    reach = Reach(sms=sms, email=email)
    decision = decide(
        channel=channel,
        expires_at=expires_at,
        sessions=[session()],
        reach=reach,
        may_fall_back=may_fall_back,
        zone=tz,
        window=WINDOW,
        now=now,
    )
    if isinstance(decision, Send):
        assert in_waking_hours(now, tz)
        assert reach.allows(decision.channel)
        assert decision.channel is channel or may_fall_back
        assert expires_at is None or now < expires_at
    elif isinstance(decision, Defer):
        assert not in_waking_hours(now, tz)
        assert decision.until > now
        assert in_waking_hours(decision.until, tz)
        assert not in_waking_hours(decision.until - timedelta(minutes=1), tz)  # the first waking minute, not a later one
        assert decision.until - now <= timedelta(hours=13)
        assert expires_at is None or decision.until < expires_at
    else:
        assert isinstance(decision, Skip)


# --- retries -------------------------------------------------------------------------------------------------------------

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
POLICY = RetryPolicy(base=timedelta(seconds=30), cap=timedelta(minutes=10), max_attempts=6)


def delays(policy: RetryPolicy, attempts: int, *, draws: int = 300, seed: int = 7, **kwargs) -> list[timedelta]:
    rng = random.Random(seed)
    out = []
    for _ in range(draws):
        at = policy.next_attempt(attempts=attempts, now=NOW, expires_at=None, rng=rng, **kwargs)
        assert at is not None
        out.append(at - NOW)
    return out


@pytest.mark.parametrize(("attempts", "ceiling"), [(1, 30), (2, 60), (3, 120), (4, 240), (5, 480)])
def test_the_backoff_ceiling_doubles_with_each_attempt(attempts, ceiling):
    drawn = delays(POLICY, attempts)
    assert max(drawn) <= timedelta(seconds=ceiling)
    assert max(drawn) > timedelta(seconds=ceiling * 0.9)  # the whole range is used...
    assert min(drawn) < timedelta(seconds=ceiling * 0.1)  # ...down to almost nothing: full jitter, not equal jitter


def test_the_backoff_never_exceeds_the_cap():
    policy = RetryPolicy(base=timedelta(seconds=30), cap=timedelta(minutes=2), max_attempts=20)
    for attempts in (4, 8, 19):
        drawn = delays(policy, attempts)
        assert max(drawn) <= timedelta(minutes=2)
        assert max(drawn) > timedelta(minutes=1.8)


def test_a_retry_is_at_least_a_second_away_however_small_the_draw():
    tiny = RetryPolicy(base=timedelta(milliseconds=200), cap=timedelta(seconds=1), max_attempts=3)
    assert set(delays(tiny, 1, draws=50)) == {timedelta(seconds=1)}


def test_a_seeded_generator_gives_the_same_retry_time():
    first = POLICY.next_attempt(attempts=3, now=NOW, expires_at=None, rng=random.Random(42))
    again = POLICY.next_attempt(attempts=3, now=NOW, expires_at=None, rng=random.Random(42))
    other = POLICY.next_attempt(attempts=3, now=NOW, expires_at=None, rng=random.Random(43))
    assert first == again != other


def test_retry_after_from_the_provider_is_a_floor_on_the_delay():
    waited = delays(POLICY, 1, retry_after=timedelta(minutes=5))
    assert set(waited) == {timedelta(minutes=5)}  # longer than any draw at attempt 1 (30 s)
    short = delays(POLICY, 5, retry_after=timedelta(seconds=2))
    assert min(short) >= timedelta(seconds=2)
    assert max(short) > timedelta(seconds=400)  # a short retry_after does not shorten the backoff


def test_retrying_stops_once_the_attempts_are_spent():
    rng = random.Random(1)
    assert POLICY.next_attempt(attempts=5, now=NOW, expires_at=None, rng=rng) is not None
    assert POLICY.next_attempt(attempts=6, now=NOW, expires_at=None, rng=rng) is None
    assert POLICY.next_attempt(attempts=7, now=NOW, expires_at=None, rng=rng) is None


def test_retrying_stops_when_the_next_try_would_be_at_or_past_expiry():
    rng = random.Random(1)
    retry_after = timedelta(minutes=5)
    assert POLICY.next_attempt(attempts=1, now=NOW, expires_at=NOW + retry_after, retry_after=retry_after, rng=rng) is None
    sooner = NOW + timedelta(minutes=4)
    assert POLICY.next_attempt(attempts=1, now=NOW, expires_at=sooner, retry_after=retry_after, rng=rng) is None
    later = POLICY.next_attempt(attempts=1, now=NOW, expires_at=NOW + timedelta(minutes=6), retry_after=retry_after, rng=rng)
    assert later == NOW + retry_after
    assert POLICY.next_attempt(attempts=1, now=NOW, expires_at=NOW + timedelta(milliseconds=500), rng=rng) is None


@settings(max_examples=300, deadline=None)
@given(
    attempts=st.integers(min_value=0, max_value=5),
    seed=st.integers(min_value=0, max_value=2**32),
    retry_after=st.none() | st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=2)),
)
def test_every_retry_is_between_one_second_and_the_larger_of_the_ceiling_and_retry_after(attempts, seed, retry_after):
    at = POLICY.next_attempt(attempts=attempts, now=NOW, expires_at=None, retry_after=retry_after, rng=random.Random(seed))
    assert at is not None
    ceiling = min(POLICY.cap, POLICY.base * 2 ** max(0, attempts - 1))
    assert timedelta(seconds=1) <= at - NOW <= max(ceiling, retry_after or timedelta(0), timedelta(seconds=1))
    if retry_after is not None:
        assert at - NOW >= retry_after
