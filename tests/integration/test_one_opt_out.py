"""Every way a patient leaves a channel has the same effects: the flag, an audit row naming who asked, and the pending
messages on that channel moved to the other one at once (not left for the dispatcher to discover one by one)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import AuditEvent, Patient, Reminder
from tests.fakes.twilio_api import twilio_error
from tests.helpers import book, booking, paris, tick
from tests.integration.test_delivery_receipts import callback
from tests.integration.test_replies import reply

BOTH = {"email": "camille@example.test", "email_consent": True}


def pending_2h(app) -> Reminder:
    with app.app_context():
        row = db.session.execute(select(Reminder).where(Reminder.kind == "reminder_2h")).scalar_one()
        db.session.expunge(row)
        return row


def opt_outs(app) -> list[tuple[str, dict]]:
    with app.app_context():
        return [
            (a.actor, a.details) for a in db.session.execute(select(AuditEvent).where(AuditEvent.action == "opt-out")).scalars()
        ]


def stop_reply(app, client, fake_twilio, starts) -> None:
    assert reply(client, "STOP").status_code == 200


def refused_at_send(app, client, fake_twilio, starts) -> None:
    fake_twilio.fail_next(twilio_error(21610, 400, "Attempt to send to unsubscribed recipient"))
    tick(app, starts - timedelta(hours=24))


def refused_by_receipt(app, client, fake_twilio, starts) -> None:
    tick(app, starts - timedelta(hours=24))
    (message,) = fake_twilio.messages
    assert callback(client, message, "undelivered", error_code="21610").status_code == 200


@pytest.mark.parametrize(
    ("how", "actor"),
    [(stop_reply, "patient:sms"), (refused_at_send, "twilio:21610"), (refused_by_receipt, "twilio:21610")],
    ids=["STOP reply", "21610 at send", "21610 receipt"],
)
def test_every_sms_opt_out_flags_the_patient_writes_one_audit_row_and_moves_pending_sms_to_email(
    app, client, fake_twilio, smtp_server, how, actor
):
    starts = paris(10)
    book(app, client, fake_twilio, booking(starts, **BOTH))
    assert pending_2h(app).channel == "sms"

    how(app, client, fake_twilio, starts)

    with app.app_context():
        assert db.session.execute(select(Patient.sms_opted_out_at)).scalar_one() is not None
    assert opt_outs(app) == [(actor, {"channel": "sms"})]
    later = pending_2h(app)
    assert (later.channel, later.status) == ("email", "pending")  # moved now, before its time comes
    fake_twilio.messages.clear()
    tick(app, starts - timedelta(hours=2))
    assert fake_twilio.messages == [] and pending_2h(app).status == "sent"


def test_a_second_stop_changes_nothing_more(app, client, fake_twilio):
    book(app, client, fake_twilio, booking(paris(10), **BOTH))
    reply(client, "STOP", sid="SMa")
    reply(client, "STOP", sid="SMb")
    assert len(opt_outs(app)) == 1


def test_the_email_unsubscribe_link_moves_pending_email_to_sms_where_the_patient_allows_it(app, client, fake_twilio, smtp_server):
    starts = paris(10)
    book(app, client, fake_twilio, booking(starts, **BOTH))
    with app.app_context():
        email_48h = db.session.execute(select(Reminder).where(Reminder.kind == "reminder_48h")).scalar_one()
        assert email_48h.channel == "email"
        patient_id = email_48h.patient_id
    from service.unsubscribe import make_token

    assert client.post(f"/unsubscribe/{make_token('test-secret-key-0123456789', patient_id)}").status_code == 200

    assert opt_outs(app) == [("patient:one-click-unsubscribe", {"channel": "email"})]
    with app.app_context():
        moved = db.session.execute(select(Reminder).where(Reminder.kind == "reminder_48h")).scalar_one()
        assert (moved.channel, moved.status) == ("sms", "pending")
