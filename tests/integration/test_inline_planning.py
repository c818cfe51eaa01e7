"""A booking is planned inline; the appointment is left for the next tick exactly when that planning fails."""

from __future__ import annotations

from sqlalchemy import select

from service import ingest
from service.extensions import db
from service.models import Appointment, Reminder
from tests.helpers import booking, paris, post_booking


def test_a_planned_booking_is_not_left_for_the_tick(app, client):
    assert post_booking(client, booking(paris(5))).status_code == 200
    with app.app_context():
        assert db.session.execute(select(Appointment.needs_planning)).scalar_one() is False
        assert db.session.execute(select(Reminder.id)).first() is not None


def test_a_booking_whose_planning_fails_is_saved_and_left_for_the_tick(app, client, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("a planning bug")

    monkeypatch.setattr(ingest, "plan_patient", broken)
    assert post_booking(client, booking(paris(5))).status_code == 200
    with app.app_context():
        assert db.session.execute(select(Appointment.needs_planning)).scalar_one() is True
        assert db.session.execute(select(Reminder.id)).first() is None
    monkeypatch.undo()
    cancel = booking(paris(5), event_id="evt_2", type="appointment.cancelled")
    monkeypatch.setattr(ingest, "plan_patient", broken)
    assert post_booking(client, cancel).status_code == 200
    with app.app_context():
        appointment = db.session.execute(select(Appointment)).scalar_one()
        assert (appointment.status, appointment.needs_planning) == ("cancelled", True)
