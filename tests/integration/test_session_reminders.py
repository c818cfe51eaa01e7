"""Session reminders at the right local moment: one per day however many sessions, pulled back from the night,
24 elapsed hours across a clock change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date

from tests.helpers import book, booking, paris, post_booking, tick

PARIS = ZoneInfo("Europe/Paris")


def test_two_sessions_on_one_day_are_named_in_one_reminder(app, client, fake_twilio):
    first, second = paris(5, 10, 0), paris(5, 10, 30)
    book(app, client, fake_twilio, booking(first, event_id="b1", appointment_id="a1"))
    post_booking(client, booking(second, event_id="b2", appointment_id="a2"))
    tick(app, paris(2, 10))  # the second session's confirmation
    fake_twilio.messages.clear()

    tick(app, first - timedelta(hours=24))
    tick(app, second - timedelta(hours=24))

    (sms,) = fake_twilio.messages
    assert "10:00" in sms["body"] and "10:30" in sms["body"]


def test_an_early_session_is_reminded_the_evening_before_not_at_dawn(app, client, fake_twilio):
    starts = paris(5, 9, 30)  # 2 h before is 07:30, inside quiet hours
    book(app, client, fake_twilio, booking(starts))
    tick(app, starts - timedelta(hours=24))  # the 24 h reminder
    fake_twilio.messages.clear()

    tick(app, paris(4, 20, 0))
    assert fake_twilio.messages == []
    tick(app, paris(4, 20, 30))
    (sms,) = fake_twilio.messages
    assert "9:30" in sms["body"] or "09:30" in sms["body"]
    tick(app, starts - timedelta(hours=2))
    assert len(fake_twilio.messages) == 1  # nothing more at dawn


def spring_forward_after(start: date, zone: ZoneInfo) -> date:
    """The next day on which the zone's clocks go forward: never a calendar date that will pass."""
    day = start
    while (
        datetime(day.year, day.month, day.day, 12, tzinfo=zone).utcoffset()
        <= datetime(day.year, day.month, day.day, 0, tzinfo=zone).utcoffset()
    ):
        day += timedelta(days=1)
    return day


def at(day: date, days: int, hour: int, minute: int) -> datetime:
    local = day + timedelta(days=days)
    return datetime(local.year, local.month, local.day, hour, minute, tzinfo=PARIS)


def test_a_session_on_the_morning_clocks_go_forward_is_reminded_24_real_hours_before(app, client, fake_twilio):
    day = spring_forward_after(datetime.now(PARIS).date() + timedelta(days=10), PARIS)
    starts = datetime(day.year, day.month, day.day, 10, 0, tzinfo=PARIS)  # Paris moves to summer time at 02:00 that night
    post_booking(client, booking(starts, occurred_at=datetime.now(UTC)))
    tick(app, at(day, -8, 10, 0))  # the confirmation
    tick(app, at(day, -2, 9, 0))  # the 48 h reminder (by SMS: no email address)
    assert len(fake_twilio.messages) == 2
    fake_twilio.messages.clear()

    tick(app, at(day, -1, 8, 59))
    assert fake_twilio.messages == []
    tick(app, at(day, -1, 9, 0))  # 24 elapsed hours before 10:00 summer time is 09:00 winter time
    (sms,) = fake_twilio.messages
    assert "10:00" in sms["body"]
    assert format_date(starts.date(), format="full", locale="fr") in sms["body"]


def test_the_clinics_own_rules_decide_what_is_sent(app, client, fake_twilio):
    from service.extensions import db
    from service.models import ReminderRule

    with app.app_context():  # as staff would in the admin: no 2 h SMS, and one the day before at 18:00
        db.session.add_all(
            [
                ReminderRule(kind="reminder_24h", channel="sms", offset_minutes=1440, enabled=True),
                ReminderRule(kind="reminder_2h", channel="sms", offset_minutes=120, enabled=False),
                ReminderRule(kind="reminder_evening", channel="sms", offset_minutes=1440, at_local_time="18:00", enabled=True),
            ]
        )
        db.session.commit()
    starts = paris(5, 9, 0)
    book(app, client, fake_twilio, booking(starts))

    tick(app, starts - timedelta(hours=24))
    tick(app, paris(4, 18, 0))
    tick(app, starts - timedelta(hours=2))

    bodies = [m["body"] for m in fake_twilio.messages]
    assert len(bodies) == 2 and all("09:00" in b for b in bodies)  # 24 h and the evening before; no 2 h
