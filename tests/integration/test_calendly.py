"""Calendly invitees booked, moved, cancelled and missed, as Calendly posts them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Appointment, Reminder, WebhookEvent
from service.webhooks import calendly
from service.webhooks.errors import SignatureError
from tests.helpers import local_day, sent_bodies, tick
from tests.providers import calendly as calendly_body
from tests.providers import post_calendly

LONDON = ZoneInfo("Europe/London")


def london(days: int, hour: int = 14, minute: int = 0) -> datetime:
    return local_day(LONDON, days, hour, minute)


def test_the_signature_vector_from_protocol_facts_verifies():
    raw = b'{"event":"invitee.created","payload":{"email":"pat@example.com"}}'
    header = "t=1767607200,v1=7531fcc7dc9aabcdf2e49bd5e51fdb61f29d9e3dcc46afdfe89e0c4b3d922d11"
    calendly.verify({"Calendly-Webhook-Signature": header}, raw, "calendly_test_key", datetime.fromtimestamp(1767607260, UTC))
    with pytest.raises(SignatureError, match="180 s"):
        calendly.verify(
            {"Calendly-Webhook-Signature": header}, raw, "calendly_test_key", datetime.fromtimestamp(1767607200 + 181, UTC)
        )


def test_an_invitee_booked_on_calendly_gets_reminders_in_their_own_time_zone(app, client, fake_twilio):
    starts = london(5)
    assert post_calendly(client, calendly_body("invitee_created", starts)).get_json()["status"] == "processed"
    tick(app, london(1, 10))
    tick(app, starts - timedelta(hours=24))
    confirmation, reminder = sent_bodies(fake_twilio)
    assert "booked" in confirmation and "2:00 PM" in reminder
    with app.app_context():
        assert db.session.execute(select(Appointment.timezone)).scalar_one() == "Europe/London"


@pytest.mark.parametrize("order", ["cancel first", "new booking first"])
def test_a_calendly_reschedule_is_one_change_notice_whichever_half_arrives_first(app, client, fake_twilio, order):
    old, new = london(5), london(6, 9, 30)
    post_calendly(client, calendly_body("invitee_created", old, created=datetime.now(UTC) - timedelta(days=1)))
    tick(app, london(1, 10))
    assert len(sent_bodies(fake_twilio)) == 1  # the confirmation

    halves = [calendly_body("invitee_canceled_rescheduled", old), calendly_body("invitee_created_rescheduled", new)]
    for body in halves if order == "cancel first" else halves[::-1]:
        assert post_calendly(client, body).status_code == 200
    tick(app, london(2, 10))
    (notice,) = sent_bodies(fake_twilio)
    assert "moved" in notice and "9:30 AM" in notice

    tick(app, old - timedelta(hours=24))
    assert sent_bodies(fake_twilio) == []
    tick(app, new - timedelta(hours=24))
    (reminder,) = sent_bodies(fake_twilio)
    assert "9:30 AM" in reminder


def test_a_no_show_stops_the_aftercare_and_an_unknown_invitee_is_a_422_kept_for_staff(app, client, fake_twilio):
    starts = london(3)
    post_calendly(client, calendly_body("invitee_created", starts, created=datetime.now(UTC) - timedelta(days=1)))
    assert post_calendly(client, calendly_body("invitee_no_show_created")).get_json()["status"] == "processed"
    tick(app, starts + timedelta(hours=3))
    assert not [b for b in sent_bodies(fake_twilio) if "bruising" in b]
    with app.app_context():
        assert db.session.execute(select(Appointment.status)).scalar_one() == "no_show"
        assert {r.status for r in db.session.execute(select(Reminder).where(Reminder.kind == "aftercare")).scalars()} == {
            "cancelled"
        }

    stray = calendly_body("invitee_no_show_created", created=datetime.now(UTC) + timedelta(seconds=1))
    stray["payload"]["invitee"] = "https://api.calendly.com/scheduled_events/EVT404/invitees/NOPE"
    response = post_calendly(client, stray)
    assert response.status_code == 422 and "NOPE" in response.get_json()["error"]
    with app.app_context():
        assert db.session.execute(select(WebhookEvent.outcome).where(WebhookEvent.outcome == "rejected")).scalar_one()


def test_stale_or_wrongly_signed_deliveries_are_refused_and_nothing_is_stored(app, client):
    body = calendly_body("invitee_created", london(5))
    four_minutes_ago = int(time.time()) - 240
    assert post_calendly(client, body, at=four_minutes_ago).status_code == 401
    assert post_calendly(client, body, key="not-the-key").status_code == 401
    assert post_calendly(client, body, signature="v1=abc").status_code == 401
    with app.app_context():
        assert db.session.execute(select(WebhookEvent)).first() is None


def test_an_unused_event_whose_name_holds_a_nul_is_acknowledged_and_kept(app, client):
    """Found by the Schemathesis run on PostgreSQL: the 'ignored' reason quoted the name, NUL and all, and the insert failed."""
    response = post_calendly(client, {"event": "routing_form\u0000submission", "payload": {}, "created_at": ""})
    assert response.status_code == 200 and response.get_json()["status"] == "ignored"
    with app.app_context():
        kept = db.session.execute(select(WebhookEvent).where(WebhookEvent.source == "calendly")).scalar_one()
        assert kept.outcome == "ignored" and "\x00" not in (kept.error or "")
