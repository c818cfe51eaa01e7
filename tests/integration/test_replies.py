"""Patients' SMS replies through `POST /webhooks/twilio/inbound`, signed as Twilio signs them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from twilio.request_validator import RequestValidator

from service.extensions import db
from service.models import Appointment, InboundMessage, Patient, Reminder
from tests.fakes.twilio_api import AUTH_TOKEN, FROM_NUMBER
from tests.helpers import book, booking, paris, tick

URL = "https://recall.clinic.test/webhooks/twilio/inbound"


def reply(client, body: str, *, sender: str = "+33612345678", sid: str = "SMin1", token: str = AUTH_TOKEN):
    form = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "0" * 31 + "1",
        "From": sender,
        "To": FROM_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    signature = RequestValidator(token).compute_signature(URL, form)
    return client.post("/webhooks/twilio/inbound", data=form, headers={"X-Twilio-Signature": signature})


def test_stop_stops_sms_at_once_and_the_next_reminders_go_by_email(app, client, fake_twilio, smtp_server):
    starts = paris(5)
    book(app, client, fake_twilio, booking(starts, email="camille@example.test", email_consent=True))

    response = reply(client, "Arrêt")
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert "<Message>" not in response.get_data(as_text=True)  # Twilio answers STOP itself
    with app.app_context():
        assert db.session.execute(select(Patient.sms_opted_out_at)).scalar_one() is not None

    tick(app, starts - timedelta(hours=48))
    tick(app, starts - timedelta(hours=24))
    tick(app, starts - timedelta(hours=2))
    assert fake_twilio.messages == []
    subjects = [m.message["Subject"] for m in smtp_server.received]
    assert len(subjects) == 3 and all("rendez-vous" in s for s in subjects)  # 48 h, 24 h and 2 h, all by email
    smtp_server.received.clear()


def test_after_stop_a_late_48h_email_is_not_sent_together_with_the_24h_one(app, client, fake_twilio, smtp_server):
    starts = paris(5)
    book(app, client, fake_twilio, booking(starts, email="camille@example.test", email_consent=True))
    reply(client, "STOP")
    tick(app, starts - timedelta(hours=24))  # the 48 h email's moment has passed: only the 24 h one goes
    assert len(smtp_server.received) == 1


def test_start_opts_back_in(app, client, fake_twilio):
    starts = paris(5)
    book(app, client, fake_twilio, booking(starts))
    reply(client, "STOP", sid="SM1")
    reply(client, "start", sid="SM2")
    tick(app, starts - timedelta(hours=24))
    assert len(fake_twilio.messages) == 1


def test_help_is_answered_with_the_clinic_name_and_phone(app, client, fake_twilio):
    book(app, client, fake_twilio, booking(paris(5), language="en"))
    text = reply(client, "help?").get_data(as_text=True)
    assert "<Message>Clinique Lumière" in text and "+33 1 42 86 82 00" in text and "STOP" in text


def test_confirm_marks_the_next_session_confirmed_and_says_which(app, client, fake_twilio):
    starts = paris(5)
    book(app, client, fake_twilio, booking(starts))
    text = reply(client, "oui").get_data(as_text=True)
    assert "confirmé" in text and "16:45" in text
    with app.app_context():
        assert db.session.execute(select(Appointment.confirmed_at)).scalar_one() is not None
        assert db.session.execute(select(InboundMessage.handled_at)).scalar_one() is not None


def test_a_reschedule_request_and_free_text_are_kept_for_staff_unhandled(app, client, fake_twilio):
    book(app, client, fake_twilio, booking(paris(5)))
    assert "rappelons" in reply(client, "R", sid="SM1").get_data(as_text=True)
    assert "<Message>" not in reply(client, "Can I bring my daughter?", sid="SM2").get_data(as_text=True)
    reply(client, "Hello?", sender="+33699999999", sid="SM3")  # a number we do not know
    with app.app_context():
        kept = db.session.execute(select(InboundMessage).order_by(InboundMessage.id)).scalars().all()
        assert [(m.intent, m.handled_at is None, m.patient_id is not None) for m in kept] == [
            ("reschedule", True, True),
            ("other", True, True),
            ("other", True, False),
        ]


def test_a_repeated_delivery_of_one_reply_is_applied_once(app, client, fake_twilio):
    book(app, client, fake_twilio, booking(paris(5)))
    reply(client, "R", sid="SMdup")
    assert "<Message>" not in reply(client, "R", sid="SMdup").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(db.func.count()).select_from(InboundMessage)).scalar_one() == 1


def test_a_reply_with_a_bad_signature_is_refused_and_nothing_changes(app, client, fake_twilio):
    book(app, client, fake_twilio, booking(paris(5)))
    assert reply(client, "STOP", token="wrong").status_code == 403
    with app.app_context():
        assert db.session.execute(select(Patient.sms_opted_out_at)).scalar_one() is None
        assert db.session.execute(select(Reminder).where(Reminder.channel == "email")).first() is None
