"""Why a message was held, skipped or cancelled reads in the panel's language, not as the row's English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import g
from sqlalchemy import select

from admin import wording
from service.extensions import db
from service.models import Reminder, User
from tests.admin.conftest import STAFF
from tests.helpers import booking, paris, post_booking

# As the planner and the dispatcher write them (service/planner.py, service/domain/dispatch_rules.py, sending.py).
STORED = {
    "unwanted: the session was moved": "la séance a été déplacée",
    "the session was moved; a reminder for the new time replaces this one": "la séance a été déplacée",
    "unwanted: the session is cancelled": "la séance est annulée",
    "unwanted: the session is no-show": "la séance est marquée « Absent »",
    "too late to be useful": "trop tard pour être utile",
    "quiet hours last until it is too late to be useful": "trop tard pour être utile",
    "deferred: quiet hours in the patient's time zone": "en attente des heures permises dans le fuseau du patient",
    "no consent to send by sms or the other channel": "le patient n'a pas donné son accord pour SMS",
    "deferred: the daily SMS cap (5000) is reached": "la limite quotidienne de SMS (5000) est atteinte",
    "unwanted: a session is booked, or a newer course has started": "une séance est réservée, ou une nouvelle cure a commencé",
}


@pytest.mark.parametrize(("stored", "french"), sorted(STORED.items()))
def test_each_stored_reason_reads_in_french(app, stored, french):
    with app.test_request_context():
        g.recall_language = "fr"
        assert wording.reason(stored) == french


def test_a_reason_recall_does_not_know_is_shown_as_written(app):
    with app.test_request_context():
        g.recall_language = "fr"
        assert wording.reason("Twilio 30006: landline or unreachable carrier") == "Twilio 30006: landline or unreachable carrier"


def test_the_outbox_says_why_in_french(app, client, staff):
    post_booking(client, booking(paris(5)))
    later = datetime.now(UTC) + timedelta(seconds=1)
    post_booking(client, booking(paris(5), type="appointment.cancelled", event_id="evt-cancel", occurred_at=later))
    with app.app_context():
        db.session.execute(select(User).where(User.email == STAFF[0])).scalar_one().language = "fr"
        assert db.session.execute(select(Reminder.status_reason).where(Reminder.status == "cancelled")).first()
        db.session.commit()
    page = staff.get("/admin/reminder/?sort=0").get_data(as_text=True)
    assert "la séance est annulée" in page and "unwanted" not in page
