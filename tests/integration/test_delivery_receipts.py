"""What happens after Twilio takes a message: receipts, the ambiguous send, undelivered SMS falling back to email."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from service.domain.lifecycle import planned
from service.extensions import db
from service.jobs import dispatch_due
from service.models import DeliveryEvent, Patient, Reminder, SendAttempt
from service.planner import NEVER
from tests.fakes.twilio_api import AUTH_TOKEN, accepted_late
from tests.helpers import book, booking, paris, tick

PUBLIC = "https://recall.clinic.test"


def callback(client, message: dict, status: str, *, error_code: str | None = None, token: str = AUTH_TOKEN):
    """Post a status callback the way Twilio does: to the URL the message named, signed over that public URL."""
    url = message["status_callback"]
    form = {
        "MessageSid": message["sid"],
        "SmsSid": message["sid"],
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": message["account_sid"],
        "To": message["to"],
        "From": message["from"],
        "ApiVersion": "2010-04-01",
    }
    if error_code:
        form["ErrorCode"] = error_code
    signature = RequestValidator(token).compute_signature(url, form)
    # Flask sees http://localhost/...: what proxies do; the signature is over the public https URL.
    return client.post(url.removeprefix(PUBLIC), data=form, headers={"X-Twilio-Signature": signature})


def the_24h(app) -> Reminder:
    with app.app_context():
        row = db.session.execute(select(Reminder).where(Reminder.kind == "reminder_24h")).scalar_one()
        db.session.expunge(row)
        return row


def test_a_delivery_receipt_reaches_the_reminder_and_a_late_sent_does_not_undo_it(app, client, fake_twilio):
    starts = paris(5)
    book(app, client, fake_twilio, booking(starts))
    tick(app, starts - timedelta(hours=24))
    (message,) = fake_twilio.messages

    assert callback(client, message, "sent").status_code == 200
    assert callback(client, message, "delivered").status_code == 200
    assert callback(client, message, "sent").get_json() == {"status": "recorded"}  # out of order

    row = the_24h(app)
    assert (row.status, row.provider_status) == ("delivered", "delivered")
    with app.app_context():
        events = db.session.execute(select(DeliveryEvent.status).order_by(DeliveryEvent.id)).scalars().all()
    assert events == ["sent", "delivered", "sent"]  # every receipt is kept for staff to see


def test_a_callback_with_a_wrong_signature_is_refused_and_changes_nothing(app, client, fake_twilio):
    starts = paris(5)
    book(app, client, fake_twilio, booking(starts))
    tick(app, starts - timedelta(hours=24))
    (message,) = fake_twilio.messages

    response = callback(client, message, "undelivered", token="not-the-auth-token")
    assert response.status_code == 403 and "X-Twilio-Signature" in response.get_json()["error"]
    missing = client.post(message["status_callback"].removeprefix(PUBLIC), data={"MessageSid": message["sid"]})
    assert missing.status_code == 403
    assert the_24h(app).status == "sent"
    with app.app_context():
        assert db.session.execute(select(DeliveryEvent)).first() is None


def test_an_undelivered_sms_reminder_falls_back_to_email(app, client, fake_twilio, smtp_server):
    starts = paris(5)
    book(app, client, fake_twilio, booking(starts, email="camille@example.test", email_consent=True))
    tick(app, starts - timedelta(hours=48))  # the 48 h email
    smtp_server.received.clear()
    tick(app, starts - timedelta(hours=24))
    (message,) = fake_twilio.messages

    assert callback(client, message, "undelivered", error_code="30003").get_json() == {"status": "fallback"}
    tick(app, starts - timedelta(hours=24) + timedelta(minutes=2))

    (mail,) = smtp_server.received
    assert mail.rcpt_tos == ["camille@example.test"]
    row = the_24h(app)
    assert (row.channel, row.status) == ("email", "sent")
    assert len(fake_twilio.messages) == 1  # no second SMS
    with app.app_context():
        receipt = db.session.execute(select(DeliveryEvent)).scalar_one()
    assert (receipt.reminder_id, receipt.status, receipt.error_code) == (row.id, "undelivered", "30003")


@pytest.mark.twilio_timeout(0.5)
def test_an_unanswered_send_that_twilio_took_is_settled_by_its_callback_and_never_resent(app, client, fake_twilio):
    starts = paris(5)
    book(app, client, fake_twilio, booking(starts))
    fake_twilio.fail_next(accepted_late(1.5))  # Twilio takes it; the answer comes after the client's 0.5 s timeout
    at = starts - timedelta(hours=24)

    tick(app, at)
    row = the_24h(app)
    assert row.status == "pending" and "waiting for the status callback" in row.status_reason
    assert row.next_attempt_at >= at + timedelta(minutes=5)
    (message,) = fake_twilio.messages  # it did reach Twilio

    assert callback(client, message, "sent").status_code == 200
    tick(app, at + timedelta(minutes=10))

    row = the_24h(app)
    assert (row.status, row.provider_message_id) == ("sent", message["sid"])
    assert len(fake_twilio.messages) == 1  # not sent twice
    with app.app_context():
        outcomes = db.session.execute(select(SendAttempt.outcome).where(SendAttempt.reminder_id == row.id)).scalars().all()
    assert outcomes == ["unknown"]


@pytest.mark.twilio_timeout(0.5)
def test_an_unanswered_send_with_no_callback_is_tried_again_only_after_the_wait(app, client, fake_twilio):
    starts = paris(5)
    book(app, client, fake_twilio, booking(starts))
    fake_twilio.fail_next(accepted_late(1.5))
    at = starts - timedelta(hours=24)
    tick(app, at)
    fake_twilio.messages.clear()  # as if Twilio had in fact dropped it: no callback will come

    tick(app, at + timedelta(minutes=1))
    assert fake_twilio.messages == []  # still waiting for a callback
    tick(app, the_24h(app).next_attempt_at)
    assert len(fake_twilio.messages) == 1 and the_24h(app).status == "sent"


def test_an_undelivered_maintenance_sms_falls_back_to_email_too(app, client, fake_twilio, smtp_server):
    """Not only session reminders: a receipt's fallback follows the same rule as a refusal at send."""
    now = paris(0, 10, 0)
    with app.app_context():
        patient = Patient(
            first_name="Camille",
            phone="+33612345678",
            email="camille@example.test",
            language="en",
            sms_consent=True,
            email_consent=True,
            timezone="Europe/Paris",
            replan_at=NEVER,
        )
        db.session.add(patient)
        db.session.flush()
        due_on = (now + timedelta(days=30)).date()
        db.session.add(
            Reminder(
                patient_id=patient.id,
                kind="maintenance_due",
                channel="sms",
                dedupe_key="m:1",
                due_at=now,
                next_attempt_at=now,
                expires_at=now + timedelta(days=7),
                context={"appointments": [], "variables": {"due_on": due_on.isoformat()}},
                **planned(now),
            )
        )
        db.session.commit()
    with app.app_context():
        dispatch_due(now)
    (message,) = fake_twilio.messages
    with time_machine.travel(now + timedelta(minutes=1), tick=False):  # Twilio's receipt, a minute later
        assert callback(client, message, "undelivered", error_code="30003").get_json() == {"status": "fallback"}
    with app.app_context():
        dispatch_due(now + timedelta(minutes=2))
        row = db.session.execute(select(Reminder)).scalar_one()
        assert (row.channel, row.status) == ("email", "sent"), row.status_reason
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == ["camille@example.test"] and "maintenance" in mail.message["Subject"]
