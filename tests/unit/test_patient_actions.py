"""What a patient may do from their link, decided without I/O: by the session's state, its source and the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.domain.patient_actions import SessionState, Stage, allowed, late_cancellation, owned_by_provider

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


def state(hours_ahead: float, status: str = "booked", confirmed: bool = False, source: str = "generic") -> SessionState:
    return SessionState(NOW + timedelta(hours=hours_ahead), status, confirmed, source)


def test_a_session_days_ahead_can_be_confirmed_cancelled_and_moved():
    can = allowed(state(72), NOW, 24)
    assert (can.stage, can.confirm, can.cancel, can.reschedule, can.call_to_cancel) == (Stage.UPCOMING, True, True, True, False)


def test_a_confirmed_session_is_not_offered_confirmation_again():
    assert not allowed(state(72, confirmed=True), NOW, 24).confirm


@pytest.mark.parametrize(("hours", "cancel"), [(24.01, True), (24, False), (3, False)])
def test_the_patient_cancels_until_the_cutoff_then_calls(hours, cancel):
    can = allowed(state(hours), NOW, 24)
    assert can.cancel is cancel and can.call_to_cancel is not cancel and can.confirm


def test_past_the_cutoff_asking_for_another_time_stays_open_but_not_a_providers_own_move():
    assert allowed(state(3), NOW, 24).reschedule
    assert not allowed(state(3, source="calendly"), NOW, 24).reschedule
    assert allowed(state(30, source="calendly"), NOW, 24).reschedule


def test_a_cutoff_of_zero_lets_the_patient_cancel_until_the_start():
    assert allowed(state(0.1), NOW, 0).cancel


@pytest.mark.parametrize(
    ("hours", "status", "stage"),
    [
        (-0.5, "booked", Stage.STARTED),
        (0, "booked", Stage.STARTED),
        (-2, "completed", Stage.STARTED),
        (5, "no_show", Stage.STARTED),
        (48, "cancelled", Stage.CANCELLED),
        (-48, "cancelled", Stage.CANCELLED),
    ],
)
def test_nothing_is_offered_once_the_session_has_started_ended_or_been_cancelled(hours, status, stage):
    can = allowed(state(hours, status), NOW, 24)
    assert can.stage is stage
    assert not (can.confirm or can.cancel or can.reschedule or can.call_to_cancel)


@pytest.mark.parametrize(
    ("source", "provider"),
    [("calendly", True), ("calcom", True), ("acuity", True), ("generic", False), ("fhir", False), ("panel", False)],
)
def test_calendly_calcom_and_acuity_keep_their_bookings_the_others_leave_them_to_recall(source, provider):
    assert owned_by_provider(source) is provider
    assert allowed(state(72, source=source), NOW, 24).provider is provider


def test_a_cancellation_less_than_48_hours_ahead_is_late():
    assert late_cancellation(NOW + timedelta(hours=47, minutes=59), NOW)
    assert not late_cancellation(NOW + timedelta(hours=48), NOW)
