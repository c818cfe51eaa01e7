"""Acuity posts ids only: Recall verifies, fetches the appointment from Acuity's API (a fake on 127.0.0.1), applies it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Appointment, WebhookEvent
from service.runtime import get_settings, override
from tests.fakes.acuity_api import FakeAcuity
from tests.helpers import paris, tick
from tests.providers import ACUITY_KEY, ACUITY_USER, acuity_signature, load


@pytest.fixture
def acuity(app) -> Iterator[FakeAcuity]:
    server = FakeAcuity(ACUITY_USER, ACUITY_KEY).start()
    settings = get_settings(app)
    override(app, settings=settings.with_overrides(acuity_api_base_url=server.base_url))
    yield server
    server.stop()


def appointment(starts: datetime, **changes) -> dict:
    appt = load("acuity/appointment.json")
    appt["datetime"] = starts.strftime("%Y-%m-%dT%H:%M:%S%z")
    appt.update(changes)
    return appt


def post(client, action: str, appointment_id: str = "1001", *, key: str = ACUITY_KEY):
    raw = f"action={action}&id={appointment_id}&calendarID=7&appointmentTypeID=42".encode()
    return client.post(
        "/webhooks/acuity",
        data=raw,
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Acuity-Signature": acuity_signature(raw, key=key)},
    )


def test_the_signature_vector_from_protocol_facts_verifies():
    from service.webhooks import acuity as adapter

    raw = b"action=scheduled&id=1001&calendarID=7&appointmentTypeID=42"
    adapter.verify({"X-Acuity-Signature": "4wJ2e1R7Ic+Dv/HzeLNPxmA7dCLHKYGLRUbPdXpeCl8="}, raw, "acuity_api_key")


def test_an_acuity_booking_is_fetched_and_reminded(app, client, fake_twilio, acuity):
    starts = paris(5)
    acuity.appointments["1001"] = appointment(starts)
    response = post(client, "scheduled")
    assert response.status_code == 200 and response.get_json()["status"] == "processed"
    assert acuity.requests == ["/api/v1/appointments/1001"]
    with app.app_context():
        appt = db.session.execute(select(Appointment)).scalar_one()
        assert (appt.external_id, appt.starts_at, appt.area) == ("1001", starts, "thighs")
        assert appt.patient.phone == "+33612345678"  # the national number, read in the clinic's region


def test_a_reschedule_and_a_cancel_follow_acuitys_current_state_even_out_of_order(app, client, fake_twilio, acuity):
    starts, moved = paris(5), paris(6, 10, 0)
    acuity.appointments["1001"] = appointment(starts)
    post(client, "scheduled")
    acuity.appointments["1001"] = appointment(moved)
    post(client, "rescheduled")
    assert post(client, "changed").get_json()["status"] == "duplicate"  # same state again: nothing to do
    acuity.appointments["1001"] = appointment(moved, canceled=True)
    post(client, "canceled")
    post(client, "rescheduled")  # a late delivery: the fetched state is still "cancelled"

    for days in (1, 4, 5, 6):
        tick(app, paris(days, 10))
    assert fake_twilio.messages == []  # booked and cancelled before anyone was told: nothing at all
    with app.app_context():
        assert db.session.execute(select(Appointment.status)).scalar_one() == "cancelled"


def test_a_bad_signature_is_401_and_acuity_is_not_even_asked(app, client, acuity):
    acuity.appointments["1001"] = appointment(paris(5))
    assert post(client, "scheduled", key="wrong").status_code == 401
    assert acuity.requests == []


def test_an_unknown_appointment_is_a_422_kept_and_an_acuity_outage_a_502_to_retry(app, client, acuity):
    response = post(client, "scheduled", "999")
    assert response.status_code == 422 and "999" in response.get_json()["error"]
    acuity.fail_with = 503
    acuity.appointments["1001"] = appointment(paris(5))
    response = post(client, "scheduled")
    assert response.status_code == 502 and "retry" in response.get_json()["error"]
    with app.app_context():
        assert [o for (o,) in db.session.execute(select(WebhookEvent.outcome)).all()] == ["rejected"]
        assert db.session.execute(select(Appointment)).first() is None


def test_actions_recall_does_not_use_are_acknowledged_without_asking_acuity(app, client, acuity):
    response = post(client, "order.completed", "555")
    assert response.status_code == 200 and response.get_json()["status"] == "ignored"
    assert acuity.requests == []
