"""Quiet hours across DST gaps and folds, in several zones (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.domain.quiet_hours import QuietHours, latest_allowed_at_or_before, next_allowed_at_or_after

ZONES = [
    "Europe/Paris",
    "Europe/London",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Asia/Beirut",
    "America/Havana",
    "Pacific/Chatham",
    "Asia/Kolkata",
]
WINDOW = QuietHours(8, 21)
instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))


def local(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


def test_a_3am_reminder_is_pulled_back_to_the_evening_before():
    paris = ZoneInfo("Europe/Paris")
    at = datetime(2026, 3, 10, 3, 0, tzinfo=paris)
    moved = latest_allowed_at_or_before(at, paris, WINDOW).astimezone(paris)
    assert (moved.date(), moved.hour, moved.minute) == (datetime(2026, 3, 9).date(), 20, 30)


def test_a_message_at_dawn_waits_for_eight_oclock_local():
    ny = ZoneInfo("America/New_York")
    at = datetime(2026, 11, 1, 5, 30, tzinfo=ny)  # the morning US clocks go back
    opens = next_allowed_at_or_after(at, ny, WINDOW).astimezone(ny)
    assert (opens.day, opens.hour, opens.minute) == (1, 8, 0)


@settings(max_examples=400, deadline=None)
@given(instant=instants, zone=st.sampled_from(ZONES))
def test_pulled_back_times_are_never_quiet_and_never_later(instant, zone):
    moved = latest_allowed_at_or_before(instant, ZoneInfo(zone), WINDOW)
    assert moved <= instant
    assert 8 <= local(moved, zone).hour < 21
    assert instant - moved < timedelta(hours=14)


@settings(max_examples=400, deadline=None)
@given(instant=instants, zone=st.sampled_from(ZONES))
def test_deferred_times_are_never_quiet_and_never_earlier(instant, zone):
    opens = next_allowed_at_or_after(instant, ZoneInfo(zone), WINDOW)
    assert opens >= instant
    assert 8 <= local(opens, zone).hour < 21
    assert opens - instant < timedelta(hours=13)


@pytest.mark.parametrize("start, end", [(21, 8), (8, 8), (8, 25), (-1, 8)])
def test_a_window_that_is_empty_backwards_or_outside_the_day_is_refused(start, end):
    with pytest.raises(ValueError, match=f"bad quiet-hours window {start}-{end}"):
        QuietHours(start, end)


def test_the_whole_day_is_a_valid_window():
    always = QuietHours(0, 24)
    midnight = datetime(2026, 3, 11, 23, 0, tzinfo=UTC)  # 00:00 in Paris
    assert always.allows(midnight, ZoneInfo("Europe/Paris"))
