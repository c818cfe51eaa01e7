"""WhatsApp through the real twilio client against the fake Twilio API on 127.0.0.1: an approved Content template
outside the 24-hour window, free text inside it, and the next channel in CHANNEL_ORDER when WhatsApp cannot carry it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import InboundMessage, MessageTemplate, Patient, Reminder
from service.planner import plan_patient
from service.runtime import get_settings
from tests.fakes.twilio_api import twilio_error
from tests.helpers import book, booking, paris, tick

SENDER = "whatsapp:+15005550006"


@pytest.fixture
def settings(settings):
    return settings.with_overrides(channel_order=("whatsapp", "sms", "email"), twilio_whatsapp_from=SENDER)


def on_whatsapp(app, *, template: bool = True, last_message_at: datetime | None = None) -> None:
    """The patient says yes to WhatsApp (the clinic may hold an approved template); the planner takes it in."""
    with app.app_context():
        patient = db.session.execute(select(Patient)).scalar_one()
        patient.whatsapp_consent = True
        if template:
            db.session.add(
                MessageTemplate(
                    kind="reminder_24h",
                    channel="whatsapp",
                    language="fr",
                    body="(approved template)",
                    content_sid="HX" + "a" * 32,
                    content_variables={"1": "first_name", "2": "clinic_phone"},
                )
            )
        if last_message_at is not None:
            db.session.add(
                InboundMessage(
                    provider_message_id="SMwa1",
                    patient_id=patient.id,
                    from_number=patient.phone,
                    channel="whatsapp",
                    body="Merci !",
                    intent="other",
                    received_at=last_message_at,
                )
            )
        plan_patient(db.session, patient, get_settings(app), datetime.now(UTC))
        db.session.commit()


def the_24h(app) -> Reminder:
    with app.app_context():
        row = db.session.execute(select(Reminder).where(Reminder.kind == "reminder_24h")).scalar_one()
        db.session.expunge(row)
        return row


def test_outside_the_window_the_reminder_goes_as_the_approved_template_with_its_numbered_variables(app, client, fake_twilio):
    starts = paris(5)
    book(app, client, fake_twilio, booking(starts))
    on_whatsapp(app)

    tick(app, starts - timedelta(hours=24))

    (sent,) = fake_twilio.requests
    assert (sent["To"], sent["From"], sent["ContentSid"]) == ("whatsapp:+33612345678", SENDER, "HX" + "a" * 32)
    variables = json.loads(sent["ContentVariables"])
    assert variables["1"] == "Camille" and variables["2"]  # first name, the clinic's phone
    assert "Body" not in sent
    assert (the_24h(app).channel, the_24h(app).status) == ("whatsapp", "sent")


def test_inside_the_window_after_the_patients_message_the_reminder_goes_as_free_text(app, client, fake_twilio):
    starts = paris(5)
    book(app, client, fake_twilio, booking(starts))
    on_whatsapp(app, last_message_at=starts - timedelta(hours=30))  # 6 hours before the reminder

    tick(app, starts - timedelta(hours=24))

    (sent,) = fake_twilio.requests
    assert sent["To"] == "whatsapp:+33612345678" and "ContentSid" not in sent
    assert "rappel, rendez-vous" in sent["Body"]
    assert sent["Body"].endswith("STOP pour ne plus recevoir de messages WhatsApp")  # STOP here stops WhatsApp, not SMS


def test_a_kind_with_no_approved_template_goes_by_the_next_channel_in_the_order(app, client, fake_twilio):
    starts = paris(5)
    book(app, client, fake_twilio, booking(starts))
    on_whatsapp(app, template=False)

    tick(app, starts - timedelta(hours=24))

    (sent,) = fake_twilio.requests
    assert sent["To"] == "+33612345678" and sent["From"] != SENDER and "rappel" in sent["Body"]
    assert the_24h(app).channel == "sms"


def test_twilio_63016_outside_the_window_falls_back_to_sms(app, client, fake_twilio):
    starts = paris(5)
    book(app, client, fake_twilio, booking(starts))
    on_whatsapp(app)
    fake_twilio.fail_next(twilio_error(63016, 400, "Failed to send freeform message because you are outside the window"))

    tick(app, starts - timedelta(hours=24))
    tick(app, starts - timedelta(hours=24) + timedelta(minutes=1))

    whatsapp, sms = fake_twilio.requests
    assert whatsapp["To"].startswith("whatsapp:") and sms["To"] == "+33612345678" and "rappel" in sms["Body"]
    row = the_24h(app)
    assert (row.channel, row.status) == ("sms", "sent")


def test_a_whatsapp_stop_stops_whatsapp_and_not_sms(app, client, fake_twilio):
    from tests.integration.test_replies import reply

    starts = paris(5)
    book(app, client, fake_twilio, booking(starts))
    on_whatsapp(app)
    assert reply(client, "STOP", sender="whatsapp:+33612345678", sid="SMwastop1").status_code == 200
    with app.app_context():
        patient = db.session.execute(select(Patient)).scalar_one()
        assert patient.whatsapp_opted_out_at is not None and patient.sms_opted_out_at is None
        inbound = db.session.execute(select(InboundMessage).where(InboundMessage.provider_message_id == "SMwastop1")).one()[0]
        assert (inbound.channel, inbound.from_number) == ("whatsapp", "+33612345678")
    tick(app, starts - timedelta(hours=24))
    (sent,) = fake_twilio.requests
    assert sent["To"] == "+33612345678" and "Body" in sent  # the reminder went by SMS, the next channel in the order
    assert the_24h(app).channel == "sms"


def test_a_read_receipt_marks_the_whatsapp_reminder_delivered_and_read(app, client, fake_twilio):
    from tests.integration.test_delivery_receipts import callback

    starts = paris(5)
    book(app, client, fake_twilio, booking(starts))
    on_whatsapp(app)
    tick(app, starts - timedelta(hours=24))
    (message,) = fake_twilio.messages
    assert callback(client, message, "delivered").status_code == 200
    assert callback(client, message, "read").status_code == 200
    reminder = the_24h(app)
    assert (reminder.channel, reminder.status, reminder.provider_status) == ("whatsapp", "delivered", "read")
    assert callback(client, message, "delivered").status_code == 200  # late and out of order: never moves back
    assert the_24h(app).provider_status == "read"


def test_the_generic_webhook_records_whatsapp_consent_and_the_preferred_channel(app, client, fake_twilio):
    from tests.helpers import post_booking

    starts = paris(5)
    body = booking(starts, whatsapp_consent=True, preferred_channel="whatsapp")
    assert post_booking(client, body).status_code == 200
    with app.app_context():
        patient = db.session.execute(select(Patient)).scalar_one()
        assert (patient.whatsapp_consent, patient.whatsapp_consent_source, patient.preferred_channel) == (
            True,
            "webhook:generic",
            "whatsapp",
        )
        assert patient.whatsapp_consent_at is not None
    refused = post_booking(client, booking(starts, event_id="evt_fax", preferred_channel="fax"))
    assert refused.status_code == 400 and "preferred_channel" in refused.get_data(as_text=True)
