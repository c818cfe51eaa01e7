"""Confirmation, change and cancellation notices: debounced, at most one of each for what happened."""

from __future__ import annotations

from tests.helpers import book, booking, paris, post_booking, tick


def test_a_booking_made_and_undone_at_once_sends_nothing_at_all(app, client, fake_twilio):
    starts = paris(10)
    post_booking(client, booking(starts, event_id="e1"))
    post_booking(client, booking(starts, event_id="e2", type="appointment.cancelled"))

    for days in (1, 8, 9, 10):
        tick(app, paris(days, 10, 0))

    assert fake_twilio.messages == []


def test_a_cancelled_confirmed_session_gets_one_cancellation_notice_even_if_the_webhook_repeats(app, client, fake_twilio):
    starts = paris(10)
    book(app, client, fake_twilio, booking(starts, event_id="e1"))  # confirmation sent and checked
    post_booking(client, booking(starts, event_id="e2", type="appointment.cancelled"))
    post_booking(client, booking(starts, event_id="e3", type="appointment.cancelled"))

    tick(app, paris(2, 10, 0))
    tick(app, paris(9, 10, 0))

    (notice,) = fake_twilio.messages
    assert "annulé" in notice["body"] and "16:45" in notice["body"] and "Clinique Lumière" in notice["body"]


def test_a_session_rebooked_after_its_cancellation_notice_is_confirmed_again(app, client, fake_twilio):
    starts = paris(10)
    book(app, client, fake_twilio, booking(starts, event_id="e1"))
    post_booking(client, booking(starts, event_id="e2", type="appointment.cancelled"))
    tick(app, paris(2, 10, 0))
    (cancelled,) = fake_twilio.messages
    assert "annulé" in cancelled["body"]
    fake_twilio.messages.clear()

    post_booking(client, booking(starts, event_id="e3", type="appointment.booked"))
    tick(app, paris(3, 10, 0))

    (confirmed,) = fake_twilio.messages
    assert "confirmé" in confirmed["body"] and "16:45" in confirmed["body"]
