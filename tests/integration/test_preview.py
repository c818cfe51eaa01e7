"""`reminders preview`: what would go out at a moment, with its full text, changing nothing and sending nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from service import create_app
from service.extensions import db
from service.models import AuditEvent, Patient, Reminder, SendAttempt
from tests.helpers import booking, paris, post_booking, second_patient


def snapshot(app):
    with app.app_context():
        reminders = db.session.execute(select(Reminder.__table__)).all()
        patients = db.session.execute(select(Patient.__table__)).all()
        attempts = db.session.execute(select(SendAttempt.__table__)).all()
        audits = db.session.execute(select(AuditEvent.__table__)).all()
    return reminders, patients, attempts, audits


def preview(app, *args):
    result = app.test_cli_runner().invoke(args=["reminders", "preview", *args])
    assert result.exit_code == 0, result.output
    return result.output


def two_patients(client):
    post_booking(client, booking(paris(5)))
    post_booking(client, second_patient(paris(5, 11, 0)))


def test_preview_lists_kind_channel_local_time_and_full_text_per_patient_and_changes_nothing(app, client, fake_twilio):
    two_patients(client)
    before = snapshot(app)
    at = paris(5) - timedelta(hours=23)  # an hour after her 24 h reminder fell due (24 elapsed hours, across DST too)
    out = preview(app, "--at", at.isoformat(), "--phone", "06 12 34 56 78")
    assert "Camille Martin (06 12 34 56 78) · Europe/Paris" in out and "Sam Taylor" not in out
    assert "Reminder, the day before · SMS · would go out" in out
    assert "rappel, rendez-vous le" in out and "16:45" in out and "+33 1 42 86 82 00" in out
    with app.app_context():
        patient_id = db.session.execute(select(Patient.id).where(Patient.last_name == "Taylor")).scalar_one()
    everyone = preview(app, "--at", at.isoformat())
    assert "Camille Martin" in everyone and "Sam Taylor" in everyone
    assert everyone.index("Camille Martin") < everyone.index("rappel") < everyone.index("Sam Taylor")  # grouped
    alone = preview(app, "--at", at.isoformat(), "--patient", str(patient_id))
    assert "Sam Taylor" in alone and "Camille" not in alone and "Reminder, the day before · SMS" in alone
    assert snapshot(app) == before  # no status, attempt, lease, body or replan_at written
    assert fake_twilio.messages == []  # nothing sent


def test_preview_says_when_a_message_would_be_held_by_quiet_hours_or_consent(app, client, fake_twilio):
    post_booking(client, booking(paris(5)))
    night = preview(app, "--at", paris(4, 23, 30).isoformat())
    assert "Reminder, the day before · SMS · held until" in night and "quiet hours in the patient's time zone" in night
    with app.app_context():
        db.session.execute(Patient.__table__.update().values(sms_consent=False))
        db.session.commit()
    before = snapshot(app)
    out = preview(app, "--at", (paris(5) - timedelta(hours=23)).isoformat())
    assert "would not be sent: no consent to send by sms" in out
    assert snapshot(app) == before and fake_twilio.messages == []


def test_preview_with_nothing_due_says_so(app, client):
    post_booking(client, booking(paris(5)))
    assert "Nothing is due then." in preview(app, "--at", paris(-1).isoformat())


def test_preview_warns_of_a_missing_clinic_phone_and_the_text_shows_a_marker(app, client, settings):
    post_booking(client, booking(paris(5)))
    dev = create_app(settings.with_overrides(clinic_phone="", environment="development"))
    out = preview(dev, "--at", paris(4, 17, 0).isoformat())
    assert "warning: CLINIC_PHONE is not set" in out
    assert "ou au [CLINIC_PHONE not set]. STOP" in out
