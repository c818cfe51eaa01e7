"""The whole path: signed booking -> planned reminder -> tick -> real Twilio client -> fake API -> SID stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import select

from service.extensions import db
from service.models import Reminder
from tests.helpers import book, booking, local_day, tick

PARIS = ZoneInfo("Europe/Paris")


def paris_session(days_ahead: int = 10, hour: int = 16, minute: int = 45) -> datetime:
    return local_day(PARIS, days_ahead, hour, minute)


def test_a_signed_booking_becomes_one_sms_a_day_before_with_the_local_time(app, client, fake_twilio):
    starts = paris_session()
    book(app, client, fake_twilio, booking(starts))

    summary = tick(app, starts - timedelta(hours=24))

    assert ", sent 1, failed 0, deferred 0" in summary  # planned counts next week's tip, which is not due yet
    assert len(fake_twilio.messages) == 1
    sms = fake_twilio.messages[0]
    assert sms["to"] == "+33612345678"  # the national number, normalised to E.164
    assert "Clinique Lumière" in sms["body"]
    assert "16:45" in sms["body"]
    assert format_date(starts.date(), format="full", locale="fr") in sms["body"]
    assert "STOP" in sms["body"]
    assert sms["status_callback"].startswith("https://recall.clinic.test/webhooks/twilio/status?reminder=")
    with app.app_context():
        row = db.session.execute(select(Reminder).where(Reminder.provider_message_id == sms["sid"])).scalar_one()
        assert row.kind == "reminder_24h"
        assert row.status == "sent" and row.provider == "twilio"
        assert (row.encoding, row.segments) == ("GSM-7", 2)  # with the patient's link: two segments, no accent lost

    again = tick(app, starts - timedelta(hours=24))
    assert again.startswith("planned 0, updated 0, cancelled 0, sent 0")
    assert len(fake_twilio.messages) == 1


def test_an_english_patient_abroad_gets_her_own_local_time_in_plain_gsm_text(app, client, fake_twilio):
    london = ZoneInfo("Europe/London")
    day = datetime.now(london).date() + timedelta(days=6)
    starts = datetime(day.year, day.month, day.day, 16, 45, tzinfo=london).astimezone(UTC)
    body = booking(starts, phone="+447911123456", timezone="Europe/London", language="en")
    book(app, client, fake_twilio, body)

    tick(app, starts - timedelta(hours=24))

    (sms,) = fake_twilio.messages
    assert "4:45 PM" in sms["body"]  # London wall time, with a plain space (CLDR's narrow one would force UCS-2)
    assert sms["to"] == "+447911123456"
    with app.app_context():
        encoding = select(Reminder.encoding).where(Reminder.provider_message_id == sms["sid"])
        assert db.session.execute(encoding).scalar_one() == "GSM-7"


def test_before_the_sms_is_due_only_the_48_hour_email_goes_out_over_smtp(app, client, fake_twilio, smtp_server):
    starts = paris_session()
    book(app, client, fake_twilio, booking(starts, email="camille@example.test", email_consent=True))

    summary = tick(app, starts - timedelta(hours=30))  # and not within the hour of the SMS, which would say it better

    assert "sent 1" in summary
    assert fake_twilio.messages == []
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == ["camille@example.test"]
    assert "Clinique Lumière" in mail.message["Subject"]
    assert any(part.get_content_type() == "text/calendar" for part in mail.message.walk())


def test_a_patient_without_email_gets_the_48_hour_reminder_by_sms_instead(app, client, fake_twilio, smtp_server):
    starts = paris_session()
    book(app, client, fake_twilio, booking(starts, email=None))

    tick(app, starts - timedelta(hours=48))

    assert len(fake_twilio.messages) == 1
    assert smtp_server.received == []
