"""A patient's right of access and to erasure (`patients export` / `patients erase`), and the retention purge."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from service.extensions import db
from service.jobs import housekeeping
from service.models import AuditEvent, InboundMessage, Patient, Reminder, Suppression, WebhookEvent
from tests.helpers import book, booking, paris, post_booking, tick, twilio_message
from tests.integration.test_delivery_receipts import callback
from tests.integration.test_replies import reply

PARIS = ZoneInfo("Europe/Paris")
PHONE = "+33612345678"  # what booking() sends as "06 12 34 56 78"


def cli(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def a_patient_with_history(app, client, fake_twilio) -> None:
    """Booked (confirmation sent and delivered), a reply, and reminders still pending for next week's session."""
    book(app, client, fake_twilio, booking(paris(7), email="camille.martin@example.test", email_consent=True))
    with app.app_context():
        confirmation = db.session.execute(select(Reminder).where(Reminder.kind == "confirmation")).scalar_one()
        message = twilio_message(confirmation, PHONE)
    assert callback(client, message, "delivered").status_code == 200
    assert reply(client, "Can we move it to Friday?", sender=PHONE).status_code == 200


def test_export_prints_everything_held_about_the_patient(app, client, fake_twilio):
    a_patient_with_history(app, client, fake_twilio)

    result = cli(app, "patients", "export", "--phone", "06 12 34 56 78")  # typed as the front desk would

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["profile"]["first_name"] == "Camille" and data["profile"]["phone"] == PHONE
    assert data["profile"]["email"] == "camille.martin@example.test"
    assert data["consents"]["sms_consent"] is True and data["consents"]["sms_consent_source"] == "webhook:generic"
    assert [s["status"] for s in data["sessions"]] == ["booked"] and data["sessions"][0]["area"] == "thighs"
    sent = next(m for m in data["messages"] if m["kind"] == "confirmation")
    assert "rendez-vous confirmé" in sent["body"] and sent["attempts"][0]["outcome"] == "sent"
    assert [d["status"] for d in sent["delivery"]] == ["delivered"]
    assert any(m["status"] == "pending" for m in data["messages"])  # what is still to come is shown too
    assert data["replies"][0]["body"] == "Can we move it to Friday?"
    by_email = json.loads(cli(app, "patients", "export", "--email", "Camille.Martin@example.test").output)
    assert by_email["profile"]["id"] == data["profile"]["id"]


def test_an_address_is_matched_whole_never_as_a_pattern(app, client, fake_twilio):
    a_patient_with_history(app, client, fake_twilio)
    lookalike = cli(app, "patients", "erase", "--email", "camille_martin@example.test", "--yes")  # "_" is not a wildcard
    assert lookalike.exit_code != 0 and "no patient has this address" in lookalike.output
    with app.app_context():
        assert db.session.execute(select(Patient.first_name)).scalar_one() == "Camille"


def test_export_names_what_is_wrong_with_the_question(app, client):
    assert "no patient has this number" in cli(app, "patients", "export", "--phone", "+33699999999").output
    assert "exactly one of --phone or --email" in cli(app, "patients", "export").output
    assert "not a phone number" in cli(app, "patients", "export", "--phone", "banana").output


def test_erase_removes_personal_data_cancels_what_is_pending_and_keeps_anonymous_counts(app, client, fake_twilio):
    a_patient_with_history(app, client, fake_twilio)
    with app.app_context():
        before = db.session.execute(select(func.count()).select_from(Reminder)).scalar_one()

    result = cli(app, "patients", "erase", "--phone", PHONE, "--yes")

    assert result.exit_code == 0, result.output
    with app.app_context():
        patient = db.session.execute(select(Patient)).scalar_one()
        assert (patient.first_name, patient.last_name, patient.phone, patient.email) == ("(erased)", "", None, None)
        assert not patient.external_ids
        reminders = db.session.execute(select(Reminder)).scalars().all()
        assert len(reminders) == before  # the counts stay: what kind of message went out, when
        assert all(r.body is None and r.subject is None for r in reminders)
        assert not [r for r in reminders if r.status in ("pending", "sending")]
        assert db.session.execute(select(InboundMessage.body, InboundMessage.from_number)).one() == (None, None)
        payloads = " ".join(w.payload or "" for w in db.session.execute(select(WebhookEvent)).scalars())
        for quoted in ("06 12 34 56 78", PHONE, "camille.martin@example.test", "Camille"):  # as the booking system sent it
            assert quoted not in payloads
        assert db.session.execute(select(func.count()).select_from(Suppression)).scalar_one() == 2  # phone and email
        entry = db.session.execute(select(AuditEvent).where(AuditEvent.action == "erase")).scalar_one()
        assert entry.entity_id == str(patient.id) and entry.actor.startswith("cli")
    exported = cli(app, "patients", "export", "--phone", PHONE)
    assert exported.exit_code != 0  # nothing left to find by that number


def test_an_erased_number_is_never_messaged_again_even_when_a_booking_brings_it_back(app, client, fake_twilio):
    a_patient_with_history(app, client, fake_twilio)
    assert cli(app, "patients", "erase", "--phone", PHONE, "--yes").exit_code == 0
    fake_twilio.messages.clear()

    # The booking system still has the patient and books them again: a new patient row, the same number.
    again = booking(paris(9), event_id="evt_again", appointment_id="appt-again")
    assert post_booking(client, again).status_code == 200
    for day in (1, 8, 9):
        tick(app, paris(day, 10, 0))

    assert [m for m in fake_twilio.messages if m["to"] == PHONE] == []
    with app.app_context():
        reasons = db.session.execute(select(Reminder.status_reason).where(Reminder.status == "cancelled")).scalars().all()
        assert any("erased patient" in (r or "") for r in reasons)


def test_erase_asks_before_it_acts(app, client, fake_twilio):
    a_patient_with_history(app, client, fake_twilio)
    result = cli(app, "patients", "erase", "--phone", PHONE, input="n\n")
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.execute(select(Patient.first_name)).scalar_one() == "Camille"


def test_the_daily_purge_empties_old_bodies_replies_and_payloads_and_keeps_recent_ones(app, client, fake_twilio):
    a_patient_with_history(app, client, fake_twilio)
    now = datetime.now(PARIS)
    with app.app_context():
        old = db.session.execute(select(Reminder).where(Reminder.kind == "confirmation")).scalar_one()
        old.created_at = now - timedelta(days=19 * 31)  # past the default 18 months
        db.session.execute(select(InboundMessage)).scalar_one().received_at = now - timedelta(days=19 * 31)
        events = db.session.execute(select(WebhookEvent).order_by(WebhookEvent.id)).scalars().all()
        events[0].received_at = now - timedelta(days=31)  # past the 30 days for raw payloads
        db.session.commit()
        kept_payloads = [e.id for e in events[1:] if e.payload]

        done = housekeeping(now)

        assert (done["bodies_purged"], done["replies_purged"], done["payloads_purged"]) == (1, 1, 1)
        assert db.session.get(Reminder, old.id).body is None
        assert db.session.execute(select(InboundMessage.body)).scalar_one() is None
        assert db.session.get(WebhookEvent, events[0].id).payload is None
        assert all(db.session.get(WebhookEvent, i).payload for i in kept_payloads)
        recent = db.session.execute(select(Reminder).where(Reminder.id != old.id, Reminder.body.is_not(None))).scalars().all()
        assert all(r.created_at > now - timedelta(days=2) for r in recent)


def a_request_in_the_patients_words(app) -> int:
    """What a patient wrote when asking for another time, kept on the front desk's to-do item."""
    from service import todo
    from service.domain.vocabulary import TodoKind
    from service.timeutil import utcnow

    with app.app_context():
        patient = db.session.execute(select(Patient)).scalar_one()
        item = todo.add(
            db.session,
            TodoKind.RESCHEDULE_REQUEST,
            "test:words",
            utcnow(),
            patient_id=patient.id,
            detail="Plutôt vendredi : je suis à Lyon jeudi pour ma cheville",
        )
        db.session.commit()
        return item.id


def test_erase_empties_what_the_patient_wrote_on_the_to_do_list(app, client, fake_twilio):
    from service.models import TodoItem

    a_patient_with_history(app, client, fake_twilio)
    item_id = a_request_in_the_patients_words(app)
    assert cli(app, "patients", "erase", "--phone", PHONE, "--yes").exit_code == 0
    with app.app_context():
        item = db.session.get(TodoItem, item_id)
        assert item is not None and item.detail is None  # the item stays, as a count; the words go


def test_the_daily_purge_empties_old_to_do_details_with_the_replies(app, client, fake_twilio):
    from service.models import TodoItem

    a_patient_with_history(app, client, fake_twilio)
    item_id = a_request_in_the_patients_words(app)
    now = datetime.now(PARIS)
    with app.app_context():
        housekeeping(now)
        assert db.session.get(TodoItem, item_id).detail  # recent: kept
        db.session.get(TodoItem, item_id).created_at = now - timedelta(days=19 * 31)
        db.session.commit()
        housekeeping(now)
        assert db.session.get(TodoItem, item_id).detail is None
