"""Cal.com bookings, reschedules and cancellations change what patients are sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.extensions import db
from service.models import Appointment, Patient, WebhookEvent
from service.webhooks import calcom
from tests.helpers import paris, sent_bodies, tick
from tests.providers import calcom as calcom_body
from tests.providers import load, post_calcom


def test_the_signature_is_the_hex_hmac_of_the_raw_body():  # protocol-facts.md §8, Cal.com's vector
    raw = b'{"triggerEvent":"BOOKING_CREATED","createdAt":"2026-01-05T10:00:00.000Z","payload":{"uid":"bk_123"}}'
    calcom.verify(
        {"X-Cal-Signature-256": "b7037ed44529f57ef4484ce729a42b8e1b1a0669da1c8299744a7945b082dd42"}, raw, "cal_test_secret"
    )


def test_a_calcom_booking_becomes_a_patient_a_session_and_its_reminders(app, client, fake_twilio):
    starts = paris(5)
    response = post_calcom(client, calcom_body("booking_created", starts))
    assert response.status_code == 200 and response.get_json()["status"] == "processed"

    tick(app, paris(1, 10))
    tick(app, starts - timedelta(hours=24))
    confirmation, reminder = sent_bodies(fake_twilio)
    assert "confirmé" in confirmation and "16:45" in reminder and "Clinique Lumière" in reminder
    with app.app_context():
        patient = db.session.execute(select(Patient)).scalar_one()
        assert (patient.phone, patient.email, patient.language, patient.timezone) == (
            "+33612345678",
            "camille@example.test",
            "fr",
            "Europe/Paris",
        )
        assert patient.sms_consent and patient.sms_consent_source == "webhook:calcom"
        assert db.session.execute(select(Appointment.area)).scalar_one() == "thighs"


def test_a_calcom_reschedule_sends_one_change_notice_and_reminds_at_the_new_time_only(app, client, fake_twilio):
    old, new = paris(5), paris(7, 11, 30)
    post_calcom(client, calcom_body("booking_created", old, created=datetime.now(UTC) - timedelta(days=1)))
    tick(app, paris(1, 10))
    assert len(sent_bodies(fake_twilio)) == 1  # the confirmation

    assert post_calcom(client, calcom_body("booking_rescheduled", new)).status_code == 200
    tick(app, paris(2, 10))
    (notice,) = sent_bodies(fake_twilio)  # one message: no "cancelled" for the old booking
    assert "déplacé" in notice and "11:30" in notice

    tick(app, old - timedelta(hours=24))
    assert sent_bodies(fake_twilio) == []
    tick(app, new - timedelta(hours=24))
    (reminder,) = sent_bodies(fake_twilio)
    assert "11:30" in reminder
    with app.app_context():
        rows = db.session.execute(select(Appointment.external_id, Appointment.status).order_by(Appointment.id)).all()
    assert [tuple(r) for r in rows] == [("bk_9fA2kLm3", "cancelled"), ("bk_Q7wX1n2c", "booked")]


def test_a_calcom_cancellation_stops_the_reminders_and_tells_the_patient_once(app, client, fake_twilio):
    starts = paris(5)
    post_calcom(client, calcom_body("booking_created", starts, created=datetime.now(UTC) - timedelta(days=1)))
    tick(app, paris(1, 10))
    sent_bodies(fake_twilio)

    post_calcom(client, calcom_body("booking_cancelled", starts))
    tick(app, paris(2, 10))
    tick(app, starts - timedelta(hours=24))
    tick(app, starts - timedelta(hours=2))
    (notice,) = sent_bodies(fake_twilio)
    assert "annulé" in notice


def test_a_cancellation_delivered_before_its_booking_still_wins(app, client, fake_twilio):
    starts = paris(5)
    booked_at = datetime.now(UTC) - timedelta(minutes=10)
    post_calcom(client, calcom_body("booking_cancelled", starts, created=booked_at + timedelta(minutes=5)))
    late = post_calcom(client, calcom_body("booking_created", starts, created=booked_at))
    assert late.get_json()["status"] == "ignored"
    for days in (1, 4, 5):
        tick(app, paris(days, 10))
    assert fake_twilio.messages == []


def test_wrong_missing_or_placeholder_signatures_are_refused_and_nothing_is_stored(app, client):
    body = calcom_body("booking_created", paris(5))
    for signature in ("", "no-secret-provided", "0" * 64):
        response = post_calcom(client, body, signature=signature)
        assert response.status_code == 401 and "X-Cal-Signature-256" in response.get_json()["error"]
    assert post_calcom(client, body, secret="another-secret").status_code == 401
    with app.app_context():
        assert db.session.execute(select(WebhookEvent)).first() is None


def test_a_repeated_delivery_is_acknowledged_and_changes_nothing(app, client):
    body = calcom_body("booking_created", paris(5))
    assert post_calcom(client, body).get_json()["status"] == "processed"
    assert post_calcom(client, body).get_json()["status"] == "duplicate"
    with app.app_context():
        assert db.session.execute(select(db.func.count()).select_from(Appointment)).scalar_one() == 1


def test_a_signed_body_that_cannot_be_used_is_a_422_naming_what_is_missing_and_is_kept(app, client):
    body = calcom_body("booking_created", paris(5))
    del body["payload"]["startTime"]
    response = post_calcom(client, body)
    assert response.status_code == 422 and "payload.startTime" in response.get_json()["error"]
    assert post_calcom(client, b"{not json").status_code == 422
    with app.app_context():
        kept = db.session.execute(select(WebhookEvent.outcome, WebhookEvent.error)).all()
    assert [o for o, _ in kept] == ["rejected", "rejected"] and "payload.startTime" in kept[0][1]


def test_other_triggers_are_acknowledged_and_ignored(app, client):
    response = post_calcom(client, load("calcom/meeting_ended.json"))
    assert response.status_code == 200 and response.get_json()["status"] == "ignored"
    with app.app_context():
        assert db.session.execute(select(Appointment)).first() is None
        assert db.session.execute(select(WebhookEvent.outcome)).scalar_one() == "ignored"


def test_a_booking_without_its_timestamp_can_still_be_cancelled_later(app, client, fake_twilio):
    """A custom payload template may drop createdAt. It used to default to the session's start, in the future, so the
    real cancellation that followed looked older and was dropped as stale: the patient was reminded anyway."""
    starts = paris(5)
    booked = calcom_body("booking_created", starts)
    del booked["createdAt"]
    answer = post_calcom(client, booked).get_json()
    assert answer["status"] == "processed" and any("createdAt is missing" in w for w in answer["warnings"])
    cancelled = calcom_body("booking_cancelled", starts, created=datetime.now(UTC) + timedelta(seconds=1))
    assert post_calcom(client, cancelled).get_json()["status"] == "processed"
    with app.app_context():
        assert db.session.execute(select(Appointment.status)).scalar_one() == "cancelled"
    tick(app, starts - timedelta(hours=24))
    assert not [b for b in sent_bodies(fake_twilio) if "rappel" in b]
