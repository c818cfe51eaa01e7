"""A patient hears about a session once per rule, and the most useful message when several fall due together.

Regressions from outside testing: a day with two sessions got each reminder twice once the first session
was marked done; reminders held overnight (or while the service was down) all went out in the same minute;
sessions booked together got a confirmation each.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import time_machine
from sqlalchemy import select

from service.extensions import db
from service.models import Reminder
from tests.helpers import book, booking, paris, post_booking, sent_bodies, tick

BOTH_CHANNELS = {"email": "camille@example.com", "email_consent": True}


def outbox(app) -> list[Reminder]:
    with app.app_context():
        rows = db.session.execute(select(Reminder).order_by(Reminder.id)).scalars().all()
        db.session.expunge_all()
        return list(rows)


def test_a_session_already_named_in_the_days_reminder_is_not_reminded_again_when_the_first_is_done(
    app, client, fake_twilio, smtp_server
):
    first, second = paris(5, 10, 0), paris(5, 15, 0)
    book(app, client, fake_twilio, booking(first, event_id="b1", appointment_id="a1", **BOTH_CHANNELS))
    post_booking(client, booking(second, event_id="b2", appointment_id="a2", **BOTH_CHANNELS))
    tick(app, paris(2, 10, 0))  # the second session's confirmation
    sent_bodies(fake_twilio)

    for at in (first - timedelta(hours=48), first - timedelta(hours=24), first - timedelta(hours=2)):
        tick(app, at)
    day_reminders = sent_bodies(fake_twilio)
    assert len(day_reminders) == 2 and all("10:00 et 15:00" in b for b in day_reminders)  # the 24 h and the 2 h
    assert len(smtp_server.received) == 1  # the 48 h email, naming both
    smtp_server.received.clear()

    post_booking(client, booking(first, event_id="done-1", appointment_id="a1", type="appointment.completed", **BOTH_CHANNELS))
    # The scheduler ticks every 30 s: tick through the afternoon until the second session.
    at = first + timedelta(minutes=15)
    while at < second:
        tick(app, at)
        at += timedelta(minutes=30)

    assert not [b for b in sent_bodies(fake_twilio) if "rappel" in b]  # only the first session's aftercare
    assert smtp_server.received == []
    skipped = [r for r in outbox(app) if r.status == "skipped" and r.kind.startswith("reminder")]
    assert {r.kind for r in skipped} == {"reminder_48h", "reminder_24h", "reminder_2h"}
    by_id = {r.id: r for r in outbox(app)}
    for row in skipped:
        assert row.status_reason.startswith("already covered: the " + row.kind.replace("_", " "))
        covering = int(row.status_reason.split("reminder #")[1].split(")")[0])
        assert by_id[covering].status in ("sent", "delivered") and by_id[covering].kind == row.kind


def two_sessions_reminded_the_day_before(app, client, fake_twilio) -> tuple[datetime, datetime]:
    """10:00 and 15:00 on one day, both confirmed and both named in the 24 h reminder, which has gone out."""
    first, second = paris(5, 10, 0), paris(5, 15, 0)
    book(app, client, fake_twilio, booking(first, event_id="b1", appointment_id="a1"))
    post_booking(client, booking(second, event_id="b2", appointment_id="a2"))
    tick(app, paris(2, 10, 0))  # the second session's confirmation
    tick(app, first - timedelta(hours=24))
    (both,) = [b for b in sent_bodies(fake_twilio) if "rappel" in b]
    assert "10:00 et 15:00" in both
    return first, second


def test_moving_one_of_two_same_day_sessions_to_another_day_reminds_it_there(app, client, fake_twilio):
    first, _ = two_sessions_reminded_the_day_before(app, client, fake_twilio)

    moved = paris(7, 11, 0)
    post_booking(client, booking(moved, event_id="mv", appointment_id="a2", type="appointment.rescheduled"))
    tick(app, first - timedelta(hours=23))  # the change notice
    tick(app, first - timedelta(hours=2))
    tick(app, moved - timedelta(hours=24))
    bodies = sent_bodies(fake_twilio)
    assert any("déplacé" in b and "11:00" in b for b in bodies)
    two_hours = [b for b in bodies if "rappel" in b and "10:00" in b]
    assert len(two_hours) == 1 and "15:00" not in two_hours[0]  # the first session's 2 h, alone now
    assert [b for b in bodies if "rappel" in b and "11:00" in b]  # the moved one is reminded on its new day


def test_cancelling_one_of_two_same_day_sessions_after_the_reminder_does_not_remind_the_other_again(app, client, fake_twilio):
    first, second = two_sessions_reminded_the_day_before(app, client, fake_twilio)

    post_booking(client, booking(first, event_id="cx", appointment_id="a1", type="appointment.cancelled"))
    tick(app, first - timedelta(hours=23))
    tick(app, second - timedelta(hours=24))
    bodies = sent_bodies(fake_twilio)
    assert len(bodies) == 1 and "annulé" in bodies[0]  # the cancellation notice; no second "rappel" for 15:00
    tick(app, second - timedelta(hours=2))
    (two_hours,) = sent_bodies(fake_twilio)
    assert "15:00" in two_hours and "10:00" not in two_hours  # the 2 h reminder names only the session left


def test_messages_held_while_the_service_was_down_go_out_as_one(app, client, fake_twilio, smtp_server):
    starts = paris(4, 10, 0)
    with time_machine.travel(paris(1, 21, 30), tick=False):  # booked late in the evening: the confirmation waits
        assert post_booking(client, booking(starts, **BOTH_CHANNELS)).status_code == 200
    tick(app, paris(1, 21, 40))
    assert sent_bodies(fake_twilio) == []

    tick(app, starts - timedelta(hours=23, minutes=55))  # nothing ran since: confirmation, 48 h email, 24 h SMS all due
    (sms,) = sent_bodies(fake_twilio)
    assert "rappel" in sms and "10:00" in sms
    assert smtp_server.received == []
    reasons = {r.kind: r.status_reason for r in outbox(app) if r.status == "skipped"}
    assert set(reasons) == {"confirmation", "reminder_48h"}
    assert all("the reminder 24h by sms" in why for why in reasons.values())


def test_a_reminder_due_soon_after_the_booking_makes_its_confirmation_unnecessary(app, client, fake_twilio):
    starts = paris(3, 10, 30)
    booked_at = starts - timedelta(hours=24, minutes=20)
    with time_machine.travel(booked_at, tick=False):
        assert post_booking(client, booking(starts)).status_code == 200
    at = booked_at
    while at < starts - timedelta(hours=22):  # every 30 s, as the scheduler does
        tick(app, at)
        at += timedelta(seconds=30)
    (sms,) = sent_bodies(fake_twilio)
    assert "rappel" in sms and "10:30" in sms
    (confirmation,) = [r for r in outbox(app) if r.kind == "confirmation"]
    assert confirmation.status == "skipped" and "the reminder 24h by sms" in confirmation.status_reason


def test_sessions_booked_together_get_one_confirmation_naming_every_day(app, client, fake_twilio):
    course = [paris(6 + 7 * i, 16, 45) for i in range(3)]
    booked_at = paris(1, 11, 0)
    for i, starts in enumerate(course):
        with time_machine.travel(booked_at + timedelta(seconds=20 * i), tick=False):
            assert post_booking(client, booking(starts, event_id=f"c{i}", appointment_id=f"s{i}")).status_code == 200
    tick(app, booked_at + timedelta(minutes=10))

    (confirmation,) = sent_bodies(fake_twilio)
    assert confirmation.startswith("Clinique Lumière : rendez-vous confirmés le ")
    assert confirmation.count("16:45") == 3
    from babel.dates import format_date

    for starts in course:
        assert format_date(starts.date(), format="full", locale="fr") in confirmation
    tick(app, booked_at + timedelta(hours=1))
    assert sent_bodies(fake_twilio) == []  # and none for each session afterwards
    replaced = [r for r in outbox(app) if r.kind == "confirmation" and r.status == "cancelled"]
    assert replaced and all(r.status_reason.endswith("one confirmation names them all") for r in replaced)
