"""What every inbound endpoint promises alike: 413 past 1 MiB, malformed bodies named, repeats harmless."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from service.extensions import db
from service.models import Appointment, DeliveryEvent, WebhookEvent
from tests.fakes.twilio_api import AUTH_TOKEN
from tests.helpers import paris
from tests.providers import (
    ACUITY_KEY,
    FHIR_TOKEN,
    acuity_signature,
    calcom,
    calendly,
    calendly_signature,
    post_calendly,
)

ENDPOINTS = [
    "/webhooks/generic",
    "/webhooks/calcom",
    "/webhooks/calendly",
    "/webhooks/acuity",
    "/webhooks/fhir",
    "/webhooks/twilio/status",
    "/webhooks/twilio/inbound",
]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_body_over_one_mebibyte_is_refused_with_413_and_nothing_is_stored(app, client, path):
    response = client.post(path, data=b"x" * (1024 * 1024 + 1), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    with app.app_context():
        assert db.session.execute(select(WebhookEvent)).first() is None


def test_calendly_malformed_is_422_naming_the_field_and_a_repeat_is_a_duplicate(app, client):
    body = calendly("invitee_created", paris(5))
    del body["payload"]["scheduled_event"]["start_time"]
    response = post_calendly(client, body)
    assert response.status_code == 422 and "scheduled_event.start_time" in response.get_json()["error"]
    good = calendly("invitee_created", paris(5))
    assert post_calendly(client, good).get_json()["status"] == "processed"
    assert post_calendly(client, good).get_json()["status"] == "duplicate"
    with app.app_context():
        assert db.session.execute(select(db.func.count()).select_from(Appointment)).scalar_one() == 1


def test_acuity_without_an_id_is_422_before_acuity_is_asked(app, client):
    raw = b"action=scheduled&calendarID=7"
    response = client.post(
        "/webhooks/acuity",
        data=raw,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Acuity-Signature": acuity_signature(raw, key=ACUITY_KEY),
        },
    )
    assert response.status_code == 422 and "id" in response.get_json()["error"]


def test_a_repeated_fhir_version_is_a_duplicate(app, client):
    from tests.integration.test_fhir import appointment

    raw = json.dumps(appointment(paris(5))).encode()
    headers = {"Content-Type": "application/fhir+json", "Authorization": f"Bearer {FHIR_TOKEN}"}
    assert client.post("/webhooks/fhir", data=raw, headers=headers).get_json()["status"] == "processed"
    assert client.post("/webhooks/fhir", data=raw, headers=headers).get_json()["status"] == "duplicate"


@pytest.mark.parametrize("path", ["/webhooks/twilio/status", "/webhooks/twilio/inbound"])
def test_a_signed_twilio_callback_missing_its_fields_is_a_400_naming_them(app, client, path):
    form = {"AccountSid": "AC" + "0" * 31 + "1"}
    url = "https://recall.clinic.test" + path
    response = client.post(
        path, data=form, headers={"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(url, form)}
    )
    assert response.status_code == 400 and "MessageSid" in response.get_json()["error"]
    with app.app_context():
        assert db.session.execute(select(DeliveryEvent)).first() is None


def test_calcom_and_calendly_signatures_are_checked_before_the_body_is_read(app, client):
    raw = b"{definitely not json"
    assert client.post("/webhooks/calcom", data=raw, headers={"X-Cal-Signature-256": "00"}).status_code == 401
    assert (
        client.post(
            "/webhooks/calendly", data=raw, headers={"Calendly-Webhook-Signature": calendly_signature(raw, key="wrong")}
        ).status_code
        == 401
    )
    assert calcom("booking_created", paris(5))  # the fixture itself is fine


def test_a_status_callback_naming_an_impossible_reminder_id_is_a_400_not_a_crash(app, client):
    path = "/webhooks/twilio/status?reminder=2147483648"  # past PostgreSQL's integer: found by Schemathesis
    form = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "sent"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature("https://recall.clinic.test" + path, form)
    response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 400 and "reminder" in response.get_json()["error"]
