"""POST /webhooks/generic: who may post, what a bad body gets back, and repeats."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from service.extensions import db
from service.models import Appointment, Patient, Reminder, WebhookEvent
from tests.helpers import booking, post_booking, signed_headers

PARIS = ZoneInfo("Europe/Paris")
STARTS = datetime.now(PARIS).replace(microsecond=0) + timedelta(days=5)


def counts(app) -> tuple[int, int, int, int]:
    with app.app_context():
        return tuple(  # type: ignore[return-value]
            db.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Patient, Appointment, Reminder, WebhookEvent)
        )


def test_a_valid_booking_creates_patient_session_and_reminders(app, client):
    response = post_booking(client, booking(STARTS))
    assert response.status_code == 200
    assert response.get_json()["status"] == "processed"
    patients, appointments, reminders, events = counts(app)
    assert (patients, appointments, events) == (1, 1, 1)
    assert reminders >= 1


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h: h.pop("X-Recall-Signature"), "missing X-Recall-Signature"),
        (lambda h: h.pop("X-Recall-Timestamp"), "missing X-Recall-Timestamp"),
        (lambda h: h.update({"X-Recall-Signature": "sha256=" + "0" * 64}), "does not match"),
        (lambda h: h.update({"X-Recall-Timestamp": "yesterday"}), "unix seconds"),
    ],
)
def test_missing_or_wrong_signatures_are_refused_and_nothing_is_stored(app, client, mutate, reason):
    raw = json.dumps(booking(STARTS)).encode()
    headers = signed_headers(raw)
    mutate(headers)
    response = client.post("/webhooks/generic", data=raw, headers=headers)
    assert response.status_code == 401
    assert reason in response.get_json()["error"]
    assert counts(app) == (0, 0, 0, 0)


def test_a_signature_made_with_another_secret_is_refused(app, client):
    raw = json.dumps(booking(STARTS)).encode()
    response = client.post("/webhooks/generic", data=raw, headers=signed_headers(raw, secret="not-the-clinic-secret"))
    assert response.status_code == 401
    assert counts(app) == (0, 0, 0, 0)


@pytest.mark.parametrize("skew", [-301, 301])
def test_a_timestamp_more_than_five_minutes_away_is_refused_even_if_signed(app, client, skew):
    raw = json.dumps(booking(STARTS)).encode()
    # One frozen instant for the sender and the server: a slow second between them made 301 s look like 299.
    with time_machine.travel(datetime.now(UTC).replace(microsecond=0), tick=False):
        response = client.post("/webhooks/generic", data=raw, headers=signed_headers(raw, timestamp=int(time.time()) + skew))
    assert response.status_code == 401
    assert "300 s" in response.get_json()["error"]
    assert counts(app) == (0, 0, 0, 0)


def test_malformed_json_is_a_400_and_is_kept_for_debugging(app, client):
    response = post_booking(client, b'{"id": "evt_1", "type": ')
    assert response.status_code == 400
    assert response.get_json()["error"] == "the body is not valid JSON"
    with app.app_context():
        kept = db.session.execute(select(WebhookEvent)).scalar_one()
        assert kept.outcome == "rejected" and kept.payload.startswith('{"id"')
    assert counts(app)[:3] == (0, 0, 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b["appointment"].pop("starts_at"), "appointment: 'starts_at' is a required property"),
        (lambda b: b.update(type="appointment.moved"), "type: 'appointment.moved' is not one of"),
        (
            lambda b: b["appointment"].update(duration_minutes="ten"),
            "appointment.duration_minutes: 'ten' is not of type 'integer'",
        ),
        (lambda b: b["patient"].update(phone="call me"), "patient.phone: 'call me' is not a phone number"),
        (lambda b: b["patient"].update(phone="01 00 00"), "patient.phone"),
        (lambda b: b["patient"].update(timezone="Paris"), "patient.timezone"),
        (lambda b: b["appointment"].update(starts_at="2026-03-05T16:45:00"), "appointment.starts_at needs a UTC offset"),
        (lambda b: b.pop("patient"), "(body): 'patient' is a required property"),
    ],
)
def test_a_body_that_breaks_the_contract_gets_a_400_naming_the_field(app, client, change, field):
    body = booking(STARTS)
    change(body)
    response = post_booking(client, body)
    assert response.status_code == 400
    payload = response.get_json()
    assert any(field in d for d in payload["details"]) or field in payload["error"], payload
    assert counts(app)[:3] == (0, 0, 0)


def test_a_repeated_event_id_is_acknowledged_and_changes_nothing(app, client):
    first = booking(STARTS, event_id="evt_same")
    assert post_booking(client, first).status_code == 200
    before = counts(app)
    # Same id, different content: still the same event to us, so nothing moves.
    second = booking(STARTS + timedelta(hours=3), event_id="evt_same")
    response = post_booking(client, second)
    assert response.status_code == 200
    assert response.get_json()["status"] == "duplicate"
    assert counts(app) == before
    with app.app_context():
        appt = db.session.execute(select(Appointment)).scalar_one()
        assert appt.starts_at == STARTS.astimezone(ZoneInfo("UTC"))


def test_a_body_over_one_mebibyte_is_refused_with_413(app, client):
    body = booking(STARTS)
    body["padding"] = "x" * (1024 * 1024)
    response = post_booking(client, body)
    assert response.status_code == 413
    assert "larger than" in response.get_json()["error"]
    assert counts(app) == (0, 0, 0, 0)


def test_the_webhook_says_it_is_off_when_no_secret_is_configured(tmp_path):
    from service import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(f"sqlite:///{tmp_path / 'x.sqlite3'}", booking_webhook_secret=None))
    response = app.test_client().post("/webhooks/generic", data=b"{}")
    assert response.status_code == 503
    assert "BOOKING_WEBHOOK_SECRET" in response.get_json()["error"]
