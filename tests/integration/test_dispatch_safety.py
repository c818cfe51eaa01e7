"""Never after a cancellation, never for an old time, never twice, never at night; retries that help, none that cannot."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from service.dispatcher import Dispatcher
from service.domain.care import CAPPED_KINDS
from service.extensions import db
from service.jobs import dispatch_due
from service.models import Patient, Reminder, SendAttempt
from service.runtime import get_senders, get_settings
from tests.fakes.twilio_api import FakeResponse, twilio_error
from tests.helpers import book, booking, paris, post_booking, tick

PARIS = ZoneInfo("Europe/Paris")


def reminders(app) -> list[Reminder]:
    with app.app_context():
        rows = db.session.execute(select(Reminder).order_by(Reminder.id)).scalars().all()
        db.session.expunge_all()
        return list(rows)


def test_a_cancelled_session_gets_no_reminder(app, client, fake_twilio):
    starts = paris(10)
    post_booking(client, booking(starts, event_id="e1"))
    post_booking(client, booking(starts, event_id="e2", type="appointment.cancelled"))

    tick(app, starts - timedelta(hours=24))

    assert fake_twilio.messages == []
    assert {r.status for r in reminders(app)} == {"cancelled"}
    assert all("cancelled" in (r.status_reason or "") for r in reminders(app))


def test_a_rescheduled_session_is_reminded_at_the_new_time_only(app, client, fake_twilio):
    old, new = paris(10), paris(12, 11, 30)
    book(app, client, fake_twilio, booking(old, event_id="e1"))
    post_booking(client, booking(new, event_id="e2", type="appointment.rescheduled"))

    tick(app, old - timedelta(hours=24))
    (notice,) = fake_twilio.messages  # one change notice naming the new time, nothing for the old one
    assert "déplacé" in notice["body"] and "11:30" in notice["body"]
    fake_twilio.messages.clear()

    tick(app, new - timedelta(hours=24))
    (sms,) = fake_twilio.messages
    assert "11:30" in sms["body"] and "16:45" not in sms["body"]


def test_a_cancellation_that_arrives_before_its_booking_still_wins(app, client, fake_twilio):
    starts = paris(10)
    booked_at = datetime.now(UTC) - timedelta(minutes=5)
    cancel = booking(starts, event_id="e2", type="appointment.cancelled", occurred_at=booked_at + timedelta(minutes=1))
    book = booking(starts, event_id="e1", occurred_at=booked_at)
    assert post_booking(client, cancel).status_code == 200
    response = post_booking(client, book)
    assert response.get_json()["status"] == "ignored"

    tick(app, starts - timedelta(hours=24))
    assert fake_twilio.messages == []


def test_a_cancellation_committed_after_planning_but_before_sending_is_seen_by_the_dispatcher(app, client, fake_twilio):
    starts = paris(10)
    post_booking(client, booking(starts))
    with app.app_context():  # cancel behind the planner's back, as a concurrent transaction would
        from service.models import Appointment

        db.session.execute(select(Appointment)).scalar_one().status = "cancelled"
        db.session.commit()
        # Dispatch alone (no planning pass first): only the dispatcher's own re-read can stop the send.
        dispatch_due(starts - timedelta(hours=24))

    assert fake_twilio.messages == []
    sent_or_not = {r.kind: (r.status, r.status_reason) for r in reminders(app)}
    assert sent_or_not["reminder_24h"] == ("cancelled", "the session was cancelled")


def test_a_reminder_due_at_night_waits_for_the_morning_window(app, client, fake_twilio):
    starts = paris(10, 9, 0)
    book(app, client, fake_twilio, booking(starts))
    with app.app_context():  # a reminder planned for 06:30 local (as an edited rule might do)
        row = db.session.execute(select(Reminder).where(Reminder.kind == "reminder_2h")).scalar_one()
        row.due_at = row.next_attempt_at = starts - timedelta(hours=2, minutes=30)
        db.session.commit()

    summary = tick(app, starts - timedelta(hours=2, minutes=30))
    assert "deferred 1" in summary and fake_twilio.messages == []
    row = next(r for r in reminders(app) if r.kind == "reminder_2h")
    assert row.next_attempt_at.astimezone(PARIS).hour == 8

    tick(app, row.next_attempt_at)
    assert len(fake_twilio.messages) == 1


def test_provider_outages_are_retried_with_backoff_until_delivered(app, client, fake_twilio):
    starts = paris(10)
    book(app, client, fake_twilio, booking(starts))
    fake_twilio.fail_next(
        FakeResponse(500, {"code": 20500, "message": "Internal", "status": 500}), twilio_error(20429, 429, "Too Many Requests")
    )
    at = starts - timedelta(hours=24)

    tick(app, at)
    row = next(r for r in reminders(app) if r.kind == "reminder_24h")
    assert row.status == "pending" and row.next_attempt_at > at and "retrying" in row.status_reason
    tick(app, row.next_attempt_at)
    row = next(r for r in reminders(app) if r.kind == "reminder_24h")
    tick(app, row.next_attempt_at)

    row = next(r for r in reminders(app) if r.kind == "reminder_24h")
    assert row.status == "sent" and len(fake_twilio.messages) == 1
    with app.app_context():
        attempts = (
            db.session.execute(select(SendAttempt).where(SendAttempt.reminder_id == row.id).order_by(SendAttempt.number))
            .scalars()
            .all()
        )
        assert [(a.outcome, a.error_code) for a in attempts] == [("retry", "20500"), ("retry", "20429"), ("sent", None)]


def test_an_invalid_number_fails_at_once_with_its_reason_and_is_not_retried(app, client, fake_twilio):
    starts = paris(10)
    book(app, client, fake_twilio, booking(starts))
    fake_twilio.fail_next(twilio_error(21211, 400, "The 'To' number is not a valid phone number."))

    tick(app, starts - timedelta(hours=24))
    tick(app, starts - timedelta(hours=23))

    row = next(r for r in reminders(app) if r.kind == "reminder_24h")
    assert row.status == "failed"
    assert "21211" in row.status_reason and "not a valid phone number" in row.status_reason
    assert len(fake_twilio.requests) == 1


def test_twilio_saying_unsubscribed_marks_the_patient_opted_out_and_falls_back_to_email(app, client, fake_twilio, smtp_server):
    starts = paris(10)
    book(app, client, fake_twilio, booking(starts, email="camille@example.test", email_consent=True))
    tick(app, starts - timedelta(hours=48))  # the 48-hour email goes out as planned
    assert len(smtp_server.received) == 1
    fake_twilio.fail_next(twilio_error(21610, 400, "Attempt to send to unsubscribed recipient"))

    tick(app, starts - timedelta(hours=24))

    with app.app_context():
        assert db.session.execute(select(Patient.sms_opted_out_at)).scalar_one() is not None
    row = next(r for r in reminders(app) if r.kind == "reminder_24h")
    assert (row.channel, row.status) == ("email", "sent")
    assert len(smtp_server.received) == 2 and smtp_server.received[1].rcpt_tos == ["camille@example.test"]
    # And the 2-hour reminder, due later, is not attempted by SMS at all.
    tick(app, starts - timedelta(hours=2))
    assert len(fake_twilio.requests) == 1


def test_a_dispatcher_that_died_mid_send_leaves_nothing_lost(app, client, fake_twilio):
    starts = paris(10)
    book(app, client, fake_twilio, booking(starts))
    at = starts - timedelta(hours=24)
    with app.app_context():
        dead = Dispatcher(db.session, get_senders(app), get_settings(app), worker="dead-worker")
        claimed = dead.claim(at, 10)  # claimed, then the process was killed before sending
        assert claimed

    summary = tick(app, at + timedelta(minutes=1))
    assert "sent 0" in summary  # the lease still protects it from a second sender

    summary = tick(app, at + dead.lease + timedelta(minutes=1))
    assert f"recovered {len(claimed)}" in summary
    assert len(fake_twilio.messages) == 1


def test_two_dispatchers_on_postgresql_send_each_reminder_once(app, client, fake_twilio, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED is a PostgreSQL guarantee; SQLite has one writer")
    fake_twilio.latency = 0.01
    base = paris(10)
    for i in range(30):
        body = booking(
            base + timedelta(days=i % 3, minutes=15 * i),
            event_id=f"e{i}",
            appointment_id=f"a{i}",
            id=f"p{i}",
            phone=f"+336123456{i:02d}",
        )
        assert post_booking(client, body).status_code == 200
    at = base + timedelta(days=5)  # everything's SMS reminders are due (or expired) by now
    with app.app_context():
        # Session reminders and notices only: the one-a-day cap would rightly hold back aftercare and check-ins.
        due = (
            db.session.execute(select(Reminder).where(Reminder.channel == "sms", Reminder.kind.notin_(CAPPED_KINDS)))
            .scalars()
            .all()
        )
        for r in db.session.execute(select(Reminder).where(Reminder.kind.in_(CAPPED_KINDS))).scalars():
            r.status = "cancelled"
        for r in due:  # make every row due and still useful
            r.due_at = r.next_attempt_at = at - timedelta(minutes=1)
            r.expires_at = at + timedelta(hours=1)
        db.session.commit()
        expected = len(due)

    def run(name: str) -> None:
        with app.app_context():
            settings = get_settings(app).with_overrides(dispatch_batch_size=3)
            Dispatcher(db.session, get_senders(app), settings, worker=name).run(at)
            db.session.remove()

    workers = [threading.Thread(target=run, args=(f"w{i}",)) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    reminder_ids = [int(m["status_callback"].rsplit("=", 1)[1]) for m in fake_twilio.messages]
    assert len(set(reminder_ids)) == len(reminder_ids)  # each reminder reached Twilio at most once
    rows = [r for r in reminders(app) if r.channel == "sms" and r.kind not in CAPPED_KINDS]
    assert len(rows) == expected and {r.status for r in rows} == {"sent", "skipped"}
    # Every patient's messages about one session fell due together: whichever dispatcher took which, exactly the
    # most useful one went out, and the others were skipped naming it.
    by_patient: dict[int, list] = {}
    for r in rows:
        by_patient.setdefault(r.patient_id, []).append(r)
    for pair in by_patient.values():
        (sent,) = [r for r in pair if r.status == "sent"]
        assert sent.id in reminder_ids
        assert all(f"(reminder #{sent.id})" in (r.status_reason or "") for r in pair if r is not sent)
    assert sorted(reminder_ids) == sorted(r.id for r in rows if r.status == "sent")


def test_after_an_outage_a_late_reminder_goes_if_still_useful_and_is_skipped_with_a_reason_if_not(app, client, fake_twilio):
    starts = paris(10)
    book(app, client, fake_twilio, booking(starts))

    tick(app, starts - timedelta(hours=5))  # down since before the 24 h reminder: still worth sending
    (late,) = fake_twilio.messages
    assert "16:45" in late["body"]
    fake_twilio.messages.clear()

    tick(app, starts + timedelta(minutes=5))  # down again through the 2 h reminder, back after the session began
    assert fake_twilio.messages == []
    row = next(r for r in reminders(app) if r.kind == "reminder_2h")
    assert row.status == "skipped" and row.status_reason == "too late to be useful"
