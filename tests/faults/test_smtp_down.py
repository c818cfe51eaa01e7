"""An SMTP server that refuses for a while, or is down: the email is retried, not lost, and sent once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Reminder, SendAttempt
from tests.fakes.smtp_server import FakeSmtp
from tests.helpers import booking, paris, post_booking, tick

pytestmark = pytest.mark.slow
EMAIL_ONLY = {"phone": None, "sms_consent": False, "email": "camille@example.test", "email_consent": True}


def the_48h(app) -> Reminder:
    with app.app_context():
        row = db.session.execute(select(Reminder).where(Reminder.kind == "reminder_48h")).scalar_one()
        db.session.expunge(row)
        return row


def test_an_smtp_server_that_says_try_later_gets_the_email_again_later(app, client, smtp_server):
    starts = paris(5)
    post_booking(client, booking(starts, **EMAIL_ONLY))
    tick(app, paris(1, 10))  # the confirmation, while the server is fine
    smtp_server.received.clear()
    smtp_server.refuse("451 4.3.0 Mailbox temporarily unavailable")
    at = starts - timedelta(hours=48)

    tick(app, at)
    row = the_48h(app)
    assert row.status == "pending" and "451" in row.status_reason and row.next_attempt_at > at
    smtp_server.refuse(None)
    tick(app, row.next_attempt_at)

    (mail,) = smtp_server.received
    assert "rendez-vous" in mail.message["Subject"] and the_48h(app).status == "sent"


def test_a_permanent_smtp_refusal_fails_at_once_with_the_servers_words(app, client, smtp_server):
    starts = paris(5)
    post_booking(client, booking(starts, **EMAIL_ONLY))
    smtp_server.refuse("550 5.1.1 No such user here")
    tick(app, starts - timedelta(hours=48))
    row = the_48h(app)
    assert row.status == "failed" and "550" in row.status_reason and "No such user" in row.status_reason


def test_an_smtp_server_that_is_down_loses_nothing(app, client, smtp_server):
    starts = paris(5)
    post_booking(client, booking(starts, **EMAIL_ONLY))
    tick(app, paris(1, 10))
    smtp_server.received.clear()
    smtp_server.stop()  # nothing listens on the port now
    at = starts - timedelta(hours=48)
    for minutes in (0, 10, 20):
        tick(app, at + timedelta(minutes=minutes))
    row = the_48h(app)
    assert row.status == "pending" and "connection" in row.status_reason

    revived = FakeSmtp(port=smtp_server.port).start()  # the server is back on its port
    try:
        tick(app, row.next_attempt_at)
    finally:
        revived.stop()
    assert len(revived.received) == 1 and the_48h(app).status == "sent"
    with app.app_context():
        outcomes = (
            db.session.execute(select(SendAttempt.outcome).where(SendAttempt.reminder_id == row.id).order_by(SendAttempt.number))
            .scalars()
            .all()
        )
    assert outcomes[-1] == "sent" and set(outcomes[:-1]) == {"retry"}
