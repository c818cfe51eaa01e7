"""FHIR R4 Appointments in, alone or in a Bundle, with bearer auth and OperationOutcome errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.extensions import db
from service.models import Appointment, Patient, WebhookEvent
from tests.helpers import paris, tick
from tests.providers import FHIR_TOKEN, iso, load


def appointment(starts: datetime, *, status: str = "booked", updated: datetime | None = None, version: str = "1") -> dict:
    body = load("fhir/appointment_contained.json")
    body.update(status=status, start=iso(starts), end=iso(starts + timedelta(minutes=10)))
    body["meta"] = {"versionId": version, "lastUpdated": iso(updated or datetime.now(UTC))}
    return body


def post(client, body: dict | bytes, *, token: str | None = FHIR_TOKEN):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/fhir+json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    return client.post("/webhooks/fhir", data=raw, headers=headers)


def test_a_booked_appointment_with_its_patient_contained_is_reminded_in_french(app, client, fake_twilio):
    starts = paris(5)
    assert post(client, appointment(starts)).get_json()["status"] == "processed"
    with app.app_context():
        patient = db.session.execute(select(Patient)).scalar_one()
        assert (patient.first_name, patient.phone, patient.email, patient.language) == (
            "Camille",
            "+33612345678",
            "camille@example.test",
            "fr",
        )  # the mobile, not the home number
        patient.sms_consent = True  # FHIR carries no messaging consent: staff record it
        db.session.commit()
    tick(app, starts - timedelta(hours=24))
    assert any("16:45" in m["body"] and "rendez-vous" in m["body"] for m in fake_twilio.messages)


def test_cancelled_fulfilled_and_noshow_statuses_change_the_session_and_an_older_version_does_not(app, client):
    starts = paris(5)
    t0 = datetime.now(UTC) - timedelta(minutes=30)
    post(client, appointment(starts, updated=t0))
    post(client, appointment(starts, status="cancelled", updated=t0 + timedelta(minutes=10), version="2"))
    late = post(client, appointment(starts, status="booked", updated=t0 + timedelta(minutes=5), version="1b"))
    assert late.get_json()["status"] == "ignored"
    with app.app_context():
        assert db.session.execute(select(Appointment.status)).scalar_one() == "cancelled"
    post(client, appointment(starts, status="noshow", updated=t0 + timedelta(minutes=20), version="3"))
    with app.app_context():
        assert db.session.execute(select(Appointment.status)).scalar_one() == "no_show"


def test_a_bundle_brings_its_appointments_and_finds_patients_among_its_entries(app, client):
    bundle = load("fhir/bundle.json")
    bundle["entry"][0]["resource"].update(start=iso(paris(6, 10, 0)), end=iso(paris(6, 10, 10)))
    response = post(client, bundle)
    assert response.status_code == 200
    assert any("proposed" in w for w in response.get_json()["warnings"])  # acknowledged, nothing to remind
    with app.app_context():
        appt = db.session.execute(select(Appointment)).scalar_one()
        assert (appt.external_id, appt.patient.phone, appt.patient.language) == ("appt-90", "+447911123456", "en")


def test_a_wrong_or_missing_token_is_a_401_operation_outcome_and_nothing_is_stored(app, client):
    for token in ("wrong", None):
        response = post(client, appointment(paris(5)), token=token)
        assert response.status_code == 401
        outcome = response.get_json()
        assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == "security"
    with app.app_context():
        assert db.session.execute(select(WebhookEvent)).first() is None


def test_an_appointment_whose_patient_cannot_be_read_is_a_422_operation_outcome_naming_it(app, client):
    body = appointment(paris(5))
    body["contained"] = []
    response = post(client, body)
    assert response.status_code == 422
    issue = response.get_json()["issue"][0]
    assert issue["code"] == "invalid" and "#pat" in issue["diagnostics"]
    assert post(client, {"resourceType": "Patient", "id": "x"}).status_code == 422
    assert post(client, b"{").status_code == 422
    with app.app_context():
        assert {o for (o,) in db.session.execute(select(WebhookEvent.outcome))} == {"rejected"}
