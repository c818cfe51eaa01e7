"""The patient's page: every message readable, with its receipts in the patient's own time, and reading it writes nothing."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from admin.timeline import patient_timeline
from service.extensions import db
from service.i18n import when
from service.models import DeliveryEvent, Patient, Reminder
from service.runtime import get_settings
from tests.helpers import booking, paris, post_booking, tick

LONDON = ZoneInfo("Europe/London")


def page_of(app, staff):
    with app.app_context():
        patient_id = db.session.execute(select(Patient.id)).scalar_one()
    return staff.get(f"/admin/patient/details/?id={patient_id}").get_data(as_text=True)


def test_sent_sms_and_email_show_their_text_and_receipts_in_the_patients_time(app, client, staff):
    body = booking(paris(5), timezone="Europe/London", email="camille@example.test", email_consent=True)
    post_booking(client, body)
    tick(app, paris(1, 9, 0))  # the confirmation, by SMS (console transport)
    tick(app, paris(3, 17, 50))  # the reminder two days before, by email
    with app.app_context():
        sms = db.session.execute(select(Reminder).where(Reminder.kind == "confirmation")).scalar_one()
        email = db.session.execute(select(Reminder).where(Reminder.kind == "reminder_48h")).scalar_one()
        assert (sms.status, email.status, email.channel) == ("sent", "sent", "email")
        received = sms.sent_at + timedelta(minutes=7)
        db.session.add(
            DeliveryEvent(reminder_id=sms.id, provider_message_id="SM" + "1" * 32, status="delivered", received_at=received)
        )
        db.session.commit()
        sms_text, subject, email_first_line = sms.body, email.subject, email.body.splitlines()[0]
        with app.test_request_context():
            in_london, in_paris = when(received, "Europe/London"), when(received, "Europe/Paris")
    page = page_of(app, staff)
    assert sms_text.splitlines()[0] in page
    assert subject in page and email_first_line in page
    assert f"Receipt {in_london}: Delivered to the phone" in page and in_paris not in page


def test_a_pending_message_shows_the_text_it_would_have_now_and_nothing_is_written(app, client, staff):
    post_booking(client, booking(paris(5)))
    page = page_of(app, staff)
    assert "Not sent yet. If it were sent now, it would read:" in page
    assert "rappel, rendez-vous le" in page and "+33 1 42 86 82 00" in page
    with app.app_context():
        before = db.session.execute(select(Reminder.id, Reminder.body, Reminder.updated_at, Reminder.status)).all()
        patient = db.session.execute(select(Patient)).scalar_one()
        with app.test_request_context():
            entries = patient_timeline(patient, get_settings())
            assert not db.session.dirty and not db.session.new
        assert any(e.message and e.message.text and "rappel" in e.message.text for e in entries)
        db.session.rollback()
        assert db.session.execute(select(Reminder.id, Reminder.body, Reminder.updated_at, Reminder.status)).all() == before


def test_a_text_emptied_by_retention_says_so(app, client, staff):
    post_booking(client, booking(paris(5)))
    tick(app, paris(1, 9, 0))
    with app.app_context():
        db.session.execute(
            update(Reminder)
            .where(Reminder.kind == "confirmation")
            .values(body=None, subject=None, created_at=paris(-600))  # what housekeeping leaves after 18 months
        )
        db.session.commit()
    assert "The text is no longer kept: messages are emptied after 18 months." in page_of(app, staff)


def test_a_missing_clinic_phone_shows_a_marker_not_a_blank(app, client, staff):
    from service.messages import compose_now
    from service.timeutil import utcnow

    post_booking(client, booking(paris(5)))
    with app.app_context():
        reminder = db.session.execute(select(Reminder).where(Reminder.kind == "reminder_24h")).scalar_one()
        text = compose_now(db.session, reminder, get_settings().with_overrides(clinic_phone=""), utcnow()).text
    assert "[CLINIC_PHONE not set]" in text and "  " not in text
